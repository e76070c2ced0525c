import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { generateSync, simulationConfig, type SimOptions, type SubjectRecord, type TruthRecord, type OptoutViolationRecord } from '../../simulate/index.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';
import { authHeader, http, postSigned, startTestService } from '../helpers/service.ts';
import { scanFor } from './scan.ts';

/**
 * The access export, the marketing report and erasure against the traffic generator's truth
 * (docs/TRUTH.md): which bodies and items carry each person's number, and which marketing sends
 * followed an opt-out. The truth comes from what the generator decided, not from our tables.
 */

// A seed whose 12 days include opt-outs and a marketing send after one (they are rare at this scale).
const OPTS: Omit<SimOptions, 'onTruth'> = { seed: 'c2', start: '2025-11-03', days: 12, scale: 2, subjectBodies: true };
const truth: TruthRecord[] = [];
const postings = [...generateSync({ ...OPTS, onTruth: (t) => truth.push(t) })];
const subjects = truth.filter((t): t is SubjectRecord => t.kind === 'subject');
const violations = truth.filter((t): t is OptoutViolationRecord => t.kind === 'optout_violation');
const stopKeywords = (truth.find((t) => t.kind === 'config') as unknown as { stop_keywords: string[] }).stop_keywords;

let wh: Warehouse;
let svc: Service;

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  const dir = mkdtempSync(join(tmpdir(), 'wa-sim-'));
  const file = join(dir, 'config.json');
  // The generator's opt-out definition: its keyword list, and no opt-in keywords.
  writeFileSync(file, JSON.stringify({ ...simulationConfig(OPTS), privacy: { consent: { opt_out_keywords: stopKeywords, opt_in_keywords: [] } } }));
  svc = await startTestService(wh, { CONFIG_FILE: file });
  const queue = [...postings];
  await Promise.all(Array.from({ length: 6 }, async () => {
    for (let p = queue.shift(); p; p = queue.shift()) expect((await postSigned(svc.url(), p.body)).status).toBe(200);
  }));
  await svc.settle();
}, 300_000);
afterAll(async () => {
  await svc?.stop();
  await wh?.close();
});

const post = (path: string, body: unknown) =>
  http(`${svc.url()}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...authHeader('privacy') }, body: JSON.stringify(body) });

async function exportOf(waId: string) {
  const r = await post('/api/compliance/dsar', { wa_id: waId });
  expect(r.status).toBe(200);
  const zip = await JSZip.loadAsync(r.body);
  const statement = JSON.parse(await zip.file('statement.json')!.async('string'));
  const text = await zip.file('events.jsonl')!.async('string');
  const events = text.trim() ? text.trim().split('\n').map((l) => JSON.parse(l)) : [];
  return { statement, events, all: (await Promise.all(Object.values(zip.files).map((f) => f.async('string')))).join('\n') };
}

const digest = (shas: readonly string[]) => (shas.reduce((a, s) => (a + BigInt('0x' + s)) % 2n ** 256n, 0n)).toString(16).padStart(64, '0');
const KIND_TABLE: Record<string, string> = { message: 'messages_v1', status: 'statuses_v1', echo: 'message_echoes_v1', user_preference: 'user_preferences_v1' };

/** Busy people first; people whose number changed are exported with their other number, so skip them. */
let checked = 0;
const sample = [...subjects].sort((a, b) => b.body_count - a.body_count || a.wa_id.localeCompare(b.wa_id)).slice(0, 6);

describe('against the generator’s truth', () => {
  it('has enough traffic to mean something', () => {
    expect(subjects.length).toBeGreaterThan(30);
    expect(sample[0]!.body_count).toBeGreaterThan(3);
  });

  it.each(sample.map((s) => [s.wa_id, s] as const))('exports every body and item of %s and nothing of anyone else', async (waId, s) => {
    const { statement, events, all } = await exportOf(waId);
    if (statement.subject_identifiers_searched.length > 1) return; // changed number: two people in the truth, one in the export
    checked++;
    const bodies = events.filter((e) => e.source_table === 'raw_webhooks_v1').map((e) => e.record.body_sha256 as string);
    expect(bodies.length).toBe(s.body_count);
    expect(new Set(bodies)).toEqual(new Set(s.bodies_sha256));
    expect(digest(bodies)).toBe(s.bodies_digest);
    for (const [kind, n] of Object.entries(s.events)) expect(events.filter((e) => e.source_table === KIND_TABLE[kind]).length, kind).toBe(n);
    const others = subjects.filter((o) => o.wa_id !== waId).map((o) => `"${o.wa_id}"`);
    expect(others.filter((o) => all.includes(o))).toEqual([]);
  });

  it('compared most of the sample (people who changed number are exported under both numbers)', () => {
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('finds exactly the marketing sends the generator made after an opt-out', async () => {
    const r = await http(`${svc.url()}/api/compliance/marketing?format=json`, { headers: authHeader('privacy') });
    const after = JSON.parse(r.text).rows.filter((v: { violation_type: string }) => v.violation_type === 'AFTER_OPT_OUT').map((v: { message_id: string }) => v.message_id);
    expect(violations.length).toBeGreaterThan(0);
    expect([...after].sort()).toEqual(violations.map((v) => v.wamid).sort());
  });

  it('erases the busiest person everywhere while every other person’s export still matches the truth', async () => {
    const target = sample[0]!;
    const receipt = JSON.parse((await post('/api/compliance/erasure', { wa_id: target.wa_id, legal_ground: 'GDPR 17(1)(a)' })).text);
    expect(receipt.status).toBe('completed');
    expect(receipt.tables.find((t: { table: string }) => t.table === 'raw_webhooks_v1').rows_before).toBe(target.body_count);
    expect(await scanFor(wh, [`${target.wa_id}`])).toEqual([]);
    // Someone who shared a body with the erased person keeps every body, under its original SHA-256.
    const sharer = subjects.find((o) => o.wa_id !== target.wa_id && o.bodies_sha256!.some((b) => target.bodies_sha256!.includes(b)));
    for (const s of [sharer, sample[1]].filter((x): x is SubjectRecord => x !== undefined)) {
      const { statement, events } = await exportOf(s.wa_id);
      if (statement.subject_identifiers_searched.length > 1) continue;
      const bodies = events.filter((e) => e.source_table === 'raw_webhooks_v1').map((e) => e.record.body_sha256 as string);
      expect(new Set(bodies)).toEqual(new Set(s.bodies_sha256));
      for (const [kind, n] of Object.entries(s.events)) expect(events.filter((e) => e.source_table === KIND_TABLE[kind]).length, kind).toBe(n);
    }
    expect(createHash('sha256').update(JSON.stringify((({ receipt_sha256: _h, ...rest }) => rest)(receipt))).digest('hex')).toBe(receipt.receipt_sha256);
  });
});
