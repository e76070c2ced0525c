// Outbound message statuses: when each one happens (the timeline) and the exact `statuses[]` objects.
import type { Rng } from './prng.ts';
import type { Json } from './inbound.ts';

export type StatusName = 'sent' | 'delivered' | 'read' | 'failed';

export interface PlannedStatus {
  status: StatusName;
  ts: number; // unix seconds
  /** This status carries `pricing` (and `conversation` when there is one). */
  priced: boolean;
}

export type FailMode =
  | { kind: 'none' }
  | { kind: 'immediate'; code: number } // refused: only a `failed` status
  | { kind: 'after_sent'; code: number }; // `sent`, then `failed` (the message is revoked)

export interface Recipient {
  receiptsOff: boolean;
  oftenOffline: boolean;
}

/**
 * Timeline of one outbound message decided at T. The message's own time is always T: its `sent`
 * status, or when `sent` is missing, its first delivered/read status.
 */
export function planStatuses(r: Rng, T: number, fail: FailMode, who: Recipient, engaged: boolean): PlannedStatus[] {
  if (fail.kind === 'immediate') return [{ status: 'failed', ts: T, priced: false }];
  if (fail.kind === 'after_sent') {
    return [
      { status: 'sent', ts: T, priced: true },
      { status: 'failed', ts: T + r.range(2, 900), priced: false },
    ];
  }
  if (r.chance(0.004)) return [{ status: 'sent', ts: T, priced: true }]; // phone gone: never delivered
  const sentMissing = r.chance(0.02);
  const offline = (who.oftenOffline && r.chance(0.5)) || r.chance(0.03);
  const deliverDelay = sentMissing ? 0 : offline ? Math.round(r.uniform(300, 43_200)) : Math.min(30, Math.round(r.lognormal(2, 0.6)));
  const delivered = T + deliverDelay;
  const reads = !who.receiptsOff && r.chance(engaged ? 0.9 : 0.6);
  // Reading with the chat open: `read` at the delivery second and Meta skips `delivered`.
  const atOnce = reads && engaged && !offline && r.chance(0.25);
  const readAt = atOnce ? delivered : delivered + Math.max(1, Math.round(engaged ? r.lognormal(25, 1.2) : r.lognormal(5400, 1.3)));
  const out: PlannedStatus[] = [];
  if (!sentMissing) out.push({ status: 'sent', ts: T, priced: true });
  if (!atOnce) out.push({ status: 'delivered', ts: delivered, priced: true });
  if (reads) out.push({ status: 'read', ts: Math.min(readAt, delivered + 3 * 86_400), priced: atOnce });
  return out;
}

export const ERRORS: Record<number, { title: string; details: string }> = {
  131047: { title: 'Re-engagement message', details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' },
  131050: { title: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.', details: 'The recipient has stopped marketing messages from this business.' },
  131026: { title: 'Message undeliverable', details: 'Message Undeliverable.' },
  131049: { title: 'This message was not delivered to maintain healthy ecosystem engagement.', details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.' },
};

export interface StatusExtras {
  conversation?: { id: string; origin: string; expiration: number } | undefined;
  pricing?: Json | undefined;
  tag?: string | undefined;
  errorCode?: number | undefined;
}

export function statusObject(wamid: string, s: PlannedStatus, recipient: string, x: StatusExtras): Json {
  const o: Json = { id: wamid, status: s.status, timestamp: String(s.ts), recipient_id: recipient };
  if (s.priced && x.conversation) {
    const c: Json = { id: x.conversation.id };
    if (s.status === 'sent') c.expiration_timestamp = String(x.conversation.expiration);
    c.origin = { type: x.conversation.origin };
    o.conversation = c;
  }
  if (s.priced && x.pricing) o.pricing = x.pricing;
  if (x.tag !== undefined && s.status !== 'failed') o.biz_opaque_callback_data = x.tag;
  if (s.status === 'failed' && x.errorCode !== undefined) {
    const e = ERRORS[x.errorCode]!;
    o.errors = [{
      code: x.errorCode,
      title: e.title,
      message: e.title,
      error_data: { details: e.details },
      href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
    }];
  }
  return o;
}
