import type { Warehouse } from '../../client.ts';

/**
 * The SLA reports' reads of `sla_waits_v1` (never of the event tables). What depends on the clock is
 * computed here from the `now` parameter: an open wait past its deadline is breached, an open wait
 * past its window has missed it. Grouping columns come from fixed lists below; every value travels
 * as a query parameter. FINAL may work partition by partition: a wait's month never changes.
 */

export interface WaitFilter {
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
} as const;

export type Period = keyof typeof PERIODS;
export type Dimension = keyof typeof DIMENSIONS;

const has = (param: string, column: string) => `(empty({${param}:Array(String)}) OR has({${param}:Array(String)}, ${column}))`;

const FILTERS = [
  has('waba_ids', 'waba_id'),
  has('phone_number_ids', 'phone_number_id'),
  has('agents', 'agent'),
  has('responders', 'responder'),
  has('kinds', 'kind'),
].join(' AND ');

/**
 * Current waits of a family with the clock-dependent columns, filtered by `where` (conditions on
 * stored columns); `team` matches the responder's team or, while open, the owner's team.
 */
const current = (where: string) => `
SELECT *,
  if(sla_status = 'open' AND due_at IS NOT NULL AND due_at <= fromUnixTimestamp64Milli({now:Int64}, 'UTC'), 'breached', sla_status) AS status_now,
  if(responded_at IS NULL, window_expires_at <= fromUnixTimestamp64Milli({now:Int64}, 'UTC'), NOT assumeNotNull(replied_in_window)) AS window_missed,
  responded_at IS NOT NULL AND NOT assumeNotNull(replied_in_window) AND response_template AS late_template_reply
FROM {{db}}.sla_waits_v1 FINAL
WHERE family = {family:String} AND ${FILTERS}
  AND ${has('teams', 'if(responded_at IS NULL, owner_team, team)')} AND ${where}`;

