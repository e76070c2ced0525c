import { z } from 'zod';
import { defineInsert } from './query.ts';
import { ITEM_TABLES, RAW_TABLE, RAW_WEBHOOK, type ItemKind, type ItemRows, type RawWebhookRow } from './tables.ts';

/**
 * Declared inserts of the ingest tables, from their one declaration in tables.ts (a row of defaults
 * per table). A commit calls them with the connection of its lane and, where it wants a retried
 * batch stored once, an `insert_deduplication_token`:
 *
 *   await insertRawWebhooks(wh, rows, { client: wh.committers[0], settings: { insert_deduplication_token: token } });
 *   await ITEM_INSERTS.statuses(wh, batchStatuses, { client: lane });
 *
 * One insert per call (no pieces): a commit is one part per table.
 */

/** The schema a row of defaults implies: text, number, flag, list of text; null marks a Nullable number or flag. */
function schemaOf<T extends Record<string, unknown>>(defaults: T): z.ZodType<T, z.input<z.ZodType<T>>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, value] of Object.entries(defaults)) {
    shape[key] =
      value === null ? z.union([z.number(), z.boolean()]).nullable()
      : Array.isArray(value) ? z.array(z.string())
      : typeof value === 'string' ? z.string()
      : typeof value === 'number' ? z.number()
      : z.boolean();
  }
  return z.object(shape) as unknown as z.ZodType<T, z.input<z.ZodType<T>>>;
}

const ONE_PIECE = Number.MAX_SAFE_INTEGER;

export const insertRawWebhooks = defineInsert({ name: 'ingest.insert_raw', table: RAW_TABLE, row: schemaOf<RawWebhookRow>(RAW_WEBHOOK), chunk: ONE_PIECE });

type ItemInsert<K extends ItemKind> = ReturnType<typeof defineInsert<z.ZodType<ItemRows[K][number]>>>;

/** One declared insert per typed item table, keyed as `ITEM_TABLES` is. */
export const ITEM_INSERTS = Object.fromEntries(
  (Object.keys(ITEM_TABLES) as ItemKind[]).map((kind) => [
    kind,
    defineInsert({ name: `ingest.insert_${kind}`, table: ITEM_TABLES[kind].table, row: schemaOf(ITEM_TABLES[kind].defaults as Record<string, unknown>), chunk: ONE_PIECE }),
  ]),
) as { [K in ItemKind]: ItemInsert<K> };
