import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { signBody } from '../../ingest/signature.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { http, postSigned, startTestService, TEST_SECRET } from '../helpers/service.ts';
import { INBOUND_CASES, MANAGEMENT_CASES, STATUS_CASES, envelope, inbound, statuses, WABA } from '../fixtures/meta.ts';

let wh: Warehouse;
let svc: Service;

beforeAll(async () => {
  wh = await openTestWarehouse();
  svc = await startTestService(wh, { WHATSAPP_APP_SECRET: `${TEST_SECRET},old-secret-being-rotated` });
});
afterAll(async () => {
  await svc?.stop();
  await wh?.close();
});
beforeEach(async () => {
  await svc.settle();
  await truncateAll(wh);
});

const count = async (table: string) => Number((await rows<{ n: string }>(wh, `SELECT count() AS n FROM {{db}}.${table} FINAL`))[0]!.n);

describe('GET /webhook verification handshake', () => {
  it('echoes the challenge for the right token', async () => {
    const r = await http(`${svc.url()}/webhook?hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=1158201444`);
    expect(r.status).toBe(200);
    expect(r.text).toBe('1158201444');
  });
  it.each([
    'hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1',
    'hub.mode=unsubscribe&hub.verify_token=test-verify-token&hub.challenge=1',
    'hub.mode=subscribe&hub.challenge=1',
  ])('answers 403 to %s', async (q) => {
    expect((await http(`${svc.url()}/webhook?${q}`)).status).toBe(403);
  });
});

describe('POST /webhook signature', () => {
  const body = JSON.stringify(inbound({ from: '5511988887777', id: 'wamid.SIG', timestamp: '1737000000', type: 'text', text: { body: 'Olá 😀 ação @ção' } }));
  // Waits for the loader after the answer, so "stores nothing" is checked once anything would be stored.
  const post = async (headers: Record<string, string>, data: string | Buffer = body) => {
    const answer = await http(`${svc.url()}/webhook`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: data });
    await svc.settle();
    return answer;
  };

  it('accepts the app secret and a second secret during rotation', async () => {
    expect((await post({ 'X-Hub-Signature-256': signBody(TEST_SECRET, body) })).status).toBe(200);
    expect((await post({ 'X-Hub-Signature-256': signBody('old-secret-being-rotated', body) })).status).toBe(200);
    expect(await count('messages_v1')).toBe(1);
  });

  it.each([
    ['missing header', {}],
    ['wrong secret', { 'X-Hub-Signature-256': signBody('not-the-secret', body) }],
    ['sha1 header', { 'X-Hub-Signature-256': 'sha1=' + createHmac('sha1', TEST_SECRET).update(body).digest('hex') }],
    ['truncated hex', { 'X-Hub-Signature-256': signBody(TEST_SECRET, body).slice(0, 40) }],
    ['uppercase hex', { 'X-Hub-Signature-256': 'sha256=' + createHmac('sha256', TEST_SECRET).update(body).digest('hex').toUpperCase() }],
  ])('refuses %s with 401 and stores nothing', async (_name, headers) => {
    expect((await post(headers as Record<string, string>)).status).toBe(401);
    expect(await count('raw_webhooks_v1')).toBe(0);
    expect(await count('messages_v1')).toBe(0);
  });

  it('refuses a body re-encoded after signing (escaped unicode hashes differently)', async () => {
    const reencoded = body.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
    expect(reencoded).not.toBe(body);
    expect(JSON.parse(reencoded)).toEqual(JSON.parse(body));
    expect((await post({ 'X-Hub-Signature-256': signBody(TEST_SECRET, body) }, reencoded)).status).toBe(401);
  });

  it('stores the exact bytes received', async () => {
    await post({ 'X-Hub-Signature-256': signBody(TEST_SECRET, body) });
    const [raw] = await rows<{ body: string; signature_valid: boolean; verdict: string }>(wh, 'SELECT body, signature_valid, verdict FROM {{db}}.raw_webhooks_v1');
    expect(raw).toEqual({ body, signature_valid: true, verdict: 'ok' });
  });
});

describe('POST /webhook bad input', () => {
  it('answers 413 to a body over 3 MB and stores nothing', async () => {
    const big = JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(3 * 1024 * 1024) });
    expect((await postSigned(svc, big)).status).toBe(413);
    expect(await count('raw_webhooks_v1')).toBe(0);
  });

  it('keeps a signed non-JSON body in quarantine and answers 400', async () => {
    const r = await postSigned(svc, 'this is {not json');
    expect(r.status).toBe(400);
    const q = await rows<{ verdict: string; reason: string; body: string }>(wh, 'SELECT verdict, reason, body FROM {{db}}.raw_webhooks_v1');
    expect(q).toHaveLength(1);
    expect(q[0]!.verdict).toBe('not_json');
    expect(q[0]!.reason).toMatch(/^not JSON/);
    expect(q[0]!.body).toBe('this is {not json');
  });

  it('keeps signed JSON of an unknown shape whole, answers 200, counts it unknown', async () => {
    const body = JSON.stringify({ object: 'instagram', entry: [{ id: '1', messaging: [] }] });
    expect((await postSigned(svc, body)).status).toBe(200);
    const [raw] = await rows<{ verdict: string; unknown_count: number; body: string }>(wh, 'SELECT verdict, unknown_count, body FROM {{db}}.raw_webhooks_v1');
    expect(raw).toMatchObject({ verdict: 'unknown_shape', unknown_count: 1, body });
    expect(await count('unknown_items_v1')).toBe(1);
    const metrics = (await http(`${svc.url()}/metrics`)).text;
    expect(metrics).toMatch(/wa_webhook_unknown_items_total\{kind="envelope"\} [1-9]/);
  });

  it('survives deep nesting and huge arrays', async () => {
    const deep = '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"x","value":' + '['.repeat(200000) + ']'.repeat(200000) + '}]}]}';
    const r1 = await postSigned(svc, deep);
    expect(r1.status).toBe(400);
    expect((await rows<{ reason: string }>(wh, "SELECT reason FROM {{db}}.raw_webhooks_v1"))[0]!.reason).toMatch(/nested deeper/);
    const many = JSON.stringify(statuses(...Array.from({ length: 20000 }, (_, i) => ({ id: `wamid.M${i}`, status: 'sent', timestamp: '1760000000', recipient_id: '4915112345678' }))));
    expect((await postSigned(svc, many)).status).toBe(200);
    expect(await count('statuses_v1')).toBe(20000);
    expect((await http(`${svc.url()}/healthz`)).status).toBe(200);
  });
});

