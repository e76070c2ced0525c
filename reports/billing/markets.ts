import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsvError, readCsvTable } from './csv-table.ts';

/**
 * The rate-card market of a recipient: longest calling-code prefix of the number in a mapping CSV
 * shaped like Meta's "Country Calling Codes and Regional Rate Mapping" (so +1 809 is Rest of Latin
 * America, other +1 North America). Without a number, the country prefix of the business-scoped
 * user id (`US.1349…`) decides.
 */

export const DEFAULT_CALLING_CODES = join(dirname(fileURLToPath(import.meta.url)), 'rate-cards', 'calling-codes.csv');
export const OTHER_MARKET = 'Other';

export interface CallingCode {
  prefix: string;
  market: string;
  iso: string;
  country: string;
  line: number;
}

const COUNTRY = ['country', 'country_name', 'country_region'];
const ISO = ['iso', 'iso_code', 'country_code_iso', 'iso_country_code', 'alpha_2', 'iso2'];
const CODE = ['calling_code', 'country_calling_code', 'country_calling_codes', 'prefix', 'dialing_code', 'country_code'];
const MARKET = ['market', 'region', 'rate_card_market', 'pricing_market'];

function column(header: string[], names: string[]): number {
  // The first name in the list wins, whatever the column order.
  for (const n of names) {
    const i = header.indexOf(n);
    if (i >= 0) return i;
  }
  return -1;
}

/** "1 (809, 829, 849)" → 1809, 1829, 1849; "+44" → 44; "1-658" → 1658. */
export function expandCallingCode(cell: string): string[] {
  const m = /^\s*\+?\s*(\d+)\s*\(([^)]*)\)\s*$/.exec(cell);
  if (m) return m[2]!.split(/[,;/\s]+/).filter(Boolean).map((p) => m[1]! + p.replace(/\D/g, ''));
  return cell.split(/[,;/]/).map((part) => part.replace(/\D/g, '')).filter(Boolean);
}

export function parseCallingCodes(text: string): CallingCode[] {
  const table = readCsvTable(text, (keys) => column(keys, CODE) >= 0 && column(keys, MARKET) >= 0);
  const [ci, ii, pi, mi] = [column(table.header, COUNTRY), column(table.header, ISO), column(table.header, CODE), column(table.header, MARKET)];
  const out: CallingCode[] = [];
  const problems: string[] = [];
  const seen = new Map<string, CallingCode>();
  for (const row of table.rows) {
    const market = row.cells[mi] ?? '';
    const prefixes = expandCallingCode(row.cells[pi] ?? '');
    if (!market || prefixes.length === 0) {
      problems.push(`line ${row.line}: needs a calling code and a market`);
      continue;
    }
    for (const prefix of prefixes) {
      const entry = { prefix, market, iso: (ii >= 0 ? row.cells[ii] ?? '' : '').toUpperCase(), country: ci >= 0 ? row.cells[ci] ?? '' : '', line: row.line };
      const before = seen.get(prefix);
      if (before && before.market !== market) {
        problems.push(`line ${row.line}: prefix ${prefix} is mapped to ${before.market} on line ${before.line} and to ${market} here`);
        continue;
      }
      seen.set(prefix, entry);
      out.push(entry);
    }
  }
  if (problems.length) throw new CsvError(problems);
  return out;
}

export interface MarketMatcher {
  /** Market of a recipient: digits of its number, else the BSUID's country prefix, else Other. */
  marketOf(recipientId: string, recipientUserId?: string): string;
  /** A region as Meta names it elsewhere (tier events, analytics): market name, ISO code or KEY_STYLE. */
  resolve(region: string): string | undefined;
  markets(): string[];
}

export function createMarketMatcher(codes: readonly CallingCode[]): MarketMatcher {
  const byPrefix = new Map(codes.map((c) => [c.prefix, c.market]));
  const byIso = new Map<string, string>();
  for (const c of codes) if (c.iso && !byIso.has(c.iso)) byIso.set(c.iso, c.market);
  const longest = Math.max(1, ...codes.map((c) => c.prefix.length));
  const names = new Map<string, string>();
  for (const c of codes) names.set(c.market.toLowerCase().replace(/[^a-z0-9]+/g, ''), c.market);
  names.set(OTHER_MARKET.toLowerCase(), OTHER_MARKET);
  return {
    marketOf(recipientId, recipientUserId = '') {
      const digits = recipientId.replace(/\D/g, '');
      if (digits) {
        for (let n = Math.min(longest, digits.length); n > 0; n--) {
          const m = byPrefix.get(digits.slice(0, n));
          if (m) return m;
        }
        return OTHER_MARKET;
      }
      const iso = /^([A-Za-z]{2})\./.exec(recipientUserId)?.[1]?.toUpperCase();
      return (iso && byIso.get(iso)) || OTHER_MARKET;
    },
    resolve(region) {
      const r = region.trim();
      if (!r) return undefined;
      return names.get(r.toLowerCase().replace(/[^a-z0-9]+/g, '')) ?? (r.length === 2 ? byIso.get(r.toUpperCase()) : undefined);
    },
    markets() {
      return [...new Set([...codes.map((c) => c.market), OTHER_MARKET])].sort();
    },
  };
}

const loaded = new Map<string, MarketMatcher>();

/** The matcher for a mapping file, read once per process. */
export function loadMarketMatcher(path = DEFAULT_CALLING_CODES): MarketMatcher {
  let m = loaded.get(path);
  if (!m) {
    m = createMarketMatcher(parseCallingCodes(readFileSync(path, 'utf8')));
    loaded.set(path, m);
  }
  return m;
}
