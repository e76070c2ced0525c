import type { CardKind } from './rate-card.ts';

/**
 * The loaded rate cards as one lookup: the price of (currency, local date, market, category, tier).
 * The card in force on a date is the one with the latest effective date on or before it; a card
 * loaded again for the same date replaces the earlier load as a whole. Money is kept in units of
 * 1e-8 as bigint, so sums never drift.
 */

export interface StoredRate {
  currency: string;
  effective_from: string;
  kind: CardKind;
  loaded_at: string;
  market: string;
  category: string;
  tier: string;
  price: string;
}

export const NANO = 100_000_000n;

export function toNano(price: string): bigint {
  const [whole = '0', frac = ''] = price.split('.');
  return BigInt(whole || '0') * NANO + BigInt((frac + '00000000').slice(0, 8));
}

/** Nano units → a plain number with at most 8 decimals (for JSON, CSV and Parquet). */
export function fromNano(n: bigint): number {
  const sign = n < 0n ? '-' : '';
  const a = n < 0n ? -n : n;
  return Number(`${sign}${a / NANO}.${(a % NANO).toString().padStart(8, '0')}`);
}

interface Version {
  effectiveFrom: string;
  prices: Map<string, bigint>;
}

export interface PriceFound {
  nano: bigint;
  effectiveFrom: string;
  /** The tier's own rate (false: the list rate, because the tier has none on the card). */
  tiered: boolean;
}

export interface RateBook {
  price(currency: string, date: string, market: string, category: string, tier: string): PriceFound | undefined;
  versions(): Array<{ currency: string; kind: CardKind; effective_from: string; loaded_at: string; entries: number }>;
}

const key = (market: string, category: string, tier: string) => `${market.toLowerCase()}|${category}|${tier}`;

export function buildRateBook(rows: readonly StoredRate[]): RateBook {
  // currency|kind → effective_from → latest loaded_at and its rows
  const latest = new Map<string, string>();
  for (const r of rows) {
    const k = `${r.currency}|${r.kind}|${r.effective_from}`;
    if ((latest.get(k) ?? '') < r.loaded_at) latest.set(k, r.loaded_at);
  }
  const books = new Map<string, Version[]>();
  const meta: ReturnType<RateBook['versions']> = [];
  for (const r of rows) {
    const k = `${r.currency}|${r.kind}|${r.effective_from}`;
    if (latest.get(k) !== r.loaded_at) continue;
    const list = books.get(`${r.currency}|${r.kind}`) ?? [];
    books.set(`${r.currency}|${r.kind}`, list);
    let v = list.find((x) => x.effectiveFrom === r.effective_from);
    if (!v) {
      list.push((v = { effectiveFrom: r.effective_from, prices: new Map() }));
      meta.push({ currency: r.currency, kind: r.kind, effective_from: r.effective_from, loaded_at: r.loaded_at, entries: 0 });
    }
    v.prices.set(key(r.market, r.category, r.tier), toNano(r.price));
    meta.find((m) => m.currency === r.currency && m.kind === r.kind && m.effective_from === r.effective_from)!.entries++;
  }
  for (const list of books.values()) list.sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1));
  const inForce = (currency: string, kind: CardKind, date: string): Version | undefined => {
    let found: Version | undefined;
    for (const v of books.get(`${currency}|${kind}`) ?? []) if (v.effectiveFrom <= date) found = v;
    return found;
  };
  return {
    price(currency, date, market, category, tier) {
      if (tier) {
        const t = inForce(currency, 'tiers', date);
        const p = t?.prices.get(key(market, category, tier));
        if (p !== undefined) return { nano: p, effectiveFrom: t!.effectiveFrom, tiered: true };
      }
      const v = inForce(currency, 'rates', date);
      const p = v?.prices.get(key(market, category, ''));
      return p === undefined ? undefined : { nano: p, effectiveFrom: v!.effectiveFrom, tiered: false };
    },
    versions() {
      return meta.sort((a, b) => (a.currency + a.kind + a.effective_from < b.currency + b.kind + b.effective_from ? -1 : 1));
    },
  };
}
