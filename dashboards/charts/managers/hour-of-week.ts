import { frame, minutes, rowsChart, type ChartSpec } from '../spec.ts';

/** Waits by the hour they started, in the business's zone: ISO weekday 1 = Monday … 7 = Sunday. */
export interface HourOfWeekRow {
  weekday: number;
  hour: number;
  n: number;
  p50: number | null;
}

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

export function hourOfWeekCells(rows: readonly HourOfWeekRow[]) {
  return rows
    .filter((r) => r.weekday >= 1 && r.weekday <= 7 && r.hour >= 0 && r.hour <= 23)
    .map((r) => ({ day: WEEKDAYS[r.weekday - 1]!, hour: r.hour, n: r.n, p50_minutes: minutes(r.p50) }));
}

/** A heatmap of median first response by hour of week: where the staffing gaps are. */
export const hourOfWeekChart = rowsChart<HourOfWeekRow>({
  id: 'hour-of-week',
  title: 'Response time by hour of week',
  description: 'Median response time (colour) and number of waits by the local hour the wait started.',
  size: { width: 640, height: 260 },
  emptyMessage: 'No waits in this range yet.',
  build: (rows, ctx): ChartSpec =>
    ({
      ...frame(ctx, 'Response time by hour of week', 'Median response minutes by weekday and hour'),
      data: { values: hourOfWeekCells(rows) },
      mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
      encoding: {
        x: { field: 'hour', type: 'ordinal', title: 'hour (local)', scale: { domain: Array.from({ length: 24 }, (_, h) => h) } },
        y: { field: 'day', type: 'ordinal', title: null, sort: [...WEEKDAYS], scale: { domain: [...WEEKDAYS] } },
        color: { field: 'p50_minutes', type: 'quantitative', title: 'p50 (min)', scale: { scheme: 'orangered' } },
        tooltip: [
          { field: 'day', type: 'ordinal' },
          { field: 'hour', type: 'ordinal' },
          { field: 'p50_minutes', type: 'quantitative', title: 'p50 minutes', format: '.1f' },
          { field: 'n', type: 'quantitative', title: 'waits' },
        ],
      },
    }) as unknown as ChartSpec,
});
