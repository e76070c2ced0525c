import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { DISPLAY, WABA } from '../fixtures/meta.ts';
import { postSigned } from '../helpers/service.ts';
import { rows } from '../helpers/warehouse.ts';
import type { HttpReceiver } from './service.ts';
import { evaluateAlerts, saidTo, startAlertService } from './service.ts';

// Many rules of one kind are evaluated from one read of the open waits, each keeping its own scope.
// FRT target 10 minutes; minutes before T = 2026-03-02 12:00 UTC (share of due at T in brackets):
//
//   WABA A, phone P1:  a1 −12 (120 %)   a3 −6 (60 %)
//   WABA A, phone P2:  a2 −9  (90 %)
//   WABA B, phone PB:  b1 −11 (110 %)   b2 −7 (70 %), answered by a bot at −6 (open for `human` only)
//
// Each rule has its own recipient, so what it says is exactly what it holds for (hand-computed):
//   all50    at risk ≥ 50 %, every scope                 a1 a2 a3 b1
//   a85      at risk ≥ 85 %, WABA A                       a1 a2
//   b99      at risk ≥ 99 %, WABA B                       b1
//   p1-55    at risk ≥ 55 %, phone P1                     a1 a3
//   p2-95    at risk ≥ 95 %, phone P2                     (nothing: a2 is at 90 %)
//   human65  at risk ≥ 65 %, WABA B, human responses      b1 b2
//   breachA  breached, WABA A                             a1
//   queueB   waiting now > 1, WABA B, human responses     WABA B's queue (2 waiting)
//   queueBa  waiting now > 1, WABA B                      (nothing: b1 alone waits for any response)

const T = Date.parse('2026-03-02T12:00:00Z');
const WABA_B = '200000000000002';
const P1 = '106540352242922';
const P2 = '106540352242923';
const PB = '206540352242921';
const PII_KEY = 'test-pii-key';

const WAITS: Record<string, { waId: string; waba: string; phone: string; start: number }> = {
  a1: { waId: '5511900000101', waba: WABA, phone: P1, start: -12 },
  a2: { waId: '5511900000102', waba: WABA, phone: P2, start: -9 },
  a3: { waId: '5511900000103', waba: WABA, phone: P1, start: -6 },
  b1: { waId: '5521900000101', waba: WABA_B, phone: PB, start: -11 },
  b2: { waId: '5521900000102', waba: WABA_B, phone: PB, start: -7 },
};
const contact = (k: string) => 'c_' + createHmac('sha256', PII_KEY).update('contact\0' + WAITS[k]!.waId).digest('hex').slice(0, 16);
const unix = (minutes: number) => String((T + minutes * 60_000) / 1000);
const meta = (phone: string) => ({ messaging_product: 'whatsapp', metadata: { display_phone_number: DISPLAY, phone_number_id: phone } });
const ask = (k: string) => {
  const w = WAITS[k]!;
  return { field: 'messages', value: { ...meta(w.phone), contacts: [{ profile: { name: 'Cliente' }, wa_id: w.waId }], messages: [{ from: w.waId, id: `wamid.g.${k}`, timestamp: unix(w.start), type: 'text', text: { body: 'Olá' } }] } };
};
const botAnswer = (k: string, minutes: number) => {
  const w = WAITS[k]!;
  return { field: 'messages', value: { ...meta(w.phone), statuses: [{ id: `wamid.g.bot.${k}`, status: 'sent', timestamp: unix(minutes), recipient_id: w.waId, biz_opaque_callback_data: 'v1;src=b' }] } };
};

const RULES = [
  { id: 'all50', kind: 'sla_at_risk', percent: 50 },
  { id: 'a85', kind: 'sla_at_risk', percent: 85, scope: { wabas: [WABA] } },
  { id: 'b99', kind: 'sla_at_risk', percent: 99, scope: { wabas: [WABA_B] } },
  { id: 'p1-55', kind: 'sla_at_risk', percent: 55, scope: { phone_numbers: [P1] } },
  { id: 'p2-95', kind: 'sla_at_risk', percent: 95, scope: { phone_numbers: [P2] } },
  { id: 'human65', kind: 'sla_at_risk', percent: 65, family: 'human', scope: { wabas: [WABA_B] } },
  { id: 'breachA', kind: 'sla_breached', scope: { wabas: [WABA] } },
  { id: 'queueB', kind: 'sla_waiting_now', max_count: 1, family: 'human', scope: { wabas: [WABA_B] } },
  { id: 'queueBa', kind: 'sla_waiting_now', max_count: 1, scope: { wabas: [WABA_B] } },
];

