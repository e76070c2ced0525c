import { DISPLAY, envelope, messagesValue } from '../fixtures/meta.ts';

/**
 * Meta-shaped webhook bodies for SLA scenarios: a customer message, one status of a sent message
 * (with the sender tag and pricing Meta echoes on sent/delivered/read), an echo typed in the
 * WhatsApp Business app. Times are ISO instants, sent as Meta's Unix-seconds strings.
 */

const unix = (iso: string) => String(Date.parse(iso) / 1000);

export function customerMessage(waId: string, wamid: string, iso: string, type = 'text', extra: Record<string, unknown> = {}): string {
  const content = type === 'text' ? { text: { body: 'Olá' } } : type === 'reaction' ? { reaction: { message_id: 'wamid.any', emoji: '👍' } } : type === 'button' ? { button: { payload: 'YES', text: 'Sim' } } : {};
  return JSON.stringify(
    envelope([
      {
        field: 'messages',
        value: messagesValue({
          contacts: [{ profile: { name: 'Cliente' }, wa_id: waId }],
          messages: [{ from: waId, id: wamid, timestamp: unix(iso), type, ...content, ...extra }],
        }),
      },
    ]),
  );
}

export function messageStatus(
  waId: string,
  wamid: string,
  status: 'sent' | 'delivered' | 'read' | 'failed',
  iso: string,
  opts: { tag?: string; category?: string } = {},
): string {
  const priced = opts.category && status !== 'read' && status !== 'failed';
  const item = {
    id: wamid, status, timestamp: unix(iso), recipient_id: waId,
    ...(opts.tag && status !== 'failed' ? { biz_opaque_callback_data: opts.tag } : {}),
    ...(priced ? { pricing: { billable: opts.category !== 'service', pricing_model: 'PMP', category: opts.category, type: opts.category === 'service' ? 'free_customer_service' : 'regular' } } : {}),
    ...(status === 'failed' ? { errors: [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable', error_data: { details: 'x' } }] } : {}),
  };
  return JSON.stringify(envelope([{ field: 'messages', value: messagesValue({ statuses: [item] }) }]));
}

export function businessAppEcho(waId: string, wamid: string, iso: string): string {
  return JSON.stringify(
    envelope([
      {
        field: 'smb_message_echoes',
        value: messagesValue({ message_echoes: [{ from: DISPLAY, to: waId, id: wamid, timestamp: unix(iso), type: 'text', text: { body: 'Oi!' } }] }),
      },
    ]),
  );
}
