import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { DISPLAY, PHONE_ID, WABA } from '../fixtures/meta.ts';
import { authHeader, http, postSigned, startTestService } from '../helpers/service.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { startHttpReceiver, startSmtpReceiver, type Hit, type Mail } from './receivers.ts';

// SLA alerts end to end: signed webhooks through HTTP → the loader → the SLA follower → the alerts
// follower (and the scheduled evaluation, at an injected clock) → a real SMTP server and a real HTTP
// receiver. FRT target 10 minutes (calendar time): a wait is at risk from 8 minutes (80 %) and
// breached from 10. Times are minutes from T = 2026-03-02 12:00 UTC.
//
//   WABA A (Ana's scope):  a1 −12   a2 −9   a3 −8   a4 −5   a5 −7 answered at −4
//   WABA B (Bia's scope):  b1 −11   b2 −2
//
// at T      at risk: a1 a2 a3 | b1          breached: a1 | b1      (one message per rule and recipient)
// at T+2    a2 (11 min) and a3 (10) breach: one breached message for Ana listing a2, a3
// at T+3    a4 reaches 8 minutes: one at-risk message for Ana, a4
// at T+3    a1 and a2 are answered: one resolved message per rule for Ana (a1, a2); Bia hears nothing

const T = Date.parse('2026-03-02T12:00:00Z');
const WABA_B = '200000000000002';
const SECRET = 'ana-webhook-secret-0123456789';
const PII_KEY = 'test-pii-key';
let clock = T;

const A = { a1: '5511900000001', a2: '5511900000002', a3: '5511900000003', a4: '5511900000004', a5: '5511900000005' };
const B = { b1: '5521900000001', b2: '5521900000002' };
const NAMES: Record<string, string> = {
  a1: 'Maria Aparecida', a2: 'Joana Prado', a3: 'Carlos Menezes', a4: 'Rita Lobo', a5: 'Paulo Souza', b1: 'Bruna Teixeira', b2: 'Otavio Lima',
};
const START: Record<string, number> = { a1: -12, a2: -9, a3: -8, a4: -5, a5: -7, b1: -11, b2: -2 };
const waIdOf = (k: string) => (A as Record<string, string>)[k] ?? (B as Record<string, string>)[k]!;
/** The pseudonymous contact id, computed from its definition (keyed HMAC-SHA-256, 16 hex digits). */
const contact = (k: string) => 'c_' + createHmac('sha256', PII_KEY).update('contact\0' + waIdOf(k)).digest('hex').slice(0, 16);

const unix = (minutes: number) => String((T + minutes * 60_000) / 1000);
const value = (extra: Record<string, unknown>) => ({ messaging_product: 'whatsapp', metadata: { display_phone_number: DISPLAY, phone_number_id: PHONE_ID }, ...extra });
const ask = (k: string) => ({
  field: 'messages',
  value: value({
    contacts: [{ profile: { name: NAMES[k] }, wa_id: waIdOf(k) }],
    messages: [{ from: waIdOf(k), id: `wamid.ask.${k}`, timestamp: unix(START[k]!), type: 'text', text: { body: 'Preciso de ajuda com o pedido' } }],
  }),
});
const answer = (k: string, minutes: number) => ({
  field: 'messages',
  value: value({ statuses: [{ id: `wamid.reply.${k}`, status: 'sent', timestamp: unix(minutes), recipient_id: waIdOf(k), biz_opaque_callback_data: 'v1;src=h;ag=ana;tm=care' }] }),
});
const body = (entries: Array<[string, object[]]>) => JSON.stringify({ object: 'whatsapp_business_account', entry: entries.map(([id, changes]) => ({ id, changes })) });

let wh: Warehouse;
let svc: Service;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let hooks: Awaited<ReturnType<typeof startHttpReceiver>>;
const tmp = mkdtempSync(join(tmpdir(), 'wa-alerts-'));

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  smtp = await startSmtpReceiver();
  hooks = await startHttpReceiver();
  const config = {
    sla: { policies: [{ effective_from: '2026-01-01', rules: [{ name: 'standard', frt: { minutes: 10 } }] }] },
    alerts: {
      dashboard_url: 'https://analytics.example.test',
      smtp: { host: '127.0.0.1', port: smtp.port, ignore_tls: true, from: 'alerts@example.test' },
      retry: { attempts: 4, backoff_ms: 5 },
      recipients: [
        { id: 'ana', role: 'manager', wabas: [WABA], email: 'ana@example.test', webhook: { url: `${hooks.url}/ana`, secret: SECRET } },
        { id: 'bia', role: 'manager', wabas: [WABA_B], email: 'bia@example.test', slack_webhook: `${hooks.url}/slack/bia` },
        { id: 'fin', role: 'finance', wabas: 'all', email: 'fin@example.test' },
      ],
      rules: [
        { id: 'risk80', kind: 'sla_at_risk', percent: 80, list: 2 },
        { id: 'breached', kind: 'sla_breached' },
      ],
    },
  };
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(config));
  svc = await startTestService(wh, { CONFIG_FILE: join(tmp, 'config.json') }, { now: () => new Date(clock) });
});

