import { CsvError, readCsvTable, type CsvRow } from './csv-table.ts';

/**
 * Meta's rate-card CSVs, one per currency and effective date: a list-rate file (one row per market,
 * one column per category) and a volume-tier file (market, category, tier, rate). A card is either
 * accepted whole or refused with every problem named by line; a refused card changes nothing.
 */

export type CardKind = 'rates' | 'tiers';

export interface RateEntry {
  market: string;
  category: string;
  /** Volume tier `lower:upper` (upper may be MAX); empty for list rates. */
  tier: string;
  /** Exact decimal text, e.g. "0.0250". */
  price: string;
  line: number;
}

export interface RateCard {
  currency: string;
  effectiveFrom: string;
  kind: CardKind;
  entries: RateEntry[];
  warnings: string[];
}

/** Header keys (see csv-table headerKey) that name a category column, and the category they mean. */
const CATEGORY_COLUMNS: Record<string, string> = {
  marketing: 'marketing',
  marketing_lite: 'marketing_lite',
  utility: 'utility',
  authentication: 'authentication',
  authentication_international: 'authentication-international',
  service: 'service',
  business_initiated: 'business_initiated',
  user_initiated: 'user_initiated',
  referral_conversion: 'referral_conversion',
};
const SUFFIXES = /_(rate|rates|price|prices|per_message|per_conversation|message|conversation)$/;
const MARKET = ['market', 'market_name', 'country_region', 'region', 'country'];
const CURRENCY = ['currency', 'currency_code'];
const CATEGORY = ['category', 'pricing_category', 'conversation_category'];
const TIER = ['tier', 'volume_tier', 'tier_range', 'monthly_volume', 'volume', 'volume_range'];
const PRICE = ['rate', 'price', 'rate_per_message', 'price_per_message', 'per_message_rate'];

function categoryOfColumn(key: string): string | undefined {
  return CATEGORY_COLUMNS[key] ?? CATEGORY_COLUMNS[key.replace(SUFFIXES, '')];
}

function indexOf(header: string[], names: string[]): number {
  // The first name in the list wins, whatever the column order.
  for (const n of names) {
    const i = header.indexOf(n);
    if (i >= 0) return i;
  }
  return -1;
}

/** "0.0250", "$0.0250", "1,234.5" → "0.0250" / "1234.5"; "" or "n/a" → null (not offered). */
export function parsePrice(cell: string): { price: string } | { error: string } | null {
  const raw = cell.trim();
  if (raw === '' || /^(n\/?a|-|–|—|not available)$/i.test(raw)) return null;
  const text = raw.replace(/[\s,]/g, '').replace(/^([-+]?)[^\d.+-]+/, '$1');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(text)) return { error: `price "${raw}" is not a number` };
  if (text.startsWith('-') && Number(text) !== 0) return { error: `negative price ${raw}` };
  const digits = text.replace(/^[-+]/, '');
  const [, frac = ''] = digits.split('.');
  if (frac.length > 8) return { error: `price ${raw} has more than 8 decimals` };
  return { price: digits.startsWith('.') ? '0' + digits : digits };
}

/** Tier text of rate cards and tier events → `lower:upper` with MAX for the open end. */
export function normalizeTier(text: string): string {
  const t = text.trim().toUpperCase().replace(/[\s,]/g, '');
  if (!t) return '';
  const plus = /^(\d+)\+$/.exec(t);
  if (plus) return `${plus[1]}:MAX`;
  const m = /^(\d+)[:\-–](\d+|MAX|∞|INF|)$/.exec(t);
  if (!m) return t;
  const upper = m[2] === '' || m[2] === '∞' || m[2] === 'INF' ? 'MAX' : m[2]!;
  return `${m[1]}:${upper}`;
}

