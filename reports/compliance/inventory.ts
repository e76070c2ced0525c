import type { Warehouse } from '../../warehouse/client.ts';
import { catalogColumns, catalogTables, STORAGELESS_ENGINES } from '../../warehouse/queries/compliance/catalog.ts';
import type { PrivacyConfig, ProcessingActivity } from './config.ts';
import { isSubjectKey } from './classification.ts';
import { fileStoreRows } from './file-inventory.ts';
import { parseTableTtl, resolvePolicies, ttlMatches } from './retention.ts';
import { classifyColumns, type ClassifiedColumn } from './subject-tables.ts';
import { localDatabase } from '../../warehouse/migrate.ts';

/**
 * PII inventory (R1; GDPR Arts. 5(1)(c), 25, 30; LGPD Arts. 6 III, 37) from the warehouse's own
 * catalogue: every column of every table, its classification (column comment), purposes and legal
 * bases (from the records of processing), the retention policy and the TTL actually set.
 * And the records of processing (R2) built from CONFIG_FILE and the inventory.
 */

export interface InventoryRow {
  database: string;
  table: string;
  column: string;
  data_type: string;
  classified: boolean;
  classification_error: string;
  pii_class: string;
  data_category: string;
  subject_key: boolean;
  special_category_possible: boolean;
  purpose_ids: string;
  legal_basis_gdpr: string;
  legal_basis_lgpd: string;
  source_field: string;
  protection: string;
  retention_policy_id: string;
  retention_days: number | null;
  ttl_expression_actual: string;
  ttl_matches_policy: boolean | null;
  table_rows: number;
}

export const INVENTORY_COLUMNS = [
  { name: 'database', type: 'String' }, { name: 'table', type: 'String' }, { name: 'column', type: 'String' },
  { name: 'data_type', type: 'String' }, { name: 'classified', type: 'Bool' }, { name: 'classification_error', type: 'String' },
  { name: 'pii_class', type: 'String' }, { name: 'data_category', type: 'String' }, { name: 'subject_key', type: 'Bool' },
  { name: 'special_category_possible', type: 'Bool' }, { name: 'purpose_ids', type: 'String' }, { name: 'legal_basis_gdpr', type: 'String' },
  { name: 'legal_basis_lgpd', type: 'String' }, { name: 'source_field', type: 'String' }, { name: 'protection', type: 'String' },
  { name: 'retention_policy_id', type: 'String' }, { name: 'retention_days', type: 'Nullable(UInt32)' },
  { name: 'ttl_expression_actual', type: 'String' }, { name: 'ttl_matches_policy', type: 'Nullable(Bool)' }, { name: 'table_rows', type: 'UInt64' },
];

function bases(purposes: readonly string[], activities: readonly ProcessingActivity[], pick: 'legal_basis_gdpr' | 'legal_basis_lgpd'): string {
  return [...new Set(purposes.map((p) => activities.find((a) => a.id === p)?.[pick] ?? `unknown purpose ${p}`))].join('; ');
}

export async function loadCatalog(wh: Warehouse) {
  const [columns, tables] = await Promise.all([catalogColumns(wh, { db: localDatabase(wh) }), catalogTables(wh, { db: localDatabase(wh) })]);
  const stored = new Set(tables.filter((t) => !STORAGELESS_ENGINES.has(t.engine)).map((t) => t.name));
  return { columns: classifyColumns(columns.filter((c) => stored.has(c.table))), tables: tables.filter((t) => stored.has(t.name)) };
}

export function inventoryRows(
  db: string,
  columns: readonly ClassifiedColumn[],
  tables: ReadonlyArray<{ name: string; create_table_query: string; sorting_key: string; total_rows: number }>,
  cfg: PrivacyConfig,
): InventoryRow[] {
  const policies = resolvePolicies(columns, cfg, new Map(tables.map((t) => [t.name, t.sorting_key])));
  return columns.map((c) => {
    const cls = c.classification;
    const table = tables.find((t) => t.name === c.table);
    const policy = policies.find((p) => p.table === c.table);
    const ttl = parseTableTtl(table?.create_table_query ?? '');
    const purposes = cls?.purposes ?? [];
    return {
      database: db,
      table: c.table,
      column: c.name,
      data_type: c.type,
      classified: cls !== undefined,
      classification_error: c.error ?? '',
      pii_class: cls?.class ?? '',
      data_category: cls?.category ?? '',
      subject_key: cls ? isSubjectKey(cls) : false,
      special_category_possible: cls?.class === 'pii:content',
      purpose_ids: purposes.join(','),
      legal_basis_gdpr: cls?.basis || bases(purposes, cfg.activities, 'legal_basis_gdpr'),
      legal_basis_lgpd: cls?.basis || bases(purposes, cfg.activities, 'legal_basis_lgpd'),
      source_field: cls?.source ?? '',
      protection: cls?.protection || 'plain',
      retention_policy_id: policy?.policy_id ?? '',
      retention_days: policy?.days ?? null,
      ttl_expression_actual: ttl?.expression ?? '',
      ttl_matches_policy: policy ? ttlMatches(policy, ttl) : null,
      table_rows: table?.total_rows ?? 0,
    };
  });
}

