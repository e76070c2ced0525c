// Inbound `messages[]` objects in the Cloud API shapes, one builder per type.
import type { IdFactory } from './ids.ts';
import type { Rng } from './prng.ts';
import type { CountryCode } from './people.ts';
import { phoneNumber, profileName } from './people.ts';
import { CAPTIONS, FILENAMES } from './texts.ts';

export type Json = { [k: string]: unknown };

export interface Context {
  from: string;
  id: string;
}

/** Media objects get a lookaside `url` once Meta started sending one. */
const MEDIA_URL_FROM = Date.parse('2025-11-12T00:00:00Z') / 1000;

function head(from: string, id: string, ts: number, type: string, extra?: Json): Json {
  return { from, id, timestamp: String(ts), type, ...extra };
}

export function text(from: string, id: string, ts: number, body: string, extra?: Json): Json {
  return { ...head(from, id, ts, 'text', extra), text: { body } };
}

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

export function media(kind: MediaKind, from: string, id: string, ts: number, ids: IdFactory, r: Rng, extra?: Json): Json {
  const mediaId = ids.mediaId();
  const o: Json = {};
  const caption = r.pick(CAPTIONS);
  if (kind === 'image') Object.assign(o, caption ? { caption } : {}, { mime_type: 'image/jpeg' });
  if (kind === 'video') Object.assign(o, caption ? { caption } : {}, { mime_type: 'video/mp4' });
  if (kind === 'audio') Object.assign(o, { mime_type: 'audio/ogg; codecs=opus' });
  if (kind === 'document') Object.assign(o, caption ? { caption } : {}, { filename: r.pick(FILENAMES), mime_type: 'application/pdf' });
  if (kind === 'sticker') Object.assign(o, { mime_type: 'image/webp' });
  o.sha256 = ids.sha256b64();
  o.id = mediaId;
  if (ts >= MEDIA_URL_FROM) o.url = `https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=${mediaId}&ext=${ts}&hash=${r.b64url(22)}`;
  if (kind === 'audio') o.voice = r.chance(0.9);
  if (kind === 'sticker') o.animated = r.chance(0.2);
  return { ...head(from, id, ts, kind, extra), [kind]: o };
}

const PLACES: Partial<Record<CountryCode, [number, number, string, string]>> = {
  BR: [-23.5614, -46.6559, 'Av. Paulista', 'Av. Paulista, 1578 - Bela Vista, São Paulo - SP'],
  IN: [12.9716, 77.5946, 'MG Road', 'MG Road, Bengaluru, Karnataka'],
  GB: [51.5079, -0.1281, 'Trafalgar Square', 'Trafalgar Square, London WC2N 5DN'],
  MX: [19.4326, -99.1332, 'Zócalo', 'Plaza de la Constitución, Ciudad de México'],
  DE: [52.5163, 13.3777, 'Brandenburger Tor', 'Pariser Platz, 10117 Berlin'],
  NG: [6.4541, 3.3947, 'Balogun Market', 'Lagos Island, Lagos'],
  ID: [-6.1754, 106.8272, 'Monas', 'Gambir, Jakarta Pusat'],
};

export function location(from: string, id: string, ts: number, country: CountryCode, r: Rng, extra?: Json): Json {
  const [lat, lng, name, address] = PLACES[country] ?? PLACES.BR!;
  const loc: Json = { latitude: +(lat + r.uniform(-0.05, 0.05)).toFixed(6), longitude: +(lng + r.uniform(-0.05, 0.05)).toFixed(6) };
  if (r.chance(0.5)) Object.assign(loc, { name, address });
  return { ...head(from, id, ts, 'location', extra), location: loc };
}

/** A shared contact card: a third person's number (not a customer of the business). */
export function contacts(from: string, id: string, ts: number, country: CountryCode, r: Rng): Json {
  const name = profileName(r, country);
  const num = phoneNumber(r, country);
  const [first, ...rest] = name.split(' ');
  return {
    ...head(from, id, ts, 'contacts'),
    contacts: [{
      name: { formatted_name: name, first_name: first, ...(rest.length ? { last_name: rest.join(' ') } : {}) },
      phones: [{ phone: '+' + num, wa_id: num, type: 'CELL' }],
    }],
  };
}

export function interactiveReply(from: string, id: string, ts: number, ctx: Context, reply: { kind: 'button_reply' | 'list_reply'; id: string; title: string; description?: string }): Json {
  const payload: Json = { id: reply.id, title: reply.title };
  if (reply.kind === 'list_reply' && reply.description) payload.description = reply.description;
  return { context: { from: ctx.from, id: ctx.id }, ...head(from, id, ts, 'interactive'), interactive: { type: reply.kind, [reply.kind]: payload } };
}

export function button(from: string, id: string, ts: number, ctx: Context, payload: string, label: string): Json {
  return { context: { from: ctx.from, id: ctx.id }, ...head(from, id, ts, 'button'), button: { payload, text: label } };
}

export function reaction(from: string, id: string, ts: number, messageId: string, emoji: string | null): Json {
  return { ...head(from, id, ts, 'reaction'), reaction: emoji === null ? { message_id: messageId } : { message_id: messageId, emoji } };
}

export function order(from: string, id: string, ts: number, currency: string, r: Rng): Json {
  const n = r.range(1, 3);
  const items = Array.from({ length: n }, () => ({
    product_retailer_id: 'SKU-' + r.digits(5),
    quantity: r.range(1, 3),
    item_price: +(r.uniform(9, 400)).toFixed(2),
    currency,
  }));
  const o: Json = { catalog_id: '1938472615504032' };
  if (r.chance(0.4)) o.text = 'Pode entregar amanhã?';
  o.product_items = items;
  return { ...head(from, id, ts, 'order'), order: o };
}

export function userChangedNumber(oldWaId: string, id: string, ts: number, name: string, newWaId: string): Json {
  return {
    ...head(oldWaId, id, ts, 'system'),
    system: { body: `User ${name} changed from ${oldWaId} to ${newWaId}`, wa_id: newWaId, type: 'user_changed_number' },
  };
}

export function unsupported(from: string, id: string, ts: number, r: Rng): Json {
  const code = r.chance(0.8) ? 131051 : 131060;
  const title = code === 131051 ? 'Message type unknown' : 'This message is currently unavailable';
  return {
    ...head(from, id, ts, 'unsupported'),
    errors: [{ code, title, message: title, error_data: { details: code === 131051 ? 'Message type is currently not supported.' : 'Message not available.' } }],
    unsupported: { type: r.pick(['poll_update', 'view_once', 'edit', 'gif', 'event']) },
  };
}

export function referral(ids: IdFactory, r: Rng, headline: string): Json {
  const image = r.chance(0.7);
  return {
    source_url: `https://fb.me/${r.b64url(9)}`,
    source_id: '1202' + r.digits(11),
    source_type: 'ad',
    body: 'Frete grátis só esta semana / Free delivery this week',
    headline,
    media_type: image ? 'image' : 'video',
    ...(image
      ? { image_url: `https://scontent.xx.fbcdn.net/v/t45.1600-4/${r.digits(9)}_n.jpg` }
      : { video_url: `https://video.xx.fbcdn.net/v/t42.1790-2/${r.digits(9)}_n.mp4`, thumbnail_url: `https://scontent.xx.fbcdn.net/v/t15.5256-10/${r.digits(9)}_n.jpg` }),
    ctwa_clid: ids.ctwaClid(),
  };
}
