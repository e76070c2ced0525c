import { frame, rowsChart, type ChartSpec } from '../spec.ts';
import { CATEGORY_ORDER } from './daily-by-category.ts';

/** Cost of the range per recipient market and pricing category, in one currency. */
export interface MarketCostRow {
  market: string;
  category: string;
  cost: number;
  currency: string;
  count: number;
}

export const costByMarketChart = rowsChart<MarketCostRow>({
  id: 'cost-by-market',
  title: 'Cost by market',
  description: 'Charges in the range by recipient market (rate-card market) and category.',
  size: { width: 640, height: 300 },
  emptyMessage: 'No charges in this range yet.',
  isEmpty: (rows) => !rows.some((r) => r.cost > 0),
  build: (rows, ctx): ChartSpec => {
    const priced = rows.filter((r) => r.cost > 0);
    const currencies = [...new Set(priced.map((r) => r.currency))].sort();
    return {
      ...frame(ctx, 'Cost by market', 'Stacked cost per market by pricing category'),
      data: { values: priced.map((r) => ({ ...r, market: currencies.length > 1 ? `${r.market} (${r.currency})` : r.market })) },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'market', type: 'nominal', title: null, sort: '-x' },
        x: { field: 'cost', type: 'quantitative', title: `cost (${currencies.join(', ')})`, stack: 'zero' },
        color: { field: 'category', type: 'nominal', title: null, sort: CATEGORY_ORDER },
        tooltip: [
          { field: 'market', type: 'nominal' },
          { field: 'category', type: 'nominal' },
          { field: 'count', type: 'quantitative', title: 'charged' },
          { field: 'cost', type: 'quantitative', format: ',.2f' },
          { field: 'currency', type: 'nominal' },
        ],
      },
    } as unknown as ChartSpec;
  },
});
