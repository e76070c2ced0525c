import type { AppDeps } from '../../../app/deps.ts';
import { BillingReports } from '../../billing/service.ts';
import { addDays } from '../../billing/zone.ts';
import type { ChargeRow } from '../../billing/charges.ts';
import type { AlertRule } from '../config.ts';
import type { AlertItem } from '../state.ts';
import { readKept, type KeptRead, type PartsSnapshot } from '../../../warehouse/queries/parts.ts';

/**
 * Finance rule on the charges report: a WABA's spend over the last `days` complete local days
 * against the `days` before them, by the charges report's daily amounts. Complete days only, so a
 * morning's partial day is never compared with a whole one. A WABA with nothing spent before has no
 * rise to measure (a first spend is not a percentage) and is left out.
 */

type SpendRule = Extract<AlertRule, { kind: 'spend_rise' }>;

/** The two windows of local dates, oldest first: [previous start, current start, current end). */
export function spendWindows(today: string, days: number): { previous: [string, string]; current: [string, string] } {
  const currentStart = addDays(today, -days);
  return { previous: [addDays(currentStart, -days), currentStart], current: [currentStart, today] };
}

const within = (d: string, [from, to]: [string, string]) => d >= from && d < to;
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** The tables a month of charges is read from: with the same parts, it is the same month. */
const CHARGE_TABLES = ['billing_daily_v1', 'billing_rate_cards_v1'];

/** Each month of daily charges (every WABA's) as last read, kept from one evaluation to the next with what its tables held then. */
export interface SpendMemory {
  months: Map<string, KeptRead<ChargeRow[]>>;
  /** The WABAs (configured, and seen in the billing rollup) as last read. */
  wabas: KeptRead<string[]>;
}

/** The reads of one evaluation shared by its spend rules: the WABAs once, each month of daily charges (every WABA's) once. */
export interface SpendCache {
  wabas?: Promise<string[]>;
  months: Map<string, Promise<ChargeRow[]>>;
  memory?: SpendMemory;
  /** The evaluation's snapshot of the tables' parts. */
  parts?: () => Promise<PartsSnapshot | null>;
}

export const spendCache = (memory?: SpendMemory, parts?: () => Promise<PartsSnapshot | null>): SpendCache => ({
  months: new Map(), ...(memory ? { memory } : {}), ...(parts ? { parts } : {}),
});

function chargesOf(billing: BillingReports, month: string, cache: SpendCache): Promise<ChargeRow[]> {
  const months = cache.memory?.months;
  if (months && !months.has(month)) months.set(month, {});
  return readKept(months?.get(month), cache.parts, CHARGE_TABLES, () => billing.charges({ scope: 'all', month, groupBy: ['category', 'market', 'tier', 'day'] }));
}

/** The WABAs (configured, and seen in the billing rollup), kept while the rollup stands still. */
function wabasOf(billing: BillingReports, cache: SpendCache): Promise<string[]> {
  return readKept(cache.memory?.wabas, cache.parts, ['billing_daily_v1'], () => billing.wabas('all'));
}

export async function spendItems(rule: SpendRule, deps: AppDeps, now: number, cache: SpendCache = spendCache()): Promise<AlertItem[]> {
  const billing = new BillingReports(deps);
  cache.wabas ??= wabasOf(billing, cache);
  const wabas = (await cache.wabas).filter((w) => rule.scope.wabas.length === 0 || rule.scope.wabas.includes(w));
  const monthOf = async (waba: string, month: string): Promise<ChargeRow[]> => {
    let read = cache.months.get(month);
    if (!read) cache.months.set(month, (read = chargesOf(billing, month, cache)));
    return (await read).filter((r) => r.waba_id === waba);
  };
  const items: AlertItem[] = [];
  for (const waba of wabas) {
    const today = billing.env.tenants.calendarOf(waba).date(now);
    const w = spendWindows(today, rule.days);
    const months = [...new Set([w.previous[0].slice(0, 7), addDays(today, -1).slice(0, 7)])];
    const rows: ChargeRow[] = [];
    for (const month of months) rows.push(...(await monthOf(waba, month)));
    const sum = (win: [string, string]) => rows.filter((r) => within(r.day, win)).reduce((s, r) => s + r.amount, 0);
    const previous = sum(w.previous);
    const current = sum(w.current);
    if (previous <= 0 || current < rule.min_amount) continue;
    const rise = (100 * (current - previous)) / previous;
    if (rise <= rule.rise_percent) continue;
    items.push({
      key: waba, waba_id: waba, rank: rise,
      detail: {
        waba_id: waba, currency: rows[0]?.currency ?? '', from: w.current[0], to: addDays(w.current[1], -1),
        spend: round4(current), previous_spend: round4(previous), rise_percent: Math.round(rise * 10) / 10,
      },
    });
  }
  return items;
}
