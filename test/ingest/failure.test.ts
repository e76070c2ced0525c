import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

describe('when the warehouse cannot commit', () => {
  it('answers 503 with Retry-After, and the retried delivery is stored once', async () => {
    const svc = await startTestService(wh);
    try {
      const body = JSON.stringify(statuses({ id: 'wamid.F1', status: 'sent', timestamp: '1760000000', recipient_id: '5511999990000' }));
      // A real failure of the engine: the table the commit writes to is gone.
      await wh.writer.command({ query: `RENAME TABLE ${wh.database}.statuses_v1 TO ${wh.database}.statuses_v1_away` });
      let failed;
      try {
        failed = await postSigned(svc, body);
      } finally {
        await wh.writer.command({ query: `RENAME TABLE ${wh.database}.statuses_v1_away TO ${wh.database}.statuses_v1` });
      }
      expect(failed.status).toBe(503);
      expect(failed.headers['retry-after']).toBe('5');
      expect(await count('raw_webhooks_v1')).toBe(0);
      // Meta retries: now it is stored, once.
      expect((await postSigned(svc, body)).status).toBe(200);
      expect((await postSigned(svc, body)).status).toBe(200);
      expect(await count('statuses_v1')).toBe(1);
      expect(await count('raw_webhooks_v1')).toBe(1);
    } finally {
      await svc.stop();
    }
  });

  it('answers 503 when the queue is full instead of growing without bound', async () => {
    const svc = await startTestService(wh, { INGEST_MAX_QUEUE: '1', INGEST_MAX_BATCH: '1' });
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => postSigned(svc, JSON.stringify(statuses({ id: `wamid.Q${i}`, status: 'sent', timestamp: '1760000000', recipient_id: '1' })))),
      );
      const codes = answers.map((a) => a.status);
      expect(codes.filter((c) => c === 503).length).toBeGreaterThan(0);
      expect(codes.every((c) => c === 200 || c === 503)).toBe(true);
      // Exactly the acknowledged ones are stored.
      expect(await count('statuses_v1')).toBe(codes.filter((c) => c === 200).length);
    } finally {
      await svc.stop();
    }
  });
});

describe('when a ClickHouse server is unreachable at start', () => {
  it('serves anyway: webhooks answer 503 with Retry-After, health says so, and nothing piles up', async () => {
    const closed = await freePort();
    const config = testConfig({ CLICKHOUSE_URL: `http://127.0.0.1:${closed}`, CLICKHOUSE_DATABASE: 'wa_unreachable' });
    const svc = await startService(config, { log: createLogger('down', 'silent'), scheduler: false });
    try {
      const body = JSON.stringify(statuses({ id: 'wamid.DOWN', status: 'sent', timestamp: '1760000000', recipient_id: '1' }));
      const answers = await Promise.all(Array.from({ length: 200 }, () => postSigned(svc, body)));
      expect(answers.every((a) => a.status === 503 && a.headers['retry-after'] === '5')).toBe(true);
      expect((await http(`${svc.url()}/healthz`)).status).toBe(503);
      expect(svc.writer.depth).toBe(0);
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
    await new Promise((r) => setTimeout(r, 300));
    const stopping = svc.stop();
    for (const f of inFlight) f.req.end(b2(f.b));
    expect(await Promise.all(inFlight.map((f) => f.answer))).toEqual([200, 200, 200, 200, 200]);
    await stopping;
    expect(await count('statuses_v1')).toBe(5);
  });
});

describe('a commit that takes long', () => {
  it('is logged while it runs, without personal data, and still acknowledged once stored', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const config = testConfig({ INGEST_STALL_WARN_SECONDS: '1' });
    const svc = await startService(config, { warehouse: wh, log: createLogger('stall', 'warn', sink), scheduler: false });
    // A real slow engine: every insert into statuses_v1 also feeds a view that sleeps 2.5 s.
    await wh.writer.command({ query: `CREATE TABLE ${wh.database}.stall_sink (n UInt8) ENGINE = Null` });
    await wh.writer.command({ query: `CREATE MATERIALIZED VIEW ${wh.database}.stall_mv TO ${wh.database}.stall_sink AS SELECT toUInt8(sleep(2.5)) AS n FROM ${wh.database}.statuses_v1` });
    try {
      const body = JSON.stringify(statuses({ id: 'wamid.SLOW', status: 'sent', timestamp: '1760000000', recipient_id: '5511977776666' }));
      const answer = await postSigned(svc, body);
      expect(answer.status).toBe(200);
      const stalls = lines.map((l) => JSON.parse(l) as { msg: string; bodies: number; seconds: number }).filter((l) => l.msg === 'warehouse commit still running');
      expect(stalls.length).toBeGreaterThanOrEqual(1);
      expect(stalls[0]!.bodies).toBe(1);
      expect(stalls[0]!.seconds).toBeGreaterThanOrEqual(1);
      expect(lines.join('')).not.toContain('5511977776666');
      expect(await count('statuses_v1')).toBe(1);
      // Once the commit returns the warnings stop.
      const seen = lines.length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(lines.length).toBe(seen);
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
