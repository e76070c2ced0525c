import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Warehouse } from '../../warehouse/client.ts';
import { createAccessAudit, entryHash } from '../../app/audit.ts';
import { anchorAuditHeads, collectAnchors, verifyAuditChain, verifyAuditChains } from '../../app/audit-verify.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { authHeader, http, startTestService } from '../helpers/service.ts';

/**
 * The access audit is a hash chain: editing or deleting any entry, or removing the latest ones,
 * must be named by the verifier. Tampering is done the way an operator with SQL access would.
 */

let wh: Warehouse;

beforeAll(async () => {
  wh = await openTestWarehouse();
});
afterAll(async () => {
  await wh?.close();
});
beforeEach(() => truncateAll(wh));

const W = 'api-1';

async function chainOf(n: number) {
  const audit = createAccessAudit(wh, W);
  for (let i = 1; i <= n; i++) await audit.record({ actor: `privacy#${i}`, role: 'privacy', action: 'compliance.x', params: { subject: 'ab'.repeat(32) }, rows: i });
  return audit;
}

const sql = (query: string) => wh.writer.command({ query: query.replaceAll('{{db}}', wh.database), clickhouse_settings: { mutations_sync: '2' } });

describe('access audit chain', () => {
  it('verifies an intact chain', async () => {
    await chainOf(5);
    const v = await verifyAuditChain(wh, W);
    expect(v).toMatchObject({ ok: true, entries: 5, head: { seq: 5 } });
    const stored = await rows<{ seq: string; prev_hash: string; entry_hash: string }>(wh, `SELECT seq, prev_hash, entry_hash FROM {{db}}.access_audit_v1 ORDER BY seq`);
    expect(stored[0]!.prev_hash).toBe('0'.repeat(64));
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.prev_hash).toBe(stored[i - 1]!.entry_hash);
  });

  it('names an edited entry', async () => {
    await chainOf(5);
    await sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE actor = 'someone-else' WHERE seq = 3`);
    expect((await verifyAuditChain(wh, W)).firstBroken).toEqual({ seq: 3, reason: 'content does not match its hash' });
  });

  it('names the entry after one whose hash was recomputed to hide an edit', async () => {
    await chainOf(5);
    const [e] = await rows<Record<string, string>>(wh, `SELECT writer, seq, toString(at) AS at, actor, role, action, params_json, rows_returned, export_sha256, prev_hash FROM {{db}}.access_audit_v1 WHERE seq = 3`);
    const forged = entryHash({ ...(e as any), seq: 3, rows_returned: Number(e!.rows_returned), actor: 'someone-else' });
    await sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE actor = 'someone-else', entry_hash = '${forged}' WHERE seq = 3`);
    expect((await verifyAuditChain(wh, W)).firstBroken).toEqual({ seq: 4, reason: 'previous hash does not match' });
  });

  it('names a deleted entry', async () => {
    await chainOf(5);
    await sql(`ALTER TABLE {{db}}.access_audit_v1 DELETE WHERE seq = 2`);
    expect((await verifyAuditChain(wh, W)).firstBroken).toEqual({ seq: 2, reason: 'entry 2 is missing' });
  });

  it('detects removal of the latest entries against a published anchor and the running process', async () => {
    const audit = await chainOf(5);
    const dir = mkdtempSync(join(tmpdir(), 'wa-anchor-'));
    const file = join(dir, 'anchors.jsonl');
    await anchorAuditHeads(wh, file, new Date());
    expect(JSON.parse(readFileSync(file, 'utf8').trim())).toMatchObject({ seq: 5 });
    await sql(`ALTER TABLE {{db}}.access_audit_v1 DELETE WHERE seq >= 4`);
    await sql(`TRUNCATE TABLE {{db}}.audit_anchors_v1`);

    // Without an anchor the shorter chain is internally consistent: that is why heads are published.
    expect((await verifyAuditChain(wh, W)).ok).toBe(true);
    const fromFile = await verifyAuditChain(wh, W, await collectAnchors(wh, file));
    expect(fromFile.firstBroken).toEqual({ seq: 4, reason: 'entries 4–5 were removed (anchored in anchor file)' });
    const fromProcess = await verifyAuditChain(wh, W, await collectAnchors(wh, undefined, audit));
    expect(fromProcess.firstBroken?.seq).toBe(4);

    // The running process goes on from its own head, so the gap stays in the chain.
    await audit.record({ actor: 'privacy#9', role: 'privacy', action: 'compliance.x', params: {} });
    expect((await verifyAuditChain(wh, W)).firstBroken).toEqual({ seq: 4, reason: 'entry 4 is missing' });
  });

  it('keeps one chain per writer when two instances append at once, each verified on its own', async () => {
    // Two instances over one warehouse (two processes cannot share one embedded store): all appends
    // are started together, so each writer reads its head while the other is inserting.
    const a = createAccessAudit(wh, 'api-1');
    const b = createAccessAudit(wh, 'api-2');
    await Promise.all(Array.from({ length: 24 }, (_, i) =>
      (i % 2 === 0 ? a : b).record({ actor: `privacy#${i}`, role: 'privacy', action: 'compliance.x', params: { i }, rows: i })));

    const stored = await rows<{ writer: string; seq: string; actor: string; prev_hash: string; entry_hash: string }>(
      wh, `SELECT writer, seq, actor, prev_hash, entry_hash FROM {{db}}.access_audit_v1 ORDER BY writer, seq`);
    for (const [writer, parity] of [['api-1', 0], ['api-2', 1]] as const) {
      const chain = stored.filter((r) => r.writer === writer);
      expect(chain.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      // Each writer's own entries, in the order its appends were made.
      expect(chain.map((r) => r.actor)).toEqual(Array.from({ length: 12 }, (_, k) => `privacy#${2 * k + parity}`));
      expect(chain[0]!.prev_hash).toBe('0'.repeat(64));
      for (let i = 1; i < chain.length; i++) expect(chain[i]!.prev_hash).toBe(chain[i - 1]!.entry_hash);
    }
    const v = await verifyAuditChains(wh, { anchors: await collectAnchors(wh, undefined, b) });
    expect(v).toMatchObject({ ok: true, entries: 24, anchorsChecked: 1 });
    expect(v.chains.map((c) => [c.writer, c.ok, c.entries, c.head?.seq])).toEqual([['api-1', true, 12, 12], ['api-2', true, 12, 12]]);

    await sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE actor = 'someone-else' WHERE writer = 'api-2' AND seq = 7`);
    const tampered = await verifyAuditChains(wh);
    expect(tampered.ok).toBe(false);
    expect(tampered.chains.map((c) => [c.writer, c.ok, c.firstBroken ?? null])).toEqual([
      ['api-1', true, null],
      ['api-2', false, { seq: 7, reason: 'content does not match its hash' }],
    ]);
  });

  it('reads the chains page by page and still sees an entry stored twice across a page boundary', async () => {
    const a = createAccessAudit(wh, 'api-1');
    const b = createAccessAudit(wh, 'api-2');
    for (let i = 0; i < 5; i++) await a.record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: { i } });
    for (let i = 0; i < 3; i++) await b.record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: { i } });
    const paged = await verifyAuditChains(wh, { pageSize: 2 });
    expect(paged.chains.map((c) => [c.writer, c.ok, c.entries, c.head?.seq])).toEqual([['api-1', true, 5, 5], ['api-2', true, 3, 3]]);

    // A forged second entry 2 of api-1: with pages of two, the first page ends at the real entry 2.
    await sql(`INSERT INTO {{db}}.access_audit_v1 SELECT * REPLACE ('forger' AS actor) FROM {{db}}.access_audit_v1 WHERE writer = 'api-1' AND seq = 2`);
    const v = await verifyAuditChains(wh, { pageSize: 2 });
    // The two rows of entry 2 come in either order: the copy read second appears twice, or the
    // forged one read first does not match its hash.
    expect(v.chains.map((c) => [c.writer, c.firstBroken?.seq ?? null])).toEqual([['api-1', 2], ['api-2', null]]);
    expect(['entry 2 appears more than once', 'content does not match its hash']).toContain(v.chains[0]!.firstBroken!.reason);
  });

  it('names an entry moved to another writer\'s chain', async () => {
    const a = createAccessAudit(wh, 'api-1');
    const b = createAccessAudit(wh, 'api-2');
    for (let i = 0; i < 3; i++) {
      await a.record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: {} });
      await b.record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: {} });
    }
    await sql(`ALTER TABLE {{db}}.access_audit_v1 DELETE WHERE writer = 'api-1' AND seq = 3`);
    await sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE writer = 'api-1' WHERE writer = 'api-2' AND seq = 3`);
    const v = await verifyAuditChains(wh);
    expect(v.chains.map((c) => [c.writer, c.firstBroken?.reason ?? null])).toEqual([
      ['api-1', 'previous hash does not match'],
      ['api-2', null],
    ]);
  });

  it('verifies entries written before chains had writers, with their original hashes', async () => {
    // Hashed here the way the single-chain audit did: no writer in the canonical form.
    const legacy: Array<Record<string, unknown>> = [];
    let prev = '0'.repeat(64);
    for (let seq = 1; seq <= 3; seq++) {
      const at = `2025-01-0${seq} 10:00:00.000`;
      const e = { seq, at, actor: 'privacy#1', role: 'privacy', action: 'compliance.x', params_json: '{}', rows_returned: seq, export_sha256: '', prev_hash: prev };
      const entry_hash = createHash('sha256').update(JSON.stringify([seq, at, e.actor, e.role, e.action, e.params_json, seq, '', prev])).digest('hex');
      legacy.push({ ...e, entry_hash });
      prev = entry_hash;
    }
    const cols = Object.keys(legacy[0]!).filter((c) => c !== 'writer');
    await wh.writer.insert({ table: `${wh.database}.access_audit_v1`, values: legacy, format: 'JSONEachRow', columns: cols as [string, ...string[]] });
    await createAccessAudit(wh, 'api-1').record({ actor: 'privacy#1', role: 'privacy', action: 'compliance.x', params: {} });
    const v = await verifyAuditChains(wh);
    expect(v.chains.map((c) => [c.writer, c.ok, c.entries])).toEqual([['', true, 3], ['api-1', true, 1]]);
  });

  it('serves verification over the API (privacy only) and keeps each result', async () => {
    const svc = await startTestService(wh);
    try {
      const get = (role: 'privacy' | 'manager' | null) => http(`${svc.url()}/api/compliance/audit/verify`, { headers: role ? authHeader(role) : {} });
      expect((await get('manager')).status).toBe(403);
      expect((await get(null)).status).toBe(401);
      await http(`${svc.url()}/api/compliance/inventory?format=csv`, { headers: authHeader('privacy') });
      const ok = JSON.parse((await get('privacy')).text);
      // The manager's refusal and the inventory export.
      expect(ok).toMatchObject({ result: 'ok', entries_checked: 2, first_broken: null });

      await sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE rows_returned = 0 WHERE seq = 1`);
      const broken = JSON.parse((await get('privacy')).text);
      expect(broken).toMatchObject({ result: 'broken', first_broken: { seq: 1, reason: 'content does not match its hash' } });
      const kept = await rows<{ result: string }>(wh, `SELECT result FROM {{db}}.audit_verifications_v1 ORDER BY verified_at`);
      expect(kept.map((k) => k.result)).toEqual(['ok', 'broken']);
      const actions = await rows<{ action: string }>(wh, `SELECT action FROM {{db}}.access_audit_v1 ORDER BY seq`);
      expect(actions.map((a) => a.action)).toEqual(['compliance.audit_verify', 'compliance.pii_inventory', 'compliance.audit_verify', 'compliance.audit_verify']);
    } finally {
      await svc.stop();
    }
  });
});

describe('nightly compliance snapshot', () => {
  it('keeps each report with its SHA-256, verifies the chain and anchors its head', async () => {
    const svc = await startTestService(wh);
    try {
      await chainOf(3);
      const { runSnapshot } = await import('../../reports/compliance/jobs.ts');
      const v = await runSnapshot(svc.deps, new Date());
      expect(v.result).toBe('ok');
      const snaps = await rows<{ report: string; sha256: string; content: string }>(wh, `SELECT report, sha256, content FROM {{db}}.compliance_snapshots_v1 ORDER BY report`);
      expect(snaps.map((s) => s.report)).toEqual(['cross_border', 'legal_holds', 'pii_inventory', 'records_of_processing', 'rights_requests']);
      for (const s of snaps) expect(createHash('sha256').update(s.content).digest('hex')).toBe(s.sha256);
      // One anchor per chain: the test's writer and the service's own.
      const anchors = await rows<{ writer: string; seq: string }>(wh, `SELECT writer, seq FROM {{db}}.audit_anchors_v1 ORDER BY writer`);
      const heads = await rows<{ writer: string; seq: string }>(wh, `SELECT writer, max(seq) AS seq FROM {{db}}.access_audit_v1 GROUP BY writer ORDER BY writer`);
      expect(anchors.length).toBe(2);
      expect(anchors).toEqual(heads);
    } finally {
      await svc.stop();
    }
  });
});

describe('wa-analytics audit verify (CLI)', () => {
  it('reports an intact empty chain and refuses a bad wa_id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-cli-'));
    const env = { ...process.env, DATA_DIR: dir, PII_KEY: 'k', LOG_LEVEL: 'silent', CONFIG_FILE: join(dir, 'c.json') };
    writeFileSync(env.CONFIG_FILE, '{}');
    const verify = spawnSync(process.execPath, ['bin/wa-analytics.mjs', 'audit', 'verify'], { env, encoding: 'utf8', timeout: 120_000 });
    expect(verify.stdout).toContain('audit chain ok');
    expect(verify.status).toBe(0);
    const bad = spawnSync(process.execPath, ['bin/wa-analytics.mjs', 'dsar', 'not-a-number', '--out', join(dir, 'x.zip')], { env, encoding: 'utf8', timeout: 120_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('wa_id must be');
  });
});
