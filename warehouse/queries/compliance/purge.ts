import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { localDatabase } from '../../migrate.ts';
import { defineCommand, defineQuery } from '../../query.ts';
import { ident } from './subjects.ts';

/**
 * The purge that follows lightweight erasures: rows a `DELETE FROM` masked are still in the parts'
 * files until the part is rewritten. `APPLY DELETED MASK` rewrites the parts that carry a mask.
 */

const masked = defineQuery({
  name: 'compliance.masked_tables',
  sql: `SELECT DISTINCT table FROM system.parts WHERE database = {db:String} AND active AND has_lightweight_delete ORDER BY table`,
  params: z.object({ db: z.string() }),
  row: z.object({ table: z.string() }),
  connection: 'jobs',
});

/** Tables with parts still holding rows a lightweight DELETE masked. */
export async function maskedTables(wh: Warehouse): Promise<string[]> {
  return (await masked(wh, { db: localDatabase(wh) }, undefined)).map((r) => r.table);
}

const applyMask = defineCommand({
  name: 'compliance.apply_deleted_mask',
  sql: (table: string, wh) =>
    `ALTER TABLE ${ident(localDatabase(wh))}.${ident(table)}${wh.cluster ? ` ON CLUSTER ${ident(wh.cluster)}` : ''} APPLY DELETED MASK SETTINGS mutations_sync = 2`,
  params: z.object({}),
  connection: 'jobs',
});

/** Rewrites the table's masked parts without the masked rows, and waits for it. */
export function applyDeletedMask(wh: Warehouse, table: string): Promise<void> {
  return applyMask(wh, {}, table);
}

/** Erasures that masked rows and have no purge recorded yet, oldest first. */
export const pendingPurges = defineQuery({
  name: 'compliance.pending_purges',
  sql: `SELECT request_id, subject_hash, jurisdiction, legal_ground, requested_by, toUnixTimestamp64Milli(received_at) AS received_at,
               toUnixTimestamp64Milli(assumeNotNull(completed_at)) AS completed_at
        FROM {{db}}.erasure_requests_v1
        WHERE status = 'logically_deleted'
          AND request_id NOT IN (SELECT request_id FROM {{db}}.erasure_requests_v1 WHERE status = 'purged')
        ORDER BY completed_at, request_id`,
  params: z.object({}),
  row: z.object({
    request_id: z.string(), subject_hash: z.string(), jurisdiction: z.string(), legal_ground: z.string(), requested_by: z.string(),
    received_at: z.coerce.number(), completed_at: z.coerce.number(),
  }),
  connection: 'jobs',
});
