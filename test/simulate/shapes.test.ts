import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { run } from './fixture.ts';

// Only the documented Cloud API shapes (docs/TRUTH.md, reference §2–5); any extra key fails.
const digits = z.string().regex(/^\d+$/);
const wamid = z.string().regex(/^wamid\.[A-Za-z0-9+/=]+$/);
const ts = digits;
const metadata = z.strictObject({ display_phone_number: digits, phone_number_id: digits });
const contact = z.strictObject({ profile: z.strictObject({ name: z.string().min(1) }), wa_id: digits });
const replyContext = z.strictObject({ from: digits, id: wamid });
const base = { from: digits, id: wamid, timestamp: ts };
const media = (extra: z.ZodRawShape) => z.strictObject({ mime_type: z.string(), sha256: z.string(), id: digits, url: z.string().url().optional(), ...extra });
const referral = z.strictObject({
  source_url: z.string().url(), source_id: digits, source_type: z.enum(['ad', 'post']), body: z.string(), headline: z.string(),
  media_type: z.enum(['image', 'video']), image_url: z.string().url().optional(), video_url: z.string().url().optional(),
  thumbnail_url: z.string().url().optional(), ctwa_clid: z.string(),
});

const message = z.discriminatedUnion('type', [
  // A text may reply to a business message (a survey's comment): Meta adds the quoted message as context.
  z.strictObject({ ...base, type: z.literal('text'), text: z.strictObject({ body: z.string().min(1) }), referral: referral.optional(), context: replyContext.optional() }),
  z.strictObject({ ...base, type: z.literal('image'), image: media({ caption: z.string().optional() }), context: z.strictObject({ forwarded: z.literal(true) }).optional() }),
  z.strictObject({ ...base, type: z.literal('video'), video: media({ caption: z.string().optional() }) }),
  z.strictObject({ ...base, type: z.literal('audio'), audio: media({ voice: z.boolean() }) }),
  z.strictObject({ ...base, type: z.literal('document'), document: media({ caption: z.string().optional(), filename: z.string() }) }),
  z.strictObject({ ...base, type: z.literal('sticker'), sticker: media({ animated: z.boolean() }) }),
  z.strictObject({ ...base, type: z.literal('location'), location: z.strictObject({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional() }) }),
  z.strictObject({
    ...base, type: z.literal('contacts'),
    contacts: z.array(z.strictObject({
      name: z.strictObject({ formatted_name: z.string(), first_name: z.string().optional(), last_name: z.string().optional() }),
      phones: z.array(z.strictObject({ phone: z.string(), wa_id: digits, type: z.string() })),
    })),
  }),
  z.strictObject({
    ...base, type: z.literal('interactive'), context: replyContext,
    interactive: z.union([
      z.strictObject({ type: z.literal('button_reply'), button_reply: z.strictObject({ id: z.string(), title: z.string() }) }),
      z.strictObject({ type: z.literal('list_reply'), list_reply: z.strictObject({ id: z.string(), title: z.string(), description: z.string().optional() }) }),
    ]),
  }),
  z.strictObject({ ...base, type: z.literal('button'), context: replyContext, button: z.strictObject({ payload: z.string(), text: z.string() }) }),
  z.strictObject({ ...base, type: z.literal('reaction'), reaction: z.strictObject({ message_id: wamid, emoji: z.string().optional() }) }),
  z.strictObject({
    ...base, type: z.literal('order'),
    order: z.strictObject({ catalog_id: digits, text: z.string().optional(), product_items: z.array(z.strictObject({ product_retailer_id: z.string(), quantity: z.number().int(), item_price: z.number(), currency: z.string() })) }),
  }),
  z.strictObject({ ...base, type: z.literal('system'), system: z.strictObject({ body: z.string(), wa_id: digits, type: z.literal('user_changed_number') }) }),
  z.strictObject({
    ...base, type: z.literal('unsupported'), unsupported: z.strictObject({ type: z.string() }),
    errors: z.array(z.strictObject({ code: z.number().int(), title: z.string(), message: z.string(), error_data: z.strictObject({ details: z.string() }) })),
  }),
]);

