import { createReadStream, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildEntry } from './entry.ts';
import type { IngestWriter } from './writer.ts';

export interface ReplayProgress {
  bodies: number;
  notJson: number;
  unknown: number;
}

/** Archived bodies: one per line of an NDJSON file, or one file per body in a folder. */
export async function* archivedBodies(path: string): AsyncGenerator<Buffer> {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      const file = join(path, name);
      if (statSync(file).isFile()) yield await readFile(file);
    }
    return;
  }
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== '') yield Buffer.from(line, 'utf8');
}

/**
 * Loads archived bodies through the same normalization as the webhook. Idempotent: a body already
 * stored collapses onto itself (its SHA-256 is the raw table's key, its items keep their ids).
 * Their signatures are unknown, so raw rows are marked `signature_valid = false`.
 */
export async function replay(
  path: string,
  writer: IngestWriter,
  onProgress: (p: ReplayProgress) => void = () => undefined,
  window = 2000,
): Promise<ReplayProgress> {
  const progress: ReplayProgress = { bodies: 0, notJson: 0, unknown: 0 };
  let inFlight: Promise<void>[] = [];
  for await (const body of archivedBodies(path)) {
    const entry = buildEntry(body, Date.now(), false);
    progress.bodies++;
    if (entry.notJson !== undefined) progress.notJson++;
    progress.unknown += entry.raw.unknown_count;
    inFlight.push(writer.submit(entry));
    // Bounded window: memory stays flat however large the archive.
    if (inFlight.length >= window) {
      await Promise.all(inFlight);
      inFlight = [];
      onProgress(progress);
    }
  }
  await Promise.all(inFlight);
  onProgress(progress);
  return progress;
}
