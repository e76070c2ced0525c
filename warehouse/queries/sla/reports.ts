import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { SLA_WAITS, WAITS_FINAL_SETTINGS } from '../../schema/sla.ts';
import { inScope, scopeParams, type ScopeParams } from '../../scope.ts';
import { labelParams, labelSetRows } from '../labels/intervals.ts';

/**
 * The SLA reports' reads of `sla_waits_v1` (never of the event tables). What depends on the clock is
 * computed here from the `now` parameter: an open wait past its deadline is breached, an open wait
 * past its window has missed it. Grouping columns come from fixed lists below; every value travels
 * as a query parameter. FINAL may work partition by partition: a wait's day (its partition, migration 0610) never changes.
 */

export interface WaitFilter extends ScopeParams {
  family: string;
  /** Range on started_at, epoch ms, [from, to). */
  from: number;
  to: number;
  now: number;
  tz: string;
  waba_ids: string[];
  phone_number_ids: string[];
  teams: string[];
  agents: string[];
  responders: string[];
  kinds: string[];
  /** Labels in force when the wait started (none: no filter), any or all of them. */
  labels?: string[];
  label_match?: 'any' | 'all';
}

export const PERIODS = {
  day: `toString(toDate(toTimeZone(started_at, {tz:String})))`,
  week: `toString(toStartOfWeek(toTimeZone(started_at, {tz:String}), 1))`,
  month: `toString(toStartOfMonth(toTimeZone(started_at, {tz:String})))`,
  none: `''`,
} as const;

export const DIMENSIONS = {
  waba_id: 'waba_id',
  phone_number_id: 'phone_number_id',
  agent: 'agent',
  team: 'team',
  responder: 'responder',
  kind: 'kind',
  sla_policy: 'sla_policy',
  entry_point: 'entry_point',
  hour_of_week: `toUInt16((toDayOfWeek(toTimeZone(started_at, {tz:String})) - 1) * 24 + toHour(toTimeZone(started_at, {tz:String})))`,
  /** Each label in force when the wait started: a wait under two labels is in both rows. */
  label: 'label',
} as const;

export type Period = keyof typeof PERIODS;
export type Dimension = keyof typeof DIMENSIONS;

/** `column` is one of the list parameter `param`; an empty list means every value. */
export const has = (param: string, column: string) => `(empty({${param}:Array(String)}) OR has({${param}:Array(String)}, ${column}))`;

const FILTERS = [
  inScope(),
  has('waba_ids', 'waba_id'),
  has('phone_number_ids', 'phone_number_id'),
  has('agents', 'agent'),
  has('responders', 'responder'),
  has('kinds', 'kind'),
].join(' AND ');

/**
 * How a read meets labels: `none` (no label asked, no grouping: no join at all), `filter` (only
 * waits under the asked labels), `group` (each wait repeated under each of its labels as `label`,
 * filtered too when labels are asked). Filter and grouping share one join of the label ranges.
 */
export type LabelUse = 'none' | 'filter' | 'group';

/** How a filter (and a grouping by label) uses labels. */
export function labelUse(f: Pick<WaitFilter, 'labels'>, grouped = false): LabelUse {
  return grouped ? 'group' : (f.labels?.length ?? 0) > 0 ? 'filter' : 'none';
}

/**
 * Current waits of a family with the clock-dependent columns, filtered by `where` (conditions on
 * stored columns); `team` matches the responder's team or, while open, the owner's team.
 */
const current = (where: string, labels: LabelUse) => {
  const waits = `
SELECT *,${labels === 'none' ? '' : ' label_set,'}
  if(sla_status = 'open' AND due_at IS NOT NULL AND due_at <= fromUnixTimestamp64Milli({now:Int64}, 'UTC'), 'breached', sla_status) AS status_now,
  if(responded_at IS NULL, window_expires_at <= fromUnixTimestamp64Milli({now:Int64}, 'UTC'), NOT assumeNotNull(replied_in_window)) AS window_missed,
  responded_at IS NOT NULL AND NOT assumeNotNull(replied_in_window) AND response_template AS late_template_reply
FROM {{db}}.sla_waits_v1 FINAL
WHERE family = {family:String} AND ${FILTERS}
  AND ${has('teams', 'if(responded_at IS NULL, owner_team, team)')} AND ${where}`;
  // A wait is under the labels in force when it started (its stored label set).
  return labels === 'none' ? waits : labelSetRows(waits, labels === 'group');
};

