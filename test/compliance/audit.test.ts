import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Warehouse } from '../../warehouse/client.ts';
import { auditHourly, type AuditRow } from '../../warehouse/queries/audit.ts';
import { createAccessAudit, entryHash } from '../../app/audit.ts';
import { anchorAuditHeads, collectAnchors, verifyAuditChain as verifyChainWith, verifyAuditChains as verifyChainsWith, type AuditAnchor } from '../../app/audit-verify.ts';
import { createAnchorPublisher } from '../../app/audit-anchor.ts';
import { auditKey } from '../../app/audit-key.ts';
import { createLogger } from '../../app/logger.ts';
import { queryDuration } from '../../warehouse/metrics.ts';
import { partsOnce } from '../../warehouse/queries/parts.ts';
import type { ChainMemory } from '../../app/audit-verify.ts';
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
const KEY = auditKey('test-audit-key-0123456789abcdef');
let anchorFile: string;
beforeEach(() => {
  anchorFile = join(mkdtempSync(join(tmpdir(), 'wa-anchor-')), 'anchors.jsonl');
});
const publisher = () => createAnchorPublisher(wh, { key: '', anchorFile }, KEY, createLogger('test', 'silent'));
const writerOf = (writer: string) => createAccessAudit(wh, writer, { key: KEY, anchors: publisher() });
const verifyAuditChain = (writer: string, anchors: readonly AuditAnchor[] = []) => verifyChainWith(wh, KEY, writer, anchors);
const verifyAuditChains = (opts: { anchors?: readonly AuditAnchor[]; pageSize?: number } = {}) => verifyChainsWith(wh, { key: KEY, ...opts });
/** Anchors from the table and the anchor file, as `audit verify` collects them. */
const anchorsNow = () => collectAnchors(wh, [anchorFile]);

async function chainOf(n: number) {
  const audit = writerOf(W);
  for (let i = 1; i <= n; i++) await audit.record({ actor: `privacy#${i}`, role: 'privacy', action: 'compliance.x', params: { subject: 'ab'.repeat(32) }, rows: i });
  return audit;
}

const sql = (query: string) => wh.writer.command({ query: query.replaceAll('{{db}}', wh.database), clickhouse_settings: { mutations_sync: '2' } });

