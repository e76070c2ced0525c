import { DateTime } from 'luxon';
import { z } from 'zod';
import { HttpError } from '../../app/http-error.ts';
import { FORMATS, type ExportFormat } from '../format.ts';
import { BOUNDS_TEXT, inBounds } from '../range.ts';
import { DIMENSIONS, PERIODS, type Dimension, type Period, type WaitFilter } from '../../warehouse/queries/sla/reports.ts';
import { scopeOf, type WabaScopeInput } from '../../warehouse/scope.ts';
import { requireInScope } from '../scope.ts';
import { isValidZone, zoneName } from './calendar.ts';
import { parseLabelFilter } from '../labels/params.ts';
import type { SlaSettings } from './config.ts';

/**
 * Request parameters of the SLA reports (query string or CLI options), checked and normalised. A
 * bad value is a ParamError naming the parameter; the route answers it with 400.
 */

export const REPORT_KINDS = ['aggregates', 'waits', 'breaches', 'live'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;
const KINDS = ['first', 'next', 'reply_to_business'];
const RESPONDERS = ['human', 'bot', 'automation', 'unknown'];
const LISTS = ['waiting_now', 'window_closing'];
/** The percentiles of the aggregates, in the order the engine gives them. */
export const QUANTILES = ['p50', 'p90', 'p95', 'p99'] as const;

/** The aggregates' figures, in their order after the period, the groupings and `family`. */
export const AGGREGATE_COLUMNS = [
  'waits', 'answered', 'unanswered', 'mean_seconds', ...QUANTILES.map((q) => `${q}_seconds`),
  'business_mean_seconds', ...QUANTILES.map((q) => `business_${q}_seconds`),
  'achieved', 'breached', 'open', 'excluded', 'attainment_pct',
  'replied_in_window', 'window_missed', 'late_template_replies', 'replies_read', 'read_rate_lower_bound',
  'p50_time_to_deliver_seconds', 'p50_time_to_read_seconds',
];

/** A 400 naming the parameter (the CLI prints its message). */
export class ParamError extends HttpError {
  constructor(readonly parameter: string, message: string) {
    super(400, `${parameter}: ${message}`, { body: { parameter } });
  }
}

export interface ReportParams extends WaitFilter {
  format: ExportFormat;
  period: Period;
  groupBy: Dimension[];
  lists: string[];
  /** Aggregates: the figures asked for (AGGREGATE_COLUMNS), all when empty. */
  columns: string[];
  /** Most rows a list report returns (`sla.max_export_rows`). */
  maxRows: number;
  /** Live lists: only the first so many of each (longest waiting, soonest closing); all when unset. */
  perList?: number;
}

/** The query parameters as the OpenAPI document describes them (parseReportParams checks them). */
export const SLA_QUERY = z.object({
  from: z.string().optional().describe('ISO date or date-time; default 30 days before to'),
  to: z.string().optional().describe('ISO date (that whole day) or date-time; default now'),
  tz: z.string().optional().describe("IANA zone for dates and periods; default the tenant's"),
  family: z.enum(['human', 'any']).optional(),
  period: z.enum(['day', 'week', 'month', 'none']).optional().describe('aggregates only'),
  group_by: z.string().optional().describe('aggregates: comma list of waba_id, phone_number_id, agent, team, responder, kind, sla_policy, entry_point, hour_of_week, label'),
  list: z.string().optional().describe('live: waiting_now, window_closing'),
  waba_id: z.string().optional().describe("comma list of WABA ids, each within the caller's scope (403 otherwise)"),
  phone_number_id: z.string().optional().describe('comma list'),
  team: z.string().optional().describe('comma list'),
  agent: z.string().optional().describe('comma list'),
  responder: z.string().optional().describe('comma list of human, bot, automation, unknown'),
  kind: z.string().optional().describe('comma list of first, next, reply_to_business'),
  label: z.string().optional().describe('comma list of labels (hierarchical: order matches order/paid)'),
  label_match: z.enum(['any', 'all']).optional().describe('any (default) or all of the labels'),
  columns: z
    .string()
    .optional()
    .describe('aggregates: comma list of the figures to return (default all; period, group_by and family always come); fewer percentiles answer sooner'),
});

const KNOWN = new Set(['format', ...Object.keys(SLA_QUERY.shape)]);

type Query = Record<string, unknown>;

function text(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ParamError(name, 'give it once, as text');
  return v.trim();
}

function list(q: Query, name: string, allowed?: readonly string[]): string[] {
  const v = text(q, name);
  if (!v) return [];
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = allowed && items.find((i) => !allowed.includes(i));
  if (bad) throw new ParamError(name, `unknown value "${bad.slice(0, 40)}"; expected ${allowed.join(', ')}`);
  return items;
}

function oneOf<T extends string>(q: Query, name: string, allowed: readonly T[], fallback: T): T {
  const v = text(q, name);
  if (v === undefined || v === '') return fallback;
  if (!allowed.includes(v as T)) throw new ParamError(name, `unknown value "${v.slice(0, 40)}"; expected ${allowed.join(', ')}`);
  return v as T;
}

/**
 * An ISO date (the start of that day in `tz`) or date-time (with Z or an offset, else local to
 * `tz`), to epoch ms; `wholeDay` moves a date to the end of its day (`to` includes the day it names).
 */
export function parseBound(name: 'from' | 'to', value: string, tz: string, wholeDay = false): number {
  const date = /^\d{4}-\d\d-\d\d$/.test(value);
  if (!date && !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)?$/.test(value)) {
    throw new ParamError(name, 'expected an ISO date (2024-03-01) or date-time (2024-03-01T09:00:00Z)');
  }
  const dt = DateTime.fromISO(value, { zone: tz });
  if (!dt.isValid) throw new ParamError(name, `not a valid date: ${dt.invalidExplanation ?? value}`);
  if (!inBounds(dt.toMillis())) throw new ParamError(name, `must be ${BOUNDS_TEXT}`);
  return (date && wholeDay ? dt.plus({ days: 1 }) : dt).toMillis();
}

