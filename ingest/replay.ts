import { createReadStream, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { decodeRecord, type LogRecord } from './log-record.ts';
import type { IngestPipeline } from './pipeline.ts';

export interface ReplayProgress {
  bodies: number;
  notJson: number;
  unknown: number;
  /** Bodies stored without the items of an erased subject. */
  redacted: number;
}

const isSegment = (name: string) => /^\d{20}\.wal$/.test(name);

/**
 * Archived bodies: one per line of an NDJSON file, one file per body in a folder, or the records of
 * kept ingest-log segments (a `.wal` file or a folder of them), which keep their receipt time and
 * signature verdict. Other archives' signatures are unknown: `signatureValid` is false.
 */
export async function* archivedRecords(path: string): AsyncGenerator<LogRecord> {
  const now = () => Date.now();
  if (statSync(path).isDirectory()) {
    const names = readdirSync(path).sort();
    const segments = names.filter(isSegment);
    if (segments.length > 0) {
      for (const name of segments) yield* segmentRecords(join(path, name));
      return;
    }
    for (const name of names) {
      const file = join(path, name);
      if (statSync(file).isFile()) yield { body: await readFile(file), receivedAt: now(), signatureValid: false };
    }
    return;
  }
  if (isSegment(path.split('/').pop() ?? '')) {
    yield* segmentRecords(path);
    return;
  }
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== '') yield { body: Buffer.from(line, 'utf8'), receivedAt: now(), signatureValid: false };
}

async function* segmentRecords(file: string): AsyncGenerator<LogRecord> {
  const buf = await readFile(file);
  for (let at = 0; ; ) {
    const d = decodeRecord(buf, at);
    if (d.kind !== 'record') return;
    yield d.record;
    at += d.size;
  }
}

/**
 * Loads archived bodies through the ingest log and its loader, exactly as webhooks are loaded (the
 * same normalization and erasure screen). Idempotent: a body already stored collapses onto itself
 * (its SHA-256 is the raw table's key, its items keep their ids).
 */
export async function replay(
  path: string,
  ingest: IngestPipeline,
  onProgress: (p: ReplayProgress) => void = () => undefined,
  window = 2000,
): Promise<ReplayProgress> {
  const before = { ...ingest.loader.totals };
  let appended = 0;
  const progress = (): ReplayProgress => {
    const t = ingest.loader.totals;
    return { bodies: appended, notJson: t.notJson - before.notJson, unknown: t.unknown - before.unknown, redacted: t.redacted - before.redacted };
  };
  let inFlight: Promise<void>[] = [];
  for await (const record of archivedRecords(path)) {
    inFlight.push(ingest.append(record));
    appended++;
    // Appends in flight share fsyncs; the window keeps memory flat however large the archive.
    if (inFlight.length >= window) {
      await Promise.all(inFlight);
      inFlight = [];
      onProgress(progress());
    }
  }
  await Promise.all(inFlight);
  await ingest.settle();
  const p = progress();
  onProgress(p);
  return p;
}
