import { c, defineTable, type RowOf } from './columns.ts';

/** The compliance module's tables (migration 0300). */

export const LEGAL_HOLDS = defineTable('legal_holds_v1', {
  hold_id: c.string,
  subject_hash: c.string,
  subject_ids: c.strings,
  reason: c.string,
  legal_reference: c.string,
  approved_by: c.string,
  start_at: c.time,
  review_at: c.nullable(c.time),
  released_at: c.nullable(c.time),
  released_by: c.string,
  status: c.oneOf(c.lowString, ['active', 'released']),
  updated_at: c.time,
});
export type HoldRow = RowOf<typeof LEGAL_HOLDS>;

export const ERASURE_SUPPRESSION = defineTable('erasure_suppression_v1', {
  subject_hash: c.string,
  request_id: c.string,
  added_at: c.time,
});
export type SuppressionRow = RowOf<typeof ERASURE_SUPPRESSION>;

export const ERASURE_REQUESTS = defineTable('erasure_requests_v1', {
  request_id: c.string,
  subject_hash: c.string,
  jurisdiction: c.lowString,
  legal_ground: c.string,
  requested_by: c.string,
  received_at: c.time,
  completed_at: c.nullable(c.time),
  status: c.lowString,
  hold_ids: c.strings,
  tables_json: c.string,
  receipt_json: c.string,
  receipt_sha256: c.string,
});
export type ErasureRequestRow = RowOf<typeof ERASURE_REQUESTS>;

export const CONSENT_EVENTS = defineTable('consent_events_v1', {
  consent_event_id: c.string,
  wa_id: c.string,
  subject_hash: c.string,
  waba_id: c.string,
  phone_number_id: c.string,
  scope_category: c.lowString,
  action: c.lowString,
  source_channel: c.lowString,
  captured_at: c.time,
  effective_at: c.time,
  recorded_at: c.time,
  notice_text_version: c.string,
  notice_text_sha256: c.string,
  language: c.lowString,
  proof_ref: c.string,
  collected_by: c.string,
  legal_basis: c.string,
  jurisdiction: c.lowString,
});
export type ConsentEventRow = RowOf<typeof CONSENT_EVENTS>;

export const RIGHTS_REQUESTS = defineTable('rights_requests_v1', {
  request_id: c.string,
  type: c.lowString,
  jurisdiction: c.lowString,
  subject_hash: c.string,
  received_at: c.time,
  identity_verified_at: c.nullable(c.time),
  simplified_reply_at: c.nullable(c.time),
  due_at: c.time,
  extended: c.bool,
  extension_reason: c.string,
  extension_notified_at: c.nullable(c.time),
  status: c.lowString,
  completed_at: c.nullable(c.time),
  outcome_ref: c.string,
  handled_by: c.string,
  updated_at: c.time,
});
export type RightsRequestRow = RowOf<typeof RIGHTS_REQUESTS>;

export const COMPLIANCE_SNAPSHOTS = defineTable('compliance_snapshots_v1', {
  snapshot_id: c.string,
  taken_at: c.time,
  report: c.lowString,
  rows: c.uint64,
  sha256: c.string,
  content: c.string,
});
export type SnapshotRow = RowOf<typeof COMPLIANCE_SNAPSHOTS>;

/** Rows not kept because they were past their table's retention on arrival (migration 0311). */
export const RETENTION_DROPPED = defineTable('retention_dropped_v1', {
  table_name: c.lowString,
  reason: c.lowString,
  day: c.date,
  rows: c.uint64,
});
export type RetentionDroppedRow = RowOf<typeof RETENTION_DROPPED>;
