import { frame, rowsChart, utcTime, type ChartSpec } from '../spec.ts';

/** Conversations (CBP months) or charged messages (PMP months) per local day and pricing category. */
export interface DailyCategoryRow {
  day: string;
  category: string;
  count: number;
  billable: number;
}

export const CATEGORY_ORDER = ['marketing', 'utility', 'authentication', 'authentication_international', 'service', 'referral_conversion', 'user_initiated', 'business_initiated'];

export const dailyByCategoryChart = rowsChart<DailyCategoryRow>({
  id: 'daily-by-category',
  title: 'Daily conversations and charged messages',
  description: 'Per day and pricing category: conversations under conversation-based pricing, charged messages under per-message pricing.',
  size: { width: 640, height: 300 },
  emptyMessage: 'No conversations or charged messages in this range yet.',
  build: (rows, ctx): ChartSpec =>
    ({
      ...frame(ctx, 'Daily conversations and charged messages', 'Stacked counts per day by pricing category'),
      data: { values: rows.filter((r) => r.count > 0) },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: null, scale: utcTime, axis: { format: '%d %b', tickCount: { interval: 'day', step: 1 } } },
        y: { field: 'count', type: 'quantitative', title: 'count', stack: 'zero' },
        color: { field: 'category', type: 'nominal', title: null, sort: CATEGORY_ORDER },
        tooltip: [
          { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
          { field: 'category', type: 'nominal' },
          { field: 'count', type: 'quantitative' },
          { field: 'billable', type: 'quantitative' },
        ],
      },
    }) as unknown as ChartSpec,
});
