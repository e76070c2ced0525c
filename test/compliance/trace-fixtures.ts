import { BUSINESS, PHONE_ID, WABA, envelope } from './fixtures.ts';

/**
 * Webhooks that name a person outside the fields of ordinary messages and statuses, each naming
 * Dora (and, where Meta batches people, Eli too), in the shapes of Meta's references: Coexistence
 * `history` and `smb_app_state_sync`, Calling `calls`, group statuses, errors quoting a number, a
 * body that is not JSON, fields not yet known, and an echo whose `to` is written with a plus sign.
 */

export const DORA = '5511987650011';
export const DORA_WRITTEN = '+55 11 98765-0011';
export const DORA_NAME = 'Dora Alves';
export const ELI = '5511987650022';
export const ELI_NAME = 'Eli Nunes';
const GROUP = '120363040000000001';

const ts = (iso: string) => String(Math.floor(Date.parse(iso) / 1000));
const metadata = { display_phone_number: BUSINESS, phone_number_id: PHONE_ID };

/** Texts only Dora's records hold: none may survive her erasure. */
export const DORA_TEXTS = [
  'Preciso trocar o tamanho da blusa', 'Sua troca foi aprovada', 'Quero cancelar meu pedido', 'Dora prefere entrega pela manha',
  'Cliente pediu retorno em 5511987650011', 'Retornar a Dora no +55 11 98765-0011 amanha',
];
/** Texts only Eli's records hold: they must stay. */
export const ELI_TEXTS = ['Chegou certinho, obrigado', 'Eli Nunes'];

export const TRACE_BODIES = {
  history: envelope([{
    field: 'history',
    value: {
      messaging_product: 'whatsapp', metadata,
      history: [{
        metadata: { phase: 0, chunk_order: 1, progress: 100 },
        threads: [
          { id: DORA, messages: [
            { from: DORA, id: 'wamid.H1', timestamp: ts('2026-10-20T10:00:00Z'), type: 'text', text: { body: DORA_TEXTS[0] }, history_context: { status: 'READ' } },
            { from: BUSINESS, to: DORA, id: 'wamid.H2', timestamp: ts('2026-10-20T10:05:00Z'), type: 'text', text: { body: 'Claro, qual tamanho?' }, history_context: { status: 'READ' } },
          ] },
          { id: ELI, messages: [
            { from: ELI, id: 'wamid.H3', timestamp: ts('2026-10-21T09:00:00Z'), type: 'text', text: { body: ELI_TEXTS[0] }, history_context: { status: 'READ' } },
          ] },
        ],
      }],
    },
  }]),
  stateSync: envelope([{
    field: 'smb_app_state_sync',
    value: {
      messaging_product: 'whatsapp', metadata,
      state_sync: [
        { type: 'contact', contact: { full_name: DORA_NAME, first_name: 'Dora', phone_number: `+${DORA}` }, action: 'add', metadata: { timestamp: ts('2026-10-22T08:00:00Z') } },
        { type: 'contact', contact: { full_name: ELI_NAME, first_name: 'Eli', phone_number: ELI }, action: 'add', metadata: { timestamp: ts('2026-10-22T08:00:00Z') } },
      ],
    },
  }]),
  call: envelope([{
    field: 'calls',
    value: {
      messaging_product: 'whatsapp', metadata,
      contacts: [{ profile: { name: DORA_NAME }, wa_id: DORA }],
      calls: [{ id: 'wacid.D1', from: DORA, to: BUSINESS, event: 'connect', timestamp: ts('2026-10-23T14:00:00Z'), direction: 'USER_INITIATED', session: { sdp_type: 'offer', sdp: 'v=0' } }],
    },
  }]),
  group: envelope([{
    field: 'messages',
    value: {
      messaging_product: 'whatsapp', metadata,
      statuses: [
        { id: 'wamid.G1', status: 'delivered', timestamp: ts('2026-10-24T11:00:00Z'), recipient_id: GROUP, recipient_type: 'group', recipient_participant_id: DORA },
        { id: 'wamid.G1', status: 'delivered', timestamp: ts('2026-10-24T11:00:01Z'), recipient_id: GROUP, recipient_type: 'group', recipient_participant_id: ELI },
      ],
    },
  }]),
  errorQuote: envelope([{
    field: 'messages',
    value: {
      messaging_product: 'whatsapp', metadata,
      errors: [{ code: 131026, title: 'Message undeliverable', message: `Message undeliverable to ${DORA_WRITTEN}`, error_data: { details: `Recipient ${DORA_WRITTEN} cannot be reached` } }],
    },
  }]),
  unknownField: envelope([{
    field: 'customer_profile_update',
    value: { messaging_product: 'whatsapp', metadata, customer: { wa_id: DORA, note: DORA_TEXTS[3] } },
  }]),
  /** A number only in free text of a shape not yet known: found by the text search alone. */
  unknownText: envelope([{ field: 'crm_note', value: { note: DORA_TEXTS[4] } }]),
  /** Meta batching Eli's message with a note quoting her number in free text. */
  batched: envelope([
    {
      field: 'messages',
      value: {
        messaging_product: 'whatsapp', metadata,
        contacts: [{ profile: { name: ELI_NAME }, wa_id: ELI }],
        messages: [{ from: ELI, id: 'wamid.L1', timestamp: ts('2026-11-04T09:00:00Z'), type: 'text', text: { body: ELI_TEXTS[0] } }],
      },
    },
    { field: 'crm_note', value: { note: DORA_TEXTS[5] } },
  ]),
  plusEcho: envelope([{
    field: 'smb_message_echoes',
    value: {
      messaging_product: 'whatsapp', metadata,
      message_echoes: [{ from: `+${BUSINESS}`, to: `+${DORA}`, id: 'wamid.E9', timestamp: ts('2026-11-05T10:10:00Z'), type: 'text', text: { body: DORA_TEXTS[1] } }],
    },
  }]),
  inbound: envelope([{
    field: 'messages',
    value: {
      messaging_product: 'whatsapp', metadata,
      contacts: [{ profile: { name: DORA_NAME }, wa_id: DORA }],
      messages: [{ from: DORA, id: 'wamid.D9', timestamp: ts('2026-11-05T10:00:00Z'), type: 'text', text: { body: 'Oi, a troca foi aprovada?' } }],
    },
  }]),
};

/** Bodies that are not JSON (kept in quarantine): one quoting her number, one only her name. */
export const NOT_JSON = {
  number: `From: ${DORA_NAME} <${DORA_WRITTEN}> ${DORA_TEXTS[2]}`,
  name: `${DORA_NAME} ligou de novo {`,
};

export { WABA };