const IN_RANGE = `started_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND started_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

const ms = (col: string) => `toUnixTimestamp64Milli(${col})`;

/**
 * What a report reads of a stored wait: the declared columns but the job's bookkeeping, with the
 * status as of `now` and the clock-dependent flags. Timestamps leave as epoch ms under their own
 * names, so later expressions of a SELECT see ms.
 */
const storedWait = SLA_WAITS.row
  .omit({ initiator: true, start_wamid: true, response_wamid: true, response_template: true, calendar_id: true, calendar_version: true, version: true, content_hash: true, is_deleted: true })
  .extend({ window_missed: z.coerce.boolean(), late_template_reply: z.coerce.boolean() });

const STORED = Object.keys(storedWait.shape) as Array<keyof typeof storedWait.shape>;
const isTime = (name: string) => SLA_WAITS.columns[name as keyof typeof SLA_WAITS.columns]?.type.includes('DateTime64') ?? false;

const WAIT_COLUMNS = STORED.map((name) => (name === 'sla_status' ? 'status_now AS sla_status' : isTime(name) ? `${ms(name)} AS ${name}` : name)).join(', ');

const waitRow = storedWait.extend({
  overdue_seconds: z.number().nullable().optional(),
  elapsed_seconds: z.number().optional(),
  list: z.string().optional(),
});
export type StoredWaitRow = z.infer<typeof waitRow>;

/** Rows of the reports: compact JSON on the wire (half the bytes of keyed rows for large exports). */
const READ = { format: 'compact', settings: WAITS_FINAL_SETTINGS } as const;

const waitParams = scopeParams.extend({
  family: z.string(),
  from: z.number(),
  to: z.number(),
  now: z.number(),
  tz: z.string(),
  waba_ids: z.array(z.string()),
  phone_number_ids: z.array(z.string()),
  teams: z.array(z.string()),
  agents: z.array(z.string()),
  responders: z.array(z.string()),
  kinds: z.array(z.string()),
  ...labelParams,
});
const limitedParams = waitParams.extend({ row_limit: z.number().int() });

const waitsQuery = defineQuery({
  name: 'sla.waits',
  sql: (labels: LabelUse) => `SELECT ${WAIT_COLUMNS} FROM (${current(IN_RANGE, labels)}) ORDER BY started_at, wait_id LIMIT {row_limit:UInt64}`,
  params: limitedParams,
  row: waitRow,
  ...READ,
});

/** One row per wait started in the range. */
export function waitRows(wh: Warehouse, f: WaitFilter, limit: number): Promise<StoredWaitRow[]> {
  return waitsQuery(wh, { ...f, row_limit: limit }, labelUse(f));
}

const breachesQuery = defineQuery({
  name: 'sla.breaches',
  sql: (labels: LabelUse) => `SELECT ${WAIT_COLUMNS},
       (coalesce(responded_at, {now:Int64}) - due_at) / 1000 AS overdue_seconds
     FROM (${current(IN_RANGE, labels)}) WHERE status_now = 'breached' ORDER BY started_at, wait_id LIMIT {row_limit:UInt64}`,
  params: limitedParams,
  row: waitRow,
  ...READ,
});

/** Waits started in the range that missed their deadline, answered late or still unanswered. */
export function breachRows(wh: Warehouse, f: WaitFilter, limit: number): Promise<StoredWaitRow[]> {
  return breachesQuery(wh, { ...f, row_limit: limit }, labelUse(f));
}

/** Whether an open wait's window closes soon (over stored times, before they leave as epoch ms). */
const CLOSING_SOON = `window_expires_at > fromUnixTimestamp64Milli({now:Int64}, 'UTC')
                 AND window_expires_at <= fromUnixTimestamp64Milli({now:Int64} + {closing:Int64}, 'UTC') AS closing_soon`;
/** Each open wait once per list it is on: everyone waiting, and those whose window closes soon. */
const LISTED = `arrayJoin(if(closing_soon, ['waiting_now', 'window_closing'], ['waiting_now'])) AS list`;
/** The top of each list: longest waiting first, soonest closing first. */
const TOP = `ORDER BY list, if(list = 'window_closing', window_expires_at, started_at), wait_id
       LIMIT {per_list:UInt64} BY list LIMIT {row_limit:UInt64}`;
const WAIT_KEY = 'waba_id, family, started_at, phone_number_id, wait_id';

const liveQuery = defineQuery({
  name: 'sla.live',
  // Two reads of the open waits: the top of each list by their sort key and times alone, then every
  // column of those waits only, found by their sort key (a few granules). Reading every column of
  // every wait to keep twenty cost 0.5 s at 10 M events; open waits are in every part of the table.
  // A wait on both lists is read once. The second read orders the chosen waits again: each list's
  // top is among them, so the same rows come out.
  sql: (labels: LabelUse) => {
    const chosen = `SELECT ${WAIT_KEY} FROM (
       SELECT ${LISTED}, ${WAIT_KEY}, window_expires_at
       FROM (SELECT ${WAIT_KEY}, window_expires_at, ${CLOSING_SOON} FROM (${current('responded_at IS NULL', labels)}))
       ${TOP})`;
    return `SELECT * FROM (
     SELECT ${LISTED}, ${WAIT_COLUMNS}, ({now:Int64} - started_at) / 1000 AS elapsed_seconds
     FROM (SELECT *, ${CLOSING_SOON} FROM (${current(`responded_at IS NULL AND (${WAIT_KEY}) IN (${chosen})`, labels)}))
     ) ${TOP}`;
  },
  params: limitedParams.extend({ closing: z.number().int(), per_list: z.number().int() }),
  row: waitRow,
  ...READ,
});

/**
 * Unanswered waits whatever their start: everyone waiting now (longest first), and those whose
 * customer-service window closes within `closingMs` (last customer message 20–24 h ago for 4 h;
 * soonest first). `perList` keeps the first so many of each list (a dashboard's top of the list).
 */
export function liveRows(wh: Warehouse, f: WaitFilter, closingMs: number, limit: number, perList = limit): Promise<StoredWaitRow[]> {
  return liveQuery(wh, { ...f, closing: closingMs, row_limit: limit, per_list: perList }, labelUse(f));
}

export interface AggregateRow {
  period: string;
  [dimension: string]: unknown;
}

const LEVELS = '0.5, 0.9, 0.95, 0.99';

/**
 * The figures a cell may carry, computed only when asked (the counts are cheap, but each costs a
 * pass over every wait of every grouping). `q` and `bq` are p50…p99 of the response time, in
 * calendar and in business hours, and with the two medians the costly ones: every value of a cell
 * is kept and sorted.
 */
const FIGURE_SQL = {
  waits: 'count()',
  answered: 'countIf(responded_at IS NOT NULL)',
  unanswered: 'countIf(responded_at IS NULL)',
  mean_seconds: 'avgIf(response_seconds, responded_at IS NOT NULL)',
  q: `quantilesExactIf(${LEVELS})(assumeNotNull(response_seconds), responded_at IS NOT NULL)`,
  business_mean_seconds: 'avgIf(business_response_seconds, responded_at IS NOT NULL)',
  bq: `quantilesExactIf(${LEVELS})(assumeNotNull(business_response_seconds), responded_at IS NOT NULL)`,
  achieved: "countIf(status_now = 'achieved')",
  breached: "countIf(status_now = 'breached')",
  open: "countIf(status_now = 'open')",
  excluded: "countIf(status_now = 'excluded')",
  replied_in_window: 'countIf(replied_in_window)',
  window_missed: 'countIf(window_missed)',
  late_template_replies: 'countIf(late_template_reply)',
  replies_read: 'countIf(time_to_read_seconds IS NOT NULL)',
  p50_time_to_deliver_seconds: 'quantileExactIf(0.5)(assumeNotNull(time_to_deliver_seconds), time_to_deliver_seconds IS NOT NULL)',
  p50_time_to_read_seconds: 'quantileExactIf(0.5)(assumeNotNull(time_to_read_seconds), time_to_read_seconds IS NOT NULL)',
} as const;
export type AggregateFigure = keyof typeof FIGURE_SQL;
export const AGGREGATE_FIGURES = Object.keys(FIGURE_SQL) as AggregateFigure[];

/** The figures of an aggregate cell, over the waits grouped into it; names from the fixed list only. */
function figures(asked: readonly AggregateFigure[]): string {
  return AGGREGATE_FIGURES.filter((f) => asked.includes(f))
    .map((f) => `  ${FIGURE_SQL[f]} AS ${f}`)
    .join(',\n');
}

const aggregatesQuery = defineQuery({
  name: 'sla.aggregates',
  sql: (shape: { period: Period; dims: readonly Dimension[]; labels: LabelUse; figures: readonly AggregateFigure[] }) => {
    const keys = [`${PERIODS[shape.period]} AS period`, ...shape.dims.map((d) => `${DIMENSIONS[d]} AS ${d}`)];
    const groupBy = ['period', ...shape.dims].join(', ');
    return `
