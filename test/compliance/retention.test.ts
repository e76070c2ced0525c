import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { RAW_WEBHOOK } from '../../warehouse/tables.ts';
import { materializeTtl, removeTableTtl } from '../../warehouse/queries/compliance/retention.ts';
import { runRetention } from '../../reports/compliance/jobs.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { authHeader, http, postSigned, startTestService } from '../helpers/service.ts';
import { inbound } from './fixtures.ts';

/**
 * A short test policy (raw bodies 3 days, items 5 days, content 2 days) over rows of known ages:
 * the status report counts what is past policy, the TTL removes it when it runs, and a legal hold
 * keeps its subject's rows and content through both.
 */

const NOW = Date.now();
const daysAgo = (d: number) => new Date(NOW - d * 86_400_000).toISOString();
const OLD = '5511911110001'; // 10 days old: past every policy
const RECENT = '5511911110002'; // 3 days old: content past policy, row within
const HELD = '5511911110003'; // 10 days old, under a legal hold
const FRESH = '5511911110004'; // today

let wh: Warehouse;
let svc: Service;

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  const dir = mkdtempSync(join(tmpdir(), 'wa-retention-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ privacy: { retention: { raw_days: 3, items_days: 5, content_days: 2 } } }));
  svc = await startTestService(wh, { CONFIG_FILE: file });
});
afterAll(async () => {
  // The TTLs of this policy must not outlive the test in this worker's warehouse.
  if (wh) for (const t of ['raw_webhooks_v1', 'messages_v1', 'statuses_v1', 'message_echoes_v1', 'user_preferences_v1', 'contacts_v1', 'webhook_errors_v1', 'unknown_items_v1', 'consent_events_v1', 'compliance_snapshots_v1', 'label_events_v1', 'template_sends_v1']) await removeTableTtl(wh, t).catch(() => undefined);
  await svc?.stop();
  await wh?.close();
});

const api = (path: string, method = 'GET', body?: unknown) =>
  http(`${svc.url()}${path}`, { method, headers: { 'Content-Type': 'application/json', ...authHeader('privacy') }, ...(body ? { body: JSON.stringify(body) } : {}) });

async function status(table: string) {
  const r = await api('/api/compliance/retention?format=json');
  expect(r.status).toBe(200);
  return JSON.parse(r.text).rows.find((x: { table: string }) => x.table === table);
}

