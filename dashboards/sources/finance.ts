import { BillingReports, BillingRequestError } from '../../reports/billing/service.ts';
import type { ChargeDimension, ChargeRow } from '../../reports/billing/charges.ts';
import type { ForecastRow } from '../../reports/billing/forecast-report.ts';
import { eraAt } from '../../reports/billing/rules.ts';
import type { AppDeps } from '../../app/deps.ts';
import type { DailyCategoryRow } from '../charts/finance/daily-by-category.ts';
import type { FreeTierInput, FreeTierSeries } from '../charts/finance/free-tier.ts';
import type { ForecastInput, ForecastSeries } from '../charts/finance/forecast.ts';
import type { MarketCostRow } from '../charts/finance/cost-by-market.ts';
import type { VolumeTierRow } from '../charts/finance/volume-tier.ts';
import type { ReconciliationRow } from '../charts/finance/reconciliation.ts';
import { attempt, type SourceContext, type Unavailable } from '../source.ts';
import { labelsOf, QueryError, type DashboardQuery } from '../query.ts';

/** The billing report outputs the finance dashboard draws. */
export interface FinanceData extends Unavailable {
  daily: DailyCategoryRow[];
  freeTier: FreeTierInput;
  forecast: ForecastInput;
  costByMarket: MarketCostRow[];
  volumeTier: VolumeTierRow[];
  reconciliation: ReconciliationRow[];
}

const reportsOf = new WeakMap<AppDeps, BillingReports>();

function billing(deps: AppDeps): BillingReports {
  let r = reportsOf.get(deps);
  if (!r) reportsOf.set(deps, (r = new BillingReports(deps)));
  return r;
}

/** The months (YYYY-MM) a date range touches, in order. */
export function monthsOf(q: DashboardQuery): string[] {
  const months: string[] = [];
  for (let m = q.from.slice(0, 7); m <= q.to.slice(0, 7); ) {
    months.push(m);
    const [y, mm] = m.split('-').map(Number) as [number, number];
    m = mm === 12 ? `${y + 1}-01` : `${y}-${String(mm + 1).padStart(2, '0')}`;
  }
  return months;
}

/** Whether a CBP conversation of this category draws on that month's free tier (billing's rules). */
export function drawsOnFreeTier(month: string, category: string): boolean {
  const era = eraAt(`${month}-01`);
  if (!era.freeTier || era.freeCategories.includes(category)) return false;
  return era.freeTier.categories === 'any' || era.freeTier.categories.includes(category);
}

function add<K>(m: Map<K, number>, k: K, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

/** A series of cumulative cost per day and a two-point forecast from the last actual day to month end. */
export function forecastSeries(label: string, total: ForecastRow, dailyAmount: ReadonlyMap<string, number>): ForecastSeries {
  let running = 0;
  const actual = [...dailyAmount.entries()]
    .filter(([day]) => day.startsWith(total.month) && day <= total.as_of)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, amount]) => ({ day, cumulative: Math.round((running += amount) * 100) / 100 }));
  const start = actual.at(-1) ?? { day: total.as_of, cumulative: total.amount_to_date };
  const lastDay = `${total.month}-${String(total.elapsed_days + total.remaining_days).padStart(2, '0')}`;
  const forecast =
    total.remaining_days > 0
      ? [
          { day: start.day, expected: start.cumulative, lower: start.cumulative, upper: start.cumulative },
          { day: lastDay, expected: total.amount_forecast, lower: total.amount_low, upper: total.amount_high },
        ]
      : [];
  return { label: `${label} (${total.currency})`, currency: total.currency, actual, forecast };
}

