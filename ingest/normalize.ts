import { createHash } from 'node:crypto';
import { arr, bool, json, num, obj, str, unixMs, type Obj } from './json-access.ts';
import {
  CONTACT, MANAGEMENT_EVENT, MESSAGE, MESSAGE_ECHO, STATUS, UNKNOWN_ITEM, USER_PREFERENCE, WEBHOOK_ERROR,
  emptyItemRows, type ItemRows, type MessageRow, type UnknownItemRow,
} from '../warehouse/tables.ts';
import { PERSONAL_ITEM_KEYS, businessNumbers, changeIds, idsInError, idsInValue, itemIds, phoneDigits, splitItem } from './subject-ids.ts';

/**
 * Turns one parsed webhook body (Meta's `object/entry/changes` envelope) into typed rows. Pure and
 * total: any JSON value gives a result, never an exception. What it does not recognise goes to
 * `unknown` rows with its path; the raw body is stored by the caller in any case.
 */

export interface Normalized {
  rows: ItemRows;
  wabaIds: string[];
  subjectIds: string[];
  itemCount: number;
  unknownCount: number;
}

export const KNOWN_MESSAGE_TYPES = new Set([
  'text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'interactive', 'button',
  'reaction', 'order', 'system', 'unsupported', 'unknown', 'request_welcome', 'revoke', 'edit',
]);
export const KNOWN_STATUSES = new Set(['sent', 'delivered', 'read', 'played', 'failed']);
export const KNOWN_FIELDS = new Set([
  'messages', 'smb_message_echoes', 'user_preferences', 'message_template_status_update',
  'message_template_quality_update', 'message_template_components_update', 'template_category_update',
  'phone_number_quality_update', 'phone_number_name_update', 'account_update', 'account_review_update',
  'account_alerts', 'business_capability_update', 'security', 'automatic_events', 'partner_solutions',
  'payment_configuration_update', 'history', 'smb_app_state_sync', 'calls', 'account_settings_update', 'flows',
]);
const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'];
const MESSAGES_VALUE_KEYS = new Set(['messaging_product', 'metadata', 'contacts', 'messages', 'statuses', 'errors']);

interface Ctx {
  body_sha256: string;
  received_at: number;
  rows: ItemRows;
  subjects: Set<string>;
  items: number;
}

export function normalizeBody(body: unknown, meta: { bodySha256: string; receivedAt: number }): Normalized {
  const ctx: Ctx = { body_sha256: meta.bodySha256, received_at: meta.receivedAt, rows: emptyItemRows(), subjects: new Set(), items: 0 };
  const wabaIds = new Set<string>();
  const root = obj(body);
  if (!root || !Array.isArray(root.entry) || root.object !== 'whatsapp_business_account') {
    unknown(ctx, 'envelope', root ? str(root.object) : typeof body, '$', body);
  } else {
    root.entry.forEach((e, i) => {
      const entry = obj(e);
      const path = `entry[${i}]`;
      if (!entry) return unknown(ctx, 'envelope', 'entry', path, e);
      const waba = str(entry.id);
      if (waba) wabaIds.add(waba);
      const entryTime = unixMs(entry.time);
      arr(entry.changes).forEach((c, j) => change(ctx, waba, entryTime, obj(c), `${path}.changes[${j}]`, c));
      if (!Array.isArray(entry.changes)) unknown(ctx, 'envelope', 'changes', path, e);
    });
  }
  return {
    rows: ctx.rows,
    wabaIds: [...wabaIds],
    subjectIds: [...ctx.subjects],
    itemCount: ctx.items,
    unknownCount: ctx.rows.unknown.length,
  };
}

function base(ctx: Ctx) {
  return { body_sha256: ctx.body_sha256, received_at: ctx.received_at };
}

/** Unknown items are kept with whoever they seem to name, so they are exported, erased and screened. */
function unknown(ctx: Ctx, kind: UnknownItemRow['kind'], name: string, path: string, raw: unknown): void {
  const ids = idsInValue(raw, businessNumbers(raw));
  subject(ctx, ...ids);
  ctx.rows.unknown.push({ ...UNKNOWN_ITEM, ...base(ctx), kind, name: name.slice(0, 200), item_path: path, raw_json: json(raw), subject_ids: ids });
}

function subject(ctx: Ctx, ...ids: string[]): void {
  for (const id of ids) if (id) ctx.subjects.add(id);
}

function change(ctx: Ctx, waba: string, entryTime: number | null, c: Obj | undefined, path: string, raw: unknown): void {
  const field = c ? str(c.field) : '';
  const value = c ? obj(c.value) : undefined;
  if (!c || !value) return unknown(ctx, 'field', field, path, raw);
  if (field === 'messages') return messagesValue(ctx, waba, value, path);
  if (field === 'smb_message_echoes') return echoes(ctx, waba, value, path);
  if (field === 'user_preferences') return preferences(ctx, waba, value, path);
  management(ctx, waba, field, entryTime, value, path);
}

