import type { AppDeps } from '../../app/deps.ts';
import type { ColumnSpec } from '../format.ts';
import { aggregateRows, aggregateSetRows, breachRows, liveRows, waitRows, type AggregateShape, type AggregateFigure, type StoredWaitRow } from '../../warehouse/queries/sla/reports.ts';
import { SLA_WAITS } from '../../warehouse/schema/sla.ts';
import { AGGREGATE_COLUMNS, ParamError, QUANTILES, type ReportKind, type ReportParams } from './params.ts';

/**
 * Runs one SLA report over the stored waits and shapes its rows: timestamps as ISO 8601 UTC, the
 * customer as a pseudonymous contact id unless the caller may see personal data.
 */

const TS = "Nullable(DateTime64(3, 'UTC'))";
const NUM = 'Nullable(Float64)';
const STR = 'String';
const BOOL = 'Nullable(Bool)';

/** Columns computed for the report (the rest are the stored wait's, typed from its declaration). */
const COMPUTED = {
  contact: STR, window_missed: BOOL, late_template_reply: BOOL, overdue_seconds: NUM, list: STR,
  last_customer_message_at: TS, elapsed_seconds: NUM, window_left_seconds: NUM,
} as const;

type WaitColumn = keyof typeof SLA_WAITS.columns | keyof typeof COMPUTED;

/** Export types: every timestamp, number and flag may be empty in a report row. */
function exportType(name: WaitColumn): string {
  if (name in COMPUTED) return COMPUTED[name as keyof typeof COMPUTED];
  const stored = SLA_WAITS.columns[name as keyof typeof SLA_WAITS.columns].type;
  return stored.includes('DateTime64') ? TS : stored.includes('Bool') ? BOOL : /Int|Float/.test(stored) ? NUM : STR;
}

const columns = (names: WaitColumn[]): ColumnSpec[] => names.map((name) => ({ name, type: exportType(name) }));

const WAIT_COLUMNS = columns([
  'waba_id', 'phone_number_id', 'contact', 'family', 'kind', 'thread_started_at', 'started_at', 'responded_at',
  'response_seconds', 'business_response_seconds', 'responder', 'agent', 'team', 'sla_policy', 'sla_target_seconds',
  'sla_mode', 'due_at', 'sla_status', 'replied_in_window', 'window_missed', 'window_expires_at', 'late_template_reply',
  'time_to_deliver_seconds', 'time_to_read_seconds', 'entry_point', 'owner_team', 'wait_id',
]);

const BREACH_COLUMNS: ColumnSpec[] = [...WAIT_COLUMNS, { name: 'overdue_seconds', type: NUM }];

const LIVE_COLUMNS: ColumnSpec[] = [
  { name: 'list', type: STR },
  ...WAIT_COLUMNS.filter((c) => !['responded_at', 'response_seconds', 'business_response_seconds', 'responder', 'agent', 'team', 'replied_in_window', 'late_template_reply', 'time_to_deliver_seconds', 'time_to_read_seconds'].includes(c.name)),
  { name: 'last_customer_message_at', type: TS },
  { name: 'elapsed_seconds', type: NUM },
  { name: 'window_left_seconds', type: NUM },
];

const COUNTS = new Set(['waits', 'answered', 'unanswered', 'achieved', 'breached', 'open', 'excluded', 'replied_in_window', 'window_missed', 'late_template_replies', 'replies_read']);

/** The period, the groupings, the family, and the figures asked (all unless `columns` names some). */
function aggregateColumns(p: ReportParams): ColumnSpec[] {
  const figures = p.columns.length ? AGGREGATE_COLUMNS.filter((f) => p.columns.includes(f)) : AGGREGATE_COLUMNS;
  return [
    { name: 'period', type: STR },
    ...p.groupBy.map((d) => ({ name: d, type: d === 'hour_of_week' ? 'Nullable(UInt16)' : STR })),
    { name: 'family', type: STR },
    ...figures.map((name) => ({ name, type: COUNTS.has(name) ? 'UInt64' : NUM })),
  ];
}

/** What each report column is worked out from (`answered` is always read: it decides what is empty). */
const NEEDS: Record<string, AggregateFigure[]> = {
  ...Object.fromEntries(QUANTILES.flatMap((q) => [[`${q}_seconds`, ['q']], [`business_${q}_seconds`, ['bq']]])),
  attainment_pct: ['achieved', 'breached'],
  read_rate_lower_bound: ['replies_read'],
  p50_time_to_read_seconds: ['replies_read', 'p50_time_to_read_seconds'],
};

/** The figures the asked columns need: only these are computed. */
function neededFigures(p: ReportParams): AggregateFigure[] {
  const columns = p.columns.length ? p.columns : AGGREGATE_COLUMNS;
  return [...new Set<AggregateFigure>(['answered', ...columns.flatMap((c) => NEEDS[c] ?? [c as AggregateFigure])])];
}

/** The columns of each SLA report (the aggregates' follow group_by). */
export function reportColumns(kind: ReportKind, p: ReportParams): ColumnSpec[] {
  return { waits: WAIT_COLUMNS, breaches: BREACH_COLUMNS, live: LIVE_COLUMNS, aggregates: aggregateColumns(p) }[kind];
}

