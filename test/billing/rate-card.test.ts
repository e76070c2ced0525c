import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvError } from '../../reports/billing/csv-table.ts';
import { DEFAULT_CALLING_CODES, loadMarketMatcher } from '../../reports/billing/markets.ts';
import { buildRateBook, fromNano, toNano } from '../../reports/billing/rate-book.ts';
import { normalizeTier, parsePrice, parseRateCard } from '../../reports/billing/rate-card.ts';

const opts = { currency: 'USD', effectiveFrom: '2025-07-01' };
const HEADER = 'Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service';

function problems(text: string, o = opts): string[] {
  try {
    parseRateCard(text, o);
  } catch (e) {
    if (e instanceof CsvError) return e.problems;
    throw e;
  }
  return [];
}

describe('rate-card CSV', () => {
  const dir = join(DEFAULT_CALLING_CODES, '..');
  it.each(readdirSync(dir).filter((f) => f.startsWith('EXAMPLE-')))('the shipped example %s loads without warnings and says it is an example', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    expect(text.split('\n')[0]).toMatch(/^EXAMPLE RATE CARD - NOT META'S PRICES/);
    const card = parseRateCard(text, { ...opts, knownMarkets: loadMarketMatcher().markets() });
    expect(card.warnings).toEqual([]);
    expect(card.kind).toBe(file.includes('tiers') ? 'tiers' : 'rates');
    expect(card.entries.length).toBeGreaterThan(30);
  });

  it('reads list rates per market and category, skipping empty cells', () => {
    const card = parseRateCard(`Title line\n${HEADER}\nIndia,USD,0.0107,0.0014,0.0014,0.0280,0\nBrazil,USD,$0.0625,0.0068,0.0315,,0\n`, opts);
    expect(card.entries.filter((e) => e.market === 'Brazil').map((e) => [e.category, e.price, e.line])).toEqual([
      ['marketing', '0.0625', 4], ['utility', '0.0068', 4], ['authentication', '0.0315', 4], ['service', '0', 4],
    ]);
    expect(card.entries.find((e) => e.market === 'India' && e.category === 'authentication-international')?.price).toBe('0.0280');
  });

  it.each([
    ['a missing market column', 'Country Code,Marketing\n55,0.1\n', ['missing column Market: no header row names it']],
    ['no category column', 'Market,Currency,Notes\nBrazil,USD,x\n', ['line 1: missing category columns (Marketing, Utility, Authentication, Service …)']],
    ['a duplicate market', `${HEADER}\nBrazil,USD,0.06,0.006,0.03,,0\nIndia,USD,0.01,0.001,0.001,0.02,0\nbrazil,USD,0.07,0.007,0.03,,0\n`, ['line 4: duplicate row for market brazil (first on line 2)']],
    ['a negative price', `${HEADER}\nBrazil,USD,0.06,-0.006,0.03,,0\n`, ['line 2: utility: negative price -0.006']],
    ['a price that is no number', `${HEADER}\nBrazil,USD,0.06,abc,0.03,,0\n`, ['line 2: utility: price "abc" is not a number']],
    ['a row without market', `${HEADER}\n,USD,0.06,0.006,0.03,,0\n`, ['line 2: missing market']],
    ['a tier card without rates', 'Market,Category,Tier\nIndia,Utility,0:1000\n', ['line 1: missing column Rate (or Price) in a volume-tier card']],
    ['a duplicate tier', 'Market,Category,Tier,Rate\nIndia,Utility,0:1000,0.001\nIndia,Utility,0-1000,0.002\n', ['line 3: duplicate row for India utility tier 0:1000 (first on line 2)']],
    ['a bad currency', `${HEADER}\nBrazil,USD,0.06,0.006,0.03,,0\n`, ['currency must be a three-letter code, got "usd"'], { currency: 'usd', effectiveFrom: '2025-07-01' }],
  ])('refuses %s, naming the line', (_name, text, want, o = opts) => {
    expect(problems(text, o)).toEqual(want);
  });

  it('reports every problem of a file at once', () => {
    expect(problems(`${HEADER}\nBrazil,USD,-1,0.006,0.03,,0\nBrazil,USD,0.06,0.006,0.03,,0\nIndia,USD,x,0.001,0.001,0.02,0\n`)).toEqual([
      'line 2: marketing: negative price -1',
      'line 3: duplicate row for market Brazil (first on line 2)',
      'line 4: marketing: price "x" is not a number',
    ]);
  });

  it('warns about markets the calling-code mapping does not know', () => {
    const card = parseRateCard(`${HEADER}\nAtlantis,USD,0.06,0.006,0.03,,0\n`, { ...opts, knownMarkets: ['Brazil'] });
    expect(card.warnings).toEqual(['line 2: market "Atlantis" is not in the calling-code mapping, so no recipient is charged at it']);
  });

  it.each([
    ['0.0250', '0.0250'], ['$0.0250', '0.0250'], ['1,234.5', '1234.5'], ['.5', '0.5'], ['', null], ['n/a', null], ['0', '0'],
  ])('price %s → %s', (cell, want) => {
    const p = parsePrice(cell);
    expect(p === null ? null : 'price' in p ? p.price : p.error).toBe(want);
  });

  it.each([
    ['0:1000000', '0:1000000'], ['0 - 1,000,000', '0:1000000'], ['5000001+', '5000001:MAX'], ['5000001:MAX', '5000001:MAX'], ['250001:', '250001:MAX'],
  ])('tier %s → %s', (t, want) => {
    expect(normalizeTier(t)).toBe(want);
  });
});

describe('rate book', () => {
  const row = (effective_from: string, loaded_at: string, market: string, category: string, price: string, tier = '', kind: 'rates' | 'tiers' = 'rates') => ({
    currency: 'USD', kind, effective_from, loaded_at, market, category, tier, price,
  });
  const book = buildRateBook([
    row('2025-07-01', '2025-06-01 10:00:00.000', 'India', 'utility', '0.0014'),
    row('2025-07-01', '2025-06-01 10:00:00.000', 'India', 'marketing', '0.0107'),
    // the same card loaded again later replaces the earlier load whole (marketing dropped)
    row('2025-07-01', '2025-06-02 10:00:00.000', 'India', 'utility', '0.0015'),
    row('2025-10-01', '2025-09-01 10:00:00.000', 'India', 'utility', '0.0013'),
    row('2025-07-01', '2025-06-01 10:00:00.000', 'India', 'utility', '0.0011', '250001:2000000', 'tiers'),
  ]);
  it.each([
    ['2025-06-30', 'utility', '', undefined],
    ['2025-07-01', 'utility', '', 0.0015],
    ['2025-09-30', 'utility', '', 0.0015],
    ['2025-10-01', 'utility', '', 0.0013],
    ['2025-08-01', 'marketing', '', undefined],
    ['2025-08-01', 'utility', '250001:2000000', 0.0011],
    ['2025-08-01', 'utility', '0:250000', 0.0015],
  ])('on %s, %s tier "%s" costs %s', (date, category, tier, want) => {
    const p = book.price('USD', date, 'India', category, tier);
    expect(p === undefined ? undefined : fromNano(p.nano)).toBe(want);
  });

  it('keeps money exact', () => {
    expect(fromNano(toNano('0.0107') * 3n)).toBe(0.0321);
    expect(fromNano(toNano('0.1') + toNano('0.2'))).toBe(0.3);
  });
});
