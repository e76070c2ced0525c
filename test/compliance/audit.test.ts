import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Warehouse } from '../../warehouse/client.ts';
import { anchorAuditHead, collectAnchors, createAccessAudit, entryHash, verifyAuditChain } from '../../reports/compliance/audit.ts';
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

async function chainOf(n: number) {
  const audit = createAccessAudit(wh);
  for (let i = 1; i <= n; i++) await audit.record({ actor: `privacy#${i}`, role: 'privacy', action: 'compliance.x', params: { subject: 'ab'.repeat(32) }, rows: i });
  return audit;
}

const sql = (query: string) => wh.writer.command({ query: query.replaceAll('{{db}}', wh.database), clickhouse_settings: { mutations_sync: '2' } });

describe('access audit chain', () => {
  it('verifies an intact chain', async () => {
    await chainOf(5);
    const v = await verifyAuditChain(wh);
    expect(v).toMatchObject({ ok: true, entries: 5, head: { seq: 5 } });
    const stored = await rows<{ seq: string; prev_hash: string; entry_hash: string }>(wh, `SELECT seq, prev_hash, entry_hash FROM {{db}}.access_audit_v1 ORDER BY seq`);
    expect(stored[0]!.prev_hash).toBe('0'.repeat(64));
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.prev_hash).toBe(stored[i - 1]!.entry_hash);
  });

  it('names an edited entry', async () => {
    await chainOf(5);
    await sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE actor = 'someone-else' WHERE seq = 3`);
    expect((await verifyAuditChain(wh)).firstBroken).toEqual({ seq: 3, reason: 'content does not match its hash' });
  });

  it('names the entry after one whose hash was recomputed to hide an edit', async () => {
    await chainOf(5);
    const [e] = await rows<Record<string, string>>(wh, `SELECT seq, toString(at) AS at, actor, role, action, params_json, rows_returned, export_sha256, prev_hash FROM {{db}}.access_audit_v1 WHERE seq = 3`);
    const forged = entryHash({ ...(e as any), seq: 3, rows_returned: Number(e!.rows_returned), actor: 'someone-else' });
    await sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE actor = 'someone-else', entry_hash = '${forged}' WHERE seq = 3`);
    expect((await verifyAuditChain(wh)).firstBroken).toEqual({ seq: 4, reason: 'previous hash does not match' });
  });

  it('names a deleted entry', async () => {
    await chainOf(5);
    await sql(`ALTER TABLE {{db}}.access_audit_v1 DELETE WHERE seq = 2`);
    expect((await verifyAuditChain(wh)).firstBroken).toEqual({ seq: 2, reason: 'entry 2 is missing' });
  });

  it('detects removal of the latest entries against a published anchor and the running process', async () => {
    const audit = await chainOf(5);
    const dir = mkdtempSync(join(tmpdir(), 'wa-anchor-'));
    const file = join(dir, 'anchors.jsonl');
    await anchorAuditHead(wh, file, new Date());
    expect(JSON.parse(readFileSync(file, 'utf8').trim())).toMatchObject({ seq: 5 });
    await sql(`ALTER TABLE {{db}}.access_audit_v1 DELETE WHERE seq >= 4`);
    await sql(`TRUNCATE TABLE {{db}}.audit_anchors_v1`);

    // Without an anchor the shorter chain is internally consistent: that is why heads are published.
    expect((await verifyAuditChain(wh)).ok).toBe(true);
    const fromFile = await verifyAuditChain(wh, { anchors: await collectAnchors(wh, file) });
    expect(fromFile.firstBroken).toEqual({ seq: 4, reason: 'entries 4–5 were removed (anchored in anchor file)' });
    const fromProcess = await verifyAuditChain(wh, { anchors: await collectAnchors(wh, undefined, audit) });
    expect(fromProcess.firstBroken?.seq).toBe(4);

    // The running process goes on from its own head, so the gap stays in the chain.
    await audit.record({ actor: 'privacy#9', role: 'privacy', action: 'compliance.pii_inventory', params: {} });
    expect((await verifyAuditChain(wh)).firstBroken).toEqual({ seq: 4, reason: 'entry 4 is missing' });
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
      const [anchor] = await rows<{ seq: string }>(wh, `SELECT seq FROM {{db}}.audit_anchors_v1`);
      const [head] = await rows<{ seq: string }>(wh, `SELECT max(seq) AS seq FROM {{db}}.access_audit_v1`);
      expect(Number(anchor!.seq)).toBe(Number(head!.seq));
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
