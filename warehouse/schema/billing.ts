import { c, defineTable, type RowOf } from './columns.ts';

/** The billing module's tables (migrations 0200–0204). */

export const BILLING_MESSAGES = defineTable('billing_messages_v1', {
  waba_id: c.string,
  wamid: c.string,
  phone_number_id: c.string,
  month: c.lowString,
  day: c.date,
  charge_ts: c.time,
  pricing_model: c.lowString,
  category: c.lowString,
  type: c.lowString,
  billable: c.uint8,
  counted: c.uint8,
  market: c.lowString,
  source_received_at: c.time,
  /** The label set in force on the customer at the charge (migration 0603); '0' until set. */
  label_set: { ...c.uint64Text, zod: c.uint64Text.zod.default('0') },
});
export type MessageFactRow = RowOf<typeof BILLING_MESSAGES>;

export const BILLING_CONVERSATIONS = defineTable('billing_conversations_v1', {
  waba_id: c.string,
  conversation_id: c.string,
  phone_number_id: c.string,
  month: c.lowString,
  day: c.date,
  first_ts: c.time,
  pricing_model: c.lowString,
  category: c.lowString,
  billable: c.nullable(c.uint8),
  draws_on_free_tier: c.uint8,
  counted: c.uint8,
  market: c.lowString,
  source_received_at: c.time,
});
export type ConversationFactRow = RowOf<typeof BILLING_CONVERSATIONS>;

/** The accounting copy of chargeable statuses (migration 0210): no personal data, kept 10 years. */
export const BILLING_STATUSES = defineTable('billing_statuses_v1', {
  waba_id: c.string,
  phone_number_id: c.string,
  message_key: c.string,
  status: c.lowString,
  ts: c.time,
  conversation_id: c.string,
  conversation_origin_type: c.lowString,
  pricing_billable: c.nullable(c.bool),
  pricing_model: c.lowString,
  pricing_category: c.lowString,
  pricing_type: c.lowString,
  market: c.lowString,
  received_at: c.time,
  loaded_at: c.time,
});
export type BillingStatusRow = RowOf<typeof BILLING_STATUSES>;

/** Who each keyed message went to (migration 0220): personal, kept and erased like the statuses. */
export const BILLING_MESSAGE_CUSTOMERS = defineTable('billing_message_customers_v1', {
  waba_id: c.string,
  message_key: c.string,
  wa_id: c.string,
  ts: c.time,
});
export type MessageCustomerRow = RowOf<typeof BILLING_MESSAGE_CUSTOMERS>;

export const BILLING_JOB_STATE = defineTable('billing_job_state_v1', {
  job: c.lowString,
  watermark: c.time,
  pending_periods: c.strings,
  updated_at: c.time,
});

export const BILLING_FORECAST_SNAPSHOTS = defineTable('billing_forecast_snapshots_v1', {
  waba_id: c.string,
  month: c.lowString,
  snapshot_date: c.date,
  pricing_model: c.lowString,
  category: c.lowString,
  actual_to_date: c.float64,
  forecast: c.float64,
  low: c.float64,
  high: c.float64,
  amount_to_date: c.nullable(c.float64),
  amount_forecast: c.nullable(c.float64),
  currency: c.lowString,
  created_at: c.time,
});
export type ForecastSnapshotRow = RowOf<typeof BILLING_FORECAST_SNAPSHOTS>;

export const BILLING_RATE_CARDS = defineTable('billing_rate_cards_v1', {
  currency: c.lowString,
  kind: c.oneOf(c.lowString, ['rates', 'tiers']),
  effective_from: c.date,
  loaded_at: c.time,
  source_name: c.string,
  source_sha256: c.string,
  loaded_by: c.string,
  market: c.lowString,
  category: c.lowString,
  tier: c.string,
  price: c.text("Decimal(20, 8)"),
  line: c.uint32,
});
export type RateCardRow = RowOf<typeof BILLING_RATE_CARDS>;

export const BILLING_META_ANALYTICS = defineTable('billing_meta_analytics_v1', {
  waba_id: c.string,
  source: c.lowString,
  import_id: c.string,
  imported_at: c.time,
  day: c.date,
  start_ts: c.time,
  category: c.lowString,
  type: c.lowString,
  country: c.lowString,
  phone: c.string,
  tier: c.string,
  volume: c.float64,
  cost: c.nullable(c.float64),
});
export type MetaAnalyticsRow = RowOf<typeof BILLING_META_ANALYTICS>;