describe('POST /webhook storage', () => {
  const all = [
    ...INBOUND_CASES.map((c) => inbound(c.message)),
    ...STATUS_CASES.map((c) => statuses(c.status)),
    ...MANAGEMENT_CASES.map((c) => envelope([{ field: c.field, value: c.value }], WABA, 1759300001)),
    envelope([{ field: 'smb_message_echoes', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: 'P' }, message_echoes: [{ from: '1', to: '5511988887777', id: 'wamid.E1', timestamp: '1737000100', type: 'text', text: { body: 'oi' } }] } }]),
    envelope([{ field: 'user_preferences', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: 'P' }, contacts: [{ wa_id: '5511988887777', profile: { name: 'x' } }], user_preferences: [{ wa_id: '5511988887777', detail: 'stop', category: 'marketing_messages', value: 'stop', timestamp: 1737000200 }] } }]),
  ].map((b) => JSON.stringify(b));

  it('puts every fixture item in its typed table with the right values', async () => {
    for (const b of all) expect((await postSigned(svc, b)).status).toBe(200);
    for (const c of INBOUND_CASES) {
      const [row] = await rows(wh, 'SELECT * FROM {{db}}.messages_v1 FINAL WHERE wamid = {id:String}', { id: c.message.id });
      expect(row, c.name).toBeDefined();
      for (const [k, v] of Object.entries(c.expect)) expect(row![k], `${c.name}.${k}`).toEqual(v);
    }
    for (const c of STATUS_CASES) {
      const [row] = await rows(wh, 'SELECT * FROM {{db}}.statuses_v1 FINAL WHERE wamid = {id:String}', { id: c.status.id });
      expect(row, c.name).toMatchObject({ status: c.status.status });
      for (const [k, v] of Object.entries(c.expect)) {
        if (k === 'conversation_id' || typeof v !== 'number') expect(row![k], `${c.name}.${k}`).toEqual(v);
        else expect(Number(row![k]), `${c.name}.${k}`).toBe(v);
      }
    }
    for (const c of MANAGEMENT_CASES) {
      const [row] = await rows(wh, 'SELECT * FROM {{db}}.management_events_v1 FINAL WHERE field = {f:String}', { f: c.field });
      for (const [k, v] of Object.entries(c.expect)) expect(row![k], `${c.field}.${k}`).toEqual(v);
    }
    expect(await count('message_echoes_v1')).toBe(1);
    expect(await count('user_preferences_v1')).toBe(1);
    expect(await count('unknown_items_v1')).toBe(0);
  });

  it('stores each item once when Meta re-delivers every body three times', async () => {
    for (let round = 0; round < 3; round++) {
      await Promise.all(all.map(async (b) => expect((await postSigned(svc, b)).status).toBe(200)));
    }
    expect(await count('raw_webhooks_v1')).toBe(all.length);
    expect(await count('messages_v1')).toBe(INBOUND_CASES.length);
    expect(await count('statuses_v1')).toBe(STATUS_CASES.length);
    expect(await count('management_events_v1')).toBe(MANAGEMENT_CASES.length);
    expect(await count('message_echoes_v1')).toBe(1);
    expect(await count('user_preferences_v1')).toBe(1);
  });

  it('shares fsyncs and loads among concurrent requests', async () => {
    const bodies = Array.from({ length: 200 }, (_, i) => JSON.stringify(statuses({ id: `wamid.G${i}`, status: 'delivered', timestamp: '1760000000', recipient_id: '1' })));
    const before = ingestCounts((await http(`${svc.url()}/metrics`)).text);
    const answers = await Promise.all(bodies.map((b) => postSigned(svc.url(), b)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await svc.settle();
    expect(await count('statuses_v1')).toBe(200);
    const after = ingestCounts((await http(`${svc.url()}/metrics`)).text);
    expect(after.appended - before.appended).toBe(200);
    expect(after.loadedBodies - before.loadedBodies).toBe(200);
    // Fewer fsyncs and fewer loads than bodies: requests were grouped.
    expect(after.fsyncs - before.fsyncs).toBeLessThan(200);
    expect(after.loads - before.loads).toBeLessThan(200);
  });
});

function ingestCounts(metrics: string) {
  const n = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? 0);
  return {
    appended: n(/^wa_ingest_log_records_appended_total (\d+)/m),
    fsyncs: n(/^wa_ingest_log_fsync_seconds_count (\d+)/m),
    loads: n(/^wa_ingest_batch_bodies_count (\d+)/m),
    loadedBodies: n(/^wa_ingest_batch_bodies_sum (\d+)/m),
  };
}
