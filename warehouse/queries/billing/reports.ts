import { z } from 'zod';
import { defineQuery } from '../../query.ts';

/** What the billing reports read: the daily rollup (newest version of each period) and a few lookups. */

const num = z.coerce.number();

export const dailyRowSchema = z.object({
  waba_id: z.string(),
  month: z.string(),
  day: z.string(),
  kind: z.enum(['conversation', 'message']),
  pricing_model: z.string(),
  category: z.string(),
  market: z.string(),
  type: z.string(),
  phone_number_id: z.string(),
  tier: z.string(),
  count: num,
  billable_count: num,
  free_count: num,
  free_tier_used: num,
});
export type DailyRow = z.infer<typeof dailyRowSchema>;

const NEWEST = `(waba_id, month, version) IN (
    SELECT waba_id, month, max(version) FROM {{db}}.billing_daily_v1
    WHERE month IN {months:Array(String)} AND ({waba:String} = '' OR waba_id = {waba:String})
    GROUP BY waba_id, month)`;

/** Daily rows of the given local months, every dimension kept. */
export const dailyRollup = defineQuery({
  name: 'billing.report.daily',
  sql: `SELECT waba_id, toString(month) AS month, toString(day) AS day, toString(kind) AS kind, pricing_model, category, market, type,
               phone_number_id, tier, count, billable_count, free_count, free_tier_used
        FROM {{db}}.billing_daily_v1 FINAL
        WHERE month IN {months:Array(String)} AND ({waba:String} = '' OR waba_id = {waba:String}) AND kind != '' AND ${NEWEST}`,
  params: z.object({ months: z.array(z.string()), waba: z.string().default('') }),
  row: dailyRowSchema,
});

export const dailyTotalSchema = z.object({
  waba_id: z.string(),
  month: z.string(),
  day: z.string(),
  kind: z.enum(['conversation', 'message']),
  pricing_model: z.string(),
  category: z.string(),
  market: z.string(),
  tier: z.string(),
  count: num,
  billable_count: num,
  free_count: num,
  free_tier_used: num,
});
export type DailyTotal = z.infer<typeof dailyTotalSchema>;

/** Daily rows summed over phone number and type (the forecast's input: counts and amounts per day). */
export const dailyTotals = defineQuery({
  name: 'billing.report.daily_totals',
  sql: `SELECT waba_id, toString(month) AS month, toString(day) AS day, toString(kind) AS kind, pricing_model, category, market, tier,
               sum(count) AS count, sum(billable_count) AS billable_count, sum(free_count) AS free_count, sum(free_tier_used) AS free_tier_used
        FROM {{db}}.billing_daily_v1 FINAL
        WHERE month IN {months:Array(String)} AND ({waba:String} = '' OR waba_id = {waba:String}) AND kind != '' AND ${NEWEST}
        GROUP BY waba_id, month, day, kind, pricing_model, category, market, tier`,
  params: z.object({ months: z.array(z.string()), waba: z.string().default('') }),
  row: dailyTotalSchema,
});

/** WABAs that have any webhook data or rolled-up billing (the unknown-WABA check and the default list). */
export const wabaSeen = defineQuery({
  name: 'billing.report.waba_seen',
  sql: `SELECT count() > 0 AS seen FROM (
          SELECT 1 FROM {{db}}.statuses_v1 WHERE waba_id = {waba:String} LIMIT 1
          UNION ALL SELECT 1 FROM {{db}}.billing_daily_v1 WHERE waba_id = {waba:String} LIMIT 1
          UNION ALL SELECT 1 FROM {{db}}.management_events_v1 WHERE waba_id = {waba:String} LIMIT 1)`,
  params: z.object({ waba: z.string() }),
  row: z.object({ seen: z.coerce.boolean() }),
});

export const rolledUpWabas = defineQuery({
  name: 'billing.report.wabas',
  sql: `SELECT DISTINCT waba_id FROM {{db}}.billing_daily_v1 ORDER BY waba_id`,
  params: z.object({}),
  row: z.object({ waba_id: z.string() }),
});
