import { frame, minutes, utcTime, type ChartContext, type ChartSpec } from './spec.ts';

/** One period of a duration distribution, as the reports give it (seconds). */
export interface PercentileRow {
  /** Start of the period (ISO date or date-time, UTC). */
  period: string;
  n: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
}

export type Percentile = 'p50' | 'p90' | 'p95';

/** Below these counts a percentile says more about chance than about the team (reference §5.7). */
export const MIN_N: Record<Percentile, number> = { p50: 1, p90: 10, p95: 20 };

export interface PercentilePoint {
  period: string;
  percentile: Percentile;
  minutes: number;
  n: number;
}

/** Long form for the lines: one point per period and percentile, leaving out those with too small an n. */
export function percentilePoints(rows: readonly PercentileRow[], which: readonly Percentile[]): PercentilePoint[] {
  const points: PercentilePoint[] = [];
  for (const r of rows) {
    for (const p of which) {
      const m = minutes(r[p]);
      if (m != null && r.n >= MIN_N[p]) points.push({ period: r.period, percentile: p, minutes: m, n: r.n });
    }
  }
  return points;
}

/**
 * Percentile lines over time with the count of the period as light bars on a second axis, so a
 * jump on a day with three waits is not mistaken for a trend.
 */
export function percentileSpec(
  rows: readonly PercentileRow[],
  ctx: ChartContext,
  text: { title: string; description: string; measure: string },
  which: readonly Percentile[] = ['p50', 'p90', 'p95'],
): ChartSpec {
  const counts = rows.map((r) => ({ period: r.period, n: r.n }));
  const x = { field: 'period', type: 'temporal', title: null, scale: utcTime, axis: { format: '%d %b', tickCount: { interval: 'day', step: 1 } } } as const;
  return {
    ...frame(ctx, text.title, text.description),
    layer: [
      {
        data: { values: counts },
        mark: { type: 'bar', color: '#e5e7eb', opacity: 0.9 },
        encoding: {
          x,
          y: { field: 'n', type: 'quantitative', title: 'n (waits)', axis: { orient: 'right', grid: false } },
          tooltip: [
            { field: 'period', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
            { field: 'n', type: 'quantitative', title: 'n' },
          ],
        },
      },
      {
        data: { values: percentilePoints(rows, which) },
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'minutes', type: 'quantitative', title: `${text.measure} (minutes)` },
          color: { field: 'percentile', type: 'nominal', title: null, sort: [...which] },
          tooltip: [
            { field: 'period', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
            { field: 'percentile', type: 'nominal' },
            { field: 'minutes', type: 'quantitative', format: '.1f' },
            { field: 'n', type: 'quantitative', title: 'n' },
          ],
        },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  } as unknown as ChartSpec;
}