const IN_RANGE = `started_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND started_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

const ms = (col: string) => `toUnixTimestamp64Milli(${col})`;

/** Timestamps leave as epoch ms under their own names, so later expressions of a SELECT see ms. */
const WAIT_COLUMNS = `
  wait_id, waba_id, phone_number_id, wa_id, family, kind, seq, entry_point,
  ${ms('thread_started_at')} AS thread_started_at, ${ms('started_at')} AS started_at, ${ms('last_inbound_at')} AS last_inbound_at,
  ${ms('responded_at')} AS responded_at, response_seconds, business_response_seconds, responder, agent, team, owner_team,
  sla_policy, sla_target_seconds, sla_mode, ${ms('due_at')} AS due_at, status_now AS sla_status,
  replied_in_window, window_missed, ${ms('window_expires_at')} AS window_expires_at, late_template_reply,
  time_to_deliver_seconds, time_to_read_seconds`;

export interface StoredWaitRow {
  wait_id: string;
  waba_id: string;
  phone_number_id: string;
  wa_id: string;
  family: string;
  kind: string;
  seq: number;
  entry_point: string;
  thread_started_at: number;
  started_at: number;
  last_inbound_at: number;
  responded_at: number | null;
  response_seconds: number | null;
  business_response_seconds: number | null;
  responder: string;
  agent: string;
  team: string;
  owner_team: string;
  sla_policy: string;
  sla_target_seconds: number | null;
  sla_mode: string;
  due_at: number | null;
  sla_status: string;
  replied_in_window: boolean | null;
  window_missed: boolean;
  window_expires_at: number;
  late_template_reply: boolean;
  time_to_deliver_seconds: number | null;
  time_to_read_seconds: number | null;
  overdue_seconds?: number | null;
  elapsed_seconds?: number;
  list?: string;
}

/** Rows as objects; compact JSON on the wire (half the bytes of keyed rows for large exports). */
async function select<T>(wh: Warehouse, name: string, sql: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await wh.reader.query({
    query: sql.replaceAll('{{db}}', wh.database),
    query_params: params,
    format: 'JSONCompactEachRowWithNames',
    clickhouse_settings: { log_comment: name, output_format_json_quote_64bit_integers: 0, do_not_merge_across_partitions_select_final: 1 },
  });
  const [names, ...rows] = await rs.json<unknown[]>();
  return rows.map((r) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < names!.length; i++) o[names![i] as string] = r[i];
    return o as T;
  });
}

/** One row per wait started in the range. */
export function waitRows(wh: Warehouse, f: WaitFilter, limit: number): Promise<StoredWaitRow[]> {
  return select(wh, 'sla.waits', `SELECT ${WAIT_COLUMNS} FROM (${current(IN_RANGE)}) ORDER BY started_at, wait_id LIMIT {row_limit:UInt64}`, { ...f, row_limit: limit });
}

/** Waits started in the range that missed their deadline, answered late or still unanswered. */
export function breachRows(wh: Warehouse, f: WaitFilter, limit: number): Promise<StoredWaitRow[]> {
  return select(
    wh,
    'sla.breaches',
    `SELECT ${WAIT_COLUMNS},
       (coalesce(responded_at, {now:Int64}) - due_at) / 1000 AS overdue_seconds
     FROM (${current(IN_RANGE)}) WHERE status_now = 'breached' ORDER BY started_at, wait_id LIMIT {row_limit:UInt64}`,
    { ...f, row_limit: limit },
  );
}

/**
 * Unanswered waits whatever their start: everyone waiting now, and those whose customer-service
 * window closes within `closingMs` (last customer message 20–24 h ago for 4 h).
 */
export function liveRows(wh: Warehouse, f: WaitFilter, closingMs: number, limit: number): Promise<StoredWaitRow[]> {
  return select(
    wh,
    'sla.live',
    `SELECT * FROM (
     SELECT 'waiting_now' AS list, ${WAIT_COLUMNS}, ({now:Int64} - started_at) / 1000 AS elapsed_seconds
     FROM (${current('responded_at IS NULL')})
     UNION ALL
     SELECT 'window_closing' AS list, ${WAIT_COLUMNS}, ({now:Int64} - started_at) / 1000 AS elapsed_seconds
     FROM (${current(`responded_at IS NULL
       AND window_expires_at > fromUnixTimestamp64Milli({now:Int64}, 'UTC')
       AND window_expires_at <= fromUnixTimestamp64Milli({now:Int64} + {closing:Int64}, 'UTC')`)})
     ) ORDER BY list, started_at, wait_id LIMIT {row_limit:UInt64}`,
    { ...f, closing: closingMs, row_limit: limit },
  );
}

export interface AggregateRow {
  period: string;
  [dimension: string]: unknown;
}

const LEVELS = '0.5, 0.9, 0.95, 0.99';

/**
 * Mean, exact quantiles and n of answered waits, attainment counts and window counts per cell.
 * Quantiles are exact over the cell's waits (quantilesExact: the value at 0-based rank ⌊p·n⌋).
 */
export function aggregateRows(wh: Warehouse, f: WaitFilter, period: Period, dims: readonly Dimension[]): Promise<AggregateRow[]> {
  const keys = [`${PERIODS[period]} AS period`, ...dims.map((d) => `${DIMENSIONS[d]} AS ${d}`)];
  const groupBy = ['period', ...dims].join(', ');
  const sql = `
SELECT ${keys.join(', ')},
  count() AS waits,
  countIf(responded_at IS NOT NULL) AS answered,
  countIf(responded_at IS NULL) AS unanswered,
  avgIf(response_seconds, responded_at IS NOT NULL) AS mean_seconds,
  quantilesExactIf(${LEVELS})(assumeNotNull(response_seconds), responded_at IS NOT NULL) AS q,
  avgIf(business_response_seconds, responded_at IS NOT NULL) AS business_mean_seconds,
  quantilesExactIf(${LEVELS})(assumeNotNull(business_response_seconds), responded_at IS NOT NULL) AS bq,
  countIf(status_now = 'achieved') AS achieved,
  countIf(status_now = 'breached') AS breached,
  countIf(status_now = 'open') AS open,
  countIf(status_now = 'excluded') AS excluded,
  countIf(replied_in_window) AS replied_in_window,
  countIf(window_missed) AS window_missed,
  countIf(late_template_reply) AS late_template_replies,
  countIf(time_to_read_seconds IS NOT NULL) AS replies_read,
  quantileExactIf(0.5)(assumeNotNull(time_to_deliver_seconds), time_to_deliver_seconds IS NOT NULL) AS p50_time_to_deliver_seconds,
  quantileExactIf(0.5)(assumeNotNull(time_to_read_seconds), time_to_read_seconds IS NOT NULL) AS p50_time_to_read_seconds
FROM (${current(IN_RANGE)})
GROUP BY ${groupBy}
ORDER BY ${groupBy}`;
  return select(wh, 'sla.aggregates', sql, { ...f });
}
