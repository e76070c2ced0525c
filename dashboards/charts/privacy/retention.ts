import { frame, rowsChart, type ChartSpec } from '../spec.ts';

/** Retention status of one table (R3): its policy, the age of its oldest row, rows kept past policy. */
export interface RetentionRow {
  table: string;
  policy_days: number | null;
  oldest_age_days: number | null;
  rows_total: number;
  rows_past_policy: number;
  status: 'OK' | 'WARN' | 'BREACH' | string;
}

export const STATUS_COLOURS = { domain: ['OK', 'WARN', 'BREACH'], range: ['#16a34a', '#f97316', '#dc2626'] };

/** Tables that hold rows, or that are not OK (a breach on an empty table still matters); worst first. */
export function retentionBars(rows: readonly RetentionRow[]) {
  const rank = (s: string) => (s === 'BREACH' ? 0 : s === 'WARN' ? 1 : 2);
  return rows
    .filter((r) => r.rows_total > 0 || r.status !== 'OK')
    .map((r) => ({ ...r, oldest_age_days: r.oldest_age_days ?? 0 }))
    .sort((a, b) => rank(a.status) - rank(b.status) || a.table.localeCompare(b.table));
}

export const retentionChart = rowsChart<RetentionRow>({
  id: 'retention',
  title: 'Retention status per table',
  description: 'Age of the oldest row (bar) against the retention policy (tick) for tables holding rows; colour is the status. Log scale.',
  size: { width: 640, height: 420 },
  emptyMessage: 'The retention check has not run yet, or no table holds rows.',
  isEmpty: (rows) => retentionBars(rows).length === 0,
  build: (rows, ctx): ChartSpec => {
    const y = { field: 'table', type: 'nominal', title: null, sort: null } as const;
    const values = retentionBars(rows);
    return {
      ...frame(ctx, 'Retention status per table', 'Oldest row age versus retention policy per table'),
      data: { values },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.6 } },
          encoding: {
            y,
            // Ages of days and policies of years share the axis: symlog keeps both readable.
            x: { field: 'oldest_age_days', type: 'quantitative', title: 'age of the oldest row (days, log scale)', scale: { type: 'symlog' } },
            color: { field: 'status', type: 'nominal', title: null, scale: STATUS_COLOURS },
            tooltip: [
              { field: 'table', type: 'nominal' },
              { field: 'status', type: 'nominal' },
              { field: 'policy_days', type: 'quantitative', title: 'policy (days)' },
              { field: 'oldest_age_days', type: 'quantitative', title: 'oldest row (days)' },
              { field: 'rows_total', type: 'quantitative', title: 'rows', format: ',' },
              { field: 'rows_past_policy', type: 'quantitative', title: 'rows past policy', format: ',' },
            ],
          },
        },
        {
          transform: [{ filter: 'datum.policy_days != null' }],
          mark: { type: 'tick', color: '#111827', thickness: 3, bandSize: 18 },
          encoding: { y, x: { field: 'policy_days', type: 'quantitative' } },
        },
      ],
    } as unknown as ChartSpec;
  },
});
