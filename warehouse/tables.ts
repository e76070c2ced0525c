/**
 * The one place that knows each ingest table's columns: a row of defaults per table. Row types are
 * derived from them, and a test compares them with the migrated tables in `system.columns`.
 * Timestamps are epoch milliseconds (JSONEachRow reads integers into DateTime64(3) as ticks).
 */

const common = { body_sha256: '', received_at: 0 };
/** When the loader stored the row (it sets it; the jobs find new rows by it). */
const loaded = { loaded_at: 0 };

export const RAW_WEBHOOK = {
  received_at: 0,
  body_sha256: '',
  body: '',
  /** The body's parts no known field assigns to a person (ingest/body-filter.ts `traceText`). */
  trace_text: '',
  signature_valid: true,
  verdict: 'ok' as 'ok' | 'unknown_shape' | 'not_json' | 'redacted',
  reason: '',
  waba_ids: [] as string[],
  subject_ids: [] as string[],
  item_count: 0,
  unknown_count: 0,
};

export const MESSAGE = {
  waba_id: '', phone_number_id: '', display_phone_number: '', wamid: '', wa_id: '', from_user_id: '',
  ts: 0, type: '', text_body: '',
  media_id: '', media_mime_type: '', media_sha256: '', media_caption: '', media_filename: '', media_url: '',
  media_voice: null as boolean | null, media_animated: null as boolean | null,
  location_latitude: null as number | null, location_longitude: null as number | null,
  location_name: '', location_address: '', location_url: '',
  contacts_json: '',
  interactive_type: '', interactive_id: '', interactive_title: '', interactive_description: '',
  flow_name: '', flow_response_json: '',
  button_payload: '', button_text: '',
  reaction_message_id: '', reaction_emoji: '',
  order_catalog_id: '', order_text: '', order_items_json: '',
  referral_source_url: '', referral_source_id: '', referral_source_type: '', referral_headline: '',
  referral_body: '', referral_media_type: '', referral_ctwa_clid: '',
  context_from: '', context_id: '', context_forwarded: false, context_frequently_forwarded: false,
  context_referred_product_json: '',
  system_type: '', system_body: '', system_new_wa_id: '',
  unsupported_type: '', errors_json: '', known_type: true,
  raw_json: '', ...common, ...loaded,
};

export const STATUS = {
  waba_id: '', phone_number_id: '', display_phone_number: '', wamid: '', status: '', ts: 0,
  recipient_id: '', recipient_user_id: '', recipient_type: '', recipient_participant_id: '',
  biz_opaque_callback_data: '',
  conversation_id: '', conversation_origin_type: '', conversation_expiration: null as number | null,
  pricing_billable: null as boolean | null, pricing_model: '', pricing_category: '', pricing_type: '',
  error_code: null as number | null, error_title: '', error_details: '', errors_json: '',
  known_status: true, raw_json: '', ...common, ...loaded,
};

export const MESSAGE_ECHO = {
  waba_id: '', phone_number_id: '', display_phone_number: '', wamid: '', from_number: '', to_wa_id: '',
  ts: 0, type: '', text_body: '', media_id: '', media_caption: '', raw_json: '', ...common, ...loaded,
};

export const USER_PREFERENCE = {
  waba_id: '', phone_number_id: '', wa_id: '', user_id: '', ts: 0, category: '', value: '', detail: '',
  raw_json: '', ...common,
};

export const CONTACT = {
  waba_id: '', phone_number_id: '', wa_id: '', user_id: '', profile_name: '', username: '', seen_at: 0,
  ...common,
};

export const MANAGEMENT_EVENT = {
  waba_id: '', field: '', entry_time: 0, event: '', template_id: '', template_name: '', template_language: '',
  reason: '', previous_category: '', new_category: '', quality_score: '', phone_number: '', current_limit: '',
  tier: '', tier_category: '', tier_effective_month: '', tier_region: '', tier_update_time: null as number | null,
  known_field: true, value_json: '', value_hash: '0', subject_ids: [] as string[], ...common, ...loaded,
};

export const WEBHOOK_ERROR = {
  waba_id: '', phone_number_id: '', field: '', code: null as number | null, title: '', message: '', details: '',
  raw_json: '', item_path: '', subject_ids: [] as string[], ...common,
};

export const UNKNOWN_ITEM = {
  kind: '' as 'envelope' | 'field' | 'message_type' | 'status' | 'value_key' | 'item', name: '', item_path: '',
  raw_json: '', subject_ids: [] as string[], ...common,
};

export type RawWebhookRow = typeof RAW_WEBHOOK;
export type MessageRow = typeof MESSAGE;
export type StatusRow = typeof STATUS;
export type MessageEchoRow = typeof MESSAGE_ECHO;
export type UserPreferenceRow = typeof USER_PREFERENCE;
export type ContactRow = typeof CONTACT;
export type ManagementEventRow = typeof MANAGEMENT_EVENT;
export type WebhookErrorRow = typeof WEBHOOK_ERROR;
export type UnknownItemRow = typeof UNKNOWN_ITEM;

/** Typed item tables in the order a batch is written; the raw table is written last (see writer). */
export const ITEM_TABLES = {
  messages: { table: 'messages_v1', defaults: MESSAGE },
  statuses: { table: 'statuses_v1', defaults: STATUS },
  echoes: { table: 'message_echoes_v1', defaults: MESSAGE_ECHO },
  preferences: { table: 'user_preferences_v1', defaults: USER_PREFERENCE },
  contacts: { table: 'contacts_v1', defaults: CONTACT },
  management: { table: 'management_events_v1', defaults: MANAGEMENT_EVENT },
  errors: { table: 'webhook_errors_v1', defaults: WEBHOOK_ERROR },
  unknown: { table: 'unknown_items_v1', defaults: UNKNOWN_ITEM },
} as const;

export type ItemKind = keyof typeof ITEM_TABLES;
export type ItemRows = { [K in ItemKind]: Array<(typeof ITEM_TABLES)[K]['defaults']> };

export const RAW_TABLE = 'raw_webhooks_v1';

/** Every table that can hold personal data about a WhatsApp user, with the column naming them. */
export const SUBJECT_TABLES = [
  { table: 'raw_webhooks_v1', match: 'has(subject_ids, {subject:String})' },
  { table: 'messages_v1', match: 'wa_id = {subject:String} OR from_user_id = {subject:String}' },
  { table: 'statuses_v1', match: 'recipient_id = {subject:String} OR recipient_user_id = {subject:String}' },
  { table: 'message_echoes_v1', match: 'to_wa_id = {subject:String}' },
  { table: 'user_preferences_v1', match: 'wa_id = {subject:String} OR user_id = {subject:String}' },
  { table: 'contacts_v1', match: 'wa_id = {subject:String} OR user_id = {subject:String}' },
] as const;

export function emptyItemRows(): ItemRows {
  return { messages: [], statuses: [], echoes: [], preferences: [], contacts: [], management: [], errors: [], unknown: [] };
}
