import { frame, utcTime, type ChartDef, type ChartSpec } from '../spec.ts';

/** Month-to-date cost and the forecast to month end with its interval (in the tenant's currency). */
export interface ForecastInput {
  currency: string;
  actual: ReadonlyArray<{ day: string; cumulative: number }>;
  forecast: ReadonlyArray<{ day: string; expected: number; lower: number; upper: number }>;
}

export const forecastChart: ChartDef<ForecastInput> = {
  id: 'forecast',
  title: 'Month-end forecast',
  description: 'Cost so far this month and the forecast to month end, with its interval.',
  size: { width: 640, height: 300 },
  emptyMessage: 'No charges this month yet: nothing to forecast.',
  isEmpty: (input) => input.actual.length === 0 && input.forecast.length === 0,
  build: (input, ctx): ChartSpec => {
    const x = { field: 'day', type: 'temporal', title: null, scale: utcTime, axis: { format: '%d %b', tickCount: { interval: 'day', step: 1 } } } as const;
    const money = `cost (${input.currency})`;
    const last = input.forecast.at(-1);
    const layers: unknown[] = [
      {
        data: { values: input.forecast.map((f) => ({ ...f })) },
        layer: [
          {
            mark: { type: 'area', opacity: 0.2, color: '#f97316' },
            encoding: { x, y: { field: 'lower', type: 'quantitative', title: money }, y2: { field: 'upper' } },
          },
          {
            mark: { type: 'line', strokeDash: [6, 4], color: '#f97316', point: true },
            encoding: {
              x,
              y: { field: 'expected', type: 'quantitative' },
              tooltip: [
                { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
                { field: 'expected', type: 'quantitative', format: ',.2f' },
                { field: 'lower', type: 'quantitative', format: ',.2f' },
                { field: 'upper', type: 'quantitative', format: ',.2f' },
              ],
            },
          },
        ],
      },
      {
        data: { values: input.actual.map((a) => ({ ...a })) },
        mark: { type: 'line', color: '#2563eb', point: true, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'cumulative', type: 'quantitative', title: money },
          tooltip: [
            { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
            { field: 'cumulative', type: 'quantitative', title: 'month to date', format: ',.2f' },
          ],
        },
      },
    ];
    if (last) {
      layers.push({
        data: { values: [{ ...last, label: `month end ≈ ${last.expected.toFixed(2)} (${last.lower.toFixed(2)}–${last.upper.toFixed(2)})` }] },
        mark: { type: 'text', align: 'right', dy: -10, color: '#9a3412' },
        encoding: { x, y: { field: 'expected', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
      });
    }
    return { ...frame(ctx, 'Month-end forecast', `Cumulative cost and forecast in ${input.currency}`), layer: layers } as unknown as ChartSpec;
  },
};
