import { HttpError } from '../../app/http-error.ts';
import { createHash } from 'node:crypto';
import type { AppDeps } from '../../app/deps.ts';
import { forecastSnapshots, insertForecastSnapshots, type ForecastSnapshotRow } from '../../warehouse/queries/billing/forecasts.ts';
import { insertMetaAnalytics, metaAnalyticsDays } from '../../warehouse/queries/billing/reconciliation.ts';
import { chargeInputs, dailyTotals, monthCounts, monthTotals, rolledUpWabas, wabaSeen } from '../../warehouse/queries/billing/reports.ts';
import { charges, type ChargeContext, type ChargeDimension, type ChargeRow } from './charges.ts';
import { conversationCounts, monthCountsOf, type ConversationCountRow } from './counts.ts';
import { billingEnv, periodInputs, type BillingEnv } from './facts-job.ts';
import { labelledPeriodRows, type LabelledDailyRow, type LabelledPeriodFilter } from '../../warehouse/queries/labels/charges.ts';
import { forecastRows, monthsNeeded, type ForecastOptions, type ForecastRow } from './forecast-report.ts';
import { listRateCards, loadRateCard, readRateBook, type LoadedCard } from './rate-cards.ts';
import { parseMetaAnalytics, reconcile, type ReconciliationRow } from './reconciliation.ts';
import { addMonths, isDate } from './zone.ts';
import { scopeOf, wabaInScope, type WabaScopeInput } from '../../warehouse/scope.ts';
import { requireAllWabas, requireInScope } from '../scope.ts';

/**
 * The billing reports as operations shared by the HTTP routes and the CLI: parameters in (already
 * validated for shape), WABAs resolved, rows out. Reports read the rollup, never raw statuses.
 * Every report takes the caller's WABA `scope`: its queries read no other WABA (a named WABA outside
 * it is a 403), so totals and forecasts are computed from in-scope rows only.
 */

/** The WABAs the caller may see (`'all'` for jobs and the operator's own CLI runs). */
export interface Scoped {
  scope: WabaScopeInput;
}

export class BillingRequestError extends HttpError {
  constructor(status: 400 | 404, message: string) {
    super(status, message);
  }
}

/** A stored forecast snapshot beside the month's outcome. */
export interface AccuracyRow
  extends Pick<ForecastSnapshotRow, 'waba_id' | 'month' | 'snapshot_date' | 'pricing_model' | 'category' | 'actual_to_date' | 'forecast' | 'low' | 'high'> {
  actual: number;
  month_complete: boolean;
  error: number;
  error_pct: number | null;
  within_interval: boolean;
}

export class BillingReports {
  readonly env: BillingEnv;

  constructor(readonly deps: AppDeps) {
    this.env = billingEnv(deps);
  }

  private get forecastOptions(): ForecastOptions {
    const f = this.env.cfg.forecast;
    return { historyDays: f.history_days, confidence: f.confidence, compareMonths: f.compare_months };
  }

