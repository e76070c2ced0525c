import { frame, rowsChart, utcTime, type ChartSpec } from '../spec.ts';

/** Access-audit entries of one hour (UTC, ISO) and action (R12), and who made them; parameters are not shown. */
export interface AuditHourRow {
  hour: string;
  action: string;
  n: number;
  /** Actors (token and person names), sorted, comma-separated. */
  actors: string;
}

export const accessAuditChart = rowsChart<AuditHourRow>({
  id: 'access-audit',
  title: 'Access audit timeline',
  description: 'Who looked at what: audit entries per hour by action (report runs, exports, dashboard views…).',
  size: { width: 640, height: 280 },
  emptyMessage: 'No access-audit entries in this range.',
  build: (rows, ctx): ChartSpec =>
    ({
      ...frame(ctx, 'Access audit timeline', 'Audit entries per hour by action'),
      data: { values: [...rows] },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'hour', type: 'temporal', title: null, scale: utcTime, timeUnit: 'utcyearmonthdatehours', bandPosition: 0, axis: { format: '%d %b %H:%M' } },
        y: { field: 'n', type: 'quantitative', title: 'entries', stack: 'zero' },
        color: { field: 'action', type: 'nominal', title: null },
        tooltip: [
          { field: 'hour', type: 'temporal', timeUnit: 'utcyearmonthdatehours', title: 'hour (UTC)' },
          { field: 'action', type: 'nominal' },
          { field: 'n', type: 'quantitative', title: 'entries' },
          { field: 'actors', type: 'nominal' },
        ],
      },
    }) as unknown as ChartSpec,
});