export function parseRateCard(text: string, opts: { currency: string; effectiveFrom: string; knownMarkets?: readonly string[] }): RateCard {
  const problems: string[] = [];
  if (!/^[A-Z]{3}$/.test(opts.currency)) problems.push(`currency must be a three-letter code, got "${opts.currency}"`);
  if (!/^\d{4}-\d\d-\d\d$/.test(opts.effectiveFrom) || Number.isNaN(Date.parse(opts.effectiveFrom))) problems.push(`effective-from must be YYYY-MM-DD, got "${opts.effectiveFrom}"`);
  if (problems.length) throw new CsvError(problems);
  let table;
  try {
    table = readCsvTable(text, (keys) => indexOf(keys, MARKET) >= 0);
  } catch (e) {
    if (e instanceof CsvError && e.problems[0] === 'no header row found') throw new CsvError(['missing column Market: no header row names it']);
    throw e;
  }
  const kind: CardKind = indexOf(table.header, TIER) >= 0 && indexOf(table.header, CATEGORY) >= 0 ? 'tiers' : 'rates';
  const warnings: string[] = [];
  const entries = kind === 'rates' ? listRates(table.header, table.headerLine, table.rows, problems) : tierRates(table.header, table.headerLine, table.rows, problems);
  const currencyAt = indexOf(table.header, CURRENCY);
  if (currencyAt >= 0) {
    for (const row of table.rows) {
      const c = (row.cells[currencyAt] ?? '').trim();
      if (c && !c.toUpperCase().includes(opts.currency)) warnings.push(`line ${row.line}: currency "${c}" differs from ${opts.currency}`);
    }
  }
  if (entries.length === 0 && problems.length === 0) problems.push(`line ${table.headerLine}: the card has no prices`);
  if (problems.length) throw new CsvError(problems);
  if (opts.knownMarkets) {
    const known = new Set(opts.knownMarkets);
    for (const m of new Set(entries.map((e) => e.market))) {
      if (!known.has(m)) warnings.push(`line ${entries.find((e) => e.market === m)!.line}: market "${m}" is not in the calling-code mapping, so no recipient is charged at it`);
    }
  }
  return { currency: opts.currency, effectiveFrom: opts.effectiveFrom, kind, entries, warnings };
}

function listRates(header: string[], headerLine: number, rows: CsvRow[], problems: string[]): RateEntry[] {
  const marketAt = indexOf(header, MARKET);
  const categories = header.map((h, i) => [i, categoryOfColumn(h)] as const).filter((c): c is readonly [number, string] => c[1] !== undefined);
  if (categories.length === 0) {
    problems.push(`line ${headerLine}: missing category columns (Marketing, Utility, Authentication, Service …)`);
    return [];
  }
  const seen = new Map<string, number>();
  const out: RateEntry[] = [];
  for (const row of rows) {
    const market = (row.cells[marketAt] ?? '').trim();
    if (!market) {
      problems.push(`line ${row.line}: missing market`);
      continue;
    }
    const first = seen.get(market.toLowerCase());
    if (first !== undefined) {
      problems.push(`line ${row.line}: duplicate row for market ${market} (first on line ${first})`);
      continue;
    }
    seen.set(market.toLowerCase(), row.line);
    for (const [i, category] of categories) {
      const p = parsePrice(row.cells[i] ?? '');
      if (p === null) continue;
      if ('error' in p) problems.push(`line ${row.line}: ${category}: ${p.error}`);
      else out.push({ market, category, tier: '', price: p.price, line: row.line });
    }
  }
  return out;
}

function tierRates(header: string[], headerLine: number, rows: CsvRow[], problems: string[]): RateEntry[] {
  const [marketAt, categoryAt, tierAt, priceAt] = [indexOf(header, MARKET), indexOf(header, CATEGORY), indexOf(header, TIER), indexOf(header, PRICE)];
  if (priceAt < 0) {
    problems.push(`line ${headerLine}: missing column Rate (or Price) in a volume-tier card`);
    return [];
  }
  const seen = new Map<string, number>();
  const out: RateEntry[] = [];
  for (const row of rows) {
    const market = (row.cells[marketAt] ?? '').trim();
    const rawCategory = (row.cells[categoryAt] ?? '').trim();
    const category = categoryOfColumn(rawCategory.toLowerCase().replace(/[^a-z0-9]+/g, '_')) ?? '';
    const tier = normalizeTier(row.cells[tierAt] ?? '');
    if (!market || !category || !tier) {
      problems.push(`line ${row.line}: needs market, a known category and a tier (got "${market}", "${rawCategory}", "${row.cells[tierAt] ?? ''}")`);
      continue;
    }
    const key = `${market.toLowerCase()}|${category}|${tier}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`line ${row.line}: duplicate row for ${market} ${category} tier ${tier} (first on line ${first})`);
      continue;
    }
    seen.set(key, row.line);
    const p = parsePrice(row.cells[priceAt] ?? '');
    if (p === null) problems.push(`line ${row.line}: missing rate`);
    else if ('error' in p) problems.push(`line ${row.line}: ${p.error}`);
    else out.push({ market, category, tier, price: p.price, line: row.line });
  }
  return out;
}
