import { envelope } from '../fixtures/meta.ts';

/**
 * Meta-shaped webhook bodies for the template reports: statuses with the sender's tag and pricing,
 * customer messages (quoting a message, a quick-reply button, text), a `user_preferences` stop and
 * the template webhooks. Times are ISO instants, sent as Meta's Unix-seconds strings.
 */

const unix = (iso: string) => String(Math.floor(Date.parse(iso) / 1000));

export const TAG = (tp: string, tl: string, cp = '') => `v1;src=c;ag=crm;tm=growth;tp=${tp};tl=${tl}${cp ? `;cp=${cp}` : ''}`;

export interface Pricing {
  category: string;
  type?: string;
}

export interface Step {
  status: 'sent' | 'delivered' | 'read' | 'failed';
  at: string;
  priced?: boolean;
  errorCode?: number;
}

/** One outbound message: its statuses in order, each with the tag; pricing where `priced`. */
export function send(wamid: string, to: string, tag: string | null, pricing: Pricing | null, steps: Step[]): Array<Record<string, unknown>> {
  return steps.map((s) => ({
    id: wamid,
    status: s.status,
    timestamp: unix(s.at),
    recipient_id: to,
    ...(tag ? { biz_opaque_callback_data: tag } : {}),
    ...(s.priced && pricing ? { pricing: { billable: (pricing.type ?? 'regular') === 'regular', pricing_model: 'PMP', category: pricing.category, type: pricing.type ?? 'regular' } } : {}),
    ...(s.status === 'failed' ? { errors: [{ code: s.errorCode ?? 131026, title: 'failed', message: 'failed', error_data: { details: 'failed' } }] } : {}),
  }));
}

/** A delivered (and priced) message: sent and delivered. */
export const delivered = (wamid: string, to: string, tag: string | null, category: string, at: string) =>
  send(wamid, to, tag, { category }, [
    { status: 'sent', at, priced: true },
    { status: 'delivered', at: new Date(Date.parse(at) + 5000).toISOString(), priced: true },
  ]);

export function statusesBody(waba: string, phone: string, statuses: Array<Record<string, unknown>>): string {
  return JSON.stringify(envelope([{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: phone }, statuses } }], waba));
}

export function customerBody(waba: string, phone: string, from: string, wamid: string, at: string, message: Record<string, unknown>): string {
  return JSON.stringify(
    envelope(
      [{
        field: 'messages',
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550001111', phone_number_id: phone },
          contacts: [{ profile: { name: 'Cliente' }, wa_id: from }],
          messages: [{ from, id: wamid, timestamp: unix(at), ...message }],
        },
      }],
      waba,
    ),
  );
}

export const text = (body: string, quoting?: string) => ({ type: 'text', text: { body }, ...(quoting ? { context: { from: '15550001111', id: quoting } } : {}) });
export const button = (quoting: string) => ({ type: 'button', button: { payload: 'MORE', text: 'Quero saber mais' }, context: { from: '15550001111', id: quoting } });

export function preferenceBody(waba: string, phone: string, waId: string, at: string, value: 'stop' | 'resume'): string {
  return JSON.stringify(
    envelope(
      [{
        field: 'user_preferences',
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550001111', phone_number_id: phone },
          contacts: [{ profile: { name: 'Cliente' }, wa_id: waId }],
          user_preferences: [{ wa_id: waId, detail: 'User requested to stop marketing messages', category: 'marketing_messages', value, timestamp: Number(unix(at)) }],
        },
      }],
      waba,
    ),
  );
}

export function templateEventBody(waba: string, at: string, field: string, value: Record<string, unknown>): string {
  return JSON.stringify(envelope([{ field, value }], waba, Number(unix(at))));
}
