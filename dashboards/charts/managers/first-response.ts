import { percentileSpec, type PercentileRow } from '../percentiles.ts';
import { rowsChart } from '../spec.ts';

/** FRT: the first wait of each customer-started thread, p50/p90/p95 per day with n. */
export const firstResponseChart = rowsChart<PercentileRow>({
  id: 'first-response',
  title: 'First response time',
  description: 'p50, p90 and p95 of the first wait of customer-started threads, per day (bars: number of waits).',
  size: { width: 640, height: 300 },
  emptyMessage: 'No answered first waits in this range yet.',
  build: (rows, ctx) =>
    percentileSpec(rows, ctx, {
      title: 'First response time',
      description: 'FRT percentiles per day with the number of waits',
      measure: 'FRT',
    }),
});
