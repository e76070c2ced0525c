import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { localDatabase } from '../../migrate.ts';
import { defineCommand, defineQuery } from '../../query.ts';
import { rawRowSchema } from './erasure-set.ts';

/**
 * Raw bodies stored before `trace_text` existed read their whole body there (the column's DEFAULT):
 * correct, but the search for a quoted person then reads every body. These pages find them in
 * sort-key order, so they can be stored again with their trace text.
 */

export const rawPartitions = defineQuery({
  name: 'compliance.raw_partitions',
  sql: `SELECT DISTINCT partition_id FROM system.parts WHERE database = {db:String} AND table = 'raw_webhooks_v1' AND active ORDER BY partition_id`,
  params: z.object({ db: z.string() }),
  row: z.object({ partition_id: z.string() }),
  connection: 'jobs',
});

/** Rows without their own trace text (every stored version: the caller keeps a key with one body only). */
export const rawRowsWithoutTraceText = defineQuery({
  name: 'compliance.raw_rows_without_trace_text',
  sql: `SELECT received_at, body_sha256, body, signature_valid, verdict, reason, waba_ids, subject_ids, item_count, unknown_count
        FROM {{db}}.raw_webhooks_v1
        WHERE body_sha256 > {after:String} AND trace_text = body AND verdict != 'not_json'
        ORDER BY body_sha256 LIMIT {limit:UInt32}`,
  params: z.object({ after: z.string(), limit: z.number().int().positive() }),
  row: rawRowSchema,
  format: 'compact',
  connection: 'jobs',
});

/** Merges a partition so the stored-again versions replace the old ones (ReplacingMergeTree). */
const mergePartition = defineCommand({
  name: 'compliance.merge_raw_partition',
  // A partition id is digits here (toYYYYMM); checked, since OPTIMIZE takes no parameter for it.
  sql: (partition: string, wh) => {
    if (!/^[0-9A-Za-z_-]{1,64}$/.test(partition)) throw new Error('unexpected partition id');
    return `OPTIMIZE TABLE ${localDatabase(wh)}.raw_webhooks_v1${wh.cluster ? ` ON CLUSTER ${wh.cluster}` : ''} PARTITION ID '${partition}' FINAL`;
  },
  params: z.object({}),
  connection: 'jobs',
});

export function mergeRawPartition(wh: Warehouse, partition: string): Promise<void> {
  return mergePartition(wh, {}, partition);
}
