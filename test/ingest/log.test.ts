import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../app/logger.ts';
import { IngestLog, LogFullError } from '../../ingest/ingest-log.ts';
import { HEADER_BYTES, decodeRecord, encodeRecord } from '../../ingest/log-record.ts';
import { openIngest } from '../../ingest/pipeline.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { openTestIngest } from '../helpers/ingest.ts';
import { testConfig } from '../helpers/service.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { statuses } from '../fixtures/meta.ts';

let wh: Warehouse;
beforeAll(async () => {
  wh = await openTestWarehouse();
});
afterAll(() => wh?.close());
beforeEach(() => truncateAll(wh));

const quiet = createLogger('log-test', 'silent');
const status = (id: string) => Buffer.from(JSON.stringify(statuses({ id, status: 'sent', timestamp: '1760000000', recipient_id: '5511999990000' })));
const record = (id: string, at = 1_760_000_000_000) => ({ body: status(id), receivedAt: at, signatureValid: true });
const stored = async (ids: string[]) => {
  const [r] = await rows<{ final: string; all: string }>(
    wh,
    `SELECT (SELECT count() FROM {{db}}.statuses_v1 FINAL WHERE wamid IN {ids:Array(String)}) AS final,
            (SELECT count() FROM {{db}}.statuses_v1 WHERE wamid IN {ids:Array(String)}) AS all`,
    { ids },
  );
  return { final: Number(r!.final), all: Number(r!.all) };
};
const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
const logOptions = (dir: string, over: Partial<{ maxBytes: number; segmentBytes: number; retainMs: number }> = {}) => ({
  dir, maxBytes: 64 * 1024 * 1024, segmentBytes: 1024 * 1024, retainMs: 0, ...over,
});

describe('log records', () => {
  it('round-trip, and a damaged or cut record is never read as one', () => {
    const enc = encodeRecord({ body: Buffer.from('{"a":"ação"}'), receivedAt: 1_760_000_000_123, signatureValid: false });
    const d = decodeRecord(enc, 0);
    expect(d).toMatchObject({ kind: 'record', size: enc.length, record: { receivedAt: 1_760_000_000_123, signatureValid: false } });
    expect(d.kind === 'record' && d.record.body.toString()).toBe('{"a":"ação"}');
    expect(decodeRecord(enc.subarray(0, enc.length - 1), 0).kind).toBe('short');
    expect(decodeRecord(enc.subarray(0, HEADER_BYTES - 1), 0).kind).toBe('short');
    const flipped = Buffer.from(enc);
    flipped[HEADER_BYTES + 3]! ^= 0x20;
    expect(decodeRecord(flipped, 0)).toEqual({ kind: 'bad', reason: 'checksum' });
    expect(decodeRecord(Buffer.alloc(64), 0)).toEqual({ kind: 'bad', reason: 'magic' });
  });
});

