import { describe, expect, it } from 'vitest';
import { normalizeBody } from '../../ingest/normalize.ts';
import { INBOUND_CASES, MANAGEMENT_CASES, STATUS_CASES, envelope, inbound, statuses, messagesValue, WABA, PHONE_ID } from '../fixtures/meta.ts';

const meta = { bodySha256: 'h', receivedAt: 1_800_000_000_000 };

describe('normalizeBody', () => {
  it.each(INBOUND_CASES)('inbound $name lands with its own columns', ({ message, expect: want }) => {
    const n = normalizeBody(inbound(message), meta);
    expect(n.rows.messages).toHaveLength(1);
    const row = n.rows.messages[0]!;
    expect(row).toMatchObject({ waba_id: WABA, phone_number_id: PHONE_ID, wamid: message.id, type: message.type, ts: 1737000000000, ...want });
    expect(row.known_type).toBe(true);
    expect(n.unknownCount).toBe(0);
    expect(n.rows.contacts[0]).toMatchObject({ wa_id: '5511988887777', profile_name: 'Customer' });
  });

  it.each(STATUS_CASES)('status $name keeps pricing and conversation', ({ status, expect: want }) => {
    const n = normalizeBody(statuses(status), meta);
    expect(n.rows.statuses).toHaveLength(1);
    expect(n.rows.statuses[0]).toMatchObject({ wamid: status.id, status: status.status, ts: Number(status.timestamp) * 1000, ...want });
    expect(n.unknownCount).toBe(0);
  });

  it.each(MANAGEMENT_CASES)('management field $field', ({ field, value, expect: want }) => {
    const n = normalizeBody(envelope([{ field, value }], WABA, 1759300001), meta);
    expect(n.rows.management).toHaveLength(1);
    expect(n.rows.management[0]).toMatchObject({ field, entry_time: 1759300001000, value_json: JSON.stringify(value), ...want });
  });

  it('reads several entries, changes and items of one batched body', () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        { id: 'W1', changes: [{ field: 'messages', value: messagesValue({ statuses: [{ id: 'a', status: 'sent', timestamp: '1', recipient_id: '1' }, { id: 'b', status: 'read', timestamp: '2', recipient_id: '2' }] }) }] },
        { id: 'W2', changes: [
          { field: 'messages', value: messagesValue({ messages: [{ from: '3', id: 'c', timestamp: '3', type: 'text', text: { body: 'x' } }] }) },
          { field: 'smb_message_echoes', value: messagesValue({ message_echoes: [{ from: '155', to: '3', id: 'e1', timestamp: '4', type: 'text', text: { body: 'hi' } }] }) },
          { field: 'user_preferences', value: messagesValue({ contacts: [{ wa_id: '3', profile: { name: 'x' } }], user_preferences: [{ wa_id: '3', detail: 'User requested to stop marketing messages', category: 'marketing_messages', value: 'stop', timestamp: 5 }] }) },
        ] },
      ],
    };
    const n = normalizeBody(body, meta);
    expect(n.wabaIds).toEqual(['W1', 'W2']);
    expect(n.rows.statuses.map((s) => [s.waba_id, s.wamid])).toEqual([['W1', 'a'], ['W1', 'b']]);
    expect(n.rows.messages.map((m) => [m.waba_id, m.wamid])).toEqual([['W2', 'c']]);
    expect(n.rows.echoes[0]).toMatchObject({ waba_id: 'W2', to_wa_id: '3', text_body: 'hi', ts: 4000 });
    expect(n.rows.preferences[0]).toMatchObject({ wa_id: '3', value: 'stop', category: 'marketing_messages', ts: 5000 });
    expect(n.itemCount).toBe(5);
    expect(n.subjectIds.sort()).toEqual(['1', '2', '3']);
  });

  it('counts what it does not know and keeps it', () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: [{ id: 'W', changes: [
        { field: 'brand_new_field', value: { a: 1 } },
        { field: 'messages', value: messagesValue({ messages: [{ from: '1', id: 'm', timestamp: '1', type: 'hologram', hologram: {} }], statuses: [{ id: 's', status: 'deleted', timestamp: '1', recipient_id: '1' }], surprise: true }) },
      ] }],
    };
    const n = normalizeBody(body, meta);
    expect(n.rows.unknown.map((u) => [u.kind, u.name]).sort()).toEqual([['field', 'brand_new_field'], ['message_type', 'hologram'], ['status', 'deleted'], ['value_key', 'surprise']]);
    expect(n.rows.management[0]).toMatchObject({ field: 'brand_new_field', known_field: false, value_json: '{"a":1}' });
    expect(n.rows.messages[0]!.known_type).toBe(false);
    expect(n.rows.statuses[0]!.known_status).toBe(false);
  });

  it.each([null, 42, 'text', [], { object: 'page', entry: [] }, { object: 'whatsapp_business_account', entry: 'x' }, { object: 'whatsapp_business_account', entry: [null, 5, { changes: [null, { field: 'messages', value: [] }, { field: 'messages', value: { messages: [null, 1, { id: { x: 1 }, timestamp: [] }] } }] }] }])(
    'never throws on a hostile shape (%j)',
    (body) => {
      const n = normalizeBody(body, meta);
      expect(n.unknownCount + n.itemCount).toBeGreaterThan(0);
    },
  );

  it('falls back to the receive time for a missing or absurd timestamp', () => {
    const n = normalizeBody(inbound({ from: '1', id: 'x', timestamp: 'soon', type: 'text', text: { body: '' } }), meta);
    expect(n.rows.messages[0]!.ts).toBe(meta.receivedAt);
  });
});

describe('jsonDepth', () => {
  it.each([
    ['{}', 1],
    ['[[[]]]', 3],
    ['{"a":"[[[[{{"}', 1],
    ['{"a":"\\"[[["}', 1],
    ['{"a":[{"b":[1,2]}],"c":{}}', 4],
    ['"plain"', 0],
  ])('%s → %i', async (text, depth) => {
    const { jsonDepth } = await import('../../ingest/json-depth.ts');
    expect(jsonDepth(Buffer.from(text), 100)).toBe(depth);
  });
});

describe('lone surrogates', () => {
  it('become U+FFFD in columns and raw JSON, so the warehouse can parse the rows', () => {
    const body = JSON.parse('{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"from":"1","id":"w","timestamp":"1","type":"text","text":{"body":"a\\ud834\\"b"}}]}}]}]}');
    const n = normalizeBody(body, meta);
    expect(n.rows.messages[0]!.text_body).toBe('a\ufffd"b');
    expect(n.rows.messages[0]!.raw_json).not.toMatch(/\\ud834/);
    expect(JSON.parse(n.rows.messages[0]!.raw_json).text.body).toBe('a\ufffd"b');
  });
});
