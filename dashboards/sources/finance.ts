import type { DailyCategoryRow } from '../charts/finance/daily-by-category.ts';
import type { FreeTierInput } from '../charts/finance/free-tier.ts';
import type { ForecastInput } from '../charts/finance/forecast.ts';
import type { MarketCostRow } from '../charts/finance/cost-by-market.ts';
import type { VolumeTierRow } from '../charts/finance/volume-tier.ts';
import type { ReconciliationRow } from '../charts/finance/reconciliation.ts';
import type { SourceContext } from '../source.ts';

/** The billing report outputs the finance dashboard draws. */
export interface FinanceData {
  daily: DailyCategoryRow[];
  freeTier: FreeTierInput;
  forecast: ForecastInput;
  costByMarket: MarketCostRow[];
  volumeTier: VolumeTierRow[];
  reconciliation: ReconciliationRow[];
}

export async function loadFinance(_ctx: SourceContext): Promise<FinanceData> {
  return {
    daily: [],
    freeTier: { limit: null, days: [], exhaustedOn: null },
    forecast: { currency: 'USD', actual: [], forecast: [] },
    costByMarket: [],
    volumeTier: [],
    reconciliation: [],
  };
}
