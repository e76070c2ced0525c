import { ALL_WABAS } from '../../../warehouse/scope.ts';
import type { Pseudonymizer } from '../../../app/pseudonym.ts';
import type { Warehouse } from '../../../warehouse/client.ts';
import { liveRows, type StoredWaitRow } from '../../../warehouse/queries/sla/reports.ts';
import { openWaits, type OpenWait } from '../../../warehouse/queries/alerts/open-waits.ts';
import type { AlertRule } from '../config.ts';
import type { AlertItem } from '../state.ts';

/**
 * SLA rules on the report's live lists (everyone waiting now, windows closing), as the managers'
 * dashboard shows them: a wait past X % of its due time, past its due time, a 24-hour window
 * closing unanswered, a WABA's queue too long or too old. Items carry the pseudonymous contact id.
 */

type SlaRule = Extract<AlertRule, { kind: `sla_${string}` }>;

/** More than this many waiting at once is read in part (the worst are listed anyway). */
const MAX_ROWS = 200_000;
const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const minutes = (ms: number) => Math.floor(ms / 60_000);

/** What a rule reads of an unanswered wait (an open-waits row, or a live-list row for label rules). */
type Wait = Pick<OpenWait, 'wait_id' | 'waba_id' | 'phone_number_id' | 'wa_id' | 'owner_team' | 'team' | 'kind' | 'started_at' | 'window_expires_at'> & { due_at?: number | null };

/**
 * The SLA reads of one evaluation: the unanswered waits of every rule without labels in one read (the
 * union of their families and scopes), each rule keeping its own rows in memory; rules with labels
 * read the live list once per family, scope and window (the label condition is SQL).
 */
export interface LiveCache {
  pooled: ReadonlySet<SlaRule>;
  pool?: Promise<OpenWait[]>;
  labelled: Map<string, Promise<StoredWaitRow[]>>;
  /** The pooled waits of one family and scope: rules that share them filter the pool once. */
  scoped: Map<string, OpenWait[]>;
  /** Pseudonymous contact ids of the evaluation, computed once per customer (a keyed hash each). */
  contacts: Map<string, string>;
  /** A wait as an item (the same for every rule that holds for it), built once per evaluation. */
  items: Map<string, AlertItem>;
}

export const isSlaRule = (rule: AlertRule): rule is SlaRule => rule.kind.startsWith('sla_');

export function liveCache(rules: readonly AlertRule[]): LiveCache {
  return { pooled: new Set(rules.filter(isSlaRule).filter((r) => r.scope.labels.length === 0)), labelled: new Map(), scoped: new Map(), contacts: new Map(), items: new Map() };
}

/** The union of the rules' values of one filter: none (every value) as soon as one rule has none. */
function union(rules: Iterable<SlaRule>, pick: (r: SlaRule) => readonly string[]): string[] {
  const all = new Set<string>();
  for (const r of rules) {
    const v = pick(r);
    if (v.length === 0) return [];
    for (const x of v) all.add(x);
  }
  return [...all].sort();
}

function pool(wh: Warehouse, cache: LiveCache): Promise<OpenWait[]> {
  const rules = [...cache.pooled];
  cache.pool ??= openWaits(wh, {
    families: [...new Set(rules.map((r) => r.family))].sort(), waba_ids: union(rules, (r) => r.scope.wabas),
    phone_number_ids: union(rules, (r) => r.scope.phone_numbers), teams: union(rules, (r) => r.scope.teams), row_limit: MAX_ROWS, ...ALL_WABAS,
  });
  return cache.pool;
}

const within = (values: readonly string[], v: string) => values.length === 0 || values.includes(v);

