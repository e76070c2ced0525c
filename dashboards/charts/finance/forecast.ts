import { frame, utcTime, type ChartDef, type ChartSpec } from '../spec.ts';

/**
 * Cost to date this month and the forecast to month end with its interval, one series per WABA
 * (each in its own currency, named in the series label).
 */
export interface ForecastSeries {
  label: string;
  currency: string;
  /** Cumulative cost at the end of each local day so far. */
  actual: ReadonlyArray<{ day: string; cumulative: number }>;
  /** Expected cumulative cost from the last actual day to month end, with the interval. */
  forecast: ReadonlyArray<{ day: string; expected: number; lower: number; upper: number }>;
}

export interface ForecastInput {
  month: string;
  series: readonly ForecastSeries[];
}

const money = (n: number) => n.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function monthEndLabels(input: ForecastInput) {
  return input.series.flatMap((s) => {
    const end = s.forecast.at(-1);
    return end ? [{ series: s.label, day: end.day, expected: end.expected, label: `${money(end.expected)} ${s.currency} (${money(end.lower)}–${money(end.upper)})` }] : [];
  });
}

export const forecastChart: ChartDef<ForecastInput> = {
  id: 'forecast',
  title: 'Month-end forecast',
  description: 'Cost so far this month (solid) and the forecast to month end (dashed) with its interval (band).',
  size: { width: 640, height: 300 },
  emptyMessage: 'No charges this month yet: nothing to forecast.',
  isEmpty: (input) => !input.series.some((s) => s.actual.length > 0 || s.forecast.length > 0),
  build: (input, ctx): ChartSpec => {
    const x = { field: 'day', type: 'temporal', title: null, scale: utcTime, axis: { format: '%d %b' } } as const;
    const color = { field: 'series', type: 'nominal', title: null } as const;
    const actual = input.series.flatMap((s) => s.actual.map((a) => ({ series: s.label, currency: s.currency, ...a })));
    const forecast = input.series.flatMap((s) => s.forecast.map((f) => ({ series: s.label, currency: s.currency, ...f })));
    return {
      ...frame(ctx, 'Month-end forecast', `Cumulative cost and forecast for ${input.month}`),
      layer: [
        {
          data: { values: forecast },
          layer: [
            {
              mark: { type: 'area', opacity: 0.18 },
              encoding: { x, y: { field: 'lower', type: 'quantitative', title: 'cost this month' }, y2: { field: 'upper' }, color },
            },
            {
              mark: { type: 'line', strokeDash: [6, 4], point: true },
              encoding: {
                x,
                y: { field: 'expected', type: 'quantitative' },
                color,
                tooltip: [
                  { field: 'series', type: 'nominal', title: 'WABA' },
                  { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
                  { field: 'expected', type: 'quantitative', format: ',.2f' },
                  { field: 'lower', type: 'quantitative', format: ',.2f' },
                  { field: 'upper', type: 'quantitative', format: ',.2f' },
                  { field: 'currency', type: 'nominal' },
                ],
              },
            },
          ],
        },
        {
          data: { values: actual },
          mark: { type: 'line', point: true, strokeWidth: 2 },
          encoding: {
            x,
            y: { field: 'cumulative', type: 'quantitative' },
            color,
            tooltip: [
              { field: 'series', type: 'nominal', title: 'WABA' },
              { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
              { field: 'cumulative', type: 'quantitative', title: 'month to date', format: ',.2f' },
              { field: 'currency', type: 'nominal' },
            ],
          },
        },
        {
          data: { values: monthEndLabels(input) },
          mark: { type: 'text', align: 'right', dy: -10, fontSize: 11 },
          encoding: { x, y: { field: 'expected', type: 'quantitative' }, text: { field: 'label', type: 'nominal' }, color },
        },
      ],
    } as unknown as ChartSpec;
  },
};