interface Payload {
  rule_id: string;
  state: string;
  items: Array<{ contact?: string; waba_id: string; phone_number_id?: string; waiting?: number }>;
}

let svc: Service;
let hooks: HttpReceiver;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ svc, hooks, stop } = await startAlertService((hook) => ({
    sla: { policies: [{ effective_from: '2026-01-01', rules: [{ name: 'standard', frt: { minutes: 10 } }] }] },
    alerts: {
      retry: { attempts: 1, backoff_ms: 1 },
      // Tracked items written two rows an insert: the 13 below take seven.
      item_rows_per_insert: 2,
      recipients: RULES.map((r) => ({ id: r.id, role: 'manager', wabas: 'all', webhook: hook(r.id) })),
      rules: RULES.map((r) => ({ ...r, recipients: [r.id] })),
    },
  }), () => T));
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      { id: WABA, changes: [ask('a1'), ask('a2'), ask('a3')] },
      { id: WABA_B, changes: [ask('b1'), ask('b2'), botAnswer('b2', -6)] },
    ],
  });
  expect((await postSigned(svc, body)).status).toBe(200);
  await evaluateAlerts(svc);
});

afterAll(() => stop?.());

const firing = (rule: string) => saidTo<Payload>(hooks, rule).filter((p) => p.state === 'firing');
const contacts = (rule: string) => firing(rule).flatMap((p) => p.items.map((i) => i.contact!)).sort();
const of = (...keys: string[]) => keys.map(contact).sort();

describe('rules of one kind, read together', () => {
  it('each rule fires exactly what it holds for alone, once', () => {
    expect(contacts('all50')).toEqual(of('a1', 'a2', 'a3', 'b1'));
    expect(contacts('a85')).toEqual(of('a1', 'a2'));
    expect(contacts('b99')).toEqual(of('b1'));
    expect(contacts('p1-55')).toEqual(of('a1', 'a3'));
    expect(firing('p2-95')).toEqual([]);
    expect(contacts('human65')).toEqual(of('b1', 'b2'));
    expect(contacts('breachA')).toEqual(of('a1'));
    expect(firing('queueB').flatMap((p) => p.items.map((i) => [i.waba_id, i.waiting]))).toEqual([[WABA_B, 2]]);
    expect(firing('queueBa')).toEqual([]);
    for (const r of RULES) expect(firing(r.id).length).toBeLessThanOrEqual(1);
  });

  it('a rule never sees the rows of another scope', () => {
    const scoped = RULES.filter((r) => r.scope);
    for (const r of scoped) {
      for (const p of firing(r.id)) {
        for (const i of p.items) {
          if (r.scope!.wabas) expect(r.scope!.wabas).toContain(i.waba_id);
          if (r.scope!.phone_numbers) expect(r.scope!.phone_numbers).toContain(i.phone_number_id);
        }
      }
    }
  });

  it('stores every tracked item once, in inserts of the configured size, and a second evaluation at the same instant says and writes nothing new', async () => {
    // all50 4 + a85 2 + b99 1 + p1-55 2 + human65 2 + breachA 1 + queueB 1 (hand-counted above).
    const items = `SELECT rule_id, count() AS n FROM {{db}}.alert_rule_items_v1 FINAL WHERE removed = 0 GROUP BY rule_id ORDER BY rule_id`;
    const expected = [['a85', 2], ['all50', 4], ['b99', 1], ['breachA', 1], ['human65', 2], ['p1-55', 2], ['queueB', 1]];
    expect((await rows<{ rule_id: string; n: string }>(svc.deps.warehouse, items)).map((r) => [r.rule_id, Number(r.n)])).toEqual(expected);
    const versions = `SELECT count() AS n FROM {{db}}.alert_rule_items_v1`;
    const before = hooks.all.length;
    const stored = Number((await rows<{ n: string }>(svc.deps.warehouse, versions))[0]!.n);
    await evaluateAlerts(svc);
    expect(hooks.all.length).toBe(before);
    expect(Number((await rows<{ n: string }>(svc.deps.warehouse, versions))[0]!.n)).toBe(stored);
  });
});
