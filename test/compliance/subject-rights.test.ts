import { createPseudonymizer } from '../../app/pseudonym.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'csv-parse/sync';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { subjectScreen } from '../../reports/compliance/suppression.ts';
import { sweepSuppressed } from '../../reports/compliance/jobs.ts';
import { buildEntry } from '../../ingest/entry.ts';
import { storeBatch } from '../../ingest/store-batch.ts';
import { replay } from '../../ingest/replay.ts';
import { openTestIngest } from '../helpers/ingest.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { authHeader, http, postSigned, startTestService } from '../helpers/service.ts';
import { echo, inbound, preference, statuses, templateEvent } from './fixtures.ts';
import { scanFor } from './scan.ts';

/**
 * Access export and erasure for one person among others, against hand-known truth: which events
 * belong to Ana (and nobody else), and what must stay for Bruno and Carla.
 */

const ANA = '5511987650001';
const ANA_BSUID = 'BR.ana0001';
const BRUNO = '5511987650002';
const CARLA = '4915112340003';

const BODIES = {
  shared: inbound(
    { from: ANA, id: 'wamid.A1', at: '2026-11-01T10:00:00Z', text: 'Oi, quero saber do meu pedido', name: 'Ana Souza' },
    { from: BRUNO, id: 'wamid.B1', at: '2026-11-01T10:00:05Z', text: 'Bom dia', name: 'Bruno Lima' },
  ),
  anaAlone: inbound({ from: ANA, userId: ANA_BSUID, id: 'wamid.A2', at: '2026-11-02T09:00:00Z', text: '=HYPERLINK("http://evil.example","x")', name: 'Ana Souza' }),
  sharedStatuses: statuses(
    // A CSAT survey (its callback tag names it), so her row of the surveys sent is in scope too.
    { to: ANA, id: 'wamid.O1', status: 'sent', at: '2026-11-01T10:05:00Z', category: 'utility', callback: 'v1;cs=post_chat' },
    { to: ANA, id: 'wamid.O1', status: 'delivered', at: '2026-11-01T10:05:02Z', category: 'utility' },
    { to: CARLA, id: 'wamid.O2', status: 'sent', at: '2026-11-01T10:05:01Z', category: 'utility' },
  ),
  anaStop: preference(ANA, 'stop', '2026-11-03T08:00:00Z'),
  anaEcho: echo(ANA, 'wamid.E1', '2026-11-01T10:06:00Z', 'Seu pedido chega amanhã'),
  carla: inbound({ from: CARLA, id: 'wamid.C1', at: '2026-11-02T12:00:00Z', text: 'Hallo', name: 'Carla Weber' }),
  template: templateEvent('2026-11-01T00:00:00Z'),
  bruno: statuses({ to: BRUNO, id: 'wamid.O3', status: 'sent', at: '2026-11-02T15:00:00Z', category: 'marketing' }),
};

let wh: Warehouse;
let svc: Service;

beforeAll(async () => {
  wh = await openTestWarehouse();
  svc = await startTestService(wh);
});
afterAll(async () => {
  await svc?.stop();
  await wh?.close();
});
beforeEach(async () => {
  await truncateAll(wh);
  await subjectScreen(wh, svc.deps.pseudonyms).refresh();
  for (const b of Object.values(BODIES)) expect((await postSigned(svc.url(), JSON.stringify(b))).status).toBe(200);
  await svc.settle();
  // A label the business's systems attached to Ana, and one to Bruno.
  for (const [waId, label] of [[ANA, 'order/paid'], [BRUNO, 'vip']]) {
    expect((await post('/api/labels', { wa_id: waId, label, action: 'add', at: '2026-11-01T10:10:00Z', source: 'shop' }, 'admin')).status).toBe(201);
  }
});

