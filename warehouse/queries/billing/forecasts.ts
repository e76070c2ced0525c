import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { inScope, scopeParams } from '../../scope.ts';
import { BILLING_FORECAST_SNAPSHOTS, type ForecastSnapshotRow } from '../../schema/billing.ts';

export type { ForecastSnapshotRow };

export const insertForecastSnapshots = defineInsert({
  name: 'billing.forecast.insert_snapshots',
  table: BILLING_FORECAST_SNAPSHOTS.name,
  row: BILLING_FORECAST_SNAPSHOTS.row,
  connection: 'jobs',
});

const num = z.coerce.number();

export const forecastSnapshots = defineQuery({
  name: 'billing.forecast.snapshots',
  sql: `SELECT waba_id, toString(month) AS month, toString(snapshot_date) AS snapshot_date, pricing_model, category,
               actual_to_date, forecast, low, high, amount_to_date, amount_forecast, toString(currency) AS currency
        FROM {{db}}.billing_forecast_snapshots_v1 FINAL
        WHERE month = {month:String} AND ({waba:String} = '' OR waba_id = {waba:String}) AND ${inScope()}
        ORDER BY waba_id, pricing_model, category, snapshot_date`,
  params: scopeParams.extend({ month: z.string(), waba: z.string().default('') }),
  row: z.object({
    waba_id: z.string(),
    month: z.string(),
    snapshot_date: z.string(),
    pricing_model: z.string(),
    category: z.string(),
    actual_to_date: num,
    forecast: num,
    low: num,
    high: num,
    amount_to_date: num.nullable(),
    amount_forecast: num.nullable(),
    currency: z.string(),
  }),
});
