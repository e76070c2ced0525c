import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '../../app/server.ts';
import { Writable } from 'node:stream';
import type { Warehouse } from '../../warehouse/client.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { request } from 'node:http';
import { signBody } from '../../ingest/signature.ts';
import { freePort, http, postSigned, startTestService, testConfig, TEST_SECRET } from '../helpers/service.ts';
import { startService } from '../../app/server.ts';
import { statuses, inbound } from '../fixtures/meta.ts';
import { createLogger } from '../../app/logger.ts';

let wh: Warehouse;
beforeAll(async () => {
  wh = await openTestWarehouse();
});
afterAll(() => wh?.close());
beforeEach(() => truncateAll(wh));

const count = async (table: string) => Number((await rows<{ n: number }>(wh, `SELECT count() AS n FROM {{db}}.${table} FINAL`))[0]!.n);

/** Polls `check` until it holds: for states the service reports (health), not for the passing of time. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}
const health = async (svc: Service) => JSON.parse((await http(`${svc.url()}/healthz`)).text) as { status: string; ingest: { loading: string; backlog_bytes: number; accepting: boolean } };
const statusBody = (id: string, pad = 0) =>
  JSON.stringify(statuses(...Array.from({ length: 1 + pad }, (_, k) => ({ id: k === 0 ? id : `${id}.${k}`, status: 'sent', timestamp: '1760000000', recipient_id: '5511999990000' }))));

describe('when the warehouse cannot store', () => {
  it('keeps acknowledging from the log under load, says it is degraded, and loads everything once it recovers', async () => {
    const svc = await startTestService(wh);
    try {
      // A real failure of the engine: the table the loader writes to is gone.
      await wh.writer.command({ query: `RENAME TABLE ${wh.database}.statuses_v1 TO ${wh.database}.statuses_v1_away` });
      const ids = Array.from({ length: 300 }, (_, i) => `wamid.O${i}`);
      let answers;
      try {
        answers = await Promise.all(ids.map((id) => postSigned(svc.url(), statusBody(id))));
        await until(async () => (await health(svc)).ingest.loading === 'retrying');
        const h = await http(`${svc.url()}/healthz`);
        expect(h.status).toBe(503);
        expect(JSON.parse(h.text)).toMatchObject({ status: 'degraded', ingest: { accepting: true, loading: 'retrying' } });
        expect(JSON.parse(h.text).ingest.backlog_bytes).toBeGreaterThan(0);
      } finally {
        await wh.writer.command({ query: `RENAME TABLE ${wh.database}.statuses_v1_away TO ${wh.database}.statuses_v1` });
      }
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      await svc.settle();
      expect(await count('statuses_v1')).toBe(300);
      expect(await count('raw_webhooks_v1')).toBe(300);
      expect(await health(svc)).toMatchObject({ status: 'ok', ingest: { loading: 'ok', backlog_bytes: 0 } });
    } finally {
      await svc.stop();
    }
  });

  it('answers 503 with Retry-After once the log is full, stores exactly what it acknowledged, and takes webhooks again after loading', async () => {
    const svc = await startTestService(wh, { INGEST_LOG_MAX_BYTES: String(1024 * 1024), INGEST_LOG_SEGMENT_BYTES: String(128 * 1024) });
    try {
      await wh.writer.command({ query: `RENAME TABLE ${wh.database}.statuses_v1 TO ${wh.database}.statuses_v1_away` });
      const answers: Array<{ id: string; status: number; retryAfter: unknown }> = [];
      try {
        // About 20 KB a body: the 1 MiB log fills after about fifty.
        for (let i = 0; i < 80; i++) {
          const r = await postSigned(svc.url(), statusBody(`wamid.FULL${i}`, 150));
          answers.push({ id: `wamid.FULL${i}`, status: r.status, retryAfter: r.headers['retry-after'] });
        }
        expect((await health(svc)).ingest.accepting).toBe(false);
      } finally {
        await wh.writer.command({ query: `RENAME TABLE ${wh.database}.statuses_v1_away TO ${wh.database}.statuses_v1` });
      }
      const acked = answers.filter((a) => a.status === 200).map((a) => a.id);
      const refused = answers.filter((a) => a.status !== 200);
      expect(acked.length).toBeGreaterThan(30);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((a) => a.status === 503 && a.retryAfter === '5')).toBe(true);
      await svc.settle();
      const loaded = await rows<{ wamid: string }>(wh, `SELECT DISTINCT wamid FROM {{db}}.statuses_v1 WHERE wamid LIKE 'wamid.FULL%' AND position(wamid, '.', 11) = 0 ORDER BY wamid`);
      expect(loaded.map((r) => r.wamid).sort()).toEqual([...acked].sort());
      expect(await count('raw_webhooks_v1')).toBe(acked.length);
      // Loaded segments are deleted: there is room again.
      expect((await postSigned(svc, statusBody('wamid.AGAIN'))).status).toBe(200);
    } finally {
      await svc.stop();
    }
  });
});

describe('when a ClickHouse server is unreachable at start', () => {
  it('takes webhooks into the log, says it is degraded, and keeps them for when the server answers', async () => {
    const closed = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'wa-down-'));
    const config = testConfig({ CLICKHOUSE_URL: `http://127.0.0.1:${closed}`, CLICKHOUSE_DATABASE: 'wa_unreachable', DATA_DIR: dataDir });
    const svc = await startService(config, { log: createLogger('down', 'silent'), scheduler: false });
    try {
      const body = statusBody('wamid.DOWN');
      const answers = await Promise.all(Array.from({ length: 50 }, () => postSigned(svc.url(), body)));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const h = await http(`${svc.url()}/healthz`);
      expect(h.status).toBe(503);
      expect(JSON.parse(h.text)).toMatchObject({ status: 'degraded', warehouse_reachable: false, ingest: { accepting: true } });
      expect(JSON.parse(h.text).ingest.backlog_bytes).toBe(svc.ingest.log.end);
      // Reports wait for the warehouse.
      expect((await http(`${svc.url()}/api/reports/sla`)).status).toBe(503);
    } finally {
      await svc.stop();
    }
  });
});

describe('graceful shutdown', () => {
  it('answers and stores every request already received', async () => {
    const svc = await startTestService(wh);
    const url = new URL(`${svc.url()}/webhook`);
    const bodies = Array.from({ length: 5 }, (_, i) => Buffer.from(JSON.stringify(statuses({ id: `wamid.D${i}`, status: 'read', timestamp: '1760000000', recipient_id: '1' }))));
    // Requests whose bodies are still arriving when the shutdown starts.
    const inFlight = bodies.map((b) => {
      const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': b.length, 'X-Hub-Signature-256': signBody(TEST_SECRET, b) } });
      const answer = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
      });
      req.write(b.subarray(0, 10));
      return { req, b, answer };
    });
    // Every request has reached the server (its headers are parsed) before the shutdown starts.
    await new Promise<void>((resolve) => {
      let seen = 0;
      svc.server.on('request', () => ++seen === bodies.length && resolve());
    });
    const stopping = svc.stop();
    for (const f of inFlight) f.req.end(b2(f.b));
    expect(await Promise.all(inFlight.map((f) => f.answer))).toEqual([200, 200, 200, 200, 200]);
    await stopping;
    expect(await count('statuses_v1')).toBe(5);
  });
});

describe('a load that takes long', () => {
  it('is logged while it runs, without personal data; the webhook is answered from the log meanwhile', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const config = testConfig({ INGEST_STALL_WARN_SECONDS: '1' });
    const svc = await startService(config, { warehouse: wh, log: createLogger('stall', 'warn', sink), scheduler: false });
    // A real slow engine: every insert into statuses_v1 also feeds a view that sleeps 2.5 s.
    await wh.writer.command({ query: `CREATE TABLE ${wh.database}.stall_sink (n UInt8) ENGINE = Null` });
    await wh.writer.command({ query: `CREATE MATERIALIZED VIEW ${wh.database}.stall_mv TO ${wh.database}.stall_sink AS SELECT toUInt8(sleep(2.5)) AS n FROM ${wh.database}.statuses_v1` });
    try {
      const body = JSON.stringify(statuses({ id: 'wamid.SLOW', status: 'sent', timestamp: '1760000000', recipient_id: '5511977776666' }));
      const answer = await postSigned(svc.url(), body);
      expect(answer.status).toBe(200);
      await svc.settle();
      const stalls = lines.map((l) => JSON.parse(l) as { msg: string; bodies: number; seconds: number }).filter((l) => l.msg === 'warehouse load still running');
      expect(stalls.length).toBeGreaterThanOrEqual(1);
      expect(stalls[0]!.bodies).toBe(1);
      expect(stalls[0]!.seconds).toBeGreaterThanOrEqual(1);
      expect(lines.join('')).not.toContain('5511977776666');
      expect(await count('statuses_v1')).toBe(1);
    } finally {
      await wh.writer.command({ query: `DROP VIEW IF EXISTS ${wh.database}.stall_mv` });
      await wh.writer.command({ query: `DROP TABLE IF EXISTS ${wh.database}.stall_sink` });
      await svc.stop();
    }
  });
});

const b2 = (b: Buffer) => b.subarray(10);

describe('logs', () => {
  it('never print phone numbers, names or message text', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger('t', 'debug', sink);
    const payload = inbound({ from: '5511988887777', id: 'wamid.L', timestamp: '1', type: 'text', text: { body: 'meu segredo' } }, { wa_id: '5511988887777', name: 'Maria Secreta' });
    log.info({ body: payload, wa_id: '5511988887777', contact: { name: 'Maria Secreta', from: '5511988887777' } }, 'received');
    log.error({ err: new Error('Cannot parse input: expected value for 5511988887777') }, 'failed');
    const out = lines.join('');
    expect(out).toContain('received');
    expect(out).not.toContain('5511988887777');
    expect(out).not.toContain('Maria');
    expect(out).not.toContain('segredo');
  });
});
