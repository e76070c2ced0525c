import { percentileSpec, type PercentileRow } from '../percentiles.ts';
import { rowsChart } from '../spec.ts';

/** Time from delivery to read of the replies that closed waits; read receipts can be off, so n is a lower bound. */
export const timeToReadChart = rowsChart<PercentileRow>({
  id: 'time-to-read',
  title: 'Time to read',
  description: 'Median time from delivery to read of the replies that closed waits, per day; customers with read receipts off are not counted.',
  size: { width: 640, height: 300 },
  emptyMessage: 'No read receipts in this range yet.',
  build: (rows, ctx) =>
    percentileSpec(
      rows,
      ctx,
      { title: 'Time to read', description: 'Median time to read per day with the number of replies read', measure: 'time to read' },
      ['p50'],
    ),
});
