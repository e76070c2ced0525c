import type { LoadedBatch } from '../../app/deps.ts';
import { buildEntry } from '../../ingest/entry.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { emptyItemRows, ITEM_TABLES, RAW_TABLE, type ItemKind, type ItemRows } from '../../warehouse/tables.ts';

/**
 * Stores bodies as one loaded ingest batch would: each body normalized by `buildEntry` (as the
 * webhook and the loader do), the typed item rows inserted table by table, then the raw rows; all
 * received at `receivedAt` + their index (ms). Returns the batch the loader hands to the followers.
 */
export async function storeBatch(wh: Warehouse, bodies: readonly string[], receivedAt: number): Promise<LoadedBatch> {
  const rows: ItemRows = emptyItemRows();
  const raw = [];
  for (const [i, body] of bodies.entries()) {
    const entry = buildEntry(Buffer.from(body), receivedAt + i, true);
    raw.push(entry.raw);
    for (const kind of Object.keys(ITEM_TABLES) as ItemKind[]) (rows[kind] as object[]).push(...(entry.rows[kind] as object[]));
  }
  for (const kind of Object.keys(ITEM_TABLES) as ItemKind[]) {
    const values = rows[kind] as object[];
    if (values.length) await wh.writer.insert({ table: `${wh.database}.${ITEM_TABLES[kind].table}`, values, format: 'JSONEachRow' });
  }
  if (raw.length) await wh.writer.insert({ table: `${wh.database}.${RAW_TABLE}`, values: raw, format: 'JSONEachRow' });
  return { rows, receivedFrom: receivedAt, receivedTo: receivedAt + Math.max(0, bodies.length - 1) };
}