/** A rule's own rows: everyone waiting now in its scope, and those whose window closes within its minutes. */
async function live(wh: Warehouse, rule: SlaRule, now: number, cache: LiveCache): Promise<{ waiting: Wait[]; closing: Wait[] }> {
  const closingMs = rule.kind === 'sla_window_closing' ? Math.round(rule.within_minutes * 60_000) : 0;
  if (cache.pooled.has(rule)) {
    const s = rule.scope;
    const all = await pool(wh, cache);
    const key = JSON.stringify([rule.family, s.wabas, s.phone_numbers, s.teams]);
    let waiting = cache.scoped.get(key);
    if (!waiting) {
      waiting = all.filter((w) => w.family === rule.family && within(s.wabas, w.waba_id) && within(s.phone_numbers, w.phone_number_id) && within(s.teams, w.owner_team));
      cache.scoped.set(key, waiting);
    }
    return { waiting, closing: waiting.filter((w) => w.window_expires_at > now && w.window_expires_at <= now + closingMs) };
  }
  const key = JSON.stringify([rule.family, rule.scope, closingMs]);
  let rows = cache.labelled.get(key);
  if (!rows) {
    rows = liveRows(wh, {
      family: rule.family, from: 0, to: now, now, tz: 'UTC', waba_ids: rule.scope.wabas, phone_number_ids: rule.scope.phone_numbers,
      teams: rule.scope.teams, agents: [], responders: [], kinds: [], labels: rule.scope.labels, label_match: rule.scope.label_match, ...ALL_WABAS,
    }, closingMs, MAX_ROWS);
    cache.labelled.set(key, rows);
  }
  const read = await rows;
  return { waiting: read.filter((r) => r.list === 'waiting_now'), closing: read.filter((r) => r.list === 'window_closing') };
}

function waitItem(r: Wait, now: number, contact: (waId: string) => string, extra: Record<string, string | number | null> = {}): AlertItem {
  const due = r.due_at ?? null;
  const share = due !== null && due > r.started_at ? Math.floor((100 * (now - r.started_at)) / (due - r.started_at)) : null;
  return {
    key: r.wait_id,
    waba_id: r.waba_id,
    rank: now - r.started_at,
    detail: {
      contact: contact(r.wa_id), waba_id: r.waba_id, phone_number_id: r.phone_number_id, team: r.owner_team || r.team, kind: r.kind,
      started_at: iso(r.started_at), due_at: iso(due), waited_minutes: minutes(now - r.started_at), percent_of_due: share, ...extra,
    },
  };
}

export async function slaItems(rule: SlaRule, wh: Warehouse, pseudonyms: Pseudonymizer, now: number, cache: LiveCache): Promise<AlertItem[]> {
  const { waiting, closing } = await live(wh, rule, now, cache);
  const contact = (w: string) => {
    let c = cache.contacts.get(w);
    if (c === undefined) cache.contacts.set(w, (c = pseudonyms.contact(w)));
    return c;
  };
  const item = (r: Wait) => {
    let i = cache.items.get(r.wait_id);
    if (i === undefined) cache.items.set(r.wait_id, (i = waitItem(r, now, contact)));
    return i;
  };
  switch (rule.kind) {
    case 'sla_at_risk':
      // From X % of the time between start and due on, until answered (a breach keeps it at risk).
      return waiting
        .filter((r) => r.due_at != null && r.due_at > r.started_at && (now - r.started_at) * 100 >= rule.percent * (r.due_at - r.started_at))
        .map(item);
    case 'sla_breached':
      return waiting.filter((r) => r.due_at != null && r.due_at <= now).map(item);
    case 'sla_window_closing':
      return closing.map((r) => ({ ...waitItem(r, now, contact, { window_expires_at: iso(r.window_expires_at), minutes_left: minutes(r.window_expires_at - now) }), rank: now - r.window_expires_at }));
    case 'sla_waiting_now':
      return queues(waiting, now).filter((q) =>
        (rule.max_count !== undefined && q.waiting > rule.max_count) || (rule.max_oldest_minutes !== undefined && q.oldest_ms > rule.max_oldest_minutes * 60_000));
  }
}

interface Queue extends AlertItem {
  waiting: number;
  oldest_ms: number;
}

/** Waiting now per WABA (one item each, so a recipient sees only the queues of its WABAs). */
function queues(waiting: readonly Wait[], now: number): Queue[] {
  const by = new Map<string, { n: number; oldest: number }>();
  for (const r of waiting) {
    const q = by.get(r.waba_id) ?? { n: 0, oldest: now };
    q.n++;
    q.oldest = Math.min(q.oldest, r.started_at);
    by.set(r.waba_id, q);
  }
  return [...by].map(([waba, q]) => ({
    key: waba, waba_id: waba, rank: now - q.oldest, waiting: q.n, oldest_ms: now - q.oldest,
    detail: { waba_id: waba, waiting: q.n, oldest_wait_minutes: minutes(now - q.oldest) },
  }));
}
