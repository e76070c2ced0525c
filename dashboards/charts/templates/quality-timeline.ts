import { frame, rowsChart, type ChartSpec } from '../spec.ts';

/** One template webhook: a status, quality or category change at the time Meta gave it. */
export interface QualityEventRow {
  at: string;
  template: string;
  /** status | quality | category */
  kind: string;
  value: string;
}

/** Quality and status values, worst last, with the colours people read them by. */
const VALUES = ['GREEN', 'APPROVED', 'UTILITY', 'MARKETING', 'AUTHENTICATION', 'YELLOW', 'FLAGGED', 'RED', 'PAUSED', 'REJECTED', 'DISABLED'];
const COLOURS = ['#16a34a', '#16a34a', '#2563eb', '#9333ea', '#0891b2', '#ca8a04', '#ca8a04', '#dc2626', '#dc2626', '#64748b', '#64748b'];

export const qualityTimelineChart = rowsChart<QualityEventRow>({
  id: 'template-quality',
  title: 'Quality timeline',
  description: 'Status, quality rating and category changes of each template, as Meta sent them.',
  size: { width: 640, height: 260 },
  emptyMessage: 'No template status, quality or category changes in this range.',
  build: (rows, ctx): ChartSpec =>
    ({
      ...frame(ctx, 'Quality timeline', 'Template status, quality and category changes over time'),
      data: { values: rows },
      mark: { type: 'point', filled: true, size: 120 },
      encoding: {
        x: { field: 'at', type: 'temporal', title: null, scale: { type: 'utc' }, axis: { format: '%d %b' } },
        y: { field: 'template', type: 'nominal', title: null },
        shape: { field: 'kind', type: 'nominal', title: null },
        color: { field: 'value', type: 'nominal', title: null, scale: { domain: VALUES, range: COLOURS } },
        tooltip: [
          { field: 'at', type: 'temporal', format: '%Y-%m-%d %H:%M', title: 'when (UTC)' },
          { field: 'template', type: 'nominal' },
          { field: 'kind', type: 'nominal' },
          { field: 'value', type: 'nominal' },
        ],
      },
    }) as unknown as ChartSpec,
});
