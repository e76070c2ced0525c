import { z } from 'zod';
import { WAITS_FINAL_SETTINGS } from '../../schema/sla.ts';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams } from '../../scope.ts';
import { labelCondition, labelParams } from '../labels/intervals.ts';

/**
 * Agent and team performance over the stored waits, with the credit rule explicit:
 * - `answered`: a wait is credited to the agent (or team) whose reply ended it; only answered
 *   waits count. A reply without an `ag=` (or `tm=`) tag is credited to `(untagged)`, shown as a row
 *   of its own with its share, so missing tags cannot flatter a ranking.
 * - `owner` (teams only): a wait is credited to the team that owned the chat when it started (the
 *   team of the business's latest tagged message before it), answered or not; `(no owner)` when none.
 *
 * A bot→human handoff is a wait a person answered (family `human`) after the bot had answered the
 * customer during it (a bot-tagged `src=b` message ending an `any`-family wait between the start and
 * the person's answer); the customer waited after the handoff from the bot's last such answer to the
 * person's. Counted in the `human` family only (in `any` the bot's answer ends the wait).
 */

/** Per human wait a person answered: when the bot last answered the customer during it. */
const HANDOFFS = `
SELECT h.wait_id AS wait_id, toNullable(max(b.responded_at)) AS handoff_at
FROM (
  SELECT wait_id, waba_id, phone_number_id, wa_id, started_at, assumeNotNull(responded_at) AS answered_at
  FROM {{db}}.sla_waits_v1 FINAL
  WHERE family = 'human' AND responded_at IS NOT NULL AND ${inScope()}
    AND started_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND started_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
) AS h
INNER JOIN (
  SELECT waba_id, phone_number_id, wa_id, assumeNotNull(responded_at) AS responded_at
  FROM {{db}}.sla_waits_v1 FINAL
  WHERE family = 'any' AND responder = 'bot' AND responded_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ${inScope()}
) AS b ON h.waba_id = b.waba_id AND h.phone_number_id = b.phone_number_id AND h.wa_id = b.wa_id
WHERE b.responded_at >= h.started_at AND b.responded_at < h.answered_at
GROUP BY h.wait_id`;

export const CREDITS = { answered: 'answered', owner: 'owner' } as const;
export type Credit = keyof typeof CREDITS;
export type Who = 'agent' | 'team';

/** The credited name of a wait (also the drill-down's condition). */
export function creditKey(who: Who, credit: Credit): string {
  if (credit === 'owner') return `if(owner_team = '', '(no owner)', owner_team)`;
  return who === 'agent' ? `if(agent = '', '(untagged)', agent)` : `if(team = '', '(untagged)', team)`;
}

const baseParams = z.object({
  family: z.string(),
  from: z.number(),
  to: z.number(),
  waba_ids: z.array(z.string()),
  ...labelParams,
  ...scopeParams.shape,
});
export type PerformanceFilter = z.input<typeof baseParams>;

/** A query's shape: who is credited, by what, and whether labels are asked (else no label ranges are read). */
interface Shape {
  who: Who;
  credit: Credit;
  labelled: boolean;
}

const WAITS = (credit: Credit, labelled: boolean, handoffs = false) => `
FROM {{db}}.sla_waits_v1 ${handoffs ? `AS w FINAL LEFT JOIN (${HANDOFFS}) AS ho ON ho.wait_id = w.wait_id` : 'FINAL'}
WHERE family = {family:String}
  AND started_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND started_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
  AND (empty({waba_ids:Array(String)}) OR has({waba_ids:Array(String)}, waba_id)) AND ${inScope()}
  ${credit === 'answered' ? 'AND responded_at IS NOT NULL' : ''}
  ${labelled ? `AND ${labelCondition('wait_id', `SELECT wait_id AS item_id, waba_id, wa_id, started_at AS at FROM {{db}}.sla_waits_v1 FINAL WHERE family = {family:String}
      AND started_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND started_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`)}` : ''}`;