function metadata(value: Obj) {
  const m = obj(value.metadata);
  return { phone_number_id: str(m?.phone_number_id), display_phone_number: str(m?.display_phone_number) };
}

function messagesValue(ctx: Ctx, waba: string, value: Obj, path: string): void {
  const md = metadata(value);
  const names = new Map<string, string>();
  arr(value.contacts).forEach((c) => {
    const contact = obj(c);
    if (!contact) return;
    const profile = obj(contact.profile);
    const row = {
      ...CONTACT, ...base(ctx), waba_id: waba, phone_number_id: md.phone_number_id,
      wa_id: phoneDigits(str(contact.wa_id)), user_id: str(contact.user_id), profile_name: str(profile?.name),
      username: str(profile?.username), seen_at: ctx.received_at,
    };
    if (!row.wa_id && !row.user_id) return;
    names.set(row.wa_id || row.user_id, row.profile_name);
    subject(ctx, row.wa_id, row.user_id);
    ctx.rows.contacts.push(row);
  });
  arr(value.messages).forEach((m, i) => inboundMessage(ctx, waba, md, obj(m), `${path}.value.messages[${i}]`, m));
  arr(value.statuses).forEach((s, i) => status(ctx, waba, md, obj(s), `${path}.value.statuses[${i}]`, s));
  arr(value.errors).forEach((e, i) => valueError(ctx, waba, md.phone_number_id, 'messages', obj(e), `${path}.value.errors[${i}]`, e));
  for (const key of Object.keys(value)) {
    if (!MESSAGES_VALUE_KEYS.has(key)) unknown(ctx, 'value_key', key, `${path}.value.${key}`, value[key]);
  }
}

function inboundMessage(ctx: Ctx, waba: string, md: ReturnType<typeof metadata>, m: Obj | undefined, path: string, raw: unknown): void {
  if (!m) return unknown(ctx, 'item', 'message', path, raw);
  ctx.items++;
  const type = str(m.type);
  const row: MessageRow = {
    ...MESSAGE, ...base(ctx), ...md, waba_id: waba, wamid: str(m.id), wa_id: phoneDigits(str(m.from)),
    from_user_id: str(m.from_user_id), ts: unixMs(m.timestamp) ?? ctx.received_at, type,
    known_type: KNOWN_MESSAGE_TYPES.has(type), raw_json: json(raw),
  };
  subject(ctx, row.wa_id, row.from_user_id);
  const text = obj(m.text);
  row.text_body = str(text?.body);
  for (const t of MEDIA_TYPES) {
    const media = obj(m[t]);
    if (!media) continue;
    Object.assign(row, {
      media_id: str(media.id), media_mime_type: str(media.mime_type), media_sha256: str(media.sha256),
      media_caption: str(media.caption), media_filename: str(media.filename), media_url: str(media.url),
      media_voice: bool(media.voice), media_animated: bool(media.animated),
    });
  }
  const loc = obj(m.location);
  if (loc) {
    Object.assign(row, {
      location_latitude: num(loc.latitude), location_longitude: num(loc.longitude), location_name: str(loc.name),
      location_address: str(loc.address), location_url: str(loc.url),
    });
  }
  if (m.contacts !== undefined) row.contacts_json = json(m.contacts);
  const inter = obj(m.interactive);
  if (inter) {
    const itype = str(inter.type);
    const reply = obj(inter[itype]) ?? {};
    Object.assign(row, {
      interactive_type: itype, interactive_id: str(reply.id), interactive_title: str(reply.title),
      interactive_description: str(reply.description), flow_name: itype === 'nfm_reply' ? str(reply.name) : '',
      flow_response_json: itype === 'nfm_reply' ? str(reply.response_json) : '',
    });
    if (itype === 'nfm_reply' && !row.text_body) row.text_body = str(reply.body);
  }
  const button = obj(m.button);
  if (button) Object.assign(row, { button_payload: str(button.payload), button_text: str(button.text) });
  const reaction = obj(m.reaction);
  if (reaction) Object.assign(row, { reaction_message_id: str(reaction.message_id), reaction_emoji: str(reaction.emoji) });
  const order = obj(m.order);
  if (order) {
    Object.assign(row, { order_catalog_id: str(order.catalog_id), order_text: str(order.text), order_items_json: json(order.product_items) });
  }
  const ref = obj(m.referral);
  if (ref) {
    Object.assign(row, {
      referral_source_url: str(ref.source_url), referral_source_id: str(ref.source_id), referral_source_type: str(ref.source_type),
      referral_headline: str(ref.headline), referral_body: str(ref.body), referral_media_type: str(ref.media_type),
      referral_ctwa_clid: str(ref.ctwa_clid),
    });
  }
  const context = obj(m.context);
  if (context) {
    Object.assign(row, {
      context_from: str(context.from), context_id: str(context.id), context_forwarded: context.forwarded === true,
      context_frequently_forwarded: context.frequently_forwarded === true,
      context_referred_product_json: context.referred_product === undefined ? '' : json(context.referred_product),
    });
  }
  const system = obj(m.system);
  if (system) {
    Object.assign(row, { system_type: str(system.type), system_body: str(system.body), system_new_wa_id: phoneDigits(str(system.wa_id ?? system.new_wa_id)) });
    subject(ctx, row.system_new_wa_id);
  }
  const unsupported = obj(m.unsupported);
  if (unsupported) row.unsupported_type = str(unsupported.type);
  if (m.errors !== undefined) row.errors_json = json(m.errors);
  if (!row.known_type) unknown(ctx, 'message_type', type, path, raw);
  ctx.rows.messages.push(row);
}

