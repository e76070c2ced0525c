import type { AppDeps } from '../../../app/deps.ts';
import { TemplateReports } from '../../templates/service.ts';
import type { TemplateChange } from '../../../warehouse/queries/templates/history.ts';
import type { AlertRule } from '../config.ts';
import { readKept, type KeptRead, type PartsSnapshot } from '../../../warehouse/queries/parts.ts';
import type { AlertItem } from '../state.ts';

/**
 * Template rules on the templates report's history (Meta's template webhooks): a template whose
 * latest status is one of the rule's (PAUSED by default), whose latest quality rating is RED (or
 * YELLOW and worse), or whose category changed recently. The history is read as loaded, so the
 * alert follower sees a template event in the cycle of the batch that brought it.
 */

type TemplateRule = Extract<AlertRule, { kind: `template_${string}` }>;

const STATUS = 'message_template_status_update';
const QUALITY = 'message_template_quality_update';
const CATEGORY = 'template_category_update';
const HOUR_MS = 3_600_000;

const templateKey = (c: TemplateChange) => `${c.waba_id}:${c.template_id}`;

function describe(c: TemplateChange, extra: Record<string, string>): AlertItem['detail'] {
  return { waba_id: c.waba_id, template_id: c.template_id, template: c.template, language: c.language, changed_at: c.at, ...extra };
}

/** The latest change of a field per template (rows come ordered by time). */
function latest(changes: readonly TemplateChange[], field: string): TemplateChange[] {
  const last = new Map<string, TemplateChange>();
  for (const c of changes) if (c.field === field) last.set(templateKey(c), c);
  return [...last.values()];
}

/**
 * The template history of one evaluation: one read per start of the history asked (the whole history
 * for status and quality, the last N hours per `within_hours` of recategorised rules), for the union
 * of the rules' WABAs; each rule keeps its WABAs' changes.
 */
export interface TemplateCache {
  wabas: readonly string[] | 'all';
  reads: Map<number, Promise<TemplateChange[]>>;
  /** The whole history as last read, kept from one evaluation to the next (with `parts`). */
  memory?: TemplateMemory;
  parts?: () => Promise<PartsSnapshot | null>;
}

/** The tables the history is read from: with the same parts, it is the same history. */
const HISTORY_TABLES = ['management_events_v1', 'template_catalog_v1'];
const END_OF_TIME = Date.parse('2299-01-01T00:00:00Z');

/** The whole template history of the rules' WABAs as last read, with what its tables held then. */
export type TemplateMemory = KeptRead<TemplateChange[]>;

export function templateCache(rules: readonly AlertRule[], memory?: TemplateMemory, parts?: () => Promise<PartsSnapshot | null>): TemplateCache {
  const scopes = rules.filter((r): r is TemplateRule => r.kind.startsWith('template_')).map((r) => r.scope.wabas);
  return { wabas: scopes.some((w) => w.length === 0) ? 'all' : [...new Set(scopes.flat())].sort(), reads: new Map(), ...(memory ? { memory } : {}), ...(parts ? { parts } : {}) };
}

/**
 * The history from `since` up to now. With a memory, the whole history is read once while its tables
 * stand still and each start is cut from it (the same rows the range's read gives: the range is on
 * the same event time).
 */
async function historyFrom(deps: AppDeps, since: number, now: number, cache: TemplateCache): Promise<TemplateChange[]> {
  const reports = new TemplateReports(deps);
  if (!cache.memory || !cache.parts) return reports.history({ from_ms: since, to_ms: now + 1, tz: 'UTC', scope: cache.wabas });
  const whole = await readKept(cache.memory, cache.parts, HISTORY_TABLES, () => reports.history({ from_ms: 0, to_ms: END_OF_TIME, tz: 'UTC', scope: cache.wabas }), {
    key: JSON.stringify(cache.wabas),
  });
  return whole.filter((c) => {
    const at = Date.parse(c.at);
    return at >= since && at < now + 1;
  });
}

export async function templateItems(rule: TemplateRule, deps: AppDeps, now: number, cache: TemplateCache = templateCache([rule])): Promise<AlertItem[]> {
  const since = rule.kind === 'template_recategorised' ? now - rule.within_hours * HOUR_MS : 0;
  let read = cache.reads.get(since);
  if (!read) cache.reads.set(since, (read = historyFrom(deps, since, now, cache)));
  const mine = rule.scope.wabas;
  const changes = (await read).filter((c) => mine.length === 0 || mine.includes(c.waba_id));
  const item = (c: TemplateChange, extra: Record<string, string>): AlertItem => ({
    key: templateKey(c), waba_id: c.waba_id, rank: Date.parse(c.at), detail: describe(c, extra),
  });
  switch (rule.kind) {
    case 'template_paused':
      return latest(changes, STATUS).filter((c) => rule.statuses.includes(c.value)).map((c) => item(c, { status: c.value, reason: c.reason }));
    case 'template_quality': {
      const bad = rule.quality === 'RED' ? ['RED'] : ['RED', 'YELLOW'];
      return latest(changes, QUALITY).filter((c) => bad.includes(c.value)).map((c) => item(c, { quality: c.value }));
    }
    case 'template_recategorised':
      // Each change its own item: a second change of the same template is announced too.
      return changes.filter((c) => c.field === CATEGORY).map((c) => ({ ...item(c, { previous_category: c.previous, category: c.value }), key: `${templateKey(c)}:${c.at}` }));
  }
}