const CBP_CATEGORIES = ['user_initiated', 'business_initiated', 'referral_conversion', 'marketing', 'utility', 'authentication', 'authentication-international', 'service'] as const;
const pricing = z.union([
  z.strictObject({ billable: z.boolean(), pricing_model: z.literal('CBP'), category: z.enum(CBP_CATEGORIES) }),
  z.strictObject({
    billable: z.boolean(), pricing_model: z.literal('PMP'),
    category: z.enum(['marketing', 'utility', 'authentication', 'authentication-international', 'service', 'referral_conversion']),
    type: z.enum(['regular', 'free_customer_service', 'free_entry_point']),
  }),
]);
const status = z.strictObject({
  id: wamid, status: z.enum(['sent', 'delivered', 'read', 'failed']), timestamp: ts, recipient_id: digits,
  conversation: z.strictObject({
    id: z.string().regex(/^[0-9a-f]{32}$/), expiration_timestamp: ts.optional(),
    origin: z.strictObject({ type: z.enum([...CBP_CATEGORIES.filter((c) => c !== 'authentication-international'), 'authentication_international']) }),
  }).optional(),
  pricing: pricing.optional(),
  biz_opaque_callback_data: z.string().regex(/^v1;src=[hbacn];ag=[^;]+;tm=[^;]+(;(tp|tl|cp|lb|cs)=[^;]+)*$/).optional(),
  errors: z.array(z.strictObject({ code: z.union([z.literal(131047), z.literal(131049), z.literal(131050), z.literal(131026)]), title: z.string(), message: z.string(), error_data: z.strictObject({ details: z.string() }), href: z.string().url() })).optional(),
}).refine((s) => (s.errors !== undefined) === (s.status === 'failed'), 'errors exactly on failed')
  .refine((s) => s.conversation?.expiration_timestamp === undefined || s.status === 'sent', 'expiration only on sent')
  .refine((s) => (s.conversation === undefined) || s.pricing !== undefined, 'conversation comes with pricing');

const messagesValue = z.strictObject({
  messaging_product: z.literal('whatsapp'), metadata,
  contacts: z.array(contact).optional(), messages: z.array(message).optional(), statuses: z.array(status).optional(),
}).refine((v) => (v.messages === undefined) !== (v.statuses === undefined), 'messages or statuses')
  .refine((v) => v.statuses === undefined || v.contacts === undefined, 'statuses carry no contacts');

const change = z.discriminatedUnion('field', [
  z.strictObject({ field: z.literal('messages'), value: messagesValue }),
  z.strictObject({
    field: z.literal('smb_message_echoes'),
    value: z.strictObject({
      messaging_product: z.literal('whatsapp'), metadata,
      message_echoes: z.array(z.strictObject({ from: digits, to: digits, id: wamid, timestamp: ts, type: z.literal('text'), text: z.strictObject({ body: z.string() }) })),
    }),
  }),
  z.strictObject({
    field: z.literal('user_preferences'),
    value: z.strictObject({
      messaging_product: z.literal('whatsapp'), metadata, contacts: z.array(contact),
      user_preferences: z.array(z.strictObject({ wa_id: digits, detail: z.string(), category: z.literal('marketing_messages'), value: z.enum(['stop', 'resume']), timestamp: z.number().int() })),
    }),
  }),
  z.strictObject({
    field: z.literal('message_template_status_update'),
    value: z.strictObject({
      event: z.enum(['APPROVED', 'REJECTED', 'PAUSED', 'REINSTATED', 'DISABLED']), message_template_id: z.number().int(), message_template_name: z.string(),
      message_template_language: z.string(), reason: z.string(), message_template_category: z.string(),
      other_info: z.strictObject({ title: z.string(), description: z.string() }).optional(),
      disable_info: z.strictObject({ disable_date: z.string() }).optional(),
    }),
  }),
  z.strictObject({
    field: z.literal('message_template_quality_update'),
    value: z.strictObject({ previous_quality_score: z.string(), new_quality_score: z.string(), message_template_id: z.number().int(), message_template_name: z.string(), message_template_language: z.string() }),
  }),
  z.strictObject({
    field: z.literal('template_category_update'),
    value: z.strictObject({
      message_template_id: z.number().int(), message_template_name: z.string(), message_template_language: z.string(),
      correct_category: z.string().optional(), new_category: z.string(), category_update_timestamp: z.number().int().optional(), previous_category: z.string().optional(),
    }),
  }),
  z.strictObject({
    field: z.literal('phone_number_quality_update'),
    value: z.strictObject({ display_phone_number: digits, event: z.string(), old_limit: z.string().optional(), current_limit: z.string(), max_daily_conversations_per_business: z.string() }),
  }),
  z.strictObject({
    field: z.literal('account_update'),
    value: z.strictObject({
      event: z.literal('VOLUME_BASED_PRICING_TIER_UPDATE'),
      volume_tier_info: z.strictObject({ tier_update_time: z.number().int(), pricing_category: z.string(), tier: z.string().regex(/^\d+:(\d+|MAX)$/), effective_month: z.string().regex(/^\d{4}-\d\d$/), region: z.string() }),
    }),
  }),
]);

