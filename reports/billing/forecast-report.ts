import type { DailyTotal, MonthTotal } from '../../warehouse/queries/billing/reports.ts';
import type { ColumnSpec } from '../format.ts';
import { forecastMonth, freeTierRunsOut, type Forecast } from './forecast.ts';
import { priceRow, type ChargeContext } from './charges.ts';
import { fromNano } from './rate-book.ts';
import { eraAt, freeTierLimit, type PricingEra, PRICING_ERAS } from './rules.ts';
import { addDays, addMonths, datesOfMonth } from './zone.ts';

/**
 * The forecast report for one WABA and local month: per pricing model and category (and '*' for
 * the WABA's total) the count and the amount so far, the month-end forecast with its interval, the
 * free tier's run-out date in months that have one, and the months before for comparison.
 */

export interface ForecastOptions {
  historyDays: number;
  confidence: number;
  compareMonths: number;
}

export interface ForecastRow {
  waba_id: string;
  month: string;
  as_of: string;
  pricing_model: string;
  category: string;
  currency: string;
  elapsed_days: number;
  remaining_days: number;
  actual_to_date: number;
  forecast: number;
  low: number;
  high: number;
  amount_to_date: number;
  amount_forecast: number;
  amount_low: number;
  amount_high: number;
  unpriced_to_date: number;
  free_tier_limit: number | null;
  free_tier_used: number | null;
  free_tier_runs_out: string;
  free_tier_runs_out_projected: boolean | null;
  previous_month_count: number;
  previous_month_to_same_day: number;
  previous_months_average: number;
  previous_month_amount: number;
}

export const FORECAST_COLUMNS: ColumnSpec[] = [
  ...(['waba_id', 'month', 'as_of', 'pricing_model', 'category', 'currency'] as const).map((name) => ({ name, type: 'String' })),
  { name: 'elapsed_days', type: 'UInt32' },
  { name: 'remaining_days', type: 'UInt32' },
  ...(['actual_to_date', 'forecast', 'low', 'high', 'amount_to_date', 'amount_forecast', 'amount_low', 'amount_high'] as const).map((name) => ({ name, type: 'Float64' })),
  { name: 'unpriced_to_date', type: 'UInt64' },
  { name: 'free_tier_limit', type: 'Nullable(UInt64)' },
  { name: 'free_tier_used', type: 'Nullable(UInt64)' },
  { name: 'free_tier_runs_out', type: 'String' },
  { name: 'free_tier_runs_out_projected', type: 'Nullable(Bool)' },
  { name: 'previous_month_count', type: 'Float64' },
  { name: 'previous_month_to_same_day', type: 'Float64' },
  { name: 'previous_months_average', type: 'Float64' },
  { name: 'previous_month_amount', type: 'Float64' },
];

/**
 * Months the forecast reads: day by day, the month and enough before it for the weekday profile
 * and last month's amount; as monthly totals, the months it is compared with.
 */
export function monthsNeeded(month: string, opts: ForecastOptions): { daily: string[]; compare: string[] } {
  const back = Math.max(1, Math.ceil(opts.historyDays / 28));
  return {
    daily: Array.from({ length: back + 1 }, (_, i) => addMonths(month, -i)),
    compare: Array.from({ length: opts.compareMonths }, (_, i) => addMonths(month, -(i + 1))),
  };
}

interface Series {
  model: string;
  category: string;
  count: Map<string, number>;
  amount: Map<string, number>;
  unpriced: Map<string, number>;
}

function add(m: Map<string, number>, k: string, v: number) {
  m.set(k, (m.get(k) ?? 0) + v);
}

function sumWhere(m: ReadonlyMap<string, number>, pred: (date: string) => boolean): number {
  let s = 0;
  for (const [d, v] of m) if (pred(d)) s += v;
  return s;
}