const performance = defineQuery({
  name: 'agents.performance',
  sql: (shape: Shape) => `
SELECT who, waits, answered, first_waits, next_waits, reply_waits, q, achieved, breached, window_missed, late_template_replies, chats,
  handoffs, after_handoff_q,
  100 * answered / sum(answered) OVER () AS share_of_answered_pct
FROM (
  SELECT ${creditKey(shape.who, shape.credit)} AS who,
    count() AS waits,
    countIf(responded_at IS NOT NULL) AS answered,
    countIf(responded_at IS NOT NULL AND kind = 'first') AS first_waits,
    countIf(responded_at IS NOT NULL AND kind = 'next') AS next_waits,
    countIf(responded_at IS NOT NULL AND kind = 'reply_to_business') AS reply_waits,
    quantilesExactIf(0.5, 0.9)(assumeNotNull(response_seconds), responded_at IS NOT NULL) AS q,
    countIf(sla_status = 'achieved') AS achieved,
    countIf(sla_status = 'breached' OR (sla_status = 'open' AND due_at IS NOT NULL AND due_at <= fromUnixTimestamp64Milli({now:Int64}, 'UTC'))) AS breached,
    countIf(if(responded_at IS NULL, window_expires_at <= fromUnixTimestamp64Milli({now:Int64}, 'UTC'), NOT assumeNotNull(replied_in_window))) AS window_missed,
    countIf(responded_at IS NOT NULL AND NOT assumeNotNull(replied_in_window) AND response_template) AS late_template_replies,
    uniqExact(waba_id, phone_number_id, wa_id) AS chats,
    countIf(handoff_at IS NOT NULL) AS handoffs,
    quantilesExactIf(0.5, 0.9)(dateDiff('millisecond', assumeNotNull(handoff_at), assumeNotNull(responded_at)) / 1000, handoff_at IS NOT NULL) AS after_handoff_q
  ${WAITS(shape.credit, shape.labelled, true)}
  GROUP BY who
)
ORDER BY who`,
  params: baseParams.extend({ now: z.number() }),
  row: z.object({
    who: z.string(), waits: z.coerce.number(), answered: z.coerce.number(), first_waits: z.coerce.number(), next_waits: z.coerce.number(),
    reply_waits: z.coerce.number(), q: z.array(z.number()), achieved: z.coerce.number(), breached: z.coerce.number(),
    window_missed: z.coerce.number(), late_template_replies: z.coerce.number(), chats: z.coerce.number(), share_of_answered_pct: z.number().nullable(),
    handoffs: z.coerce.number(), after_handoff_q: z.array(z.number()),
  }),
  format: 'compact',
  settings: WAITS_FINAL_SETTINGS,
});

export type PerformanceRow = Awaited<ReturnType<typeof performance>>[number];

export function performanceRows(wh: Warehouse, f: PerformanceFilter & { now: number }, who: Who, credit: Credit): Promise<PerformanceRow[]> {
  return performance(wh, f, { who, credit, labelled: (f.labels ?? []).length > 0 });
}

const drill = defineQuery({
  name: 'agents.waits',
  sql: (shape: Shape) => `
SELECT wait_id, waba_id, phone_number_id, wa_id, kind, toUnixTimestamp64Milli(started_at) AS started_ms,
  if(responded_at IS NULL, NULL, toUnixTimestamp64Milli(assumeNotNull(responded_at))) AS responded_ms,
  response_seconds, responder, agent, team, owner_team, sla_status
${WAITS(shape.credit, shape.labelled)} AND ${creditKey(shape.who, shape.credit)} = {name:String}
ORDER BY started_at, wait_id
LIMIT {row_limit:UInt64}`,
  params: baseParams.extend({ name: z.string(), row_limit: z.number().int() }),
  row: z.object({
    wait_id: z.string(), waba_id: z.string(), phone_number_id: z.string(), wa_id: z.string(), kind: z.string(),
    started_ms: z.coerce.number(), responded_ms: z.coerce.number().nullable(), response_seconds: z.number().nullable(),
    responder: z.string(), agent: z.string(), team: z.string(), owner_team: z.string(), sla_status: z.string(),
  }),
  format: 'compact',
  settings: WAITS_FINAL_SETTINGS,
});

export type DrillRow = Awaited<ReturnType<typeof drill>>[number];

/** The waits behind one cell of the performance report (same range, filters and credit rule). */
export function waitsOf(wh: Warehouse, f: PerformanceFilter & { name: string; row_limit: number }, who: Who, credit: Credit): Promise<DrillRow[]> {
  return drill(wh, f, { who, credit, labelled: (f.labels ?? []).length > 0 });
}
