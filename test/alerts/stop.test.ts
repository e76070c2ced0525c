import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { DISPLAY, PHONE_ID, WABA } from '../fixtures/meta.ts';
import { postSigned } from '../helpers/service.ts';
import { rows } from '../helpers/warehouse.ts';
import type { HttpReceiver } from './service.ts';
import { saidTo, startAlertService } from './service.ts';

// Stopping the service while an alert is being retried: the stop waits for the delivery, whose
// scheduled retries run out their backoff (1 s, then 2 s) and deliver, and the delivery log and the
// access audit are written before the warehouse closes. Nothing waits for the delivery but the stop.

const T = Date.parse('2026-03-02T12:00:00Z');
const WA_ID = '5511900000201';

let wh: Warehouse;
let svc: Service;
let hooks: HttpReceiver;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ wh, svc, hooks, stop } = await startAlertService((hook) => ({
    alerts: {
      retry: { attempts: 4, backoff_ms: 1000 },
      recipients: [{ id: 'ops', role: 'manager', wabas: 'all', webhook: hook('ops') }],
      rules: [{ id: 'anyone-waiting', kind: 'sla_waiting_now', max_count: 0 }],
    },
  }), () => T));
});

afterAll(() => stop?.());

describe('stopping the alerts service', () => {
  it('waits for a delivery being retried, which then arrives and is logged', async () => {
    hooks.failFirst('/ops', 2);
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: WABA, changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp', metadata: { display_phone_number: DISPLAY, phone_number_id: PHONE_ID },
        contacts: [{ profile: { name: 'Cliente' }, wa_id: WA_ID }],
        messages: [{ from: WA_ID, id: 'wamid.stop.1', timestamp: String((T - 60_000) / 1000), type: 'text', text: { body: 'Olá' } }],
      } }] }],
    });
    // Loaded and followed: the alert follower has handed the firing to the webhook channel.
    expect((await postSigned(svc, body)).status).toBe(200);
    const fired = await rows(wh, `SELECT firing_id FROM {{db}}.alert_firings_v1 WHERE rule_id = 'anyone-waiting' AND state = 'firing'`);
    expect(fired).toHaveLength(1);
    await svc.stop();
    expect(hooks.all.filter((h) => h.path === '/ops').map((h) => h.status)).toEqual([503, 503, 200]);
    expect(saidTo<{ rule_id: string; state: string }>(hooks, 'ops').map((p) => [p.rule_id, p.state])).toEqual(Array(3).fill(['anyone-waiting', 'firing']));
    const log = await rows<{ attempt: number; outcome: string }>(wh, `SELECT attempt, outcome FROM {{db}}.alert_deliveries_v1 WHERE rule_id = 'anyone-waiting' ORDER BY attempt`);
    expect(log.map((r) => [Number(r.attempt), r.outcome])).toEqual([[1, 'retrying'], [2, 'retrying'], [3, 'delivered']]);
  });
});