SELECT ${keys.join(', ')},
${figures(shape.figures)}
FROM (${current(IN_RANGE, shape.labels)})
GROUP BY ${groupBy}
ORDER BY ${groupBy}`;
  },
  params: waitParams,
  // One cell per row: the period, the chosen dimensions, and the figures (checked by the report).
  row: z.looseObject({ period: z.string() }),
  ...READ,
});

/**
 * Mean, exact quantiles and n of answered waits, attainment counts and window counts per cell.
 * Quantiles are exact over the cell's waits (quantilesExact: the value at 0-based rank ⌊p·n⌋). Only
 * the figures asked are computed (all unless said). Grouping columns come from the fixed lists above.
 */
export function aggregateRows(
  wh: Warehouse,
  f: WaitFilter,
  period: Period,
  dims: readonly Dimension[],
  asked: readonly AggregateFigure[] = AGGREGATE_FIGURES,
): Promise<AggregateRow[]> {
  return aggregatesQuery(wh, f, { period, dims, labels: labelUse(f, dims.includes('label')), figures: asked });
}

/**
 * One grouping of the aggregates: a period and dimensions (as `aggregateRows` takes them), over the
 * filter's waits or, with `kinds`, over those of these kinds only (a chart of first and next
 * responses beside others of every kind, in the same read).
 */
export interface AggregateShape {
  period: Period;
  dims: readonly Dimension[];
  kinds?: readonly WaitKind[];
}

export const WAIT_KINDS = ['first', 'next', 'reply_to_business'] as const;
export type WaitKind = (typeof WAIT_KINDS)[number];

/** The name of a set's key: the key itself, or for a set narrowed by kind, a copy that is NULL outside its kinds. */
const narrowed = (s: AggregateShape) => (s.kinds ? `_${[...s.kinds].sort().join('_')}` : '');

/** The keys of several groupings: each period and dimension once, in a fixed order. */
function setKeys(sets: readonly AggregateShape[]): string[] {
  const keys: string[] = [];
  for (const suffix of [...new Set(sets.map(narrowed))].sort()) {
    const of = sets.filter((s) => narrowed(s) === suffix);
    keys.push(...(Object.keys(PERIODS) as Period[]).filter((p) => p !== 'none' && of.some((s) => s.period === p)).map((p) => `period_${p}${suffix}`));
    keys.push(...(Object.keys(DIMENSIONS) as Dimension[]).filter((d) => of.some((s) => s.dims.includes(d))).map((d) => `${d}${suffix}`));
  }
  return keys;
}

function setMembers(s: AggregateShape): string[] {
  return [...(s.period === 'none' ? [] : [`period_${s.period}`]), ...s.dims].map((k) => `${k}${narrowed(s)}`);
}

/** A key's expression: its period or dimension, NULL outside the kinds of a narrowed key. */
function keyExpr(key: string, sets: readonly AggregateShape[]): string {
  const set = sets.find((s) => setMembers(s).includes(key))!;
  const base = key.slice(0, key.length - narrowed(set).length);
  const expr = base.startsWith('period_') ? PERIODS[base.slice('period_'.length) as Period] : DIMENSIONS[base as Dimension];
  // Kinds from the fixed list only (checked below), so they can be written into the statement.
  return set.kinds ? `if(kind IN (${set.kinds.map((k) => `'${k}'`).join(', ')}), ${expr}, NULL)` : expr;
}

/** `grouping(keys)` of a set's rows: a bit per key, the first key highest, set where the key is not in the set. */
export function groupingMask(sets: readonly AggregateShape[], s: AggregateShape): number {
  const keys = setKeys(sets);
  const members = setMembers(s);
  return keys.reduce((m, k) => (m << 1) | (members.includes(k) ? 0 : 1), 0);
}

const aggregateSetsQuery = defineQuery({
  name: 'sla.aggregate_sets',
  sql: (shape: { sets: readonly AggregateShape[]; labels: LabelUse; figures: readonly AggregateFigure[] }) => {
    const keys = setKeys(shape.sets);
    const exprs = keys.map((k) => `${keyExpr(k, shape.sets)} AS ${k}`);
    const sets = shape.sets.map((s) => `(${setMembers(s).join(', ')})`).join(', ');
    return `
