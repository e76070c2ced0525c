import { randomUUID } from 'node:crypto';
import type { LoadedBatch } from '../../app/deps.ts';
import { buildEntry } from '../../ingest/entry.ts';
import { loadedBatchOf } from '../../ingest/loader.ts';
import { storeBatch as storeEntries } from '../../ingest/store-batch.ts';
import type { Warehouse } from '../../warehouse/client.ts';

/**
 * Stores bodies as one loaded ingest batch: each body normalized by `buildEntry` and the batch
 * stored by the loader's own `storeBatch`, all received at `receivedAt` + their index (ms). Returns
 * the batch the loader hands to the followers.
 */
export async function storeBatch(wh: Warehouse, bodies: readonly string[], receivedAt: number): Promise<LoadedBatch> {
  const entries = bodies.map((body, i) => buildEntry(Buffer.from(body), receivedAt + i, true));
  if (entries.length) await storeEntries(wh, entries, randomUUID());
  return loadedBatchOf(entries);
}