/** `scope`: the WABAs the caller may see; a `waba_id` outside it is a 403, and the queries read only it. */
export function parseReportParams(kind: ReportKind, q: Query, settings: SlaSettings, now: Date, scope: WabaScopeInput): ReportParams {
  const unknown = Object.keys(q).find((k) => !KNOWN.has(k));
  if (unknown) throw new ParamError(unknown.slice(0, 40), `unknown parameter; expected one of ${[...KNOWN].join(', ')}`);
  const waba_ids = list(q, 'waba_id');
  requireInScope(scope, waba_ids);
  const asked = text(q, 'tz') || settings.zoneFor(waba_ids.length === 1 ? waba_ids[0] : undefined);
  if (!isValidZone(asked)) throw new ParamError('tz', `unknown time zone "${asked.slice(0, 60)}"; expected an IANA zone such as America/Sao_Paulo`);
  const tz = zoneName(asked);
  const format = oneOf(q, 'format', FORMATS, 'json');
  const toText = text(q, 'to');
  const fromText = text(q, 'from');
  const to = toText ? parseBound('to', toText, tz, true) : now.getTime();
  const from = fromText ? parseBound('from', fromText, tz) : DateTime.fromMillis(to, { zone: tz }).minus({ days: DEFAULT_DAYS }).startOf('day').toMillis();
  if (from > (toText ? parseBound('to', toText, tz) : to)) throw new ParamError('from', `${fromText} is after to (${toText ?? 'now'})`);
  if (to - from > settings.maxRangeDays * DAY_MS) {
    throw new ParamError('to', `the range from ${fromText ?? 'default'} to ${toText ?? 'now'} is over the maximum of ${settings.maxRangeDays} days`);
  }
  const groupBy = list(q, 'group_by', Object.keys(DIMENSIONS)) as Dimension[];
  return {
    ...scopeOf(scope),
    family: oneOf(q, 'family', ['human', 'any'], 'human'),
    from,
    to,
    now: now.getTime(),
    tz,
    waba_ids,
    phone_number_ids: list(q, 'phone_number_id'),
    teams: list(q, 'team'),
    agents: list(q, 'agent'),
    responders: list(q, 'responder', RESPONDERS),
    kinds: list(q, 'kind', KINDS),
    format,
    period: oneOf(q, 'period', Object.keys(PERIODS) as Period[], 'day'),
    groupBy: kind === 'aggregates' && q.group_by === undefined ? ['kind'] : [...new Set(groupBy)],
    lists: list(q, 'list', LISTS),
    columns: [...new Set(list(q, 'columns', AGGREGATE_COLUMNS))],
    maxRows: settings.maxExportRows,
    ...parseLabelFilter(q),
  };
}

/** The parameters as written to the access audit: no customer identifiers are among them. */
export function auditParams(p: ReportParams): Record<string, unknown> {
  return {
    from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString(), tz: p.tz, family: p.family, format: p.format,
    period: p.period, group_by: p.groupBy, columns: p.columns, waba_id: p.waba_ids, phone_number_id: p.phone_number_ids, team: p.teams,
    agent: p.agents, responder: p.responders, kind: p.kinds, list: p.lists, label: p.labels ?? [], label_match: p.label_match ?? 'any',
  };
}