SELECT ${[...exprs, `grouping(${keys.join(', ')}) AS grouping_mask`].join(', ')},
${figures(shape.figures)}
FROM (${current(IN_RANGE, shape.labels)})
GROUP BY GROUPING SETS (${sets})
ORDER BY grouping_mask, ${keys.join(', ')}`;
  },
  params: waitParams,
  row: z.looseObject({ grouping_mask: z.coerce.number() }),
  ...READ,
});

/**
 * The aggregates of several groupings over the same filter in one read of the waits (GROUPING
 * SETS): what a dashboard showing one filter several ways asks for. Per grouping, the rows
 * `aggregateRows` gives for it, in its order (for a grouping narrowed by kind, the rows it gives
 * with those kinds asked). Not for `label` (a wait is in a cell per label).
 */
export async function aggregateSetRows(
  wh: Warehouse,
  f: WaitFilter,
  sets: readonly AggregateShape[],
  asked: readonly AggregateFigure[] = AGGREGATE_FIGURES,
): Promise<AggregateRow[][]> {
  if (sets.some((s) => s.dims.includes('label'))) throw new Error('aggregate sets do not group by label');
  if (sets.some((s) => s.kinds && (s.kinds.length === 0 || s.kinds.some((k) => !WAIT_KINDS.includes(k)) || setMembers(s).length === 0))) {
    throw new Error('a grouping narrowed by kind names known kinds and groups by something');
  }
  const distinct = sets.filter((s, i) => sets.findIndex((t) => setMembers(t).join() === setMembers(s).join()) === i);
  // With no key at all (one cell), GROUPING SETS has nothing to group by: one plain aggregate.
  if (setKeys(distinct).length === 0) return Promise.all(sets.map((s) => aggregateRows(wh, f, s.period, s.dims, asked)));
  const rows = await aggregateSetsQuery(wh, f, { sets: distinct, labels: labelUse(f), figures: asked });
  const keys = new Set(setKeys(distinct));
  return sets.map((s) => {
    const mask = groupingMask(distinct, s);
    const suffix = narrowed(s);
    const members = setMembers(s);
    return rows
      // A narrowed grouping's waits of other kinds fall in a cell of NULL keys: not one of its cells.
      .filter((r) => r.grouping_mask === mask && members.every((k) => r[k] !== null))
      .map((r) => {
        const out: AggregateRow = { period: s.period === 'none' ? '' : String(r[`period_${s.period}${suffix}`]) };
        for (const [k, v] of Object.entries(r)) {
          if (k === 'grouping_mask' || k.startsWith('period_')) continue;
          const base = suffix && k.endsWith(suffix) ? k.slice(0, -suffix.length) : k;
          if (base in DIMENSIONS) {
            if (s.dims.includes(base as Dimension) && k === `${base}${suffix}`) out[base] = v;
          } else if (!keys.has(k)) out[k] = v;
        }
        return out;
      });
  });
}
