import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { postSigned, startTestService } from '../helpers/service.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';
import { templateEventBody } from '../templates/bodies.ts';
import { startHttpReceiver } from './receivers.ts';

// Two service instances (INSTANCE_ID inst-a and inst-b) in one process on one embedded store, with
// the same six rules (r1…r6, each on a paused template) and one webhook recipient. Each instance
// evaluates on its own loads and on demand, in turns. Truth: each rule's firing arrives once, and
// both instances told some. Then inst-b falls silent (the clock passes its 120 s liveness): inst-a
// takes its rules over with the state inst-b left, so each rule's resolution arrives once too.

const T = Date.parse('2026-03-02T12:00:00Z');
const W = '100000000000031';
const RULES = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
let clock = T;
let wh: Warehouse;
let a: Service;
let b: Service;
let hooks: Awaited<ReturnType<typeof startHttpReceiver>>;
const tmp = mkdtempSync(join(tmpdir(), 'wa-alerts-inst-'));

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  hooks = await startHttpReceiver();
  writeFileSync(join(tmp, 'config.json'), JSON.stringify({
    alerts: {
      liveness_seconds: 120,
      recipients: [{ id: 'mgr', role: 'manager', wabas: 'all', webhook: { url: `${hooks.url}/mgr`, secret: 'secret-of-mgr-0123456789' } }],
      rules: RULES.map((id) => ({ id, kind: 'template_paused' })),
    },
  }));
  const now = () => new Date(clock);
  a = await startTestService(wh, { CONFIG_FILE: join(tmp, 'config.json'), INSTANCE_ID: 'inst-a' }, { now });
  b = await startTestService(wh, { CONFIG_FILE: join(tmp, 'config.json'), INSTANCE_ID: 'inst-b' }, { now });
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  // Other files of this worker must not meet these instances' heartbeats.
  await wh?.writer.command({ query: `TRUNCATE TABLE ${wh.database}.alert_instances_v1` });
  await hooks?.close();
  await wh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const said = () => hooks.all.map((h) => JSON.parse(h.body) as { rule_id: string; state: string });
const count = (state: string) => Object.fromEntries(RULES.map((r) => [r, said().filter((p) => p.rule_id === r && p.state === state).length]));
const once = Object.fromEntries(RULES.map((r) => [r, 1]));
async function evaluate(svc: Service): Promise<number> {
  const s = await alertEngine(svc.deps).evaluate();
  await alertEngine(svc.deps).idle();
  return s.messages;
}
async function post(svc: Service, event: string): Promise<void> {
  const body = templateEventBody(W, new Date(clock - 60_000).toISOString(), 'message_template_status_update', {
    event, message_template_id: 901, message_template_name: 'promo', message_template_language: 'en_US',
  });
  expect((await postSigned(svc, body)).status).toBe(200);
  await svc.settle();
  await alertEngine(svc.deps).idle();
}

describe('two instances on one warehouse', () => {
  it('tell each firing once between them', async () => {
    // Both say they are alive before anything holds.
    await evaluate(a);
    await evaluate(b);
    await post(a, 'PAUSED');
    const byA = said().length;
    const byB = await evaluate(b);
    await evaluate(a);
    await evaluate(b);
    expect(count('firing')).toEqual(once);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    expect(byA + byB).toBe(RULES.length);
  });

  it('an instance gone silent: the other takes its rules over and resolves each once', async () => {
    clock = T + 200_000;
    await post(a, 'REINSTATED');
    await evaluate(a);
    expect(count('resolved')).toEqual(once);
    expect(count('firing')).toEqual(once);
  });
});
