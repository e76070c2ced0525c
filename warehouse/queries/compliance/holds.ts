import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { localDatabase } from '../../migrate.ts';

export interface HoldRow {
  hold_id: string;
  subject_hash: string;
  subject_ids: string[];
  reason: string;
  legal_reference: string;
  approved_by: string;
  start_at: number;
  review_at: number | null;
  released_at: number | null;
  released_by: string;
  status: 'active' | 'released';
  updated_at: number;
}

export async function insertHold(wh: Warehouse, row: HoldRow): Promise<void> {
  await wh.writer.insert({ table: `${wh.database}.legal_holds_v1`, values: [row], format: 'JSONEachRow' });
}

const holdRow = z.object({
  hold_id: z.string(),
  subject_hash: z.string(),
  reason: z.string(),
  legal_reference: z.string(),
  approved_by: z.string(),
  start_at: z.string(),
  review_at: z.string().nullable(),
  released_at: z.string().nullable(),
  released_by: z.string(),
  status: z.string(),
});

const HOLD_COLUMNS = `hold_id, subject_hash, reason, legal_reference, approved_by, toString(start_at) AS start_at,
  toString(review_at) AS review_at, toString(released_at) AS released_at, released_by, status`;

export const listHolds = defineQuery({
  name: 'compliance.holds',
  sql: `SELECT ${HOLD_COLUMNS} FROM {{db}}.legal_holds_v1 FINAL ORDER BY start_at, hold_id`,
  params: z.object({}),
  row: holdRow,
});

export const activeHoldsFor = defineQuery({
  name: 'compliance.active_holds_for',
  sql: `SELECT ${HOLD_COLUMNS} FROM {{db}}.legal_holds_v1 FINAL
        WHERE status = 'active' AND hasAny(subject_ids, {ids:Array(String)}) ORDER BY start_at`,
  params: z.object({ ids: z.array(z.string()) }),
  row: holdRow,
  connection: 'jobs',
});

export const holdById = defineQuery({
  name: 'compliance.hold_by_id',
  sql: `SELECT ${HOLD_COLUMNS}, subject_ids FROM {{db}}.legal_holds_v1 FINAL WHERE hold_id = {hold_id:String}`,
  params: z.object({ hold_id: z.string() }),
  row: holdRow.extend({ subject_ids: z.array(z.string()) }),
});

const onCluster = (wh: Warehouse) => (wh.cluster ? ` ON CLUSTER ${wh.cluster}` : '');

/** Releasing a hold also forgets the ids it named, in every stored version of the row. */
export async function releaseHold(wh: Warehouse, p: { hold_id: string; at: string; by: string }): Promise<void> {
  await wh.writer.command({
    query: `ALTER TABLE ${localDatabase(wh)}.legal_holds_v1${onCluster(wh)} UPDATE status = 'released', subject_ids = [],
              released_at = {at:DateTime64(3)}, released_by = {by:String} WHERE hold_id = {hold_id:String}
            SETTINGS mutations_sync = 2`,
    query_params: p,
    clickhouse_settings: { log_comment: 'compliance.release_hold' },
  });
}

/**
 * The lookup the retention TTLs consult: ids of active holds only. A Join table lives on the node
 * that fills it; on a cluster this runs on the node serving the request (see docs/PRIVACY.md).
 */
export async function rebuildHeldSubjects(wh: Warehouse): Promise<void> {
  const db = localDatabase(wh);
  await wh.writer.command({ query: `TRUNCATE TABLE ${db}.legal_hold_subjects_v1`, clickhouse_settings: { log_comment: 'compliance.held_subjects' } });
  await wh.writer.command({
    query: `INSERT INTO ${db}.legal_hold_subjects_v1 (id, hold_id)
            SELECT id, any(hold_id) FROM (SELECT arrayJoin(subject_ids) AS id, hold_id FROM ${wh.database}.legal_holds_v1 FINAL WHERE status = 'active')
            WHERE id != '' GROUP BY id`,
    clickhouse_settings: { log_comment: 'compliance.held_subjects' },
  });
}