describe('access audit chain', () => {
  it('verifies an intact chain', async () => {
    await chainOf(5);
    const v = await verifyAuditChain(W);
    expect(v).toMatchObject({ ok: true, entries: 5, head: { seq: 5 } });
    const stored = await rows<{ seq: string; prev_hash: string; entry_hash: string }>(wh, `SELECT seq, prev_hash, entry_hash FROM {{db}}.access_audit_v1 ORDER BY seq`);
    expect(stored[0]!.prev_hash).toBe('0'.repeat(64));
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.prev_hash).toBe(stored[i - 1]!.entry_hash);
  });

  it('chains a burst of entries recorded at once in call order, each caller told when its entry is in', async () => {
    const audit = writerOf(W);
    const said: number[] = [];
    await Promise.all(Array.from({ length: 40 }, (_, i) =>
      audit.record({ actor: `privacy#${i + 1}`, role: 'privacy', action: 'compliance.x', params: { n: i + 1 }, rows: i + 1 }).then(() => said.push(i + 1))));
    expect(said.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(await verifyAuditChain(W)).toMatchObject({ ok: true, entries: 40, head: { seq: 40 } });
    const stored = await rows<{ seq: string; actor: string }>(wh, `SELECT seq, actor FROM {{db}}.access_audit_v1 ORDER BY seq`);
    expect(stored.map((r) => `${r.seq}:${r.actor}`)).toEqual(Array.from({ length: 40 }, (_, i) => `${i + 1}:privacy#${i + 1}`));
    // The head at the end of the burst is anchored outside the store.
    const heads = readFileSync(anchorFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.kind === 'head');
    expect(heads.at(-1)!.seq).toBe(40);
  });

  it('says when every entry recorded so far is in (what a stopping service waits for)', async () => {
    const audit = writerOf(W);
    for (let i = 1; i <= 12; i++) void audit.record({ actor: `privacy#${i}`, role: 'privacy', action: 'compliance.x', params: {} });
    await audit.idle();
    expect(await verifyAuditChain(W)).toMatchObject({ ok: true, entries: 12, head: { seq: 12 } });
  });

  it('names an edited entry', async () => {
    await chainOf(5);
    await sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE actor = 'someone-else' WHERE seq = 3`);
    expect((await verifyAuditChain(W)).firstBroken).toEqual({ seq: 3, reason: 'content does not match its hash' });
  });

  it('names an entry rewritten and rechained without the key, even with the anchor rows rewritten too', async () => {
    await chainOf(5);
    type Row = Record<string, string>;
    const chain = await rows<Row>(wh, `SELECT writer, seq, toString(at) AS at, actor, role, action, params_json, rows_returned, export_sha256, prev_hash, entry_hash, key_id FROM {{db}}.access_audit_v1 ORDER BY seq`);
    // The attacker turns entry 3 into a harmless one and recomputes entries 3–5 and the anchor
    // rows: once with the unkeyed hash the chain used before, once marking them as legacy entries.
    const rechain = (asLegacy: boolean) => {
      let prev = chain[1]!.entry_hash!;
      return chain.slice(2).map((r) => {
        const e = { ...r, seq: Number(r.seq), rows_returned: Number(r.rows_returned), prev_hash: prev, key_id: asLegacy ? '' : r.key_id!, actor: r.seq === '3' ? 'nobody' : r.actor! };
        const entry_hash = entryHash({ ...(e as unknown as AuditRow), key_id: '' });
        prev = entry_hash;
        return { ...e, entry_hash };
      });
    };
    for (const asLegacy of [false, true]) {
      const forged = rechain(asLegacy);
      await sql(`ALTER TABLE {{db}}.access_audit_v1 DELETE WHERE seq >= 3`);
      await wh.writer.insert({ table: `${wh.database}.access_audit_v1`, values: forged, format: 'JSONEachRow' });
      for (const f of forged) await sql(`ALTER TABLE {{db}}.audit_anchors_v1 UPDATE entry_hash = '${f.entry_hash}' WHERE seq = ${f.seq}`);
      const reason = asLegacy ? 'entry 3 is not keyed and not in the sealed legacy segment' : 'content does not match its hash';
      // With the anchor file, with the table's anchors alone, and with no anchor at all.
      expect((await verifyAuditChain(W, await anchorsNow())).firstBroken).toEqual({ seq: 3, reason });
      expect((await verifyAuditChain(W, await collectAnchors(wh))).firstBroken).toEqual({ seq: 3, reason });
      expect((await verifyAuditChain(W)).firstBroken).toEqual({ seq: 3, reason });
    }
  });

  it('names a deleted entry', async () => {
    await chainOf(5);
    await sql(`ALTER TABLE {{db}}.access_audit_v1 DELETE WHERE seq = 2`);
    expect((await verifyAuditChain(W)).firstBroken).toEqual({ seq: 2, reason: 'entry 2 is missing' });
  });

  it('detects removal of the newest entries: every write burst is anchored outside the store', async () => {
    const audit = await chainOf(5);
    // One signed anchor line per burst (each record here is its own burst), before any nightly job.
    const lines = readFileSync(anchorFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.kind === 'head').map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(lines.filter((l) => l.kind === 'head').every((l) => /^[0-9a-f]{64}$/.test(l.mac) && l.key_id === KEY.id)).toBe(true);
    await sql(`ALTER TABLE {{db}}.access_audit_v1 DELETE WHERE seq >= 4`);
    // The table's own anchors still name the removed entries.
    expect((await verifyAuditChain(W, await collectAnchors(wh))).firstBroken).toEqual({ seq: 4, reason: 'entries 4–5 were removed (anchored in audit_anchors_v1)' });
    await sql(`TRUNCATE TABLE {{db}}.audit_anchors_v1`);

    // Without any anchor the shorter chain is internally consistent: that is why heads are published.
    expect((await verifyAuditChain(W)).ok).toBe(true);
    expect((await verifyAuditChain(W, await anchorsNow())).firstBroken).toEqual({ seq: 4, reason: 'entries 4–5 were removed (anchored in anchor file)' });
    const fromProcess = await verifyAuditChain(W, await collectAnchors(wh, [], audit));
    expect(fromProcess.firstBroken?.seq).toBe(4);

    // The running process goes on from its own head, so the gap stays in the chain.
    await audit.record({ actor: 'privacy#9', role: 'privacy', action: 'compliance.x', params: {} });
    expect((await verifyAuditChain(W)).firstBroken).toEqual({ seq: 4, reason: 'entry 4 is missing' });
  });

  it('names an anchor row forged without the key', async () => {
    await chainOf(2);
    await sql(`INSERT INTO {{db}}.audit_anchors_v1 (anchored_at, seq, entry_hash, writer, kind, key_id, mac) VALUES (now64(3), 9, '${'ab'.repeat(32)}', '${W}', 'head', '${KEY.id}', '${'cd'.repeat(32)}')`);
    expect((await verifyAuditChain(W, await collectAnchors(wh))).firstBroken).toEqual({ seq: 9, reason: 'the anchor of entry 9 in audit_anchors_v1 does not carry a valid MAC (rewritten or forged)' });
  });

  it('publishes the head of every chain on demand, signed', async () => {
    const a = writerOf('api-1');
    await a.record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: {} });
    await writerOf('api-2').record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: {} });
    await sql(`TRUNCATE TABLE {{db}}.audit_anchors_v1`);
    const heads = await anchorAuditHeads(wh, publisher(), new Date());
    expect(heads.map((h) => [h.writer, h.seq])).toEqual([['api-1', 1], ['api-2', 1]]);
    expect((await verifyAuditChains({ anchors: await collectAnchors(wh) })).anchorsChecked).toBe(2);
  });

  it('sends each burst\'s anchor to the webhook, signed with its own secret', async () => {
    const received: Array<{ body: string; signature: string }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-audit-signature-256']) });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/anchors`;
      const secret = 'anchor-webhook-secret-0123';
      const anchors = createAnchorPublisher(wh, { key: '', anchorFile, webhook: { url, secret } }, KEY, createLogger('test', 'silent'));
      await createAccessAudit(wh, W, { key: KEY, anchors }).record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: {} });
      // The seal (nothing unkeyed here: only the marker), then the head of the burst.
      expect(received.length).toBe(2);
      for (const r of received) expect(r.signature).toBe('sha256=' + createHmac('sha256', secret).update(r.body).digest('hex'));
      const [head] = await rows<{ entry_hash: string }>(wh, `SELECT entry_hash FROM {{db}}.access_audit_v1`);
      expect(JSON.parse(received[1]!.body).anchors).toEqual([expect.objectContaining({ kind: 'head', writer: W, seq: 1, entry_hash: head!.entry_hash, key_id: KEY.id })]);
    } finally {
      server.close();
    }
  });

  it('keeps one chain per writer when two instances append at once, each verified on its own', async () => {
    // Two instances over one warehouse (two processes cannot share one embedded store): all appends
    // are started together, so each writer reads its head while the other is inserting.
    const a = writerOf('api-1');
    const b = writerOf('api-2');
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
    const anchors = await collectAnchors(wh, [anchorFile], b);
    const v = await verifyAuditChains({ anchors });
    expect(v).toMatchObject({ ok: true, entries: 24 });
    // The anchors of both chains were checked (bursts of each writer, and the process's head).
    expect(new Set(anchors.filter((x) => x.kind === 'head').map((x) => x.writer))).toEqual(new Set(['api-1', 'api-2']));
    expect(v.anchorsChecked).toBeGreaterThanOrEqual(2);
    expect(v.chains.map((c) => [c.writer, c.ok, c.entries, c.head?.seq])).toEqual([['api-1', true, 12, 12], ['api-2', true, 12, 12]]);

    await sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE actor = 'someone-else' WHERE writer = 'api-2' AND seq = 7`);
    const tampered = await verifyAuditChains();
    expect(tampered.ok).toBe(false);
    expect(tampered.chains.map((c) => [c.writer, c.ok, c.firstBroken ?? null])).toEqual([
      ['api-1', true, null],
      ['api-2', false, { seq: 7, reason: 'content does not match its hash' }],
    ]);
  });

  it('reads the chains page by page and still sees an entry stored twice across a page boundary', async () => {
    const a = writerOf('api-1');
    const b = writerOf('api-2');
    for (let i = 0; i < 5; i++) await a.record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: { i } });
    for (let i = 0; i < 3; i++) await b.record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: { i } });
    const paged = await verifyAuditChains({ pageSize: 2 });
    expect(paged.chains.map((c) => [c.writer, c.ok, c.entries, c.head?.seq])).toEqual([['api-1', true, 5, 5], ['api-2', true, 3, 3]]);

    // A forged second entry 2 of api-1: with pages of two, the first page ends at the real entry 2.
    await sql(`INSERT INTO {{db}}.access_audit_v1 SELECT * REPLACE ('forger' AS actor) FROM {{db}}.access_audit_v1 WHERE writer = 'api-1' AND seq = 2`);
    const v = await verifyAuditChains({ pageSize: 2 });
    // The two rows of entry 2 come in either order: the copy read second appears twice, or the
    // forged one read first does not match its hash.
    expect(v.chains.map((c) => [c.writer, c.firstBroken?.seq ?? null])).toEqual([['api-1', 2], ['api-2', null]]);
    expect(['entry 2 appears more than once', 'content does not match its hash']).toContain(v.chains[0]!.firstBroken!.reason);
  });

  it('names an entry moved to another writer\'s chain', async () => {
    const a = writerOf('api-1');
    const b = writerOf('api-2');
    for (let i = 0; i < 3; i++) {
      await a.record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: {} });
      await b.record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: {} });
    }
    await sql(`ALTER TABLE {{db}}.access_audit_v1 DELETE WHERE writer = 'api-1' AND seq = 3`);
    await sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE writer = 'api-1' WHERE writer = 'api-2' AND seq = 3`);
    const v = await verifyAuditChains();
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
    // The first keyed write seals the unkeyed chains as they stand: a legacy segment.
    await writerOf('api-1').record({ actor: 'privacy#1', role: 'privacy', action: 'compliance.x', params: {} });
    const v = await verifyAuditChains({ anchors: await anchorsNow() });
    expect(v.chains.map((c) => [c.writer, c.ok, c.entries])).toEqual([['', true, 3], ['api-1', true, 1]]);

    // An unkeyed entry appended after the seal (someone with SQL access, not the service) is named.
    const e = { seq: 4, at: '2025-01-04 10:00:00.000', actor: 'privacy#1', role: 'privacy', action: 'compliance.x', params_json: '{}', rows_returned: 4, export_sha256: '', prev_hash: prev };
    const entry_hash = createHash('sha256').update(JSON.stringify([4, e.at, e.actor, e.role, e.action, e.params_json, 4, '', prev])).digest('hex');
    await wh.writer.insert({ table: `${wh.database}.access_audit_v1`, values: [{ ...e, entry_hash }], format: 'JSONEachRow', columns: cols as [string, ...string[]] });
    const after = await verifyAuditChains({ anchors: await anchorsNow() });
    expect(after.chains[0]!.firstBroken).toEqual({ seq: 4, reason: 'entry 4 is not keyed and not in the sealed legacy segment' });
    // Without the seal (its anchors removed) no unkeyed entry is accepted.
    expect((await verifyAuditChains()).chains[0]!.firstBroken).toEqual({ seq: 1, reason: 'entry 1 is not keyed and not in the sealed legacy segment' });
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

describe('access audit per hour', () => {
  it('counts entries per hour (UTC) and action in the range, with who, in the warehouse', async () => {
    const entry = (seq: number, at: string, actor: string, action: string) => ({
      writer: W, seq, at, actor, role: 'privacy', action, params_json: '{}', rows_returned: null, export_sha256: '', prev_hash: '', entry_hash: '', key_id: '',
    });
    await wh.writer.insert({
      table: `${wh.database}.access_audit_v1`, format: 'JSONEachRow',
      values: [
        entry(1, '2025-03-10 09:15:00.000', 'manager#2', 'dashboards.view'), entry(2, '2025-03-10 09:45:00.000', 'privacy#4', 'dashboards.view'),
        entry(3, '2025-03-10 09:50:00.000', 'manager#2', 'dashboards.view'), entry(4, '2025-03-10 10:05:00.000', 'privacy#4', 'compliance.dsar'),
        entry(5, '2025-03-11 00:00:00.000', 'privacy#4', 'compliance.dsar'), // the range's end: not in it
      ],
    });
    expect(await auditHourly(wh, { from: '2025-03-10 00:00:00.000', to: '2025-03-11 00:00:00.000' })).toEqual([
      { hour: '2025-03-10T09:00:00.000Z', action: 'dashboards.view', n: 3, actors: 'manager#2, privacy#4' },
      { hour: '2025-03-10T10:00:00.000Z', action: 'compliance.dsar', n: 1, actors: 'privacy#4' },
    ]);
  });
});

describe('a verifier that goes on from its last pass', () => {
  /** An entry edited between passes: the next pass names the break as a whole walk does. */
  async function expectEditSeen(pass: () => ReturnType<typeof verifyChainsWith>, edit: string): Promise<void> {
    await sql(edit);
    const edited = await pass();
    expect(edited.ok).toBe(false);
    expect(edited).toEqual(await verifyAuditChains({ anchors: await anchorsNow() }));
  }

  /** How many pages of entries have been read so far. */
  const pages = async () => (await queryDuration.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.query === 'audit.entries_after' && v.labels.outcome === 'ok')?.value ?? 0;
  const tampering: Array<[string, () => Promise<unknown>]> = [
    ['an entry edited', () => sql(`ALTER TABLE {{db}}.access_audit_v1 UPDATE actor = 'someone-else' WHERE writer = '${W}' AND seq = 2`)],
    ['an entry deleted', () => sql(`DELETE FROM {{db}}.access_audit_v1 WHERE writer = '${W}' AND seq = 3`)],
    ['an entry stored twice', () => sql(`INSERT INTO {{db}}.access_audit_v1 SELECT * FROM {{db}}.access_audit_v1 WHERE writer = '${W}' AND seq = 2`)],
    ['the table emptied', () => sql(`TRUNCATE TABLE {{db}}.access_audit_v1`)],
  ];

  it.each(tampering)('reads only what was appended, and names %s as a whole walk does', async (_what, tamper) => {
    const audit = await chainOf(6);
    const other = writerOf('api-2');
    await other.record({ actor: 'admin#1', role: 'admin', action: 'compliance.y', params: {} });
    const memory: ChainMemory = {};
    // Blocks of four sequence numbers: the entries tampered with lie in a block no later insert touches.
    const pass = async () => verifyChainsWith(wh, { key: KEY, anchors: await anchorsNow(), pageSize: 2, memory, block: 4 });
    const first = await pass();
    expect(first).toMatchObject({ ok: true, entries: 7 });

    // Two entries appended: one page of two (and the empty one after it), not the whole chain again.
    for (let i = 7; i <= 8; i++) await audit.record({ actor: `privacy#${i}`, role: 'privacy', action: 'compliance.x', params: {}, rows: i });
    const before = await pages();
    const second = await pass();
    expect((await pages()) - before).toBe(2);
    expect(second).toEqual(await verifyAuditChains({ anchors: await anchorsNow() }));
    expect(second).toMatchObject({ ok: true, entries: 9 });

    await tamper();
    const third = await pass();
    expect(third.ok).toBe(false);
    expect(third).toEqual(await verifyAuditChains({ anchors: await anchorsNow() }));
  });

  it('goes on from its last pass across merges of the parts, and still sees an entry edited after them', async () => {
    const audit = await chainOf(5);
    const memory: ChainMemory = {};
    const pass = async () => verifyChainsWith(wh, { key: KEY, anchors: await anchorsNow(), memory, block: 2 });
    await pass();
    for (let i = 6; i <= 7; i++) await audit.record({ actor: `privacy#${i}`, role: 'privacy', action: 'compliance.x', params: {}, rows: i });
    await sql('OPTIMIZE TABLE {{db}}.access_audit_v1 FINAL');
    const before = await pages();
    const merged = await pass();
    expect((await pages()) - before).toBe(1);
    expect(merged).toEqual(await verifyAuditChains({ anchors: await anchorsNow() }));
    expect(merged).toMatchObject({ ok: true, entries: 7 });
    expect(memory.chains?.get(W)?.rows).toBe(7);
    // Nothing appended since (the same parts): no page is read at all, and the verdict stands.
    const still = await pages();
    expect(await pass()).toEqual(merged);
    expect((await pages()) - still).toBe(0);

    await audit.record({ actor: 'privacy#8', role: 'privacy', action: 'compliance.x', params: {}, rows: 8 });
    expect(await pass()).toMatchObject({ ok: true, entries: 8 });
    await expectEditSeen(pass, `ALTER TABLE {{db}}.access_audit_v1 UPDATE params_json = '{"x":1}' WHERE writer = '${W}' AND seq = 1`);
  });

  it('without a list of parts (as on a cluster) reads every block again, and still goes on and sees an edit', async () => {
    const audit = await chainOf(5);
    const memory: ChainMemory = {};
    const pass = async () => verifyChainsWith(wh, { key: KEY, anchors: await anchorsNow(), memory, block: 2, pageSize: 2, parts: async () => null });
    expect(await pass()).toMatchObject({ ok: true, entries: 5 });
    await audit.record({ actor: 'privacy#6', role: 'privacy', action: 'compliance.x', params: {}, rows: 6 });
    const before = await pages();
    const second = await pass();
    expect((await pages()) - before).toBe(1);
    expect(second).toEqual(await verifyAuditChains({ anchors: await anchorsNow() }));
    expect(memory.chains?.get(W)?.rows).toBe(6);
    expect(memory.parts).toBeUndefined();
    await expectEditSeen(pass, `ALTER TABLE {{db}}.access_audit_v1 UPDATE actor = 'someone-else' WHERE writer = '${W}' AND seq = 3`);
  });

  it('keeps the anchor table\'s anchors while it stands still, and reads it again once an anchor is added', async () => {
    const audit = await chainOf(3);
    const memory: ChainMemory = {};
    const reads = async () => (await queryDuration.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.query === 'audit.anchors' && v.labels.outcome === 'ok')?.value ?? 0;
    const collect = () => collectAnchors(wh, [anchorFile], audit, { memory, parts: partsOnce(wh) });
    const first = await collect();
    const read = await reads();
    expect(await collect()).toEqual(first);
    expect(await reads()).toBe(read);
    // An entry appended (its write burst anchors its head in the table too): read again, the new head among them.
    await audit.record({ actor: 'privacy#4', role: 'privacy', action: 'compliance.x', params: {}, rows: 4 });
    await anchorAuditHeads(wh, publisher(), new Date());
    const after = await collect();
    expect(await reads()).toBe(read + 1);
    expect(after).toEqual(await collectAnchors(wh, [anchorFile], audit));
    expect(after.some((a) => a.location === 'audit_anchors_v1' && a.writer === W && a.seq === 4)).toBe(true);
    expect(first.some((a) => a.location === 'audit_anchors_v1' && a.seq === 4)).toBe(false);
  });

  it('two passes at once on one memory each give the verdict of a whole walk', async () => {
    const audit = await chainOf(4);
    const memory: ChainMemory = {};
    const pass = async () => verifyChainsWith(wh, { key: KEY, anchors: await anchorsNow(), memory });
    await pass();
    for (let i = 5; i <= 6; i++) await audit.record({ actor: `privacy#${i}`, role: 'privacy', action: 'compliance.x', params: {}, rows: i });
    const whole = await verifyAuditChains({ anchors: await anchorsNow() });
    expect(whole).toMatchObject({ ok: true, entries: 6 });
    expect(await Promise.all([pass(), pass()])).toEqual([whole, whole]);
    // The memory is whole again: the next pass goes on from it.
    expect(await pass()).toEqual(whole);
    expect(memory.chains?.get(W)?.rows).toBe(6);
  });
});

describe('nightly compliance snapshot', () => {
  it('keeps each report with its SHA-256, verifies the chain and anchors its head', async () => {
    const svc = await startTestService(wh);
    try {
      const other = createAccessAudit(wh, W, { key: svc.deps.auditKey, anchors: svc.deps.auditAnchors });
      for (let i = 0; i < 3; i++) await other.record({ actor: 'x', role: 'privacy', action: 'compliance.x', params: {} });
      const { runSnapshot } = await import('../../reports/compliance/jobs.ts');
      const v = await runSnapshot(svc.deps, new Date());
      expect(v.result).toBe('ok');
      const snaps = await rows<{ report: string; sha256: string; content: string }>(wh, `SELECT report, sha256, content FROM {{db}}.compliance_snapshots_v1 ORDER BY report`);
      expect(snaps.map((s) => s.report)).toEqual(['cross_border', 'legal_holds', 'pii_inventory', 'records_of_processing', 'rights_requests']);
      for (const s of snaps) expect(createHash('sha256').update(s.content).digest('hex')).toBe(s.sha256);
      // The newest anchor of each chain (the test's writer and the service's own) is its head.
      const anchors = await rows<{ writer: string; seq: string }>(wh, `SELECT writer, max(seq) AS seq FROM {{db}}.audit_anchors_v1 WHERE kind = 'head' GROUP BY writer ORDER BY writer`);
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