  /**
   * The WABAs a request covers, within the scope; a named WABA outside the scope is refused (403),
   * one with neither configuration nor data too (404).
   */
  async wabas(scope: WabaScopeInput, waba?: string): Promise<string[]> {
    if (waba !== undefined && waba !== '') {
      if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(waba)) throw new BillingRequestError(400, 'waba_id must be a WhatsApp Business Account id');
      requireInScope(scope, [waba]);
      const known = this.env.tenants.configured().includes(waba) || (await wabaSeen(this.env.wh, { waba }))[0]?.seen === true;
      if (!known) throw new BillingRequestError(404, `waba_id ${waba} is unknown: it is not configured and no webhook data names it`);
      return [waba];
    }
    const seen = (await rolledUpWabas(this.env.wh, scopeOf(scope))).map((r) => r.waba_id);
    const configured = this.env.tenants.configured().filter((w) => wabaInScope(scope, w));
    return [...new Set([...configured, ...seen])].sort();
  }

  /** Each WABA's month: the one asked for, else the current month in the WABA's zone. */
  private monthsOf(wabas: string[], month?: string): Map<string, string> {
    const now = this.deps.now().getTime();
    return new Map(wabas.map((w) => [w, month ?? this.env.tenants.calendarOf(w).month(now)]));
  }

  /** Rows of each WABA's own month only (months are local: the same name can differ per WABA). */
  private async ofMonths<T extends { waba_id: string; month: string }>(
    wabas: string[],
    month: string | undefined,
    fetch: (months: string[]) => Promise<T[]>,
  ): Promise<T[]> {
    if (wabas.length === 0) return [];
    const months = this.monthsOf(wabas, month);
    const rows = await fetch([...new Set(months.values())]);
    return rows.filter((r) => months.get(r.waba_id) === r.month);
  }

  private async chargeContext(wabas: string[]): Promise<ChargeContext> {
    const t = this.env.tenants;
    const book = await readRateBook(this.env.wh, [...new Set(wabas.map((w) => t.of(w).currency))]);
    return { book, currencyOf: (w) => t.of(w).currency, displayNumber: (w, p) => t.displayNumber(w, p) };
  }

  async conversations(p: Scoped & { month?: string; waba?: string }): Promise<ConversationCountRow[]> {
    const wabas = await this.wabas(p.scope, p.waba);
    return conversationCounts(await this.ofMonths(wabas, p.month, (months) => monthCounts(this.env.wh, { ...scopeOf(p.scope), months, waba: p.waba ?? '' })));
  }

  async charges(p: Scoped & { month?: string; waba?: string; groupBy?: ChargeDimension[] }): Promise<ChargeRow[]> {
    const wabas = await this.wabas(p.scope, p.waba);
    const byPhone = p.groupBy === undefined || p.groupBy.includes('phone_number_id');
    const rows = await this.ofMonths(wabas, p.month, (months) => chargeInputs(this.env.wh, { ...scopeOf(p.scope), months, waba: p.waba ?? '', by_phone: byPhone }));
    return charges(rows, await this.chargeContext(wabas), p.groupBy);
  }

  /**
   * A label filter or `group_by=label` on the conversations and charges reports: each WABA's period
   * read from its facts by label (the rollup has no labels), priced and counted by the same code as
   * the unlabelled reports. Rows per label ('' when not grouped by label).
   */
  private async labelledDaily(p: Scoped & { month?: string; waba?: string; label: LabelledPeriodFilter }): Promise<{ wabas: string[]; rows: LabelledDailyRow[] }> {
    const wabas = await this.wabas(p.scope, p.waba);
    const rows: LabelledDailyRow[] = [];
    for (const [waba, month] of this.monthsOf(wabas, p.month)) {
      const period = await periodInputs(this.env, waba, month);
      rows.push(...(await labelledPeriodRows(this.env.wh, period, { ...p.label, ...scopeOf(p.scope) })));
    }
    return { wabas, rows };
  }

  async labelledConversations(p: Scoped & { month?: string; waba?: string; label: LabelledPeriodFilter }): Promise<Array<ConversationCountRow & { label?: string }>> {
    const { wabas, rows } = await this.labelledDaily(p);
    if (wabas.length === 0) return [];
    const whole = await this.ofMonths(wabas, p.month, (months) => monthCounts(this.env.wh, { ...scopeOf(p.scope), months, waba: p.waba ?? '' }));
    return byLabel(rows).flatMap(([label, daily]) => conversationCounts(monthCountsOf(daily), undefined, whole).map((r) => labelled(label, r, p.label.grouped)));
  }

  async labelledCharges(p: Scoped & { month?: string; waba?: string; groupBy?: ChargeDimension[]; label: LabelledPeriodFilter }): Promise<Array<ChargeRow & { label?: string }>> {
    const { wabas, rows } = await this.labelledDaily(p);
    const ctx = await this.chargeContext(wabas);
    return byLabel(rows).flatMap(([label, daily]) => charges(daily, ctx, p.groupBy).map((r) => labelled(label, r, p.label.grouped)));
  }

  /** Forecast per WABA: as of a local date (a snapshot at that midnight) or now (live, today counted). */
  async forecast(p: Scoped & { month?: string; waba?: string; asOf?: string }): Promise<ForecastRow[]> {
    const wabas = await this.wabas(p.scope, p.waba);
    const ctx = await this.chargeContext(wabas);
    const now = this.deps.now().getTime();
    const out: ForecastRow[] = [];
    const plans = wabas.map((w) => {
      const asOf = p.asOf ?? this.env.tenants.calendarOf(w).date(now);
      return { waba: w, asOf, month: p.month ?? asOf.slice(0, 7) };
    });
    if (plans.length === 0) return out;
    const need = plans.map((x) => monthsNeeded(x.month, this.forecastOptions));
    const waba = p.waba ?? '';
    const scope = scopeOf(p.scope);
    const totals = await dailyTotals(this.env.wh, { ...scope, months: [...new Set(need.flatMap((n) => n.daily))], waba });
    const earlier = await monthTotals(this.env.wh, { ...scope, months: [...new Set(need.flatMap((n) => n.compare))], waba });
    for (const plan of plans) {
      out.push(...forecastRows({ ...plan, includeToday: p.asOf === undefined, totals, earlier, charge: ctx, opts: this.forecastOptions }));
    }
    return out;
  }

  /** The forecast of each WABA's local today, kept per date (the nightly snapshot; idempotent per day). */
  async snapshotForecasts(now: Date): Promise<number> {
    const rows: ForecastSnapshotRow[] = [];
    for (const waba of await this.wabas('all')) {
      const asOf = this.env.tenants.calendarOf(waba).date(now.getTime());
      for (const r of await this.forecast({ scope: 'all', waba, asOf })) {
        rows.push({
          waba_id: r.waba_id, month: r.month, snapshot_date: asOf, pricing_model: r.pricing_model, category: r.category,
          actual_to_date: r.actual_to_date, forecast: r.forecast, low: r.low, high: r.high,
          amount_to_date: r.amount_to_date, amount_forecast: r.amount_forecast, currency: r.currency, created_at: now.getTime(),
        });
      }
    }
    await insertForecastSnapshots(this.env.wh, rows);
    return rows.length;
  }

  /** Each snapshot of a month against the month's actual figure (final once the month is over). */
  async forecastAccuracy(p: Scoped & { month: string; waba?: string }): Promise<AccuracyRow[]> {
    const wabas = await this.wabas(p.scope, p.waba);
    const snaps = await forecastSnapshots(this.env.wh, { ...scopeOf(p.scope), month: p.month, waba: p.waba ?? '' });
    const totals = await dailyTotals(this.env.wh, { ...scopeOf(p.scope), months: [p.month], waba: p.waba ?? '' });
    const actual = new Map<string, number>();
    for (const t of totals) {
      for (const key of [`${t.waba_id}\0${t.pricing_model}\0${t.category}`, `${t.waba_id}\0*\0*`, `${t.waba_id}\0${t.pricing_model}\0*`]) {
        actual.set(key, (actual.get(key) ?? 0) + t.count);
      }
    }
    const now = this.deps.now().getTime();
    return snaps
      .filter((s) => wabas.includes(s.waba_id))
      .map((s) => {
        const a = actual.get(`${s.waba_id}\0${s.pricing_model}\0${s.category}`) ?? 0;
        const complete = this.env.tenants.calendarOf(s.waba_id).month(now) > p.month;
        return {
          waba_id: s.waba_id, month: s.month, snapshot_date: s.snapshot_date, pricing_model: s.pricing_model, category: s.category,
          actual_to_date: s.actual_to_date, forecast: s.forecast, low: s.low, high: s.high, actual: a, month_complete: complete,
          error: Math.round((s.forecast - a) * 100) / 100,
          error_pct: a > 0 ? Math.round(((s.forecast - a) / a) * 10000) / 100 : null,
          within_interval: a >= s.low && a <= s.high,
        };
      });
  }

  /** Stores a saved Meta analytics response and returns the comparison for the days it covers. */
  async importAnalytics(json: unknown, wabaParam: string | undefined, actor: string, scope: WabaScopeInput) {
    const parsed = parseMetaAnalytics(json);
    const waba = wabaParam || parsed.wabaId;
    if (!waba) throw new BillingRequestError(400, 'waba_id is required (the response has no "id")');
    if (parsed.wabaId && wabaParam && parsed.wabaId !== wabaParam) throw new BillingRequestError(400, `waba_id ${wabaParam} differs from the response's id ${parsed.wabaId}`);
    await this.wabas(scope, waba);
    const cal = this.env.tenants.calendarOf(waba);
    const importId = createHash('sha256').update(JSON.stringify(json)).digest('hex');
    const importedAt = Date.now();
    await insertMetaAnalytics(
      this.env.wh,
      parsed.points.map((pt) => ({
        waba_id: waba, source: parsed.source, import_id: importId, imported_at: importedAt, day: cal.date(pt.startMs), start_ts: pt.startMs,
        category: pt.category, type: pt.type, country: pt.country, phone: pt.phone, tier: pt.tier, volume: pt.volume, cost: pt.cost,
      })),
    );
    const days = parsed.points.map((pt) => cal.date(pt.startMs)).sort();
    const summary = { import_id: importId, waba_id: waba, source: parsed.source, points: parsed.points.length, first_day: days[0] ?? '', last_day: days[days.length - 1] ?? '', imported_by: actor };
    const months = [...new Set(days.map((d) => d.slice(0, 7)))];
    const rows: ReconciliationRow[] = [];
    for (const month of months) rows.push(...(await this.reconciliation({ scope, month, waba })).filter((r) => r.source === parsed.source));
    return { import: summary, rows };
  }

  async reconciliation(p: Scoped & { month: string; waba?: string; onlyDifferences?: boolean }): Promise<ReconciliationRow[]> {
    const wabas = await this.wabas(p.scope, p.waba);
    const scope = scopeOf(p.scope);
    const meta = await metaAnalyticsDays(this.env.wh, { ...scope, from: `${p.month}-01`, to: `${addMonths(p.month, 1)}-01`, waba: p.waba ?? '' });
    const rows = await this.ofMonths(wabas, p.month, (months) => dailyTotals(this.env.wh, { ...scope, months, waba: p.waba ?? '' }));
    const out = reconcile(meta.filter((m) => wabas.includes(m.waba_id)), rows, await this.chargeContext(wabas));
    return p.onlyDifferences ? out.filter((r) => r.status !== 'match') : out;
  }

  /** Rate cards price every WABA of their currency: loading one needs an all-WABA scope. */
  async loadRateCard(text: string, p: Scoped & { currency: string; effectiveFrom: string; sourceName: string; loadedBy: string }): Promise<LoadedCard> {
    requireAllWabas(p.scope, 'loading a rate card');
    if (!isDate(p.effectiveFrom)) throw new BillingRequestError(400, 'effective_from must be a date YYYY-MM-DD');
    return loadRateCard(this.env.wh, this.env.markets, text, p);
  }

  listRateCards() {
    return listRateCards(this.env.wh);
  }
}

/** A row with its label first when grouped by label; ungrouped rows look like the unfiltered report's. */
const labelled = <R extends object>(label: string, row: R, grouped: boolean): R & { label?: string } => (grouped ? { label, ...row } : row);

/** Rows split by their label, labels in order. */
function byLabel(rows: readonly LabelledDailyRow[]): Array<[string, LabelledDailyRow[]]> {
  const out = new Map<string, LabelledDailyRow[]>();
  for (const r of rows) {
    const list = out.get(r.label);
    if (list) list.push(r);
    else out.set(r.label, [r]);
  }
  return [...out.entries()].sort(([a], [b]) => a.localeCompare(b));
}
