/**
 * Portability (R6; GDPR Art. 20; LGPD Art. 18 V): the data the subject provided — messages they
 * sent, their profile, their marketing choices — in a structured JSON document with a published
 * JSON Schema, so another controller can read it. Delivery statuses and other observed metadata
 * stay in the access export. Pure.
 */

export const PORTABILITY_FORMAT = 'wa-analytics.portability/1';

export const PORTABILITY_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:wa-analytics:portability:1',
  title: 'WhatsApp data provided by the data subject',
  type: 'object',
  required: ['format', 'generated_at', 'subject', 'profile', 'messages', 'preferences'],
  additionalProperties: false,
  properties: {
    format: { const: PORTABILITY_FORMAT },
    generated_at: { type: 'string', format: 'date-time' },
    subject: {
      type: 'object',
      required: ['identifiers'],
      additionalProperties: false,
      properties: { identifiers: { type: 'array', items: { type: 'string' } } },
    },
    profile: {
      type: 'array',
      items: {
        type: 'object',
        required: ['wa_id', 'user_id', 'profile_name', 'username', 'seen_at'],
        additionalProperties: false,
        properties: {
          wa_id: { type: 'string' }, user_id: { type: 'string' }, profile_name: { type: 'string' }, username: { type: 'string' }, seen_at: { type: 'string' },
        },
      },
    },
    messages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['message_id', 'sent_at', 'to_business_number', 'type'],
        additionalProperties: false,
        properties: {
          message_id: { type: 'string' },
          sent_at: { type: 'string' },
          to_business_number: { type: 'string' },
          type: { type: 'string' },
          text: { type: 'string' },
          caption: { type: 'string' },
          media: {
            type: 'object',
            additionalProperties: false,
            properties: { id: { type: 'string' }, mime_type: { type: 'string' }, sha256: { type: 'string' }, filename: { type: 'string' } },
          },
          location: {
            type: 'object',
            additionalProperties: false,
            properties: { latitude: { type: ['number', 'null'] }, longitude: { type: ['number', 'null'] }, name: { type: 'string' }, address: { type: 'string' } },
          },
          reply: { type: 'object', additionalProperties: false, properties: { id: { type: 'string' }, title: { type: 'string' } } },
          reaction: { type: 'object', additionalProperties: false, properties: { message_id: { type: 'string' }, emoji: { type: 'string' } } },
          shared_contacts: {},
          order: {},
          in_reply_to: { type: 'string' },
        },
      },
    },
    preferences: {
      type: 'array',
      items: {
        type: 'object',
        required: ['at', 'source', 'action', 'scope'],
        additionalProperties: false,
        properties: { at: { type: 'string' }, source: { type: 'string' }, action: { type: 'string' }, scope: { type: 'string' } },
      },
    },
  },
} as const;

type Row = Record<string, unknown>;
const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
const json = (v: unknown): unknown => {
  try {
    return v ? JSON.parse(String(v)) : undefined;
  } catch {
    return String(v);
  }
};

function message(r: Row): Row {
  const m: Row = { message_id: s(r.wamid), sent_at: s(r.ts), to_business_number: s(r.display_phone_number), type: s(r.type) };
  if (s(r.text_body)) m.text = s(r.text_body);
  if (s(r.media_caption)) m.caption = s(r.media_caption);
  if (s(r.media_id)) m.media = { id: s(r.media_id), mime_type: s(r.media_mime_type), sha256: s(r.media_sha256), filename: s(r.media_filename) };
  if (r.location_latitude !== null && r.location_latitude !== undefined) {
    m.location = { latitude: num(r.location_latitude), longitude: num(r.location_longitude), name: s(r.location_name), address: s(r.location_address) };
  }
  if (s(r.interactive_id) || s(r.button_text)) m.reply = { id: s(r.interactive_id) || s(r.button_payload), title: s(r.interactive_title) || s(r.button_text) };
  if (s(r.reaction_message_id)) m.reaction = { message_id: s(r.reaction_message_id), emoji: s(r.reaction_emoji) };
  if (s(r.contacts_json)) m.shared_contacts = json(r.contacts_json);
  if (s(r.order_items_json)) m.order = { catalog_id: s(r.order_catalog_id), text: s(r.order_text), items: json(r.order_items_json) };
  if (s(r.context_id)) m.in_reply_to = s(r.context_id);
  return m;
}

export interface PortabilityInput {
  identifiers: string[];
  generatedAt: Date;
  messages: Row[];
  contacts: Row[];
  preferences: Row[];
  consents: Row[];
}

export function portabilityDocument(p: PortabilityInput) {
  return {
    format: PORTABILITY_FORMAT,
    generated_at: p.generatedAt.toISOString(),
    subject: { identifiers: p.identifiers },
    profile: p.contacts.map((c) => ({ wa_id: s(c.wa_id), user_id: s(c.user_id), profile_name: s(c.profile_name), username: s(c.username), seen_at: s(c.seen_at) })),
    messages: [...p.messages].sort((a, b) => s(a.ts).localeCompare(s(b.ts))).map(message),
    preferences: [
      ...p.preferences.map((x) => ({ at: s(x.ts), source: 'whatsapp_user_preferences', action: s(x.value), scope: s(x.category) })),
      ...p.consents.map((x) => ({ at: s(x.captured_at), source: s(x.source_channel), action: s(x.action), scope: s(x.scope_category) })),
    ].sort((a, b) => a.at.localeCompare(b.at)),
  };
}