export interface ReportResult {
  rows: Record<string, unknown>[];
  columns: ColumnSpec[];
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

const TIMES = new Set(Object.entries(SLA_WAITS.columns).filter(([, c]) => c.type.includes('DateTime64')).map(([name]) => name));

/** The stored wait with timestamps as ISO text, the customer as `contact`, and the live-list figures. */
function waitRow(r: StoredWaitRow, contact: (waId: string) => string, now: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(r)) out[name] = TIMES.has(name) ? iso(value as number | null) : value;
  out.contact = contact(r.wa_id);
  out.last_customer_message_at = iso(r.last_inbound_at);
  out.window_left_seconds = r.responded_at === null ? Math.max(0, (r.window_expires_at - now) / 1000) : null;
  return out;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function aggregateRow(r: Record<string, unknown>, p: ReportParams): Record<string, unknown> {
  const answered = Number(r.answered);
  const q = (r.q as number[]) ?? [];
  const bq = (r.bq as number[]) ?? [];
  const achieved = Number(r.achieved);
  const breached = Number(r.breached);
  const out: Record<string, unknown> = { period: r.period };
  for (const d of p.groupBy) out[d] = r[d];
  Object.assign(out, {
    family: p.family,
    waits: Number(r.waits),
    answered,
    unanswered: Number(r.unanswered),
    mean_seconds: answered ? finite(r.mean_seconds) : null,
    business_mean_seconds: answered ? finite(r.business_mean_seconds) : null,
    achieved,
    breached,
    open: Number(r.open),
    excluded: Number(r.excluded),
    attainment_pct: achieved + breached ? (100 * achieved) / (achieved + breached) : null,
    replied_in_window: Number(r.replied_in_window),
    window_missed: Number(r.window_missed),
    late_template_replies: Number(r.late_template_replies),
    replies_read: Number(r.replies_read),
    read_rate_lower_bound: answered ? Number(r.replies_read) / answered : null,
    p50_time_to_deliver_seconds: finite(r.p50_time_to_deliver_seconds),
    p50_time_to_read_seconds: Number(r.replies_read) ? finite(r.p50_time_to_read_seconds) : null,
  });
  QUANTILES.forEach((name, i) => {
    out[`${name}_seconds`] = answered ? finite(q[i]) : null;
    out[`business_${name}_seconds`] = answered ? finite(bq[i]) : null;
  });
  return out;
}

/** Live lists: how long a customer may still be answered free-form (`window_closing`) and who waits. */
const CLOSING_MS = 4 * 3_600_000;

/** Keeps exactly the report's columns, in order (JSON output carries what CSV does). */
function project(rows: Record<string, unknown>[], columns: ColumnSpec[]): ReportResult {
  const names = columns.map((c) => c.name);
  return {
    rows: rows.map((r) => {
      const out: Record<string, unknown> = {};
      for (const n of names) out[n] = r[n] ?? null;
      return out;
    }),
    columns,
  };
}

export async function runReport(deps: AppDeps, kind: ReportKind, p: ReportParams, personal: boolean): Promise<ReportResult> {
  const result = await reportRows(deps, kind, p, personal);
  return project(result.rows, result.columns);
}

/**
 * The aggregates report for several groupings (period and group_by) of the same filters, read
 * once: per grouping, what `runReport(deps, 'aggregates', …)` gives with that period and group_by.
 */
export async function runAggregateSets(deps: AppDeps, p: ReportParams, sets: readonly AggregateShape[]): Promise<ReportResult[]> {
  const cells = await aggregateSetRows(deps.warehouse, p, sets, neededFigures(p));
  return sets.map((s, i) => {
    const q = { ...p, period: s.period, groupBy: [...s.dims] };
    return project(cells[i]!.map((r) => aggregateRow(r, q)), aggregateColumns(q));
  });
}

async function reportRows(deps: AppDeps, kind: ReportKind, p: ReportParams, personal: boolean): Promise<ReportResult> {
  const wh = deps.warehouse;
  const pseudonyms = new Map<string, string>();
  const contact = personal
    ? (id: string) => id
    : (id: string) => {
        let c = pseudonyms.get(id);
        if (c === undefined) pseudonyms.set(id, (c = deps.pseudonyms.contact(id)));
        return c;
      };
  // One row over the limit tells that there are more: refused with a clear error rather than held.
  const limited = <T>(rows: T[]): T[] => {
    if (rows.length > p.maxRows) throw new ParamError('to', `the report has more than ${p.maxRows} rows (sla.max_export_rows): narrow the range (from, to) or filter it (phone_number_id, team, agent)`);
    return rows;
  };
  switch (kind) {
    case 'waits':
      return { rows: limited(await waitRows(wh, p, p.maxRows + 1)).map((r) => waitRow(r, contact, p.now)), columns: WAIT_COLUMNS };
    case 'breaches':
      return { rows: limited(await breachRows(wh, p, p.maxRows + 1)).map((r) => waitRow(r, contact, p.now)), columns: BREACH_COLUMNS };
    case 'live': {
      const rows = limited(await liveRows(wh, p, CLOSING_MS, p.maxRows + 1, p.perList)).filter((r) => p.lists.length === 0 || p.lists.includes(r.list ?? ''));
      return { rows: rows.map((r) => waitRow(r, contact, p.now)), columns: LIVE_COLUMNS };
    }
    case 'aggregates':
      return { rows: (await aggregateRows(wh, p, p.period, p.groupBy, neededFigures(p))).map((r) => aggregateRow(r, p)), columns: aggregateColumns(p) };
  }
}
