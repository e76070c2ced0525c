import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams } from '../../scope.ts';
import { labelParams, matchesAsked } from './intervals.ts';

/**
 * The label timeline reports, read from the label events themselves: adds and removes per period
 * ("new orders per day"), and the time from one label to another per customer ("new customer" to
 * "order/paid").
 */

export const TIMELINE_PERIODS = {
  day: `toString(toDate(toTimeZone(at, {tz:String})))`,
  week: `toString(toStartOfWeek(toTimeZone(at, {tz:String}), 1))`,
  month: `toString(toStartOfMonth(toTimeZone(at, {tz:String})))`,
} as const;
export type TimelinePeriod = keyof typeof TIMELINE_PERIODS;

const rangeParams = z.object({
  from: z.number(),
  to: z.number(),
  tz: z.string(),
  waba_ids: z.array(z.string()),
  ...labelParams,
  ...scopeParams.shape,
});

/**
 * The caller's WABAs only. A label sent without a WABA is about the customer in every WABA, so it
 * is counted only for a caller who sees every WABA (it may be about customers of WABAs others may not see).
 */
const SCOPED = `(({scope_all:Bool} AND waba_id = '') OR ${inScope()})`;

const IN_RANGE = `at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
  AND (empty({waba_ids:Array(String)}) OR waba_id = '' OR has({waba_ids:Array(String)}, waba_id)) AND ${SCOPED}`;

const timeline = defineQuery({
  name: 'labels.timeline',
  sql: (period: TimelinePeriod) => `
SELECT ${TIMELINE_PERIODS[period]} AS period, label,
  countIf(action = 'add') AS added,
  countIf(action = 'remove') AS removed,
  uniqExactIf(wa_id, action = 'add') AS customers_added
FROM {{db}}.label_events_v1 FINAL
WHERE ${IN_RANGE} AND (empty({labels:Array(String)}) OR ${matchesAsked('label')})
GROUP BY period, label
ORDER BY period, label`,
  params: rangeParams,
  row: z.object({ period: z.string(), label: z.string(), added: z.coerce.number(), removed: z.coerce.number(), customers_added: z.coerce.number() }),
  format: 'compact',
});

export type TimelineRow = { period: string; label: string; added: number; removed: number; customers_added: number };
export type TimelineFilter = z.input<typeof rangeParams>;

export function timelineRows(wh: Warehouse, f: TimelineFilter, period: TimelinePeriod): Promise<TimelineRow[]> {
  return timeline(wh, f, period);
}

const under = (param: string) => `(label = {${param}:String} OR startsWith(label, concat({${param}:String}, '/')))`;

const journey = defineQuery({
  name: 'labels.journey',
  sql: `
SELECT count() AS customers_started,
  countIf(reached) AS customers_reached,
  quantilesExactIf(0.5, 0.9)(seconds, reached) AS q,
  avgIf(seconds, reached) AS mean_seconds
FROM (
  SELECT a.wa_id AS wa_id, a.first_at AS first_at,
    countIf(b.at >= a.first_at) > 0 AS reached,
    if(reached, dateDiff('millisecond', first_at, minIf(b.at, b.at >= a.first_at)) / 1000, 0) AS seconds
  FROM (
    SELECT wa_id, min(at) AS first_at FROM {{db}}.label_events_v1 FINAL
    WHERE action = 'add' AND ${under('from_label')} AND ${IN_RANGE}
    GROUP BY wa_id
  ) AS a
  -- A customer without the second label joins nothing: its b.at is the zero time, before first_at.
  LEFT JOIN (
    SELECT wa_id, at FROM {{db}}.label_events_v1 FINAL WHERE action = 'add' AND ${under('to_label')} AND ${SCOPED}
  ) AS b ON a.wa_id = b.wa_id
  GROUP BY a.wa_id, a.first_at
)`,
  params: rangeParams.extend({ from_label: z.string(), to_label: z.string() }),
  row: z.object({ customers_started: z.coerce.number(), customers_reached: z.coerce.number(), q: z.array(z.number()), mean_seconds: z.number().nullable() }),
  format: 'compact',
});

export type JourneyFilter = z.input<typeof rangeParams> & { from_label: string; to_label: string };

/** Customers who got `from_label` in the range, how many then got `to_label`, and how long it took. */
export async function journeyFigures(wh: Warehouse, f: JourneyFilter) {
  const [row] = await journey(wh, f);
  return row!;
}
