import type { AppDeps } from '../../../app/deps.ts';
import { BillingReports } from '../../billing/service.ts';
import type { ForecastRow } from '../../billing/forecast-report.ts';
import type { AlertRule } from '../config.ts';
import type { AlertItem } from '../state.ts';
import { readKept, type KeptRead, type PartsSnapshot } from '../../../warehouse/queries/parts.ts';

/**
 * Finance rules on the billing forecast (each WABA's current month in its own zone, all categories
 * together): the month-end amount over a budget — by the forecast, or by the top or bottom of its
 * interval — and the free tier of a conversation-based month about to run out.
 */

type ForecastRule = Extract<AlertRule, { kind: 'forecast_over_budget' | 'free_tier_running_out' }>;

const DAY_MS = 86_400_000;

/** The tables the forecast reads: with the same parts and each WABA on the same local date, it is the same forecast. */
const FORECAST_TABLES = ['billing_daily_v1', 'billing_rate_cards_v1'];

/** The last forecast, kept from one evaluation to the next with what its tables held then. */
export type ForecastMemory = KeptRead<ForecastRow[]>;

/** The month's total row per WABA, read once per evaluation (and not again while nothing it depends on changed). */
export type ForecastCache = { rows?: Promise<ForecastRow[]>; memory?: ForecastMemory; parts?: () => Promise<PartsSnapshot | null> };

function totals(deps: AppDeps, now: number, cache: ForecastCache): Promise<ForecastRow[]> {
  cache.rows ??= (async () => {
    const reports = new BillingReports(deps);
    const sameDay = (rows: readonly ForecastRow[]) => rows.every((r) => reports.env.tenants.calendarOf(r.waba_id).date(now) === r.as_of);
    return readKept(cache.memory, cache.parts, FORECAST_TABLES, async () => (await reports.forecast({ scope: 'all' })).filter((r) => r.category === '*'), { valid: sameDay });
  })();
  return cache.rows;
}

const inRuleScope = (rule: ForecastRule, waba: string) => rule.scope.wabas.length === 0 || rule.scope.wabas.includes(waba);

export async function financeItems(rule: ForecastRule, deps: AppDeps, now: number, cache: ForecastCache): Promise<AlertItem[]> {
  const rows = (await totals(deps, now, cache)).filter((r) => inRuleScope(rule, r.waba_id));
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
