import type { Warehouse } from '../../warehouse/client.ts';
import { subjectRowCounts } from '../../warehouse/queries/compliance/subjects.ts';
import type { PrivacyConfig } from './config.ts';
import { discoverSubjectTables } from './subject-tables.ts';
import { EEA, regionOf, subjectCountry } from './subject.ts';

/**
 * Cross-border view (R11; GDPR Arts. 44–49, 15(2); LGPD Art. 33, Res. CD/ANPD 19/2024): subjects
 * and rows by the recipient's country — from the number's calling code (libphonenumber) or the
 * BSUID prefix, an approximation of where a person lives — against where the data is stored.
 */

export const CROSS_BORDER_COLUMNS = [
  { name: 'subject_country', type: 'String' }, { name: 'subject_region', type: 'String' }, { name: 'country_approximate', type: 'Bool' },
  { name: 'subjects', type: 'UInt64' }, { name: 'rows', type: 'UInt64' }, { name: 'storage_provider', type: 'String' },
  { name: 'storage_country', type: 'String' }, { name: 'storage_region', type: 'String' }, { name: 'replica_regions', type: 'String' },
  { name: 'backup_regions', type: 'String' }, { name: 'meta_storage', type: 'String' }, { name: 'transfer', type: 'Bool' },
  { name: 'transfer_mechanism_gdpr', type: 'String' }, { name: 'transfer_mechanism_lgpd', type: 'String' }, { name: 'mechanism_ref', type: 'String' },
];

export interface CrossBorderRow {
  subject_country: string;
  subject_region: string;
  country_approximate: boolean;
  subjects: number;
  rows: number;
  storage_provider: string;
  storage_country: string;
  storage_region: string;
  replica_regions: string;
  backup_regions: string;
  meta_storage: string;
  transfer: boolean;
  transfer_mechanism_gdpr: string;
  transfer_mechanism_lgpd: string;
  mechanism_ref: string;
}

/** Data of EEA residents stored outside the EEA, or of Brazilians outside Brazil, is transferred. */
export function isTransfer(subjectCountry: string, storageCountry: string): boolean {
  if (!storageCountry) return false;
  const region = regionOf(subjectCountry);
  if (region === 'EEA') return !EEA.has(storageCountry);
  if (region === 'BR') return storageCountry !== 'BR';
  return false;
}

export function crossBorderRows(counts: ReadonlyArray<{ id: string; rows: number }>, cfg: PrivacyConfig): CrossBorderRow[] {
  const byCountry = new Map<string, { subjects: number; rows: number; approximate: boolean }>();
  for (const c of counts) {
    const { country, approximate } = subjectCountry(c.id);
    const acc = byCountry.get(country) ?? { subjects: 0, rows: 0, approximate: false };
    acc.subjects++;
    acc.rows += c.rows;
    acc.approximate ||= approximate;
    byCountry.set(country, acc);
  }
  const st = cfg.storage;
  const meta = [cfg.meta_storage.default, ...Object.entries(cfg.meta_storage.phone_numbers).map(([id, where]) => `${id}:${where}`)].join(' ');
  const transferTo = cfg.transfers.find((t) => t.country === st.country);
  return [...byCountry]
    .sort((a, b) => b[1].rows - a[1].rows || a[0].localeCompare(b[0]))
    .map(([country, acc]) => {
      const transfer = isTransfer(country, st.country);
      return {
        subject_country: country,
        subject_region: regionOf(country),
        // A calling code says where a number was issued, never where its holder lives.
        country_approximate: true,
        subjects: acc.subjects,
        rows: acc.rows,
        storage_provider: st.provider,
        storage_country: st.country,
        storage_region: st.region,
        replica_regions: st.replica_regions.join(' '),
        backup_regions: st.backup_regions.join(' '),
        meta_storage: meta,
        transfer,
        transfer_mechanism_gdpr: transfer ? (transferTo?.mechanism_gdpr || 'NONE CONFIGURED') : '',
        transfer_mechanism_lgpd: transfer ? (transferTo?.mechanism_lgpd || 'NONE CONFIGURED') : '',
        mechanism_ref: transfer ? (transferTo?.reference ?? '') : '',
      };
    });
}

export async function crossBorder(wh: Warehouse, cfg: PrivacyConfig): Promise<CrossBorderRow[]> {
  return crossBorderRows(await subjectRowCounts(wh, await discoverSubjectTables(wh)), cfg);
}
