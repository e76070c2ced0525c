import type { AppDeps } from '../../../app/deps.ts';
import { BillingReports } from '../../billing/service.ts';
import type { ForecastRow } from '../../billing/forecast-report.ts';
import type { AlertRule } from '../config.ts';
import type { AlertItem } from '../state.ts';

/**
 * Finance rules on the billing forecast (each WABA's current month in its own zone, all categories
 * together): the month-end amount over a budget — by the forecast, or by the top or bottom of its
 * interval — and the free tier of a conversation-based month about to run out.
 */

type ForecastRule = Extract<AlertRule, { kind: 'forecast_over_budget' | 'free_tier_running_out' }>;

const DAY_MS = 86_400_000;

/** The month's total row per WABA, read once per evaluation. */
export type ForecastCache = { rows?: Promise<ForecastRow[]> };

function totals(deps: AppDeps, cache: ForecastCache): Promise<ForecastRow[]> {
  cache.rows ??= new BillingReports(deps).forecast({ scope: 'all' }).then((rows) => rows.filter((r) => r.category === '*'));
  return cache.rows;
}

const inRuleScope = (rule: ForecastRule, waba: string) => rule.scope.wabas.length === 0 || rule.scope.wabas.includes(waba);

export async function financeItems(rule: ForecastRule, deps: AppDeps, now: number, cache: ForecastCache): Promise<AlertItem[]> {
  const rows = (await totals(deps, cache)).filter((r) => inRuleScope(rule, r.waba_id));
  if (rule.kind === 'forecast_over_budget') {
    const amount = (r: ForecastRow) => (rule.level === 'high' ? r.amount_high : rule.level === 'low' ? r.amount_low : r.amount_forecast);
    return rows
      .filter((r) => amount(r) > rule.budget)
      .map((r) => ({
        key: `${r.waba_id}:${r.month}`, waba_id: r.waba_id, rank: amount(r) - rule.budget,
        detail: {
          waba_id: r.waba_id, month: r.month, currency: r.currency, budget: rule.budget, amount_to_date: r.amount_to_date,
          amount_forecast: r.amount_forecast, amount_low: r.amount_low, amount_high: r.amount_high,
        },
      }));
  }
  return rows
    .filter((r) => r.free_tier_limit !== null && r.free_tier_runs_out !== '' && Date.parse(r.free_tier_runs_out + 'T00:00:00Z') - now <= rule.within_days * DAY_MS)
    .map((r) => ({
      key: `${r.waba_id}:${r.month}`, waba_id: r.waba_id, rank: -Date.parse(r.free_tier_runs_out),
      detail: { waba_id: r.waba_id, month: r.month, free_tier_limit: r.free_tier_limit, free_tier_used: r.free_tier_used, runs_out: r.free_tier_runs_out },
    }));
}
