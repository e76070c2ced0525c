import { frame, rowsChart, type ChartSpec } from '../spec.ts';
import { tableLabel } from './table-names.ts';

/** Retention status of one table (R3): its policy, the age of its oldest row, rows kept past policy. */
export interface RetentionRow {
  table: string;
  policy_days: number | null;
  oldest_age_days: number | null;
  rows_total: number;
  rows_past_policy: number;
  /** Rows never stored: past this table's retention when they arrived. */
  rows_dropped_on_arrival?: number;
  status: 'OK' | 'WARN' | 'BREACH' | string;
}

/** Ticks of the age axis in days (a week, a month, a quarter, one, two, five and ten years). */
const AGE_TICKS = [1, 7, 30, 90, 365, 730, 1825, 3650];

export const STATUS_COLOURS = { domain: ['OK', 'WARN', 'BREACH'], range: ['#16a34a', '#f97316', '#dc2626'] };

/**
 * Tables that hold rows, or that are not OK (a breach on an empty table still matters), or that
 * left rows out on arrival; worst first, each named in a privacy officer's words. On the log axis a
 * bar starts at one day (`bar_days`); the tooltip keeps the true age.
 */
export function retentionBars(rows: readonly RetentionRow[]) {
  const rank = (s: string) => (s === 'BREACH' ? 0 : s === 'WARN' ? 1 : 2);
  return rows
    .filter((r) => r.rows_total > 0 || r.status !== 'OK' || (r.rows_dropped_on_arrival ?? 0) > 0)
    .map((r) => ({
      ...r,
      label: tableLabel(r.table),
      oldest_age_days: r.oldest_age_days ?? 0,
      bar_days: Math.max(1, r.oldest_age_days ?? 0),
      rows_dropped_on_arrival: r.rows_dropped_on_arrival ?? 0,
    }))
    .sort((a, b) => rank(a.status) - rank(b.status) || a.table.localeCompare(b.table));
}

export const retentionChart = rowsChart<RetentionRow>({
  id: 'retention',
  title: 'Retention status per table',
  description: 'Age of the oldest row (bar) against the retention policy (tick) for tables holding rows; colour is the status. Log scale from one day; the tooltip also counts rows not stored because they were past retention on arrival.',
  size: { width: 640, height: 420 },
  emptyMessage: 'The retention check has not run yet, or no table holds rows.',
  isEmpty: (rows) => retentionBars(rows).length === 0,
  build: (rows, ctx): ChartSpec => {
    const y = { field: 'label', type: 'nominal', title: null, sort: null } as const;
    const x = { type: 'log', domainMin: 1 } as const;
    const values = retentionBars(rows);
    return {
      ...frame(ctx, 'Retention status per table', 'Oldest row age versus retention policy per table'),
      data: { values },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.6 } },
          encoding: {
            y,
            // Ages of days and policies of years share the axis: a log scale from one day keeps both
            // readable without a meaningless 0 (a younger oldest row is drawn as one day).
            x: { field: 'bar_days', type: 'quantitative', title: 'age of the oldest row (days, log scale)', scale: x, axis: { values: AGE_TICKS } },
            color: { field: 'status', type: 'nominal', title: null, scale: STATUS_COLOURS },
            tooltip: [
              { field: 'label', type: 'nominal', title: 'data' },
              { field: 'table', type: 'nominal', title: 'table' },
              { field: 'status', type: 'nominal' },
              { field: 'policy_days', type: 'quantitative', title: 'policy (days)' },
              { field: 'oldest_age_days', type: 'quantitative', title: 'oldest row (days)' },
              { field: 'rows_total', type: 'quantitative', title: 'rows', format: ',' },
              { field: 'rows_past_policy', type: 'quantitative', title: 'rows past policy', format: ',' },
              { field: 'rows_dropped_on_arrival', type: 'quantitative', title: 'rows not stored (past retention on arrival)', format: ',' },
            ],
          },
        },
        {
          transform: [{ filter: 'datum.policy_days != null' }],
          mark: { type: 'tick', color: '#111827', thickness: 3, bandSize: 18 },
          encoding: { y, x: { field: 'policy_days', type: 'quantitative', scale: x } },
        },
      ],
    } as unknown as ChartSpec;
  },
});
