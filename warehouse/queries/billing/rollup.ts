import { z } from 'zod';
import { defineCommand, defineQuery } from '../../query.ts';

/** The daily rollup of one (WABA, local month) period, recomputed whole from the billing facts. */

const num = z.coerce.number();

const TIERS = `SELECT z.1 AS category, z.2 AS market, fromUnixTimestamp64Milli(z.3, 'UTC') AS since, z.4 AS tier
  FROM (SELECT arrayJoin(arrayZip({tier_categories:Array(String)}, {tier_markets:Array(String)}, {tier_since_ms:Array(Int64)}, {tiers:Array(String)})) AS z)`;
const PERIOD = `waba_id = {waba:String} AND month = {month:String} AND counted = 1`;

/**
 * One (WABA, month) period's facts as the rollup counts them, shared with the reports that must
 * split a period finer than the rollup (by label): each charged message with the volume tier in
 * force when charged (ASOF on the tier events), each conversation with `paid`, the payload's
 * billable flag or, where it has none, the free tier given out by first status across the whole
 * period. Parameters: `waba`, `month`, `free_left` and the tier arrays (`periodParams`).
 */
export const PERIOD_MESSAGES = `SELECT f.waba_id AS waba_id, f.wamid AS wamid, f.month AS month, f.day AS day, f.charge_ts AS charge_ts,
    f.pricing_model AS pricing_model, f.category AS category, f.market AS market, f.type AS type, f.phone_number_id AS phone_number_id,
    f.billable AS billable, if(f.billable = 1, t.tier, '') AS tier, f.label_set AS label_set
  FROM (SELECT * FROM {{db}}.billing_messages_v1 FINAL WHERE ${PERIOD}) AS f
  ASOF LEFT JOIN (${TIERS}) AS t ON f.category = t.category AND f.market = t.market AND f.charge_ts >= t.since`;

export const PERIOD_CONVERSATIONS = `SELECT *, if(isNull(billable),
      toUInt8(row_number() OVER (PARTITION BY isNull(billable) ORDER BY first_ts, conversation_id) > {free_left:Int64}),
      assumeNotNull(billable)) AS paid
  FROM {{db}}.billing_conversations_v1 FINAL WHERE ${PERIOD}`;

export const periodParams = z.object({
  waba: z.string(),
  month: z.string(),
  free_left: z.number().int(),
  tier_categories: z.array(z.string()),
  tier_markets: z.array(z.string()),
  tier_since_ms: z.array(z.number().int()),
  tiers: z.array(z.string()),
});
export type PeriodParams = z.infer<typeof periodParams>;

/**
 * Recomputes one (WABA, month) period of the daily rollup from the facts. Charged messages get the
 * volume tier in force when charged (ASOF on the tier events); conversations the payload did not
 * mark billable or free get the free tier in order of their first status until it is used up.
 */
export const rollUpPeriod = defineCommand({
  name: 'billing.rollup.period',
  sql: `INSERT INTO {{db}}.billing_daily_v1
        SELECT waba_id, month, day, kind, pricing_model, category, market, type, phone_number_id, tier,
               count, billable_count, free_count, free_tier_used, 0 AS draws_on_tier, now64(3) AS version
        FROM (
          SELECT waba_id, month, day, 'message' AS kind, pricing_model, category, market, type, phone_number_id, tier,
                 count() AS count, countIf(billable = 1) AS billable_count, countIf(billable = 0) AS free_count,
                 toUInt64(0) AS free_tier_used
          FROM (${PERIOD_MESSAGES})
          GROUP BY waba_id, month, day, pricing_model, category, market, type, phone_number_id, tier
          UNION ALL
          SELECT waba_id, month, day, 'conversation' AS kind, pricing_model, category, market, '' AS type, phone_number_id, '' AS tier,
                 count() AS count, countIf(paid = 1) AS billable_count, countIf(paid = 0) AS free_count,
                 countIf(paid = 0 AND draws_on_free_tier = 1) AS free_tier_used
          FROM (${PERIOD_CONVERSATIONS})
          GROUP BY waba_id, month, day, pricing_model, category, market, phone_number_id
          UNION ALL
          SELECT {waba:String}, {month:String}, toDate(concat({month:String}, '-01')), '', '', '', '', '', '', '', 0, 0, 0, 0
        )`,
  params: periodParams,
  connection: 'jobs',
});

/** Free-tier conversations a period's payloads already marked free (the tier left for silent ones). */
export const explicitFreeTierUse = defineQuery({
  name: 'billing.rollup.explicit_free_tier_use',
  sql: `SELECT countIf(billable = 0 AND draws_on_free_tier = 1) AS used
        FROM {{db}}.billing_conversations_v1 FINAL WHERE ${PERIOD}`,
  params: z.object({ waba: z.string(), month: z.string() }),
  row: z.object({ used: num }),
  connection: 'jobs',
});