describe('retention', () => {
  it('reports rows past a short policy, removes them when the TTL runs, and keeps held rows', async () => {
    for (const [who, age, id] of [[OLD, 10, 'wamid.R1'], [RECENT, 3, 'wamid.R2'], [HELD, 10, 'wamid.R3'], [FRESH, 0, 'wamid.R4']] as const) {
      expect((await postSigned(svc, JSON.stringify(inbound({ from: who, id, at: daysAgo(age), text: `text of ${id}` })))).status).toBe(200);
    }
    // Raw bodies are stamped when received; old ones are written as a restore from an archive would.
    await wh.writer.insert({
      table: `${wh.database}.raw_webhooks_v1`,
      values: [OLD, HELD].map((s, i) => ({ ...RAW_WEBHOOK, received_at: NOW - 10 * 86_400_000, body_sha256: `old-${i}`, body: '{}', subject_ids: [s] })),
      format: 'JSONEachRow',
    });
    expect((await api('/api/compliance/holds', 'POST', { wa_id: HELD, reason: 'tax audit 2026', review_at: daysAgo(-30) })).status).toBe(201);

    const applied = JSON.parse((await api('/api/compliance/retention/apply', 'POST', {})).text);
    expect(applied.changed).toEqual(expect.arrayContaining(['raw_webhooks_v1', 'messages_v1']));
    expect(applied.failed).toEqual([]);

    const before = await status('messages_v1');
    expect(before).toMatchObject({ policy_days: 5, content_policy_days: 2, time_column: 'ts', ttl_matches_policy: true, rows_total: 4, rows_past_policy: 2, rows_held_past_policy: 1, status: 'WARN' });
    expect(before.ttl_configured).toMatch(/toIntervalDay\(5\)/);
    const rawBefore = await status('raw_webhooks_v1');
    expect(rawBefore).toMatchObject({ policy_days: 3, rows_past_policy: 2, rows_held_past_policy: 1, status: 'WARN' });

    await materializeTtl(wh, 'messages_v1');
    await materializeTtl(wh, 'raw_webhooks_v1');

    const left = await rows<{ wa_id: string }>(wh, `SELECT wa_id FROM {{db}}.messages_v1 ORDER BY wa_id`);
    expect(left.map((r) => r.wa_id)).toEqual([RECENT, HELD, FRESH].sort());
    expect(await status('messages_v1')).toMatchObject({ rows_total: 3, rows_past_policy: 1, rows_held_past_policy: 1 });
    expect(await status('raw_webhooks_v1')).toMatchObject({ rows_past_policy: 1, rows_held_past_policy: 1, status: 'OK' });
  });

  it('keeps label events as long as items: an older one is not kept, except under a hold', async () => {
    const event = (waId: string, age: number, label: string) => ({
      waba_id: '', wa_id: waId, label, action: 'add', at: NOW - age * 86_400_000, source: 'shop', origin: 'api', ref: '', recorded_at: NOW,
    });
    // The policy's TTL is on the table since the first apply: a row already past it is not kept.
    await wh.writer.insert({ table: `${wh.database}.label_events_v1`, values: [event(OLD, 10, 'order/paid'), event(HELD, 10, 'vip'), event(FRESH, 0, 'vip')], format: 'JSONEachRow' });
    await materializeTtl(wh, 'label_events_v1');
    expect((await rows<{ wa_id: string }>(wh, `SELECT wa_id FROM {{db}}.label_events_v1 ORDER BY wa_id`)).map((r) => r.wa_id)).toEqual([HELD, FRESH].sort());
    const st = await status('label_events_v1');
    expect(st).toMatchObject({ policy_days: 5, time_column: 'at', ttl_matches_policy: true, rows_total: 2, rows_past_policy: 1, rows_held_past_policy: 1, status: 'OK' });
    expect(st.ttl_configured).toMatch(/toIntervalDay\(5\)/);
    // The hold test below counts what the hold keeps of the ingest tables only.
    await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.label_events_v1` });
  });

  it('keeps template sends as long as items: an older one is not kept, except under a hold', async () => {
    const send = (waId: string, age: number, wamid: string) => ({ waba_id: 'W', wamid, message_key: '', phone_number_id: 'P', wa_id: waId, first_ts: NOW - age * 86_400_000, delivered_ts: NOW - age * 86_400_000, template: 'promo', version: 1 });
    await wh.writer.insert({ table: `${wh.database}.template_sends_v1`, values: [send(OLD, 10, 'wamid.o'), send(HELD, 10, 'wamid.h'), send(FRESH, 0, 'wamid.f')], format: 'JSONEachRow' });
    await materializeTtl(wh, 'template_sends_v1');
    expect((await rows<{ wa_id: string }>(wh, `SELECT wa_id FROM {{db}}.template_sends_v1 ORDER BY wa_id`)).map((r) => r.wa_id)).toEqual([HELD, FRESH].sort());
    expect(await status('template_sends_v1')).toMatchObject({ policy_days: 5, time_column: 'first_ts', ttl_matches_policy: true, rows_total: 2, rows_past_policy: 1, rows_held_past_policy: 1, status: 'OK' });
    await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.template_sends_v1` });
  });

  it('purges content past the content policy except under a hold, and then reports OK', async () => {
    const r = await runRetention(svc.deps, new Date(NOW));
    expect(r.applied.failed).toEqual([]);
    const text = await rows<{ wa_id: string; text_body: string; raw_json: string }>(wh, `SELECT wa_id, text_body, raw_json FROM {{db}}.messages_v1 FINAL ORDER BY wa_id`);
    expect(text).toEqual([
      { wa_id: RECENT, text_body: '', raw_json: '' },
      { wa_id: HELD, text_body: 'text of wamid.R3', raw_json: expect.stringContaining('wamid.R3') },
      { wa_id: FRESH, text_body: 'text of wamid.R4', raw_json: expect.stringContaining('wamid.R4') },
    ].sort((a, b) => a.wa_id.localeCompare(b.wa_id)));
    expect(await status('messages_v1')).toMatchObject({ rows_past_policy: 1, rows_held_past_policy: 1, rows_content_past_policy: 0, status: 'OK' });
    const snap = await rows<{ report: string; rows: string }>(wh, `SELECT report, rows FROM {{db}}.compliance_snapshots_v1 WHERE report = 'retention_status'`);
    expect(snap).toHaveLength(1);
  });

  it('lists the hold with what it keeps, and releasing it lets the TTL take the rows', async () => {
    const holds = JSON.parse((await api('/api/compliance/holds?format=json')).text).rows;
    expect(holds).toHaveLength(1);
    // Two raw bodies, the message and the contact, and the message's waits (families human and any),
    // which the SLA derivation wrote after the body was loaded.
    expect(holds[0]).toMatchObject({ status: 'active', reason: 'tax audit 2026', review_due: false, rows_held: 6 });
    expect(holds[0].tables).toBe('raw_webhooks_v1 messages_v1 contacts_v1 sla_waits_v1');

    expect((await api(`/api/compliance/holds/${holds[0].hold_id}/release`, 'POST', {})).status).toBe(200);
    await materializeTtl(wh, 'messages_v1');
    const left = await rows<{ wa_id: string }>(wh, `SELECT wa_id FROM {{db}}.messages_v1 ORDER BY wa_id`);
    expect(left.map((r) => r.wa_id)).toEqual([RECENT, FRESH].sort());
  });
});
