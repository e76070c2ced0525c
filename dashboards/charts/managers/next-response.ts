import { percentileSpec, type PercentileRow } from '../percentiles.ts';
import { rowsChart } from '../spec.ts';

/** NRT: every later customer turn of a thread, p50/p90/p95 per day with n. */
export const nextResponseChart = rowsChart<PercentileRow>({
  id: 'next-response',
  title: 'Next response time',
  description: 'p50, p90 and p95 of the later waits of a thread, per day (bars: number of waits).',
  size: { width: 640, height: 300 },
  emptyMessage: 'No answered later waits in this range yet.',
  build: (rows, ctx) =>
    percentileSpec(rows, ctx, {
      title: 'Next response time',
      description: 'NRT percentiles per day with the number of waits',
      measure: 'NRT',
    }),
});