const MANAGEMENT = new Set(['message_template_status_update', 'message_template_quality_update', 'template_category_update', 'phone_number_quality_update', 'account_update']);
const envelope = z.strictObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.strictObject({ id: digits, time: z.number().int().optional(), changes: z.array(change).min(1) })
    .refine((e) => (e.time !== undefined) === e.changes.every((c) => MANAGEMENT.has(c.field)), 'entry.time on management fields only')).min(1),
});

describe('every body has only the documented shapes', () => {
  const r = run({ seed: 'shapes', start: '2025-10-20', days: 25, scale: 20 });

  it('validates against the Cloud API schemas', () => {
    let bad = 0;
    for (const body of r.bodies) {
      const res = envelope.safeParse(JSON.parse(body));
      if (!res.success && bad++ < 3) expect({ body, issues: res.error.issues.slice(0, 3) }).toBe('valid');
    }
    expect(bad).toBe(0);
  });

  it('contains every message type, status and management field', () => {
    const types = new Set<string>();
    const statuses = new Set<string>();
    const fields = new Set<string>();
    const interactive = new Set<string>();
    for (const body of r.bodies) {
      for (const e of JSON.parse(body).entry) for (const c of e.changes) {
        fields.add(c.field);
        for (const m of c.value.messages ?? []) {
          types.add(m.type);
          if (m.type === 'interactive') interactive.add(m.interactive.type);
        }
        for (const s of c.value.statuses ?? []) statuses.add(s.status);
      }
    }
    expect([...types].sort()).toEqual(['audio', 'button', 'contacts', 'document', 'image', 'interactive', 'location', 'order', 'reaction', 'sticker', 'system', 'text', 'unsupported', 'video']);
    expect([...interactive].sort()).toEqual(['button_reply', 'list_reply']);
    expect([...statuses].sort()).toEqual(['delivered', 'failed', 'read', 'sent']);
    expect([...fields].sort()).toEqual([
      'account_update', 'message_template_quality_update', 'message_template_status_update', 'messages', 'phone_number_quality_update',
      'smb_message_echoes', 'template_category_update', 'user_preferences',
    ]);
  });

  it("shows Meta's delivery habits: batches, duplicates, out-of-order statuses, escaped unicode", () => {
    const parsed = r.postings.map((p) => JSON.parse(p.body));
    expect(parsed.some((b) => b.entry.length > 1)).toBe(true);
    expect(parsed.some((b) => b.entry.some((e: any) => e.changes.length > 1))).toBe(true);
    expect(parsed.some((b) => b.entry.some((e: any) => e.changes.some((c: any) => (c.value.statuses?.length ?? 0) > 1)))).toBe(true);
    const dups = r.postings.filter((p) => p.duplicate);
    expect(dups.length).toBeGreaterThan(0);
    const earlier = new Set(r.postings.filter((p) => !p.duplicate).map((p) => p.body));
    for (const d of dups) expect(earlier.has(d.body)).toBe(true);
    expect(r.bodies.some((b) => /\\u[0-9a-f]{4}/.test(b))).toBe(true);
    // eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL
    expect(r.bodies.some((b) => /[^\x00-\x7f]/.test(b))).toBe(true);
    for (let i = 1; i < r.postings.length; i++) expect(r.postings[i]!.at.getTime()).toBeGreaterThanOrEqual(r.postings[i - 1]!.at.getTime());
    // A `sent` posted after the `delivered` of the same message.
    const seen = new Map<string, string[]>();
    for (const b of parsed) for (const e of b.entry) for (const c of e.changes) for (const s of c.value.statuses ?? []) seen.set(s.id, [...(seen.get(s.id) ?? []), s.status]);
    expect([...seen.values()].some((l) => l.indexOf('delivered') >= 0 && l.indexOf('sent') > l.indexOf('delivered'))).toBe(true);
    expect([...seen.values()].some((l) => l.includes('read') && !l.includes('delivered'))).toBe(true);
    expect([...seen.values()].some((l) => l.includes('sent') && l.includes('failed'))).toBe(true);
  });

  it('covers every market, including +1 809 and +1 415', () => {
    const ids = new Set<string>();
    for (const body of r.bodies) for (const e of JSON.parse(body).entry) for (const c of e.changes) for (const ct of c.value.contacts ?? []) ids.add(ct.wa_id);
    for (const prefix of ['55', '91', '62', '52', '44', '49', '234', '1415', '1809']) {
      expect([...ids].some((id) => id.startsWith(prefix)), prefix).toBe(true);
    }
  });
});