/** Every column, then the files holding personal data (`ingestLogRetainMs`: INGEST_LOG_RETAIN_HOURS). */
export async function inventory(wh: Warehouse, cfg: PrivacyConfig, ingestLogRetainMs = 0): Promise<InventoryRow[]> {
  const { columns, tables } = await loadCatalog(wh);
  return [...inventoryRows(wh.database, columns, tables, cfg), ...fileStoreRows(cfg, ingestLogRetainMs)];
}

export const ROPA_COLUMNS = [
  'activity_id', 'activity_name', 'role', 'controller', 'representative', 'dpo_contact', 'encarregado_contact', 'purposes',
  'legal_basis_gdpr', 'legal_basis_lgpd', 'lia_ref', 'subject_categories', 'data_categories', 'special_categories', 'source',
  'recipients', 'processors', 'third_country_transfers', 'retention', 'erasure_method', 'security_measures', 'dpia_ripd_ref',
  'tables', 'last_reviewed_at', 'reviewed_by',
].map((name) => ({ name, type: 'String' }));

const contact = (c: { name: string; email: string; address: string }) => [c.name, c.email, c.address].filter(Boolean).join(', ');

/** R2: one line per processing activity, its data categories and tables taken from the inventory. */
export function ropaRows(rows: readonly InventoryRow[], cfg: PrivacyConfig) {
  return cfg.activities.map((a) => {
    const mine = rows.filter((r) => r.pii_class && r.pii_class !== 'none' && r.purpose_ids.split(',').includes(a.id));
    const tables = [...new Set(mine.map((r) => r.table))].sort();
    const retention = tables.map((t) => {
      const r = rows.find((x) => x.table === t);
      return `${t}: ${r?.retention_days == null ? 'no time limit' : `${r.retention_days} days`}`;
    });
    return {
      activity_id: a.id,
      activity_name: a.name,
      role: cfg.role,
      controller: contact(cfg.controller),
      representative: contact(cfg.representative),
      dpo_contact: contact(cfg.dpo),
      encarregado_contact: contact(cfg.encarregado),
      purposes: a.purposes.join('; '),
      legal_basis_gdpr: a.legal_basis_gdpr,
      legal_basis_lgpd: a.legal_basis_lgpd,
      lia_ref: a.lia_ref,
      subject_categories: a.subject_categories.join('; '),
      data_categories: [...new Set(mine.map((r) => r.data_category).filter(Boolean))].sort().join('; '),
      special_categories: a.special_categories,
      source: 'Meta WhatsApp Cloud API webhooks; the business’s own systems (consent API)',
      recipients: a.recipients.join('; '),
      processors: a.processors.join('; '),
      third_country_transfers: cfg.transfers.map((t) => `${t.recipient} (${t.country}): GDPR ${t.mechanism_gdpr}; LGPD ${t.mechanism_lgpd}`).join('; '),
      retention: retention.join('; '),
      erasure_method: 'TTL (retention); ALTER TABLE … DELETE where the parts to rewrite fit the budget, a lightweight DELETE purged within two purge periods where not (ids read from an in-memory set, replaced copies removed) with verification and receipt, ingest log and snapshots included (erasure requests)',
      security_measures:
        'role-based API tokens; keyed hashes of subject ids in the access audit, suppression list and snapshots; hash-chained access audit with anchors; TLS and disk encryption per deployment',
      dpia_ripd_ref: a.dpia_ref,
      tables: tables.join(' '),
      last_reviewed_at: a.last_reviewed_at,
      reviewed_by: a.reviewed_by,
    };
  });
}