const post = (path: string, body: unknown, role: 'privacy' | 'admin' | 'manager' | null = 'privacy') =>
  http(`${svc.url()}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(role ? authHeader(role) : {}) },
    body: JSON.stringify(body),
  });

async function unzip(buf: Buffer) {
  const zip = await JSZip.loadAsync(buf);
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(zip.files)) files.set(name, await zip.file(name)!.async('nodebuffer'));
  return files;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('access export (DSAR)', () => {
  it('holds every event of the subject and nothing of anyone else, with a manifest that matches the files', async () => {
    const r = await post('/api/compliance/dsar', { wa_id: ANA });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/zip');
    expect(r.headers['x-export-sha256']).toBe(sha256(r.body));
    const files = await unzip(r.body);
    expect([...files.keys()].sort()).toEqual(['events.csv', 'events.jsonl', 'manifest.json', 'portability.json', 'portability.schema.json', 'statement.html', 'statement.json']);

    const manifest = JSON.parse(files.get('manifest.json')!.toString());
    expect(manifest.files.map((f: { name: string }) => f.name).sort()).toEqual([...files.keys()].filter((n) => n !== 'manifest.json').sort());
    for (const f of manifest.files) {
      expect(sha256(files.get(f.name)!), f.name).toBe(f.sha256);
      expect(files.get(f.name)!.length).toBe(f.bytes);
    }

    const events = files.get('events.jsonl')!.toString().trim().split('\n').map((l) => JSON.parse(l));
    const byTable = (t: string) => events.filter((e) => e.source_table === t);
    // Truth: 2 inbound messages, 2 statuses of one outbound message, 1 echo, 1 preference, Ana's
    // profile with and without her BSUID, and the 5 bodies that mention her.
    expect(byTable('messages_v1').map((e) => e.message_id).sort()).toEqual(['wamid.A1', 'wamid.A2']);
    expect(byTable('statuses_v1').map((e) => `${e.message_id}:${e.status}`).sort()).toEqual(['wamid.O1:delivered', 'wamid.O1:sent']);
    expect(byTable('message_echoes_v1').map((e) => e.message_id)).toEqual(['wamid.E1']);
    expect(byTable('user_preferences_v1').map((e) => e.status)).toEqual(['stop']);
    expect(byTable('contacts_v1').map((e) => e.record.user_id).sort()).toEqual(['', ANA_BSUID]);
    expect(byTable('raw_webhooks_v1')).toHaveLength(5);
    // Her two waits (started by A1 and A2), each in the human and any families, derived after
    // the bodies were loaded.
    expect(byTable('sla_waits_v1').map((e) => `${e.record.start_wamid}:${e.record.family}`).sort()).toEqual(['wamid.A1:any', 'wamid.A1:human', 'wamid.A2:any', 'wamid.A2:human']);
    expect(byTable('label_events_v1').map((e) => e.record.label)).toEqual(['order/paid']);
    // The outbound message O1 was priced in a template category: her row of the template sends.
    expect(byTable('template_sends_v1').map((e) => e.record.wamid)).toEqual(['wamid.O1']);
    // Who O1 went to, under the keyed substitute its billing fact holds (charges by label).
    expect(byTable('billing_message_customers_v1').map((e) => [e.record.wa_id, e.record.message_key])).toEqual([[ANA, createPseudonymizer('test-pii-key').message('wamid.O1')]]);
    // O1 was a CSAT survey: her row of the surveys sent.
    expect(byTable('csat_surveys_v1').map((e) => [e.record.wamid, e.record.survey])).toEqual([['wamid.O1', 'post_chat']]);
    // Its credit: no human had answered her before it was sent (the echo came a minute after), no answer.
    expect(byTable('csat_credits_v1').map((e) => [e.record.survey_wamid, e.record.agent, e.record.score])).toEqual([['wamid.O1', '(no human reply)', 0]]);
    expect(events).toHaveLength(22);

    const everything = [...files.values()].map((b) => b.toString()).join('\n');
    for (const other of [BRUNO, CARLA, 'Bruno Lima', 'Carla Weber', 'wamid.B1', 'wamid.O2', 'wamid.C1', 'wamid.O3']) expect(everything).not.toContain(other);
    expect(everything).toContain('Oi, quero saber do meu pedido');

    const statement = JSON.parse(files.get('statement.json')!.toString());
    expect(statement.processing_confirmed).toBe(true);
    expect(statement.subject_identifiers_searched).toEqual([ANA, ANA_BSUID].sort());
    expect(statement.jurisdiction).toBe('lgpd');
    expect(statement.row_counts_by_table.messages_v1).toBe(2);
    expect(statement.third_party_redactions.items_removed).toBe(2); // Bruno's message and Carla's status
    expect(files.get('statement.html')!.toString()).toContain('<h1>');

    const portability = JSON.parse(files.get('portability.json')!.toString());
    expect(portability.messages.map((m: { message_id: string }) => m.message_id)).toEqual(['wamid.A1', 'wamid.A2']);
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(files.get('portability.schema.json')!.toString()));
    expect(validate(portability), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...portability, extra: 1 })).toBe(false);
  });

  it('neutralises spreadsheet formulas in the CSV', async () => {
    const r = await post('/api/compliance/dsar', { wa_id: ANA });
    const csv = (await unzip(r.body)).get('events.csv')!.toString();
    const table = parse(csv, { columns: true }) as Array<Record<string, string>>;
    const a2 = table.find((row) => row.message_id === 'wamid.A2' && row.source_table === 'messages_v1')!;
    expect(a2.text).toBe(`'=HYPERLINK("http://evil.example","x")`);
    for (const row of table) for (const cell of Object.values(row)) expect(/^[=+\-@]/.test(cell) && !/^[+-]?\d+(\.\d+)?$/.test(cell), cell).toBe(false);
  });

  it('answers an unknown subject with a statement that no record exists', async () => {
    const r = await post('/api/compliance/dsar', { wa_id: '+55 11 90000-0099' });
    expect(r.status).toBe(200);
    const files = await unzip(r.body);
    const statement = JSON.parse(files.get('statement.json')!.toString());
    expect(statement.processing_confirmed).toBe(false);
    expect(statement.no_records_statement).toMatch(/No personal data/);
    expect(statement.subject_identifiers_searched).toEqual(['5511900000099']);
    expect(files.get('events.jsonl')!.toString()).toBe('');
  });

  it.each(['abc', '12345', '1234567890123456', "5511' OR 1=1", 'br.lowercase', ''])('refuses wa_id %j with 400', async (bad) => {
    expect((await post('/api/compliance/dsar', { wa_id: bad })).status).toBe(400);
    expect((await post('/api/compliance/erasure', { wa_id: bad, legal_ground: 'GDPR 17(1)(a)' })).status).toBe(400);
  });

  it('is for the privacy role and admin only', async () => {
    expect((await post('/api/compliance/dsar', { wa_id: ANA }, 'admin')).status).toBe(200);
    expect((await post('/api/compliance/dsar', { wa_id: ANA }, 'manager')).status).toBe(403);
    expect((await post('/api/compliance/dsar', { wa_id: ANA }, null)).status).toBe(401);
    expect((await post('/api/compliance/erasure', { wa_id: ANA, legal_ground: 'x' }, 'manager')).status).toBe(403);
  });

  it('writes the export to the access audit with a keyed hash, never the number', async () => {
    const r = await post('/api/compliance/dsar', { wa_id: ANA });
    const audit = await rows<{ action: string; params_json: string; export_sha256: string }>(wh, `SELECT action, params_json, export_sha256 FROM {{db}}.access_audit_v1 WHERE action = 'compliance.dsar'`);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.export_sha256).toBe(sha256(r.body));
    expect(audit[0]!.params_json).toContain(svc.deps.pseudonyms.subject(ANA));
    expect(audit[0]!.params_json).not.toContain(ANA);
  });
});

