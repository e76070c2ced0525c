import { createHash } from 'node:crypto';
import type { Warehouse } from '../../warehouse/client.ts';
import { insertRateCard, rateCardLoads, storedRates } from '../../warehouse/queries/billing/rate-cards.ts';
import type { MarketMatcher } from './markets.ts';
import { buildRateBook, type RateBook } from './rate-book.ts';
import { parseRateCard, type RateCard } from './rate-card.ts';

/** Loading rate cards into the warehouse and reading them back as a rate book. */

export interface LoadedCard {
  currency: string;
  kind: RateCard['kind'];
  effective_from: string;
  loaded_at: string;
  entries: number;
  markets: number;
  source_sha256: string;
  warnings: string[];
}

/** Parses, validates and stores a card; throws CsvError (nothing stored) when the file is refused. */
export async function loadRateCard(
  wh: Warehouse,
  markets: MarketMatcher,
  text: string,
  opts: { currency: string; effectiveFrom: string; sourceName: string; loadedBy: string; now?: Date },
): Promise<LoadedCard> {
  const card = parseRateCard(text, { currency: opts.currency, effectiveFrom: opts.effectiveFrom, knownMarkets: markets.markets() });
  const sha = createHash('sha256').update(text).digest('hex');
  const loadedAt = (opts.now ?? new Date()).getTime();
  await insertRateCard(
    wh,
    card.entries.map((e) => ({
      currency: card.currency, kind: card.kind, effective_from: card.effectiveFrom, loaded_at: loadedAt,
      source_name: opts.sourceName.slice(0, 200), source_sha256: sha, loaded_by: opts.loadedBy,
      market: e.market, category: e.category, tier: e.tier, price: e.price, line: e.line,
    })),
  );
  return {
    currency: card.currency,
    kind: card.kind,
    effective_from: card.effectiveFrom,
    loaded_at: new Date(loadedAt).toISOString(),
    entries: card.entries.length,
    markets: new Set(card.entries.map((e) => e.market)).size,
    source_sha256: sha,
    warnings: card.warnings,
  };
}

export async function readRateBook(wh: Warehouse, currencies: string[] = []): Promise<RateBook> {
  return buildRateBook(await storedRates(wh, { currencies }));
}

export async function listRateCards(wh: Warehouse) {
  return rateCardLoads(wh, {});
}
