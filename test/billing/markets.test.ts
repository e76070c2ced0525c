import { describe, expect, it } from 'vitest';
import { CsvError } from '../../reports/billing/csv-table.ts';
import { createMarketMatcher, expandCallingCode, loadMarketMatcher, parseCallingCodes } from '../../reports/billing/markets.ts';

const markets = loadMarketMatcher();

describe('market of a recipient: longest calling-code prefix of the shipped mapping', () => {
  it.each([
    ['18095550101', 'Rest of Latin America'],
    ['18295550101', 'Rest of Latin America'],
    ['18495550101', 'Rest of Latin America'],
    ['16585550101', 'Rest of Latin America'],
    ['18765550101', 'Rest of Latin America'],
    ['17875550101', 'Rest of Latin America'],
    ['19395550101', 'Rest of Latin America'],
    ['14155550101', 'North America'],
    ['12125550101', 'North America'],
    ['18005550101', 'North America'],
    ['5511987650001', 'Brazil'],
    ['+55 11 98765-0001', 'Brazil'],
    ['919876500002', 'India'],
    ['6281234567890', 'Indonesia'],
    ['5215512345678', 'Mexico'],
    ['447700900003', 'United Kingdom'],
    ['4915100000004', 'Germany'],
    ['2348031234567', 'Nigeria'],
    ['27821234567', 'South Africa'],
    ['9715012345678', 'United Arab Emirates'],
    ['9665012345678', 'Saudi Arabia'],
    ['97412345678', 'Rest of Middle East'],
    ['3512345678', 'Rest of Western Europe'],
    ['99999999', 'Other'],
  ])('%s → %s', (number, market) => {
    expect(markets.marketOf(number)).toBe(market);
  });

  it.each([
    ['US.13491208655302741918', 'North America'],
    ['DO.1234', 'Rest of Latin America'],
    ['BR.abc', 'Brazil'],
    ['ZZ.1', 'Other'],
    ['', 'Other'],
  ])('without a number, the BSUID country %s → %s', (bsuid, market) => {
    expect(markets.marketOf('', bsuid)).toBe(market);
  });

  it('prefers the number to the BSUID', () => {
    expect(markets.marketOf('5511987650001', 'US.1')).toBe('Brazil');
  });

  it.each([
    ['India', 'India'],
    ['INDIA', 'India'],
    ['IN', 'India'],
    ['REST_OF_LATIN_AMERICA', 'Rest of Latin America'],
    ['North America', 'North America'],
    ['Atlantis', undefined],
  ])('region name %s resolves to %s', (region, market) => {
    expect(markets.resolve(region)).toBe(market);
  });
});

describe('mapping CSV', () => {
  it.each([
    ['1 (809, 829, 849)', ['1809', '1829', '1849']],
    ['+44', ['44']],
    ['1-658', ['1658']],
    ['1 876', ['1876']],
  ])('calling code cell %s', (cell, prefixes) => {
    expect(expandCallingCode(cell)).toEqual(prefixes);
  });

  it("reads Meta's shape with title lines above the header", () => {
    const codes = parseCallingCodes('Country Calling Codes and Regional Rate Mapping\nUpdated quarterly\n\nCountry Name,Country Calling Code,Market\nJamaica,"1 (658, 876)",Rest of Latin America\nCanada,1,North America\n');
    const m = createMarketMatcher(codes);
    expect(m.marketOf('18761234567')).toBe('Rest of Latin America');
    expect(m.marketOf('16131234567')).toBe('North America');
  });

  it('refuses a prefix mapped to two markets, naming both lines', () => {
    expect(() => parseCallingCodes('Country,Calling code,Market\nA,44,United Kingdom\nB,44,Other\n')).toThrowError(CsvError);
    try {
      parseCallingCodes('Country,Calling code,Market\nA,44,United Kingdom\nB,44,Other\n');
    } catch (e) {
      expect((e as CsvError).problems).toEqual(['line 3: prefix 44 is mapped to United Kingdom on line 2 and to Other here']);
    }
  });
});
