import type { Warehouse } from '../warehouse/client.ts';
import { ITEM_INSERTS, insertRawWebhooks } from '../warehouse/ingest-inserts.ts';
import { ITEM_TABLES, RAW_TABLE, type ItemKind, type ItemRows, type RawWebhookRow } from '../warehouse/tables.ts';

/** Item tables the jobs scan for new rows. */
const STAMPED = ['messages', 'statuses', 'echoes', 'management'] as const;

export interface IngestBatchEntry {
  raw: RawWebhookRow;
  rows: ItemRows;
}

/**
 * Stores one batch: the typed tables' inserts (spread over the commit connections: the embedded
 * engine runs one query per connection, and each insert's cost is mostly a fixed per-part cost),
 * then the raw rows once they are all in, so a raw row proves its items are stored. `token` names
 * the batch by its place in the ingest log: the same batch stored again (a reload after a crash
 * before the cursor moved) is dropped by the engine's insert deduplication, and whatever a
 * different split of the same bodies writes again collapses onto its ReplacingMergeTree keys.
 */
export async function storeBatch(wh: Warehouse, batch: readonly IngestBatchEntry[], token: string): Promise<void> {
  const conns = wh.committers;
  // The scheduled jobs find new rows by when they were stored, not received (a body can wait in the
  // ingest log): every row of the batch is stamped now.
  const loadedAt = Date.now();
  for (const p of batch) for (const kind of STAMPED) for (const row of p.rows[kind]) row.loaded_at = loadedAt;
  const settings = (table: string) => ({ insert_deduplication_token: `${token}:${table}` });
  const kinds = (Object.keys(ITEM_TABLES) as ItemKind[]).filter((kind) => batch.some((p) => p.rows[kind].length > 0));
  const lanes = conns.map((client, lane) => kinds.filter((_, k) => k % conns.length === lane).map((kind) => ({ client, kind })));
  // Every lane finishes before the outcome is decided, so no insert outlives its batch.
  const settled = await Promise.allSettled(
    lanes.map(async (lane) => {
      for (const { client, kind } of lane) {
        const rows = batch.flatMap((p) => p.rows[kind] as never[]);
        await ITEM_INSERTS[kind](wh, rows, { client, settings: settings(ITEM_TABLES[kind].table) });
      }
    }),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  await insertRawWebhooks(wh, batch.map((p) => p.raw), { client: conns[0]!, settings: settings(RAW_TABLE) });
}
