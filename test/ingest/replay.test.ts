import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Warehouse } from '../../warehouse/client.ts';
import { IngestWriter } from '../../ingest/writer.ts';
import { createIngestMetrics } from '../../ingest/metrics.ts';
import { createLogger } from '../../app/logger.ts';
import { replay } from '../../ingest/replay.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { inbound, statuses } from '../fixtures/meta.ts';

let wh: Warehouse;
beforeAll(async () => {
  wh = await openTestWarehouse();
});
afterAll(() => wh?.close());
beforeEach(() => truncateAll(wh));

const bodies = [
  JSON.stringify(inbound({ from: '4915112345678', id: 'wamid.RP1', timestamp: '1737000000', type: 'text', text: { body: 'Grüße' } })),
  JSON.stringify(statuses({ id: 'wamid.RP2', status: 'sent', timestamp: '1737000100', recipient_id: '4915112345678' })),
  'not json at all',
];

const writer = () => new IngestWriter(wh, { maxQueue: 10_000, maxBatch: 1000 }, createIngestMetrics(), createLogger('replay-test', 'silent'));
const counts = async () => {
  const [c] = await rows<Record<'m' | 's' | 'r', string | number>>(wh, `SELECT (SELECT count() FROM {{db}}.messages_v1 FINAL) AS m, (SELECT count() FROM {{db}}.statuses_v1 FINAL) AS s, (SELECT count() FROM {{db}}.raw_webhooks_v1 FINAL) AS r`);
  return { m: Number(c!.m), s: Number(c!.s), r: Number(c!.r) };
};

describe('replay', () => {
  it('loads an NDJSON archive idempotently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-replay-'));
    const file = join(dir, 'bodies.ndjson');
    writeFileSync(file, bodies.join('\n') + '\n');
    const first = await replay(file, writer());
    expect(first).toEqual({ bodies: 3, notJson: 1, unknown: 0 });
    await replay(file, writer());
    expect(await counts()).toEqual({ m: 1, s: 1, r: 3 });
    const [raw] = await rows<{ signature_valid: boolean }>(wh, "SELECT signature_valid FROM {{db}}.raw_webhooks_v1 FINAL WHERE verdict = 'ok' LIMIT 1");
    expect(raw!.signature_valid).toBe(false);
  });

  it('loads a folder with one body per file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-replay-dir-'));
    mkdirSync(join(dir, 'bodies'));
    bodies.slice(0, 2).forEach((b, i) => writeFileSync(join(dir, 'bodies', `${i}.json`), b));
    const r = await replay(join(dir, 'bodies'), writer());
    expect(r.bodies).toBe(2);
    expect(await counts()).toEqual({ m: 1, s: 1, r: 2 });
  });
});
