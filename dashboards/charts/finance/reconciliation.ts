import { frame, rowsChart, utcTime, type ChartSpec } from '../spec.ts';

/** Our count and Meta's (from an imported analytics response) for one day and category. */
export interface ReconciliationRow {
  day: string;
  category: string;
  ours: number;
  meta: number;
}

export const reconciliationChart = rowsChart<ReconciliationRow>({
  id: 'reconciliation',
  title: 'Reconciliation with Meta',
  description: "Where our counts differ from Meta's analytics (ours − Meta's), per day and category.",
  size: { width: 640, height: 280 },
  emptyMessage: "No Meta analytics imported for this range: nothing to reconcile.",
  build: (rows, ctx): ChartSpec =>
    ({
      ...frame(ctx, 'Reconciliation with Meta', "Difference between our counts and Meta's"),
      data: { values: rows.map((r) => ({ ...r, difference: r.ours - r.meta })) },
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: null, scale: utcTime, axis: { format: '%d %b', tickCount: { interval: 'day', step: 1 } } },
            y: { field: 'difference', type: 'quantitative', title: "ours − Meta's" },
            color: { field: 'category', type: 'nominal', title: null },
            tooltip: [
              { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
              { field: 'category', type: 'nominal' },
              { field: 'ours', type: 'quantitative' },
              { field: 'meta', type: 'quantitative', title: "Meta's" },
              { field: 'difference', type: 'quantitative' },
            ],
          },
        },
        { data: { values: [{}] }, mark: { type: 'rule', color: '#6b7280' }, encoding: { y: { datum: 0, type: 'quantitative' } } },
      ],
    }) as unknown as ChartSpec,
});