describe('the ingest log', () => {
  it('cuts a torn tail at restart: every acknowledged body loads exactly once, the torn one never', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-log-torn-'));
    const acked = Array.from({ length: 50 }, (_, i) => `wamid.T${i}`);
    const log = await IngestLog.open(logOptions(dir), quiet);
    await Promise.all(acked.map((id) => log.append(record(id))));
    const end = log.end;
    await log.close();
    // A crash in the middle of the next write: half of its record reached the file.
    const torn = encodeRecord(record('wamid.TORN'));
    appendFileSync(join(dir, segments(dir).at(-1)!), torn.subarray(0, Math.floor(torn.length / 2)));

    const ingest = await openTestIngest(wh, { dir });
    try {
      expect(ingest.log.end).toBe(end);
      // The log goes on from the cut: a body after the restart is read back whole.
      await ingest.append(record('wamid.AFTER'));
      await ingest.settle();
    } finally {
      await ingest.close();
    }
    expect(await stored(acked)).toEqual({ final: 50, all: 50 });
    expect(await stored(['wamid.TORN'])).toEqual({ final: 0, all: 0 });
    expect(await stored(['wamid.AFTER'])).toEqual({ final: 1, all: 1 });
  });

  it('cuts a tail whose checksum does not match', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-log-crc-'));
    const log = await IngestLog.open(logOptions(dir), quiet);
    await log.append(record('wamid.C1'));
    const good = log.end;
    await log.append(record('wamid.C2'));
    await log.close();
    const file = join(dir, segments(dir)[0]!);
    const bytes = readFileSync(file);
    bytes[bytes.length - 5]! ^= 0xff;
    writeFileSync(file, bytes);
    const reopened = await IngestLog.open(logOptions(dir), quiet);
    expect(reopened.end).toBe(good);
    expect((await reopened.read(0, 1 << 20, 100)).records.map((r) => JSON.parse(r.body.toString()).entry[0].changes[0].value.statuses[0].id)).toEqual(['wamid.C1']);
    await reopened.close();
  });

  it('rolls segments, reads across them in order, and deletes them once loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-log-roll-'));
    const ids = Array.from({ length: 60 }, (_, i) => `wamid.R${i}`);
    const ingest = await openTestIngest(wh, { dir, env: { INGEST_LOG_SEGMENT_BYTES: '4096' } });
    try {
      for (const id of ids) await ingest.append(record(id));
      expect(segments(dir).length).toBeGreaterThan(3);
      await ingest.settle();
      // Only the active segment is left once everything before it is loaded.
      expect(segments(dir)).toHaveLength(1);
      const [left] = segments(dir);
      expect(Number(left!.slice(0, 20))).toBeLessThanOrEqual(ingest.log.cursor);
    } finally {
      await ingest.close();
    }
    expect(await stored(ids)).toEqual({ final: 60, all: 60 });
    const cursor = JSON.parse(readFileSync(join(dir, 'cursor'), 'utf8')) as { lsn: number };
    expect(cursor.lsn).toBeGreaterThan(0);
  });

  it('refuses appends past its size cap, with nothing half-written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-log-full-'));
    const one = encodeRecord(record('wamid.F0')).length;
    const log = await IngestLog.open(logOptions(dir, { maxBytes: one * 3 + 10 }), quiet);
    const answers = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => log.append(record(`wamid.F${i}`))));
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect(answers.filter((a) => a.status === 'rejected').every((a) => (a as PromiseRejectedResult).reason instanceof LogFullError)).toBe(true);
    expect(log.end).toBe(one * 3);
    await log.close();
    expect(statSync(join(dir, segments(dir)[0]!)).size).toBe(one * 3);
  });
});

describe('one log, one loader', () => {
  it('refuses a second open of the same folder, and takes over a lock left by a process that died', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-log-lock-'));
    const first = await IngestLog.open(logOptions(dir), quiet);
    await expect(IngestLog.open(logOptions(dir), quiet)).rejects.toThrow(/in use/);
    await first.close();
    // A crashed process's lock: a process id nothing runs under.
    writeFileSync(join(dir, 'lock'), '2147483646\n');
    const again = await IngestLog.open(logOptions(dir), quiet);
    await again.close();
  });
});

describe('the loader', () => {
  it('stores each item once when a batch is stored again because its cursor could not be saved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-log-cursor-'));
    // The cursor's temporary file cannot be written (a directory stands in its place): the batch is
    // stored, the cursor does not move, and the loader stores the same batch again, as it would
    // after a crash between the two.
    mkdirSync(join(dir, 'cursor.tmp'));
    const lines: string[] = [];
    let failures = 0;
    let onFailure: () => void = () => undefined;
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        if (String(chunk).includes('cursor failed') && ++failures >= 2) onFailure();
        cb();
      },
    });
    const ids = Array.from({ length: 40 }, (_, i) => `wamid.K${i}`);
    const ingest = await openIngest({ settings: { ...testConfig().ingest, logDir: dir }, warehouse: wh, logger: createLogger('cursor', 'error', sink) });
    try {
      const twice = new Promise<void>((r) => (onFailure = r));
      await Promise.all(ids.map((id) => ingest.append(record(id))));
      await twice;
      expect(ingest.log.cursor).toBe(0);
      rmdirSync(join(dir, 'cursor.tmp'));
      await ingest.settle();
    } finally {
      await ingest.close();
    }
    // Stored at least twice by the loader, yet each status is in the table once, even before merging.
    expect(await stored(ids)).toEqual({ final: 40, all: 40 });
    expect(lines.join('')).not.toContain('5511999990000');
  });
});
