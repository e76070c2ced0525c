import { frame, rowsChart, type ChartSpec } from '../spec.ts';

/** One template (× language) over the range: how many of its sends reached each step. */
export interface FunnelRow {
  template: string;
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  clicked: number;
}

const STEPS = ['sent', 'delivered', 'read', 'replied', 'clicked'] as const;

export const templateFunnelChart = rowsChart<FunnelRow>({
  id: 'template-funnel',
  title: 'Funnel per template',
  description: 'Sent, delivered, read, replied and clicked per template and language over the range.',
  size: { width: 640, height: 320 },
  emptyMessage: 'No template sends in this range yet.',
  isEmpty: (rows) => !rows.some((r) => r.sent > 0),
  build: (rows, ctx): ChartSpec =>
    ({
      ...frame(ctx, 'Funnel per template', 'Template sends per funnel step'),
      data: { values: rows.filter((r) => r.sent > 0).flatMap((r) => STEPS.map((step) => ({ template: r.template, step, count: r[step], sent: r.sent }))) },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'template', type: 'nominal', title: null },
        yOffset: { field: 'step', type: 'nominal', sort: [...STEPS] },
        x: { field: 'count', type: 'quantitative', title: 'messages' },
        color: { field: 'step', type: 'nominal', title: null, sort: [...STEPS] },
        tooltip: [
          { field: 'template', type: 'nominal' },
          { field: 'step', type: 'nominal' },
          { field: 'count', type: 'quantitative' },
          { field: 'sent', type: 'quantitative' },
        ],
      },
    }) as unknown as ChartSpec,
});