export async function loadFinance(ctx: SourceContext): Promise<FinanceData> {
  const { deps, query: q } = ctx;
  const reports = billing(deps);
  const tenantName = (waba: string) => deps.config.file.tenants.find((t) => t.waba_id === waba)?.name || waba;
  const inRange = (day: string) => day >= q.from && day <= q.to;
  const onPhone = (r: ChargeRow) => !q.phone || r.phone_number_id === q.phone;
  const months = monthsOf(q);
  const current = months.at(-1)!;
  const today = deps.now().toISOString().slice(0, 10);
  const status: Unavailable = { unavailable: [] };
  const scope = ctx.viewer.wabas;
  try {
    // One charges call per month, by day × category × market × phone: every range chart comes from it.
    const groupBy: ChargeDimension[] = ['day', 'category', 'market', 'phone_number_id'];
    const charges = await attempt(ctx, status, 'billing.charges', ['daily-by-category', 'cost-by-market', 'free-tier', 'forecast'], [] as ChargeRow[], async () => {
      const rows: ChargeRow[] = [];
      for (const month of months) rows.push(...(await reports.charges({ scope, month, waba: q.waba, groupBy })));
      return rows;
    });
    // A label filter (docs/LABELS.md) narrows the volume charts; the free tier and the forecast stay the WABA's bill.
    const label = q.label ? { labels: labelsOf(q), label_match: 'any' as const, grouped: false } : undefined;
    const labelled = !label ? charges : await attempt(ctx, status, 'billing.charges', ['daily-by-category', 'cost-by-market'], [] as ChargeRow[], async () => {
      const rows: ChargeRow[] = [];
      for (const month of months) rows.push(...(await reports.labelledCharges({ scope, month, waba: q.waba, groupBy, label })));
      return rows;
    });
    const forecastRows = await attempt(ctx, status, 'billing.forecast', ['forecast', 'free-tier'], [] as ForecastRow[], () =>
      reports.forecast({ scope, month: current, waba: q.waba, ...(q.to < today ? { asOf: q.to } : {}) }),
    );
    const counts = await attempt(ctx, status, 'billing.conversations', ['volume-tier'], [] as Awaited<ReturnType<BillingReports['conversations']>>, () =>
      label ? reports.labelledConversations({ scope, month: current, waba: q.waba, label }) : reports.conversations({ scope, month: current, waba: q.waba }),
    );
    const reconciliation = await attempt(ctx, status, 'billing.reconciliation', ['reconciliation'], [] as Awaited<ReturnType<BillingReports['reconciliation']>>, async () => {
      const rows = [];
      for (const month of months) rows.push(...(await reports.reconciliation({ scope, month, waba: q.waba })));
      return rows;
    });

    const ranged = labelled.filter((r) => inRange(r.day) && onPhone(r));
    const daily = new Map<string, DailyCategoryRow>();
    const cost = new Map<string, MarketCostRow>();
    for (const r of ranged) {
      const d = daily.get(`${r.day}|${r.category}`) ?? { day: r.day, category: r.category, count: 0, billable: 0 };
      d.count += r.count;
      d.billable += r.billable_count;
      daily.set(`${r.day}|${r.category}`, d);
      const c = cost.get(`${r.market}|${r.category}|${r.currency}`) ?? { market: r.market || 'unknown', category: r.category, cost: 0, currency: r.currency, count: 0 };
      c.cost += r.amount;
      c.count += r.billable_count;
      cost.set(`${r.market}|${r.category}|${r.currency}`, c);
    }

    const totals = forecastRows.filter((f) => f.category === '*');
    const freeTier: FreeTierSeries[] = [];
    const series: ForecastSeries[] = [];
    let limit: number | null = null;
    for (const total of totals) {
      const mine = charges.filter((r) => r.waba_id === total.waba_id && r.month === current);
      const amountByDay = new Map<string, number>();
      const drawByDay = new Map<string, number>();
      for (const r of mine) {
        add(amountByDay, r.day, r.amount);
        if (r.pricing_model === 'CBP' && drawsOnFreeTier(current, r.category)) add(drawByDay, r.day, r.count);
      }
      series.push(forecastSeries(tenantName(total.waba_id), total, amountByDay));
      if (total.free_tier_limit != null) {
        limit = total.free_tier_limit;
        freeTier.push({
          waba: tenantName(total.waba_id),
          days: [...drawByDay.entries()].map(([day, used]) => ({ day, used })),
          exhaustedOn: total.free_tier_runs_out || null,
        });
      }
    }

    const several = new Set(counts.map((c) => c.waba_id)).size > 1;
    return {
      ...status,
      daily: [...daily.values()].sort((a, b) => a.day.localeCompare(b.day) || a.category.localeCompare(b.category)),
      freeTier: { limit, series: freeTier },
      forecast: { month: current, series },
      costByMarket: [...cost.values()].map((c) => ({ ...c, cost: Math.round(c.cost * 100) / 100 })),
      volumeTier: counts
        .filter((c) => c.pricing_model === 'PMP' && /^(utility|authentication)/.test(c.category) && c.billable_count > 0)
        .map((c) => ({
          month: c.month,
          market: several ? `${tenantName(c.waba_id)} · ${c.market || 'unknown'}` : c.market || 'unknown',
          category: c.category,
          volume: c.billable_count,
          tier: c.volume_tier || null,
        })),
      reconciliation: reconciliation
        .filter((r) => inRange(r.day))
        .map((r) => ({ day: r.day, category: r.category, ours: r.our_count, meta: r.meta_count })),
    };
  } catch (e) {
    if (e instanceof BillingRequestError) throw new QueryError('waba', e.message);
    throw e;
  }
}