describe('erasure', () => {
  it('leaves no trace of the subject in any column of any table, and leaves the others untouched', async () => {
    const aloneShas = (await rows<{ body_sha256: string }>(wh, `SELECT body_sha256 FROM {{db}}.raw_webhooks_v1 WHERE NOT has(subject_ids, {a:String})`, { a: ANA })).map((r) => r.body_sha256);
    const others = async () => ({
      messages: await rows(wh, `SELECT * FROM {{db}}.messages_v1 FINAL WHERE wa_id != {a:String} ORDER BY wamid`, { a: ANA }),
      statuses: await rows(wh, `SELECT * FROM {{db}}.statuses_v1 FINAL WHERE recipient_id != {a:String} ORDER BY wamid, status`, { a: ANA }),
      contacts: await rows(wh, `SELECT * FROM {{db}}.contacts_v1 FINAL WHERE wa_id != {a:String} ORDER BY wa_id`, { a: ANA }),
      management: await rows(wh, `SELECT * FROM {{db}}.management_events_v1 FINAL`),
      labels: await rows(wh, `SELECT * FROM {{db}}.label_events_v1 FINAL WHERE wa_id != {a:String} ORDER BY wa_id, label`, { a: ANA }),
      rawAlone: await rows(wh, `SELECT * FROM {{db}}.raw_webhooks_v1 FINAL WHERE body_sha256 IN {s:Array(String)} ORDER BY body_sha256`, { s: aloneShas }),
    });
    const before = await others();
    expect((await scanFor(wh, [ANA, ANA_BSUID])).length).toBeGreaterThan(0);
    // The label sets in force, held in memory for the label reports (dictionary label_spans_v1).
    const held = async (waId: string) =>
      (await rows<{ labels: string[] }>(wh, `SELECT labels FROM {{db}}.label_spans_v1 WHERE key = cityHash64('', {w:String})`, { w: waId })).flatMap((x) => x.labels);
    expect(await held(ANA)).toEqual(['order/paid']);

    const r = await post('/api/compliance/erasure', { wa_id: ANA, legal_ground: 'GDPR 17(1)(a) consent withdrawn' });
    expect(r.status).toBe(200);
    const receipt = JSON.parse(r.text);
    expect(receipt.status).toBe('completed');
    expect(receipt.request_id).toMatch(/^er_/);
    const { receipt_sha256, ...unsigned } = receipt;
    expect(receipt_sha256).toBe(createHash('sha256').update(JSON.stringify(unsigned)).digest('hex'));
    const t = Object.fromEntries(receipt.tables.map((x: { table: string }) => [x.table, x]));
    expect(t.raw_webhooks_v1).toMatchObject({ rows_before: 5, rows_after: 0, rows_after_physical: 0 });
    expect(t.messages_v1).toMatchObject({ rows_before: 2, rows_after: 0 });
    expect(t.statuses_v1).toMatchObject({ rows_before: 2, rows_after: 0 });
    expect(t.message_echoes_v1).toMatchObject({ rows_before: 1, rows_after: 0 });
    expect(t.user_preferences_v1).toMatchObject({ rows_before: 1, rows_after: 0 });
    expect(t.contacts_v1).toMatchObject({ rows_before: 2, rows_after: 0 });
    expect(t.label_events_v1).toMatchObject({ rows_before: 1, rows_after: 0 });
    expect(t.raw_webhooks_v1.method).toMatch(/2 bodies shared/);

    expect(await scanFor(wh, [ANA, ANA_BSUID, 'Ana Souza', 'quero saber do meu pedido'])).toEqual([]);
    expect(await others()).toEqual(before);
    expect(await held(ANA)).toEqual([]);
    expect(await held(BRUNO)).toEqual(['vip']);

    // The two shared bodies keep Bruno's message and Carla's status exactly as delivered.
    const shared = await rows<{ body: string; verdict: string; subject_ids: string[] }>(wh, `SELECT body, verdict, subject_ids FROM {{db}}.raw_webhooks_v1 FINAL WHERE verdict = 'redacted' ORDER BY body`);
    expect(shared.map((s) => s.subject_ids)).toEqual(expect.arrayContaining([[BRUNO], [CARLA]]));
    const items = shared.flatMap((s) => {
      const v = JSON.parse(s.body).entry[0].changes[0].value;
      return [...(v.messages ?? []), ...(v.statuses ?? [])];
    });
    const original = [...(BODIES.shared.entry as any)[0].changes[0].value.messages, ...(BODIES.sharedStatuses.entry as any)[0].changes[0].value.statuses];
    expect(items).toEqual(expect.arrayContaining(original.filter((i: any) => i.from === BRUNO || i.recipient_id === CARLA)));
    expect(items).toHaveLength(2);
  });

  it('does not store the subject again when Meta re-delivers or the subject writes again', async () => {
    expect((await post('/api/compliance/erasure', { wa_id: ANA, legal_ground: 'LGPD 18 VI' })).status).toBe(200);
    expect((await postSigned(svc, JSON.stringify(BODIES.shared))).status).toBe(200);
    expect((await postSigned(svc, JSON.stringify(BODIES.anaAlone))).status).toBe(200);
    expect((await postSigned(svc, JSON.stringify(inbound({ from: ANA, id: 'wamid.A9', at: '2026-11-20T10:00:00Z', text: 'voltei' })))).status).toBe(200);
    // Nor when the business's systems label her again.
    const labelled = await post('/api/labels', { wa_id: ANA, label: 'order/new', action: 'add', at: '2026-11-20T10:00:00Z' }, 'admin');
    expect(JSON.parse(labelled.text)).toEqual({ stored: 0, added: 0, removed: 0, suppressed: 1 });
    expect(await scanFor(wh, [ANA, ANA_BSUID, 'voltei'])).toEqual([]);
    const bruno = await rows(wh, `SELECT wamid FROM {{db}}.messages_v1 FINAL WHERE wa_id = {b:String}`, { b: BRUNO });
    expect(bruno).toEqual([{ wamid: 'wamid.B1' }]);
  });

  it('does not bring an erased subject back when an archive is replayed', async () => {
    expect((await post('/api/compliance/erasure', { wa_id: ANA, legal_ground: 'LGPD 18 VI' })).status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'wa-replay-erased-'));
    writeFileSync(join(dir, 'archive.ndjson'), [BODIES.shared, BODIES.anaAlone].map((b) => JSON.stringify(b)).join('\n'));
    // The replay command's pipeline: the same log, loader and erasure screen as the service.
    const ingest = await openTestIngest(wh, { screen: subjectScreen(wh, svc.deps.pseudonyms).screen });
    try {
      const r = await replay(join(dir, 'archive.ndjson'), ingest);
      expect(r).toMatchObject({ bodies: 2, redacted: 2 });
    } finally {
      await ingest.close();
    }
    expect(await scanFor(wh, [ANA, ANA_BSUID])).toEqual([]);
    const bruno = await rows(wh, `SELECT wamid FROM {{db}}.messages_v1 FINAL WHERE wa_id = {b:String}`, { b: BRUNO });
    expect(bruno).toEqual([{ wamid: 'wamid.B1' }]);
  });

  it('erases again, in the nightly sweep, a subject that came back by a path without the screen', async () => {
    expect((await post('/api/compliance/erasure', { wa_id: ANA, legal_ground: 'LGPD 18 VI' })).status).toBe(200);
    const since = new Date();
    // Stored straight into the tables, as an instance whose suppression list was not yet reloaded would.
    await storeBatch(wh, [buildEntry(Buffer.from(JSON.stringify(BODIES.anaAlone)), Date.now(), false)], 'test-unscreened');
    expect((await scanFor(wh, [ANA])).length).toBeGreaterThan(0);
    expect(await sweepSuppressed(svc.deps, since)).toBeGreaterThan(0);
    expect(await scanFor(wh, [ANA, ANA_BSUID])).toEqual([]);
    expect(await sweepSuppressed(svc.deps, since)).toBe(0);
  });

  it('is refused while a legal hold covers the subject, naming the hold; allowed once it is released', async () => {
    const hold = await post('/api/compliance/holds', { wa_id: CARLA, reason: 'litigation 2026-001', legal_reference: 'GDPR 17(3)(e)' });
    expect(hold.status).toBe(201);
    const holdId = JSON.parse(hold.text).hold_id;

    const refused = await post('/api/compliance/erasure', { wa_id: CARLA, legal_ground: 'GDPR 17(1)(a)' });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain(holdId);
    expect(JSON.parse(refused.text).holds[0].reason).toBe('litigation 2026-001');
    expect((await rows(wh, `SELECT wamid FROM {{db}}.messages_v1 FINAL WHERE wa_id = {c:String}`, { c: CARLA })).length).toBe(1);

    expect((await post(`/api/compliance/holds/${holdId}/release`, {})).status).toBe(200);
    const done = await post('/api/compliance/erasure', { wa_id: CARLA, legal_ground: 'GDPR 17(1)(a)' });
    expect(JSON.parse(done.text).status).toBe('completed');
    expect(await scanFor(wh, [CARLA, 'Carla Weber'])).toEqual([]);
  });

  it('keeps a receipt and a register entry, and the DSAR of the erased subject then finds nothing', async () => {
    const receipt = JSON.parse((await post('/api/compliance/erasure', { wa_id: ANA, legal_ground: 'GDPR 17(1)(a)' })).text);
    const log = await http(`${svc.url()}/api/compliance/erasures?format=json`, { headers: authHeader('privacy') });
    expect(log.status, log.text).toBe(200);
    const entry = JSON.parse(log.text).rows.find((x: { request_id: string }) => x.request_id === receipt.request_id);
    expect(entry).toMatchObject({ status: 'completed', receipt_sha256: receipt.receipt_sha256 });
    const reg = JSON.parse((await http(`${svc.url()}/api/compliance/requests?format=json`, { headers: authHeader('privacy') })).text).rows;
    expect(reg.find((x: { request_id: string }) => x.request_id === receipt.rights_request_id)).toMatchObject({ type: 'erasure', status: 'completed', jurisdiction: 'lgpd' });
    const dsar = await unzip((await post('/api/compliance/dsar', { wa_id: ANA })).body);
    expect(JSON.parse(dsar.get('statement.json')!.toString()).processing_confirmed).toBe(false);
  });
});
