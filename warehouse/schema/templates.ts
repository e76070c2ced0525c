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
