import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { inScope, scopeParams } from '../../scope.ts';
import { BILLING_META_ANALYTICS, type MetaAnalyticsRow } from '../../schema/billing.ts';

export type { MetaAnalyticsRow };

export const insertMetaAnalytics = defineInsert({ name: 'billing.reconciliation.insert_meta', table: BILLING_META_ANALYTICS.name, row: BILLING_META_ANALYTICS.row });

/** Meta's figures per day and category, from the newest import that covers each day. */
export const metaAnalyticsDays = defineQuery({
  name: 'billing.reconciliation.meta_days',
  sql: `SELECT waba_id, toString(src) AS source, toString(d) AS day, toString(cat) AS category, volume, cost FROM (
          SELECT waba_id, source AS src, day AS d, category AS cat,
                 sum(volume) AS volume, if(countIf(cost IS NOT NULL) = 0, NULL, sum(cost)) AS cost
          FROM {{db}}.billing_meta_analytics_v1 FINAL
          WHERE day >= {from:Date} AND day < {to:Date} AND ({waba:String} = '' OR waba_id = {waba:String}) AND ${inScope()}
            AND (waba_id, source, day, imported_at) IN (
              SELECT waba_id, source, day, max(imported_at) FROM {{db}}.billing_meta_analytics_v1
              WHERE day >= {from:Date} AND day < {to:Date} AND ({waba:String} = '' OR waba_id = {waba:String})
              GROUP BY waba_id, source, day)
          GROUP BY waba_id, src, d, cat)`,
  params: scopeParams.extend({ from: z.string(), to: z.string(), waba: z.string().default('') }),
  row: z.object({ waba_id: z.string(), source: z.string(), day: z.string(), category: z.string(), volume: z.coerce.number(), cost: z.coerce.number().nullable() }),
});
