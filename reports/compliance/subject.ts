import { parsePhoneNumberFromString, getCountries, getCountryCallingCode, type CountryCode } from 'libphonenumber-js';

/**
 * A data subject as the API names them: a WhatsApp phone number (`wa_id`, digits) or a
 * business-scoped user id (BSUID, `CC.alphanumerics`, optionally `CC.ENT.…`). Anything else is
 * refused before it reaches a query.
 */

export type SubjectId = { kind: 'phone' | 'bsuid'; id: string };

const BSUID = /^[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}$/;

/** Accepts `5511987654321`, `+55 11 98765-4321` or a BSUID; undefined for anything else. */
export function parseSubjectId(input: unknown): SubjectId | undefined {
  if (typeof input !== 'string') return undefined;
  const s = input.trim();
  if (BSUID.test(s)) return { kind: 'bsuid', id: s };
  const digits = s.replace(/^\+/, '').replace(/[\s()-]/g, '');
  if (/^\d{6,15}$/.test(digits)) return { kind: 'phone', id: digits };
  return undefined;
}

export const EEA = new Set([
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL',
  'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO',
]);

/** Where a shared calling code's numbers mostly are, when the number itself does not say. */
const MAIN_COUNTRY: Record<string, CountryCode> = { '1': 'US', '7': 'RU', '44': 'GB', '39': 'IT', '47': 'NO', '61': 'AU', '212': 'MA', '262': 'RE', '358': 'FI', '590': 'GP', '599': 'CW' };

let byCallingCode: Map<string, CountryCode> | undefined;
function countryOfCallingCode(code: string): CountryCode | undefined {
  if (!byCallingCode) {
    byCallingCode = new Map();
    for (const c of getCountries()) {
      const cc = getCountryCallingCode(c);
      if (!byCallingCode.has(cc)) byCallingCode.set(cc, MAIN_COUNTRY[cc] ?? c);
    }
  }
  return byCallingCode.get(code);
}

export interface SubjectCountry {
  /** ISO 3166 alpha-2, or `ZZ` when unknown. */
  country: string;
  /** True when only the calling code (or BSUID prefix) decided it: a number's country is a guess. */
  approximate: boolean;
}

/**
 * The recipient's country from the number (libphonenumber) or the BSUID prefix. A phone number
 * says where it was issued, not where the person lives: reports flag it as an approximation.
 */
export function subjectCountry(id: string): SubjectCountry {
  const bsuid = /^([A-Z]{2})\./.exec(id);
  if (bsuid) return { country: bsuid[1]!, approximate: true };
  if (!/^\d{6,15}$/.test(id)) return { country: 'ZZ', approximate: true };
  const p = parsePhoneNumberFromString('+' + id);
  if (p?.country) return { country: p.country, approximate: !p.isValid() };
  for (const len of [1, 2, 3]) {
    const c = countryOfCallingCode(id.slice(0, len));
    if (c) return { country: c, approximate: true };
  }
  return { country: 'ZZ', approximate: true };
}

export type Jurisdiction = 'gdpr' | 'lgpd' | 'both';

/** Brazilian numbers answer to the LGPD, EEA numbers to the GDPR, others to the configured default. */
export function jurisdictionOf(id: string, fallback: Jurisdiction): Jurisdiction {
  const { country } = subjectCountry(id);
  if (country === 'BR') return 'lgpd';
  if (EEA.has(country)) return 'gdpr';
  return fallback;
}

export function regionOf(country: string): 'EEA' | 'BR' | 'other' {
  if (country === 'BR') return 'BR';
  return EEA.has(country) ? 'EEA' : 'other';
}
