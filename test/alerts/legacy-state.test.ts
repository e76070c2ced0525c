import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { postSigned, startTestService } from '../helpers/service.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { templateEventBody } from '../templates/bodies.ts';
import { startHttpReceiver } from './receivers.ts';

// A rule's state stored the way it was before items had rows of their own (the items inside
// alert_rule_state_v1.state_json): a restarted service reads it, announces nothing again, moves the
// items to alert_rule_items_v1 at its next write, and resolves the item once when it stops holding.

const T = Date.parse('2026-03-02T12:00:00Z');
const W = '100000000000041';
let clock = T;
let wh: Warehouse;
let svc: Service | undefined;
let hooks: Awaited<ReturnType<typeof startHttpReceiver>>;
const tmp = mkdtempSync(join(tmpdir(), 'wa-alerts-legacy-'));
const config = join(tmp, 'config.json');

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  hooks = await startHttpReceiver();
  writeFileSync(config, JSON.stringify({
    alerts: {
      recipients: [{ id: 'mgr', role: 'manager', wabas: 'all', webhook: { url: `${hooks.url}/mgr`, secret: 'secret-of-mgr-0123456789' } }],
      rules: [{ id: 'paused', kind: 'template_paused' }],
    },
  }));
});

afterAll(async () => {
  await svc?.stop();
  await wh?.writer.command({ query: `TRUNCATE TABLE ${wh.database}.alert_instances_v1` });
  await hooks?.close();
  await wh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const start = async () => {
  await svc?.stop();
  svc = await startTestService(wh, { CONFIG_FILE: config, INSTANCE_ID: 'inst-legacy' }, { now: () => new Date(clock) });
  return svc;
};
const said = () => hooks.all.map((h) => JSON.parse(h.body) as { rule_id: string; state: string; items: Array<Record<string, unknown>> });
const evaluate = async (s: Service) => {
  await alertEngine(s.deps).evaluate();
  await alertEngine(s.deps).idle();
};
const post = async (s: Service, event: string) => {
  const body = templateEventBody(W, new Date(clock - 60_000).toISOString(), 'message_template_status_update', {
    event, message_template_id: 902, message_template_name: 'promo', message_template_language: 'en_US',
  });
  expect((await postSigned(s, body)).status).toBe(200);
  await s.settle();
  await alertEngine(s.deps).idle();
};
const itemRows = () => rows<{ item_key: string; notified: number }>(wh, `SELECT item_key, notified FROM {{db}}.alert_rule_items_v1 FINAL WHERE rule_id = 'paused'`);
const ruleRow = () => rows<{ state_json: string }>(wh, `SELECT state_json FROM {{db}}.alert_rule_state_v1 FINAL WHERE rule_id = 'paused'`);

describe('a rule state stored before items had rows', () => {
  it('is read, not announced again, moved to item rows, and resolved once', async () => {
    let s = await start();
    await evaluate(s);
    await post(s, 'PAUSED');
    await evaluate(s);
    expect(said().map((p) => p.state)).toEqual(['firing']);
    const [tracked] = await itemRows();
    expect(tracked).toMatchObject({ notified: 1 });
    await s.stop();
    svc = undefined;

    // The same state as the earlier format kept it: the items inside the rule's row.
    const [item] = await rows<{ item_key: string; since: number; item_json: string }>(wh,
      `SELECT item_key, toUnixTimestamp64Milli(since) AS since, item_json FROM {{db}}.alert_rule_items_v1 FINAL WHERE rule_id = 'paused'`);
    const it = JSON.parse(item!.item_json) as Record<string, unknown>;
    const legacy = JSON.stringify({ items: { [item!.item_key]: { key: item!.item_key, ...it, since: Number(item!.since), notified: true } }, resolving: [] });
    await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.alert_rule_items_v1` });
    await wh.writer.insert({ table: `${wh.database}.alert_rule_state_v1`, values: [{ rule_id: 'paused', state_json: legacy, last_fired_at: T, updated_at: Date.now() }], format: 'JSONEachRow' });
    expect(await itemRows()).toEqual([]);

    s = await start();
    clock += 60_000;
    await evaluate(s);
    // Nothing said again; the item now has its row, the rule's row no longer holds it.
    expect(said().map((p) => p.state)).toEqual(['firing']);
    expect(await itemRows()).toEqual([{ item_key: item!.item_key, notified: 1 }]);
    expect((await ruleRow()).map((r) => r.state_json)).toEqual(['{}']);

    await post(s, 'REINSTATED');
    await evaluate(s);
    expect(said().map((p) => p.state)).toEqual(['firing', 'resolved']);
    expect(await itemRows()).toEqual([]);
  });
});
