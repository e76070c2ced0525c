import { c, defineTable, type RowOf } from './columns.ts';

/** The templates module's tables (migrations 0400–0403). */

export const TEMPLATE_SEND_LOG = defineTable('template_send_log_v1', {
  waba_id: c.string,
  wamid: c.string,
  template: c.string,
  language: c.lowString,
  campaign: c.string,
  import_id: c.string,
  imported_at: c.time,
});
export type SendLogRow = RowOf<typeof TEMPLATE_SEND_LOG>;

/** Reported ad conversions (migration 0401), each tied to a click id. */
export const AD_CONVERSIONS = defineTable('ad_conversions_v1', {
  waba_id: c.string,
  event_id: c.string,
  ctwa_clid: c.string,
  matched_by: c.oneOf(c.lowString, ['click', 'contact']),
  event: c.lowString,
  at: c.time,
  value: c.nullable(c.float64),
  currency: c.lowString,
  posted_at: c.time,
});
export type AdConversionRow = RowOf<typeof AD_CONVERSIONS>;

/** The imported template catalogue (migration 0402). */
export const TEMPLATE_CATALOG = defineTable('template_catalog_v1', {
  waba_id: c.string,
  template_id: c.string,
  name: c.string,
  language: c.lowString,
  category: c.lowString,
  status: c.lowString,
  quality: c.lowString,
  rejected_reason: c.string,
  import_id: c.string,
  imported_at: c.time,
});
export type CatalogRow = RowOf<typeof TEMPLATE_CATALOG>;

/** Meta's template_analytics data points (migration 0403). */
export const TEMPLATE_ANALYTICS = defineTable('template_analytics_v1', {
  waba_id: c.string,
  template_id: c.string,
  day: c.date,
  sent: c.uint64,
  delivered: c.uint64,
  read: c.uint64,
  clicked: c.uint64,
  amount_spent: c.nullable(c.float64),
  import_id: c.string,
  imported_at: c.time,
});
export type AnalyticsRow = RowOf<typeof TEMPLATE_ANALYTICS>;

/** One row per template send with what followed it (migration 0410), kept by reports/templates/sends.ts. */
export const TEMPLATE_SENDS = defineTable('template_sends_v1', {
  waba_id: c.string,
  wamid: c.string,
  message_key: c.string,
  phone_number_id: c.string,
  wa_id: c.string,
  first_ts: c.time,
  delivered_ts: c.time,
  accepted: c.uint8,
  is_read: c.uint8,
  is_failed: c.uint8,
  fail_code: c.uint32,
  priced: c.uint8,
  priced_category: c.lowString,
  template: c.string,
  language: c.lowString,
  campaign: c.string,
  attribution: c.lowString,
  replied: c.uint8,
  clicked: c.uint8,
  opted_out: c.uint8,
  version: c.uint64,
  /** What Meta charged for it, from its billing fact (migration 0604): `charged` when the fact counts it. */
  charged: c.uint8,
  charge_category: c.lowString,
  charge_day: c.date,
  charge_market: c.lowString,
  charge_billable: c.uint8,
});
export type TemplateSendRow = RowOf<typeof TEMPLATE_SENDS>;

/** The sends job's state (migration 0410). */
export const TEMPLATE_SENDS_STATE = defineTable('template_sends_state_v1', {
  job: c.string,
  fingerprint: c.string,
  backfilled: c.uint8,
  watermark_ms: c.uint64,
  updated_at: c.time,
});
