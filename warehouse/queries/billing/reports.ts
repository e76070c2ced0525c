import { z } from 'zod';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams } from '../../scope.ts';

/**
 * What the billing reports read: the daily rollup (newest version of each period) and a few lookups.
 * Every read of WABA rows takes the caller's scope (warehouse/scope.ts).
 */

const num = z.coerce.number();

const NEWEST = `(waba_id, month, version) IN (
    SELECT waba_id, month, max(version) FROM {{db}}.billing_daily_v1
    WHERE month IN {months:Array(String)} AND ({waba:String} = '' OR waba_id = {waba:String})
    GROUP BY waba_id, month)`;

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
        WHERE month IN {months:Array(String)} AND ({waba:String} = '' OR waba_id = {waba:String}) AND ${inScope()} AND kind != '' AND ${NEWEST}
        GROUP BY waba_id, month, day, kind, pricing_model, category, market, tier`,
  params: scopeParams.extend({ months: z.array(z.string()), waba: z.string().default('') }),
  row: dailyTotalSchema,
});

export const monthCountSchema = z.object({
  waba_id: z.string(),
  month: z.string(),
  kind: z.enum(['conversation', 'message']),
  pricing_model: z.string(),
  category: z.string(),
  market: z.string(),
  type: z.string(),
  count: num,
  billable_count: num,
  free_count: num,
  free_tier_used: num,
  volume_tier: z.string(),
});
export type MonthCount = z.infer<typeof monthCountSchema>;

/**
 * The conversations report's grain: conversations per category, charged messages per category ×
 * market × type, with the volume tier of the last day that had one.
 */
export const monthCounts = defineQuery({
  name: 'billing.report.month_counts',
  sql: `SELECT waba_id, toString(month) AS month, toString(kind) AS kind, pricing_model, category,
               if(kind = 'message', market, '') AS market_, if(kind = 'message', type, '') AS type_,
               sum(count) AS count, sum(billable_count) AS billable_count, sum(free_count) AS free_count,
               sum(free_tier_used) AS free_tier_used, argMaxIf(tier, day, tier != '') AS volume_tier
        FROM {{db}}.billing_daily_v1 FINAL
        WHERE month IN {months:Array(String)} AND ({waba:String} = '' OR waba_id = {waba:String}) AND ${inScope()} AND kind != '' AND ${NEWEST}
        GROUP BY waba_id, month, kind, pricing_model, category, market_, type_`,
  params: scopeParams.extend({ months: z.array(z.string()), waba: z.string().default('') }),
  row: z.object({ market_: z.string(), type_: z.string() }).passthrough().transform(({ market_, type_, ...r }) => monthCountSchema.parse({ ...r, market: market_, type: type_ })),
});

export const chargeRowSchema = z.object({
  waba_id: z.string(),
  month: z.string(),
  day: z.string(),
  pricing_model: z.string(),
  category: z.string(),
  market: z.string(),
  phone_number_id: z.string(),
  tier: z.string(),
  count: num,
  billable_count: num,
  free_count: num,
});
export type ChargeInput = z.infer<typeof chargeRowSchema>;

/** Daily counts for pricing (the rate card in force is chosen per local day); phone numbers kept only when asked. */
export const chargeInputs = defineQuery({
  name: 'billing.report.charge_inputs',
  sql: `SELECT waba_id, toString(month) AS month, toString(day) AS day, pricing_model, category, market,
               if({by_phone:Bool}, phone_number_id, '') AS phone, tier,
               sum(count) AS count, sum(billable_count) AS billable_count, sum(free_count) AS free_count
        FROM {{db}}.billing_daily_v1 FINAL
        WHERE month IN {months:Array(String)} AND ({waba:String} = '' OR waba_id = {waba:String}) AND ${inScope()} AND kind != '' AND ${NEWEST}
        GROUP BY waba_id, month, day, pricing_model, category, market, phone, tier`,
  params: scopeParams.extend({ months: z.array(z.string()), waba: z.string().default(''), by_phone: z.boolean() }),
  row: z.object({ phone: z.string() }).passthrough().transform(({ phone, ...r }) => chargeRowSchema.parse({ ...r, phone_number_id: phone })),
});

export const monthTotalSchema = z.object({ waba_id: z.string(), month: z.string(), pricing_model: z.string(), category: z.string(), count: num });
export type MonthTotal = z.infer<typeof monthTotalSchema>;

/** Counts per WABA, month, model and category (the forecast's comparison with earlier months). */
export const monthTotals = defineQuery({
  name: 'billing.report.month_totals',
  sql: `SELECT waba_id, toString(month) AS month, pricing_model, category, sum(count) AS count
        FROM {{db}}.billing_daily_v1 FINAL
        WHERE month IN {months:Array(String)} AND ({waba:String} = '' OR waba_id = {waba:String}) AND ${inScope()} AND kind != '' AND ${NEWEST}
        GROUP BY waba_id, month, pricing_model, category`,
  params: scopeParams.extend({ months: z.array(z.string()), waba: z.string().default('') }),
  row: monthTotalSchema,
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
  sql: `SELECT DISTINCT waba_id FROM {{db}}.billing_daily_v1 WHERE ${inScope()} ORDER BY waba_id`,
  params: scopeParams,
  row: z.object({ waba_id: z.string() }),
});
