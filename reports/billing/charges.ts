import type { ChargeInput } from '../../warehouse/queries/billing/reports.ts';
import type { ColumnSpec } from '../format.ts';
import { fromNano, type RateBook } from './rate-book.ts';

/**
 * Charges: each day's billable conversations or messages × the rate card in force that local day
 * for the WABA's currency, recipient market, category and volume tier. Free ones cost nothing.
 * Billable counts with no price on any loaded card are reported as `unpriced_count`, never guessed.
 */

export const CHARGE_DIMENSIONS = ['category', 'market', 'phone_number_id', 'tier', 'day'] as const;
export type ChargeDimension = (typeof CHARGE_DIMENSIONS)[number];

export interface ChargeRow {
  waba_id: string;
  month: string;
  pricing_model: string;
  currency: string;
  category: string;
  market: string;
  phone_number_id: string;
  display_phone_number: string;
  tier: string;
  day: string;
  count: number;
  billable_count: number;
  free_count: number;
  unpriced_count: number;
  /** Price per billable unit when one price applies to the whole row, else null. */
  unit_price: number | null;
  amount: number;
  rate_cards: string;
}

export const CHARGE_COLUMNS: ColumnSpec[] = [
  { name: 'waba_id', type: 'String' },
  { name: 'month', type: 'String' },
  { name: 'pricing_model', type: 'String' },
  { name: 'currency', type: 'String' },
  { name: 'category', type: 'String' },
  { name: 'market', type: 'String' },
  { name: 'phone_number_id', type: 'String' },
  { name: 'display_phone_number', type: 'String' },
  { name: 'tier', type: 'String' },
  { name: 'day', type: 'String' },
  { name: 'count', type: 'UInt64' },
  { name: 'billable_count', type: 'UInt64' },
  { name: 'free_count', type: 'UInt64' },
  { name: 'unpriced_count', type: 'UInt64' },
  { name: 'unit_price', type: 'Nullable(Float64)' },
  { name: 'amount', type: 'Float64' },
  { name: 'rate_cards', type: 'String' },
];

export interface ChargeContext {
  book: RateBook;
  currencyOf(wabaId: string): string;
  displayNumber(wabaId: string, phoneNumberId: string): string;
}

type Priceable = Pick<ChargeInput, 'waba_id' | 'day' | 'category' | 'market' | 'tier' | 'billable_count'>;

/** Price of one daily row: amount in nano units, or unpriced. */
export function priceRow(row: Priceable, ctx: ChargeContext): { nano: bigint; unitNano: bigint | null; card: string; unpriced: number } {
  if (row.billable_count === 0) return { nano: 0n, unitNano: null, card: '', unpriced: 0 };
  const currency = ctx.currencyOf(row.waba_id);
  const p = ctx.book.price(currency, row.day, row.market, row.category, row.tier);
  if (!p) return { nano: 0n, unitNano: null, card: '', unpriced: row.billable_count };
  return { nano: p.nano * BigInt(row.billable_count), unitNano: p.nano, card: `${currency} ${p.effectiveFrom}${p.tiered ? ' tiers' : ''}`, unpriced: 0 };
}

export function charges(daily: readonly ChargeInput[], ctx: ChargeContext, groupBy: readonly ChargeDimension[] = ['category', 'market', 'phone_number_id', 'tier']): ChargeRow[] {
  const by = new Set(groupBy);
  const rows = new Map<string, { row: ChargeRow; nano: bigint; units: Set<string>; cards: Set<string> }>();
  for (const d of daily) {
    const currency = ctx.currencyOf(d.waba_id);
    const dims = {
      category: by.has('category') ? d.category : '',
      market: by.has('market') ? d.market : '',
      phone_number_id: by.has('phone_number_id') ? d.phone_number_id : '',
      tier: by.has('tier') ? d.tier : '',
      day: by.has('day') ? d.day : '',
    };
    const key = [d.waba_id, d.month, d.pricing_model, currency, dims.category, dims.market, dims.phone_number_id, dims.tier, dims.day].join('\0');
    let acc = rows.get(key);
    if (!acc) {
      acc = {
        row: {
          waba_id: d.waba_id, month: d.month, pricing_model: d.pricing_model, currency, ...dims,
          display_phone_number: dims.phone_number_id ? ctx.displayNumber(d.waba_id, dims.phone_number_id) : '',
          count: 0, billable_count: 0, free_count: 0, unpriced_count: 0, unit_price: null, amount: 0, rate_cards: '',
        },
        nano: 0n,
        units: new Set(),
        cards: new Set(),
      };
      rows.set(key, acc);
    }
    const p = priceRow(d, ctx);
    acc.row.count += d.count;
    acc.row.billable_count += d.billable_count;
    acc.row.free_count += d.free_count;
    acc.row.unpriced_count += p.unpriced;
    acc.nano += p.nano;
    if (p.unitNano !== null) acc.units.add(p.unitNano.toString());
    if (p.card) acc.cards.add(p.card);
  }
  return [...rows.values()]
    .map(({ row, nano, units, cards }) => ({
      ...row,
      amount: fromNano(nano),
      unit_price: units.size === 1 && row.unpriced_count === 0 ? fromNano(BigInt([...units][0]!)) : null,
      rate_cards: [...cards].sort().join(', '),
    }))
    .sort(
      (a, b) =>
        a.waba_id.localeCompare(b.waba_id) || a.month.localeCompare(b.month) || a.pricing_model.localeCompare(b.pricing_model) ||
        a.category.localeCompare(b.category) || a.market.localeCompare(b.market) || a.phone_number_id.localeCompare(b.phone_number_id) ||
        a.tier.localeCompare(b.tier) || a.day.localeCompare(b.day),
    );
}
