import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Warehouse } from '../../warehouse/client.ts';
import { replay } from '../../ingest/replay.ts';
import type { IngestPipeline } from '../../ingest/pipeline.ts';
import { openTestIngest } from '../helpers/ingest.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { inbound, statuses } from '../fixtures/meta.ts';

let wh: Warehouse;
beforeAll(async () => {
  wh = await openTestWarehouse();
});
let open: IngestPipeline[] = [];
afterAll(() => wh?.close());
beforeEach(() => truncateAll(wh));
afterEach(async () => {
  for (const p of open) await p.close();
  open = [];
});

const bodies = [
  JSON.stringify(inbound({ from: '4915112345678', id: 'wamid.RP1', timestamp: '1737000000', type: 'text', text: { body: 'Grüße' } })),
  JSON.stringify(statuses({ id: 'wamid.RP2', status: 'sent', timestamp: '1737000100', recipient_id: '4915112345678' })),
  'not json at all',
];

const pipeline = async (opts: Parameters<typeof openTestIngest>[1] = {}) => {
  const p = await openTestIngest(wh, opts);
  open.push(p);
  return p;
};
const counts = async () => {
  const [c] = await rows<Record<'m' | 's' | 'r', string | number>>(wh, `SELECT (SELECT count() FROM {{db}}.messages_v1 FINAL) AS m, (SELECT count() FROM {{db}}.statuses_v1 FINAL) AS s, (SELECT count() FROM {{db}}.raw_webhooks_v1 FINAL) AS r`);
  return { m: Number(c!.m), s: Number(c!.s), r: Number(c!.r) };
};

describe('replay', () => {
  it('loads an NDJSON archive idempotently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-replay-'));
    const file = join(dir, 'bodies.ndjson');
    writeFileSync(file, bodies.join('\n') + '\n');
    const first = await replay(file, await pipeline());
    expect(first).toEqual({ bodies: 3, notJson: 1, unknown: 0, redacted: 0 });
    await replay(file, await pipeline());
    expect(await counts()).toEqual({ m: 1, s: 1, r: 3 });
    const [raw] = await rows<{ signature_valid: boolean }>(wh, "SELECT signature_valid FROM {{db}}.raw_webhooks_v1 FINAL WHERE verdict = 'ok' LIMIT 1");
    expect(raw!.signature_valid).toBe(false);
  });

  it('loads a folder with one body per file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-replay-dir-'));
    mkdirSync(join(dir, 'bodies'));
    bodies.slice(0, 2).forEach((b, i) => writeFileSync(join(dir, 'bodies', `${i}.json`), b));
    const r = await replay(join(dir, 'bodies'), await pipeline());
    expect(r.bodies).toBe(2);
    expect(await counts()).toEqual({ m: 1, s: 1, r: 2 });
  });

  it('loads kept ingest-log segments with their receipt times and signature verdicts', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'wa-replay-log-'));
    // A service's log that keeps loaded segments (INGEST_LOG_RETAIN_HOURS) and starts a segment often.
    const live = await pipeline({ dir: logDir, env: { INGEST_LOG_RETAIN_HOURS: '1', INGEST_LOG_SEGMENT_BYTES: '4096' } });
    const at = Date.UTC(2026, 10, 3, 12, 0, 0);
    for (const [i, b] of bodies.slice(0, 2).entries()) await live.append({ body: Buffer.from(b), receivedAt: at + i, signatureValid: true });
    await live.settle();
    await live.close();
    open = [];
    await truncateAll(wh);
    const r = await replay(logDir, await pipeline());
    expect(r).toMatchObject({ bodies: 2, notJson: 0 });
    expect(await counts()).toEqual({ m: 1, s: 1, r: 2 });
    const raw = await rows<{ t: string; signature_valid: boolean }>(wh, "SELECT toString(received_at) AS t, signature_valid FROM {{db}}.raw_webhooks_v1 FINAL ORDER BY received_at");
    expect(raw).toEqual([
      { t: '2026-11-03 12:00:00.000', signature_valid: true },
      { t: '2026-11-03 12:00:00.001', signature_valid: true },
    ]);
  });
});
