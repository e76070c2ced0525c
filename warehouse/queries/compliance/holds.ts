import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineCommand, defineInsert, defineQuery } from '../../query.ts';
import { LEGAL_HOLDS, type HoldRow } from '../../schema/compliance.ts';
import { localDatabase } from '../../migrate.ts';

export type { HoldRow };

export const insertHold = defineInsert({ name: 'compliance.insert_hold', table: LEGAL_HOLDS.name, row: LEGAL_HOLDS.row });

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
export const releaseHold = defineCommand({
  name: 'compliance.release_hold',
  sql: (_: void, wh) => `ALTER TABLE ${localDatabase(wh)}.legal_holds_v1${onCluster(wh)} UPDATE status = 'released', subject_ids = [],
              released_at = {at:DateTime64(3)}, released_by = {by:String} WHERE hold_id = {hold_id:String}
            SETTINGS mutations_sync = 2`,
  params: z.object({ hold_id: z.string(), at: z.string(), by: z.string() }),
});

/**
 * The lookup the retention TTLs consult (a Join table): ids of active holds only. A Join table lives
 * on the node that fills it; on a cluster this runs on the node serving the request (see
 * docs/PRIVACY.md). `table` is the lookup or the fresh copy being built beside it.
 */
const HELD_SUBJECTS = 'legal_hold_subjects_v1';
type Lookup = { table: string };

const createLookupCopy = defineCommand({
  name: 'compliance.held_subjects.create',
  sql: (t: Lookup, wh) => `CREATE TABLE ${localDatabase(wh)}.${t.table} AS ${localDatabase(wh)}.${HELD_SUBJECTS}`,
  params: z.object({}),
});

const fillLookup = defineCommand({
  name: 'compliance.held_subjects.fill',
  sql: (t: Lookup, wh) => `INSERT INTO ${localDatabase(wh)}.${t.table} (id, hold_id)
            SELECT id, any(hold_id) FROM (SELECT arrayJoin(subject_ids) AS id, hold_id FROM {{db}}.legal_holds_v1 FINAL WHERE status = 'active')
            WHERE id != '' GROUP BY id`,
  params: z.object({}),
});

/** Atomic on an Atomic database (the default, and chDB's): readers see the old lookup or the new one. */
const swapLookup = defineCommand({
  name: 'compliance.held_subjects.exchange',
  sql: (t: Lookup, wh) => `EXCHANGE TABLES ${localDatabase(wh)}.${HELD_SUBJECTS} AND ${localDatabase(wh)}.${t.table}`,
  params: z.object({}),
});

const dropLookupCopy = defineCommand({
  name: 'compliance.held_subjects.drop',
  sql: (t: Lookup, wh) => `DROP TABLE IF EXISTS ${localDatabase(wh)}.${t.table} SYNC`,
  params: z.object({}),
});

let rebuilding: Promise<unknown> = Promise.resolve();

/**
 * Rebuilds the lookup without a moment in which it is empty (a TTL merge then would delete held
 * rows): the new list is built in a fresh table and exchanged in. Rebuilds in one process run one
 * after another, so a later hold change is never overwritten by an earlier list. `step` is called
 * after each statement (tests read the lookup there).
 */
export function rebuildHeldSubjects(wh: Warehouse, step: (name: string) => Promise<void> = async () => {}): Promise<void> {
  const run = rebuilding.then(async () => {
    const copy = { table: `${HELD_SUBJECTS}_next_${randomBytes(6).toString('hex')}` };
    try {
      await createLookupCopy(wh, {}, copy);
      await step('create');
      await fillLookup(wh, {}, copy);
      await step('fill');
      await swapLookup(wh, {}, copy);
      await step('exchange');
    } finally {
      await dropLookupCopy(wh, {}, copy);
    }
  });
  rebuilding = run.catch(() => undefined);
  return run;
}