function status(ctx: Ctx, waba: string, md: ReturnType<typeof metadata>, s: Obj | undefined, path: string, raw: unknown): void {
  if (!s) return unknown(ctx, 'item', 'status', path, raw);
  ctx.items++;
  const conversation = obj(s.conversation);
  const pricing = obj(s.pricing);
  const errors = arr(s.errors);
  const first = obj(errors[0]);
  const value = str(s.status);
  const row = {
    ...STATUS, ...base(ctx), ...md, waba_id: waba, wamid: str(s.id), status: value,
    ts: unixMs(s.timestamp) ?? ctx.received_at, recipient_id: phoneDigits(str(s.recipient_id)), recipient_user_id: str(s.recipient_user_id),
    recipient_type: str(s.recipient_type), recipient_participant_id: phoneDigits(str(s.recipient_participant_id)),
    biz_opaque_callback_data: str(s.biz_opaque_callback_data),
    conversation_id: str(conversation?.id), conversation_origin_type: str(obj(conversation?.origin)?.type),
    conversation_expiration: unixMs(conversation?.expiration_timestamp),
    pricing_billable: bool(pricing?.billable), pricing_model: str(pricing?.pricing_model),
    pricing_category: str(pricing?.category), pricing_type: str(pricing?.type),
    error_code: first ? num(first.code) : null, error_title: str(first?.title),
    error_details: str(obj(first?.error_data)?.details), errors_json: errors.length ? json(errors) : '',
    known_status: KNOWN_STATUSES.has(value), raw_json: json(raw),
  };
  // The column is Int32: a code outside it would be stored wrapped (99999999999 as 1215752191).
  // Such a code is no code Meta documents; the exact value stays in errors_json and raw_json.
  if (row.error_code !== null && !(Number.isInteger(row.error_code) && Math.abs(row.error_code) < 2 ** 31)) row.error_code = null;
  // In a group the recipient is the group; the person is the participant.
  subject(ctx, row.recipient_id, row.recipient_user_id, row.recipient_participant_id);
  if (!row.known_status) unknown(ctx, 'status', value, path, raw);
  ctx.rows.statuses.push(row);
}

function valueError(ctx: Ctx, waba: string, phone: string, field: string, e: Obj | undefined, path: string, raw: unknown): void {
  ctx.items++;
  const code = num(e?.code);
  // An error text may quote a number (`… to +55 11 …`): that person is named by it.
  const ids = idsInError(e);
  subject(ctx, ...ids);
  ctx.rows.errors.push({
    ...WEBHOOK_ERROR, ...base(ctx), waba_id: waba, phone_number_id: phone, field,
    code: code !== null && Number.isInteger(code) && Math.abs(code) < 2 ** 31 ? code : null,
    title: str(e?.title), message: str(e?.message), details: str(obj(e?.error_data)?.details), raw_json: json(raw), item_path: path, subject_ids: ids,
  });
}

function echoes(ctx: Ctx, waba: string, value: Obj, path: string): void {
  const md = metadata(value);
  arr(value.message_echoes).forEach((m, i) => {
    const echo = obj(m);
    if (!echo) return unknown(ctx, 'item', 'message_echo', `${path}.value.message_echoes[${i}]`, m);
    ctx.items++;
    const type = str(echo.type);
    const media = obj(echo[type]);
    const row = {
      ...MESSAGE_ECHO, ...base(ctx), ...md, waba_id: waba, wamid: str(echo.id), from_number: phoneDigits(str(echo.from)),
      to_wa_id: phoneDigits(str(echo.to)), ts: unixMs(echo.timestamp) ?? ctx.received_at, type, text_body: str(obj(echo.text)?.body),
      media_id: type === 'text' ? '' : str(media?.id), media_caption: str(media?.caption), raw_json: json(m),
    };
    subject(ctx, row.to_wa_id);
    ctx.rows.echoes.push(row);
  });
  if (!Array.isArray(value.message_echoes)) unknown(ctx, 'value_key', 'message_echoes', `${path}.value`, value);
}