afterAll(async () => {
  await svc?.stop();
  await smtp?.close();
  await hooks?.close();
  await wh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Waits until every message handed to a channel is delivered or given up (a signal from the engine). */
const delivered = () => alertEngine(svc.deps).idle();
const runEvaluation = async () => {
  await svc.jobs.find((j) => j.name === 'alerts.evaluate')!.run(new Date(clock));
  await delivered();
};

interface Payload {
  firing_id: string;
  rule_id: string;
  state: string;
  count: number;
  more: number;
  items: Array<{ contact: string; waba_id: string; waited_minutes: number; percent_of_due: number }>;
  link: string;
  recipient: string;
}

const okHits = (path: string) => hooks.all.filter((h) => h.path === path && h.status === 200);
const payloads = (path: string) => okHits(path).map((h) => JSON.parse(h.body) as Payload);
const mailsTo = (who: string) => smtp.all.filter((m) => m.to.includes(`${who}@example.test`));
/** What Ana's webhook said, in order: rule, state and the contacts listed. */
const anaSaid = () => payloads('/ana').map((p) => [p.rule_id, p.state, p.count, p.items.map((i) => i.contact)]);

describe('SLA alerts from signed traffic', () => {
  it('at T: the waits past 80 % and past due, one message per rule and recipient, worst first', async () => {
    hooks.failFirst('/ana', 2);
    const first = body([
      [WABA, [ask('a1'), ask('a2'), ask('a3'), ask('a4'), ask('a5'), answer('a5', -4)]],
      [WABA_B, [ask('b1'), ask('b2')]],
    ]);
    expect((await postSigned(svc, first)).status).toBe(200);
    await delivered();
    const ana = anaSaid().sort();
    expect(ana).toEqual([
      ['breached', 'firing', 1, [contact('a1')]],
      ['risk80', 'firing', 3, [contact('a1'), contact('a2')]], // list: 2 — a3 is counted, not listed
    ]);
    const risk = payloads('/ana').find((p) => p.rule_id === 'risk80')!;
    expect(risk.more).toBe(1);
    expect(risk.items.map((i) => [i.waited_minutes, i.percent_of_due])).toEqual([[12, 120], [9, 90]]);
    expect(risk.link).toBe('https://analytics.example.test/dashboards/managers');
    const bia = okHits('/slack/bia').map((h) => (JSON.parse(h.body) as { text: string }).text);
    expect(bia).toHaveLength(2);
    for (const text of bia) {
      expect(text).toContain(contact('b1'));
      expect(text).not.toContain(contact('b2'));
    }
    expect(mailsTo('ana')).toHaveLength(2);
    expect(mailsTo('bia')).toHaveLength(2);
    expect(mailsTo('fin')).toHaveLength(0);
    expect(mailsTo('ana').map((m) => m.subject).sort()).toEqual([
      '[wa-analytics] FIRING: Waits at risk of missing their SLA (3)',
      '[wa-analytics] FIRING: Waits past their SLA due time (1)',
    ]);
  });

  it('webhook messages carry a valid HMAC-SHA-256 signature of timestamp and body', () => {
    const ok = okHits('/ana');
    expect(ok.length).toBeGreaterThan(0);
    for (const h of ok) {
      const ts = String(h.headers['x-wa-alert-timestamp']);
      const expected = 'sha256=' + createHmac('sha256', SECRET).update(`${ts}.${h.body}`).digest('hex');
      expect(h.headers['x-wa-alert-signature']).toBe(expected);
      const forged = 'sha256=' + createHmac('sha256', 'another-secret-0123456789').update(`${ts}.${h.body}`).digest('hex');
      expect(h.headers['x-wa-alert-signature']).not.toBe(forged);
    }
  });

  it('a channel that answers 503 twice is retried and the message arrives once', async () => {
    const failed = hooks.all.filter((h) => h.path === '/ana' && h.status === 503);
    expect(failed).toHaveLength(2);
    const log = await rows<{ firing_id: string; attempt: number; outcome: string }>(
      wh, `SELECT firing_id, attempt, outcome FROM {{db}}.alert_deliveries_v1 WHERE recipient_id = 'ana' AND channel = 'webhook' ORDER BY firing_id, attempt`,
    );
    expect(log.filter((r) => r.outcome === 'retrying')).toHaveLength(2);
    expect(log.filter((r) => r.outcome === 'failed')).toHaveLength(0);
    const byFiring = new Map<string, string[]>();
    for (const r of log) byFiring.set(r.firing_id, [...(byFiring.get(r.firing_id) ?? []), r.outcome]);
    for (const outcomes of byFiring.values()) expect(outcomes.filter((o) => o === 'delivered')).toHaveLength(1);
    expect(new Set(payloads('/ana').map((p) => p.firing_id)).size).toBe(okHits('/ana').length);
  });

  it('at T+2: a2 and a3 breach, in one message; nothing is repeated', async () => {
    clock = T + 2 * 60_000;
    const before = anaSaid().length;
    await runEvaluation();
    expect(anaSaid().slice(before)).toEqual([['breached', 'firing', 2, [contact('a2'), contact('a3')]]]);
    expect(okHits('/slack/bia')).toHaveLength(2);
  });

  it('at T+3: a4 reaches 80 %; evaluating again at the same instant says nothing more', async () => {
    clock = T + 3 * 60_000;
    const before = anaSaid().length;
    await runEvaluation();
    await runEvaluation();
    expect(anaSaid().slice(before)).toEqual([['risk80', 'firing', 1, [contact('a4')]]]);
  });

  it('answering a1 and a2 resolves them, once per rule, for Ana only', async () => {
    const before = anaSaid().length;
    expect((await postSigned(svc, body([[WABA, [answer('a1', 3), answer('a2', 3)]]]))).status).toBe(200);
    await delivered();
    await runEvaluation();
    expect(anaSaid().slice(before).sort()).toEqual([
      ['breached', 'resolved', 2, [contact('a1'), contact('a2')]],
      ['risk80', 'resolved', 2, [contact('a1'), contact('a2')]],
    ]);
    expect(okHits('/slack/bia')).toHaveLength(2);
    expect(mailsTo('ana')).toHaveLength(6);
    expect(mailsTo('bia')).toHaveLength(2);
  });

  it('a rule added through the admin API: too many waiting per WABA, each told of its own queue', async () => {
    const post = (rule: unknown) => http(`${svc.url()}/api/alerts/rules`, {
      method: 'POST', headers: { ...authHeader('admin'), 'Content-Type': 'application/json' }, body: JSON.stringify(rule),
    });
    expect((await post({ id: 'risk80', kind: 'sla_breached' })).status).toBe(409);
    expect((await post({ id: 'queue', kind: 'sla_waiting_now' })).status).toBe(400);
    expect((await http(`${svc.url()}/api/alerts/rules`, { method: 'POST', headers: { ...authHeader('manager'), 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(403);
    expect((await post({ id: 'queue', kind: 'sla_waiting_now', max_count: 1 })).status).toBe(201);
    const before = anaSaid().length;
    await runEvaluation();
    // Waiting at T+3: a3 (11 min) and a4 (8) in WABA A; b1 (14) and b2 (5) in WABA B.
    expect(payloads('/ana').slice(before).map((p) => [p.rule_id, p.state, p.items])).toEqual([
      ['queue', 'firing', [{ waba_id: WABA, waiting: 2, oldest_wait_minutes: 11 }]],
    ]);
    const slack = okHits('/slack/bia').map((h) => (JSON.parse(h.body) as { text: string }).text);
    expect(slack).toHaveLength(3);
    expect(slack[2]).toContain(`waba_id=${WABA_B} waiting=2 oldest_wait_minutes=14`);
    expect(slack[2]).not.toContain(WABA + ' ');
    const removed = await http(`${svc.url()}/api/alerts/rules/queue/delete`, { method: 'POST', headers: authHeader('admin') });
    expect(removed.status).toBe(200);
    const rules = JSON.parse((await http(`${svc.url()}/api/alerts/rules`, { headers: authHeader('admin') })).text) as { rules: Array<{ id: string }> };
    expect(rules.rules.map((r) => r.id)).toEqual(['risk80', 'breached']);
  });

  it('no payload holds a phone number, a name or message text', () => {
    const texts = [...smtp.all.flatMap((m: Mail) => [m.raw, m.text]), ...hooks.all.map((h: Hit) => h.body + JSON.stringify(h.headers))];
    const forbidden = [...Object.values(A), ...Object.values(B), ...Object.values(NAMES).flatMap((n) => n.split(' ')), DISPLAY, 'Preciso', 'pedido'];
    expect(texts.length).toBeGreaterThan(10);
    for (const t of texts) for (const f of forbidden) expect(t.includes(f), `payload contains ${f}`).toBe(false);
  });

  it('no stored item, firing or rule state holds a phone number, a name or message text (the trace search leaves them out)', async () => {
    const stored = [
      ...(await rows<{ t: string }>(wh, `SELECT concat(item_key, item_json) AS t FROM ${wh.database}.alert_rule_items_v1`)),
      ...(await rows<{ t: string }>(wh, `SELECT payload_json AS t FROM ${wh.database}.alert_firings_v1`)),
      ...(await rows<{ t: string }>(wh, `SELECT state_json AS t FROM ${wh.database}.alert_rule_state_v1`)),
    ].map((r) => r.t);
    const forbidden = [...Object.values(A), ...Object.values(B), ...Object.values(NAMES).flatMap((n) => n.split(' ')), 'Preciso', 'pedido'];
    // The items of every waiting customer are there, by their pseudonym.
    expect(stored.some((t) => t.includes(contact('b1')))).toBe(true);
    for (const t of stored) for (const f of forbidden) expect(t.includes(f), `stored alert row contains ${f}`).toBe(false);
  });

  it('every delivery is in the access audit; history and test messages through the admin API', async () => {
    const deliveredRows = await rows<{ n: string }>(wh, `SELECT count() AS n FROM {{db}}.alert_deliveries_v1 WHERE outcome = 'delivered'`);
    const audited = await rows<{ params_json: string }>(wh, `SELECT params_json FROM {{db}}.access_audit_v1 WHERE action = 'alerts.delivery'`);
    expect(audited).toHaveLength(Number(deliveredRows[0]!.n));
    expect(audited.map((a) => JSON.parse(a.params_json).outcome as string).every((o) => o === 'delivered')).toBe(true);

    const firings = await http(`${svc.url()}/api/alerts/firings?limit=100`, { headers: authHeader('admin') });
    expect(firings.status).toBe(200);
    const list = (JSON.parse(firings.text) as { firings: Array<{ rule_id: string; state: string; message: Payload }> }).firings;
    // Ana: 2 + 1 + 1 + 2 + 1 (queue) messages, Bia: 2 + 1.
    expect(list).toHaveLength(10);
    expect(list.filter((f) => f.message.recipient === 'bia').every((f) => f.message.items.every((i) => i.waba_id === WABA_B))).toBe(true);
    expect((await http(`${svc.url()}/api/alerts/firings`, { headers: authHeader('manager') })).status).toBe(403);

    const rules = JSON.parse((await http(`${svc.url()}/api/alerts/rules`, { headers: authHeader('admin') })).text) as { rules: Array<{ id: string; source: string }> };
    expect(rules.rules.map((r) => [r.id, r.source])).toEqual([['risk80', 'config'], ['breached', 'config']]);

    const mailsBefore = smtp.all.length;
    const test = await http(`${svc.url()}/api/alerts/rules/risk80/test`, { method: 'POST', headers: authHeader('admin') });
    expect(test.status).toBe(200);
    expect((JSON.parse(test.text) as { messages: Array<{ recipient: string }> }).messages.map((m) => m.recipient)).toEqual(['ana', 'bia']);
    await delivered();
    expect(smtp.all.slice(mailsBefore).map((m) => m.subject)).toEqual([
      '[wa-analytics] TEST: Waits at risk of missing their SLA (0)',
      '[wa-analytics] TEST: Waits at risk of missing their SLA (0)',
    ]);
    const deliveries = await http(`${svc.url()}/api/alerts/deliveries?rule=risk80`, { headers: authHeader('admin') });
    expect((JSON.parse(deliveries.text) as { deliveries: unknown[] }).deliveries.length).toBeGreaterThan(0);
    expect((await http(`${svc.url()}/api/alerts/rules/nope/test`, { method: 'POST', headers: authHeader('admin') })).status).toBe(404);
  });
});
