import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';

export interface ForecastSnapshotRow {
  waba_id: string;
  month: string;
  snapshot_date: string;
  pricing_model: string;
  category: string;
  actual_to_date: number;
  forecast: number;
  low: number;
  high: number;
  amount_to_date: number | null;
  amount_forecast: number | null;
  currency: string;
  created_at: number;
}

export async function insertForecastSnapshots(wh: Warehouse, rows: ForecastSnapshotRow[]): Promise<void> {
  if (rows.length) await wh.jobs.insert({ table: `${wh.database}.billing_forecast_snapshots_v1`, values: rows, format: 'JSONEachRow' });
}

const num = z.coerce.number();

export const forecastSnapshots = defineQuery({
  name: 'billing.forecast.snapshots',
  sql: `SELECT waba_id, toString(month) AS month, toString(snapshot_date) AS snapshot_date, pricing_model, category,
               actual_to_date, forecast, low, high, amount_to_date, amount_forecast, toString(currency) AS currency
        FROM {{db}}.billing_forecast_snapshots_v1 FINAL
        WHERE month = {month:String} AND ({waba:String} = '' OR waba_id = {waba:String})
        ORDER BY waba_id, pricing_model, category, snapshot_date`,
  params: z.object({ month: z.string(), waba: z.string().default('') }),
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