function preferences(ctx: Ctx, waba: string, value: Obj, path: string): void {
  const md = metadata(value);
  arr(value.user_preferences).forEach((p, i) => {
    const pref = obj(p);
    if (!pref) return unknown(ctx, 'item', 'user_preference', `${path}.value.user_preferences[${i}]`, p);
    ctx.items++;
    const row = {
      ...USER_PREFERENCE, ...base(ctx), waba_id: waba, phone_number_id: md.phone_number_id, wa_id: phoneDigits(str(pref.wa_id)),
      user_id: str(pref.user_id), ts: unixMs(pref.timestamp) ?? ctx.received_at, category: str(pref.category),
      value: str(pref.value), detail: str(pref.detail), raw_json: json(p),
    };
    subject(ctx, row.wa_id, row.user_id);
    ctx.rows.preferences.push(row);
  });
  arr(value.contacts).forEach((c) => {
    const contact = obj(c);
    if (contact) subject(ctx, phoneDigits(str(contact.wa_id)), str(contact.user_id));
  });
  if (!Array.isArray(value.user_preferences)) unknown(ctx, 'value_key', 'user_preferences', `${path}.value`, value);
}

/**
 * Any other field, its value kept as JSON. Coexistence history, contact sync and Calling changes name
 * people item by item: each item (a history thread, a synced contact, a call) is a row of its own,
 * keyed to its people, so one person's export and erasure take theirs and nobody else's. Other
 * fields are keyed to whoever their value names under an id-like key (none for template events).
 */
function management(ctx: Ctx, waba: string, field: string, entryTime: number | null, value: Obj, path: string): void {
  const business = businessNumbers(value);
  const keys = (Object.hasOwn(PERSONAL_ITEM_KEYS, field) ? PERSONAL_ITEM_KEYS[field]! : []).filter((k) => Array.isArray(value[k]) && (value[k] as unknown[]).length > 0);
  const rest: Obj = { ...value };
  for (const k of keys) delete rest[k];
  const contacts = arr(value.contacts);
  for (const k of keys) {
    for (const item of (value[k] as unknown[]).flatMap((x) => splitItem(k, x))) {
      const ids = itemIds(k, item, business);
      const part: Obj = { ...rest, [k]: [item] };
      if (contacts.length > 0) part.contacts = contacts.filter((c) => idsInValue(c, business).some((id) => ids.includes(id)));
      managementRow(ctx, waba, field, entryTime, part, [...new Set([...ids, ...idsInValue(part, business)])]);
    }
  }
  if (keys.length === 0) managementRow(ctx, waba, field, entryTime, value, changeIds(field, value));
  if (!KNOWN_FIELDS.has(field)) unknown(ctx, 'field', field, path, value);
}

function managementRow(ctx: Ctx, waba: string, field: string, entryTime: number | null, value: Obj, ids: string[]): void {
  ctx.items++;
  subject(ctx, ...ids);
  const tier = obj(value.volume_tier_info);
  const valueJson = json(value);
  ctx.rows.management.push({
    ...MANAGEMENT_EVENT, ...base(ctx), waba_id: waba, field, entry_time: entryTime ?? ctx.received_at,
    event: str(value.event), template_id: str(value.message_template_id), template_name: str(value.message_template_name),
    template_language: str(value.message_template_language), reason: str(value.reason ?? value.rejection_reason),
    previous_category: str(value.previous_category ?? value.previous_quality_score),
    new_category: str(value.new_category ?? value.correct_category), quality_score: str(value.new_quality_score),
    phone_number: str(value.display_phone_number), current_limit: str(value.current_limit),
    tier: str(tier?.tier), tier_category: str(tier?.pricing_category), tier_effective_month: str(tier?.effective_month),
    tier_region: str(tier?.region), tier_update_time: unixMs(tier?.tier_update_time),
    known_field: KNOWN_FIELDS.has(field), value_json: valueJson, value_hash: hash64(valueJson), subject_ids: ids,
  });
}

/** First 64 bits of SHA-256 as a decimal string (UInt64 in JSONEachRow). */
function hash64(text: string): string {
  return createHash('sha256').update(text).digest().readBigUInt64BE(0).toString();
}