export function forecastRows(args: {
  waba: string;
  month: string;
  /** Local date the forecast is made on (its complete days are the ones before). */
  asOf: string;
  /** Count the as-of day's partial figures (a live forecast) or not (a snapshot at local midnight). */
  includeToday: boolean;
  totals: readonly DailyTotal[];
  /** Monthly counts of the months compared with. */
  earlier: readonly MonthTotal[];
  charge: ChargeContext;
  opts: ForecastOptions;
  eras?: readonly PricingEra[];
}): ForecastRow[] {
  const { waba, month, asOf, opts } = args;
  const eras = args.eras ?? PRICING_ERAS;
  const currency = args.charge.currencyOf(waba);
  const series = new Map<string, Series>();
  const total: Series = { model: '*', category: '*', count: new Map(), amount: new Map(), unpriced: new Map() };
  const tierDraw = new Map<string, number>();
  let tierUsed = 0;
  const era = eraAt(`${month}-01`, eras);
  const covered = (category: string) =>
    era.freeTier !== null && !era.freeCategories.includes(category) && (era.freeTier.categories === 'any' || era.freeTier.categories.includes(category));
  const models = new Set<string>();
  for (const t of args.totals) {
    if (t.waba_id !== waba) continue;
    const key = `${t.pricing_model}\0${t.category}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { model: t.pricing_model, category: t.category, count: new Map(), amount: new Map(), unpriced: new Map() }));
    const price = priceRow(t, args.charge);
    const amount = fromNano(price.nano);
    for (const target of [s, total]) {
      add(target.count, t.day, t.count);
      add(target.amount, t.day, amount);
      add(target.unpriced, t.day, price.unpriced);
    }
    if (t.month === month) {
      models.add(t.pricing_model);
      if (t.kind === 'conversation' && covered(t.category)) add(tierDraw, t.day, t.count);
      if (t.kind === 'conversation') tierUsed += t.free_tier_used;
    }
  }
  total.model = models.size === 1 ? [...models][0]! : '*';
  const dates = datesOfMonth(month);
  const recent = addDays(asOf, -7);
  const live = [...series.values()].filter((s) => sumWhere(s.count, (d) => d.startsWith(month) || (d >= recent && d < asOf)) > 0);
  const limit = freeTierLimit(month, eras);
  const rows: ForecastRow[] = [];
  for (const s of [...live, total]) {
    const run = (daily: Map<string, number>): Forecast =>
      forecastMonth({
        month, asOf, daily, today: args.includeToday ? (daily.get(asOf) ?? 0) : 0,
        historyDays: opts.historyDays, confidence: opts.confidence,
      });
    const count = run(s.count);
    const amount = run(s.amount);
    const prev = addMonths(month, -1);
    const dayOfMonth = Number(asOf.slice(8, 10));
    const inMonth = (m: string) => (d: string) => d.startsWith(m);
    const earlier = Array.from({ length: opts.compareMonths }, (_, i) => addMonths(month, -(i + 1)));
    const isTotal = s === total;
    let runOut: { date: string | null; projected: boolean } | null = null;
    if (isTotal && limit !== null) {
      const draws = run(tierDraw);
      runOut = freeTierRunsOut(limit, dates, tierDraw, draws.expected);
    }
    rows.push({
      waba_id: waba,
      month,
      as_of: asOf,
      pricing_model: s.model,
      category: s.category,
      currency,
      elapsed_days: count.elapsedDays,
      remaining_days: count.remainingDays,
      actual_to_date: count.actualToDate,
      forecast: round(count.forecast),
      low: round(count.low),
      high: round(count.high),
      amount_to_date: round(amount.actualToDate, 8),
      amount_forecast: round(amount.forecast, 8),
      amount_low: round(scaled(amount, count, count.low), 8),
      amount_high: round(scaled(amount, count, count.high), 8),
      unpriced_to_date: sumWhere(s.unpriced, (d) => d.startsWith(month) && (d < asOf || (args.includeToday && d === asOf))),
      free_tier_limit: isTotal ? limit : null,
      free_tier_used: isTotal && limit !== null ? tierUsed : null,
      free_tier_runs_out: runOut?.date ?? '',
      free_tier_runs_out_projected: runOut && runOut.date ? runOut.projected : null,
      previous_month_count: sumWhere(s.count, inMonth(prev)),
      previous_month_to_same_day: sumWhere(s.count, (d) => d.startsWith(prev) && Number(d.slice(8, 10)) < dayOfMonth),
      previous_months_average: earlier.length ? round(earlier.reduce((a, m) => a + monthCount(args.earlier, waba, m, s), 0) / earlier.length) : 0,
      previous_month_amount: round(sumWhere(s.amount, inMonth(prev)), 8),
    });
  }
  return rows;
}

function monthCount(rows: readonly MonthTotal[], waba: string, month: string, s: { model: string; category: string }): number {
  let n = 0;
  for (const r of rows) {
    if (r.waba_id === waba && r.month === month && (s.model === '*' || r.pricing_model === s.model) && (s.category === '*' || r.category === s.category)) n += r.count;
  }
  return n;
}

/**
 * The amount's interval follows the count's: the remaining amount scaled as the remaining count is
 * (the count carries the Poisson floor, which has no meaning in currency units).
 */
function scaled(amount: Forecast, count: Forecast, bound: number): number {
  const countLeft = count.forecast - count.actualToDate;
  const amountLeft = amount.forecast - amount.actualToDate;
  if (countLeft <= 0) return amount.forecast;
  return Math.max(amount.actualToDate, amount.actualToDate + (amountLeft * (bound - count.actualToDate)) / countLeft);
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
