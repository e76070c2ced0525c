import { frame, rowsChart, type ChartSpec } from '../spec.ts';

/** What one template cost in one campaign over the range. */
export interface TemplateCostRow {
  template: string;
  campaign: string;
  cost: number;
  currency: string;
  charged: number;
}

export const templateCostChart = rowsChart<TemplateCostRow>({
  id: 'template-cost',
  title: 'Cost per template and campaign',
  description: 'Charges of each template over the range, stacked by campaign, at the rate cards in force.',
  size: { width: 640, height: 300 },
  emptyMessage: 'No charged template messages in this range yet.',
  isEmpty: (rows) => !rows.some((r) => r.cost > 0),
  build: (rows, ctx): ChartSpec => {
    const priced = rows.filter((r) => r.cost > 0);
    const currencies = [...new Set(priced.map((r) => r.currency))].sort();
    return {
      ...frame(ctx, 'Cost per template and campaign', 'Stacked cost per template by campaign'),
      data: { values: priced.map((r) => ({ ...r, campaign: r.campaign || '(none)' })) },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'template', type: 'nominal', title: null, sort: '-x' },
        x: { field: 'cost', type: 'quantitative', title: `cost (${currencies.join(', ')})`, stack: 'zero' },
        color: { field: 'campaign', type: 'nominal', title: null },
        tooltip: [
          { field: 'template', type: 'nominal' },
          { field: 'campaign', type: 'nominal' },
          { field: 'charged', type: 'quantitative' },
          { field: 'cost', type: 'quantitative', format: ',.4f' },
          { field: 'currency', type: 'nominal' },
        ],
      },
    } as unknown as ChartSpec;
  },
});
