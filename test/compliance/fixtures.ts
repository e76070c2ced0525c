/**
 * Hand-built Meta webhook bodies (Cloud API shapes, see the webhooks reference) for the compliance
 * tests. Several people per body where Meta batches them, so erasure and exports must separate them.
 */

export const WABA = '102290129340398';
export const PHONE_ID = '106540352242922';
export const BUSINESS = '15550783881';

const ts = (iso: string) => String(Math.floor(Date.parse(iso) / 1000));

type Obj = Record<string, unknown>;

export function envelope(changes: Obj[]): Obj {
  return { object: 'whatsapp_business_account', entry: [{ id: WABA, changes }] };
}

export interface InboundSpec {
  from: string;
  id: string;
  at: string;
  text?: string;
  name?: string;
  userId?: string;
  button?: string;
}

/** One `messages` change carrying several inbound messages (and their senders' contacts). */
export function inbound(...msgs: InboundSpec[]): Obj {
  return envelope([
    {
      field: 'messages',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: BUSINESS, phone_number_id: PHONE_ID },
        contacts: msgs.map((m) => ({ profile: { name: m.name ?? `Name ${m.from.slice(-4)}` }, wa_id: m.from, ...(m.userId ? { user_id: m.userId } : {}) })),
        messages: msgs.map((m) => ({
          from: m.from,
          ...(m.userId ? { from_user_id: m.userId } : {}),
          id: m.id,
          timestamp: ts(m.at),
          ...(m.button !== undefined
            ? { type: 'button', button: { payload: m.button, text: m.button } }
            : { type: 'text', text: { body: m.text ?? `hello from ${m.from}` } }),
        })),
      },
    },
  ]);
}

export interface StatusSpec {
  to: string;
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  at: string;
  category?: string;
  callback?: string;
  errorCode?: number;
}

/** One `messages` change carrying several statuses of outbound messages. */
export function statuses(...list: StatusSpec[]): Obj {
  return envelope([
    {
      field: 'messages',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: BUSINESS, phone_number_id: PHONE_ID },
        statuses: list.map((s) => ({
          id: s.id,
          status: s.status,
          timestamp: ts(s.at),
          recipient_id: s.to,
          ...(s.callback ? { biz_opaque_callback_data: s.callback } : {}),
          ...(s.category && s.status !== 'failed'
            ? { pricing: { billable: true, pricing_model: 'PMP', category: s.category, type: 'regular' } }
            : {}),
          ...(s.errorCode ? { errors: [{ code: s.errorCode, title: 'error', message: 'error', error_data: { details: 'refused' } }] } : {}),
        })),
      },
    },
  ]);
}

export function preference(waId: string, value: 'stop' | 'resume', at: string): Obj {
  return envelope([
    {
      field: 'user_preferences',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: BUSINESS, phone_number_id: PHONE_ID },
        contacts: [{ wa_id: waId, profile: { name: `Name ${waId.slice(-4)}` } }],
        user_preferences: [{ wa_id: waId, detail: 'User requested to stop marketing messages', category: 'marketing_messages', value, timestamp: ts(at) }],
      },
    },
  ]);
}

export function echo(to: string, id: string, at: string, text: string): Obj {
  return envelope([
    {
      field: 'smb_message_echoes',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: BUSINESS, phone_number_id: PHONE_ID },
        message_echoes: [{ from: BUSINESS, to, id, timestamp: ts(at), type: 'text', text: { body: text } }],
      },
    },
  ]);
}

export function templateEvent(at: string): Obj {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: WABA, time: Math.floor(Date.parse(at) / 1000), changes: [{ field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 1234, message_template_name: 'promo', message_template_language: 'pt_BR', reason: 'NONE' } }] }],
  };
}
