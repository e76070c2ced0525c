// Rate-card market of a recipient number: longest calling-code prefix wins, so +1 809 is Rest of
// Latin America while +1 415 is North America.

export type MarketKey =
  | 'BR' | 'IN' | 'ID' | 'MX' | 'GB' | 'DE' | 'NG'
  | 'NORTH_AMERICA' | 'REST_OF_LATIN_AMERICA' | 'OTHER';

export const MARKET_NAMES: Record<MarketKey, string> = {
  BR: 'Brazil',
  IN: 'India',
  ID: 'Indonesia',
  MX: 'Mexico',
  GB: 'United Kingdom',
  DE: 'Germany',
  NG: 'Nigeria',
  NORTH_AMERICA: 'North America',
  REST_OF_LATIN_AMERICA: 'Rest of Latin America',
  OTHER: 'Other',
};

/** Calling-code prefixes (digits, no +) → market. Caribbean NANP area codes are Latin America. */
export const MARKET_PREFIXES: ReadonlyArray<readonly [string, MarketKey]> = [
  ['1809', 'REST_OF_LATIN_AMERICA'],
  ['1829', 'REST_OF_LATIN_AMERICA'],
  ['1849', 'REST_OF_LATIN_AMERICA'],
  ['1658', 'REST_OF_LATIN_AMERICA'],
  ['1876', 'REST_OF_LATIN_AMERICA'],
  ['1787', 'REST_OF_LATIN_AMERICA'],
  ['1939', 'REST_OF_LATIN_AMERICA'],
  ['1', 'NORTH_AMERICA'],
  ['55', 'BR'],
  ['91', 'IN'],
  ['62', 'ID'],
  ['52', 'MX'],
  ['44', 'GB'],
  ['49', 'DE'],
  ['234', 'NG'],
];

const BY_LENGTH = [...MARKET_PREFIXES].sort((a, b) => b[0].length - a[0].length);

export function marketOf(waId: string): MarketKey {
  for (const [prefix, market] of BY_LENGTH) if (waId.startsWith(prefix)) return market;
  return 'OTHER';
}
