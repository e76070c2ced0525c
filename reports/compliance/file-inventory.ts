import type { PrivacyConfig, ProcessingActivity } from './config.ts';
import type { InventoryRow } from './inventory.ts';

/**
 * Personal data kept in files rather than tables, in the inventory beside the columns: the ingest
 * log (exact raw bodies, kept for `replay` for INGEST_LOG_RETAIN_HOURS after loading) and archived
 * dashboard snapshots (pseudonymous ids and the activity they show, kept
 * `privacy.retention.snapshot_days`). Erasure clears both (reports/compliance/erasure-files.ts).
 */

export const FILES_DATABASE = '(files in DATA_DIR)';

function basis(purpose: string, activities: readonly ProcessingActivity[], pick: 'legal_basis_gdpr' | 'legal_basis_lgpd'): string {
  return activities.find((a) => a.id === purpose)?.[pick] ?? `unknown purpose ${purpose}`;
}

export function fileStoreRows(cfg: PrivacyConfig, ingestLogRetainMs: number): InventoryRow[] {
  const hours = ingestLogRetainMs / 3_600_000;
  const snapshotDays = cfg.retention.snapshot_days;
  const row = (o: Pick<InventoryRow, 'table' | 'column' | 'data_type' | 'pii_class' | 'data_category' | 'source_field' | 'protection' | 'retention_policy_id' | 'retention_days' | 'ttl_expression_actual'> & { purpose: string }): InventoryRow => ({
    database: FILES_DATABASE,
    table: o.table,
    column: o.column,
    data_type: o.data_type,
    classified: true,
    classification_error: '',
    pii_class: o.pii_class,
    data_category: o.data_category,
    subject_key: false,
    special_category_possible: o.pii_class === 'pii:content',
    purpose_ids: o.purpose,
    legal_basis_gdpr: basis(o.purpose, cfg.activities, 'legal_basis_gdpr'),
    legal_basis_lgpd: basis(o.purpose, cfg.activities, 'legal_basis_lgpd'),
    source_field: o.source_field,
    protection: o.protection,
    retention_policy_id: o.retention_policy_id,
    retention_days: o.retention_days,
    ttl_expression_actual: o.ttl_expression_actual,
    ttl_matches_policy: true,
    table_rows: 0,
  });
  return [
    row({
      table: 'ingest-log/*.wal', column: 'record body', data_type: 'bytes', pii_class: 'pii:content', data_category: 'content', source_field: '$',
      protection: 'plain', purpose: 'operations', retention_policy_id: 'env:INGEST_LOG_RETAIN_HOURS', retention_days: Math.ceil(hours / 24),
      ttl_expression_actual: hours > 0 ? `loaded segments deleted ${hours} h after their last write` : 'segments deleted once loaded (the active one when it rolls over)',
    }),
    row({
      table: 'snapshots/<day>/*.html', column: 'dashboard page', data_type: 'text/html', pii_class: 'pii:indirect', data_category: 'metadata', source_field: '',
      protection: 'hmac', purpose: 'operations', retention_policy_id: 'config:privacy.retention.snapshot_days', retention_days: snapshotDays,
      ttl_expression_actual: `days archived more than ${snapshotDays} days ago removed by the dashboards.snapshots job`,
    }),
  ];
}
