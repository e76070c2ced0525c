import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { insertRawWebhooks } from '../../ingest-inserts.ts';
import { localDatabase } from '../../migrate.ts';
import { defineCommand, defineInsert, defineQuery } from '../../query.ts';
import { RAW_TABLE, type RawWebhookRow } from '../../tables.ts';
import { ident, type SubjectTableSpec } from './subjects.ts';

/**
 * Deleting one person's rows without writing who they are to disk. ClickHouse keeps the SQL text of
 * every mutation (`mutation_N.txt` beside the table's parts, and `system.mutations`) with its
 * parameters substituted, so a `DELETE … WHERE wa_id IN {ids}` would store the numbers. Instead the
 * ids go into `erasure_targets_v1`, an in-memory table, under the request's id, and each deletion
 * reads them from there: its stored text names the request only.
 */

const TARGETS = 'erasure_targets_v1';

const insertTargets = defineInsert({
  name: 'compliance.insert_erasure_targets',
  table: TARGETS,
  row: z.object({ request_id: z.string(), id: z.string(), needle: z.string() }),
  connection: 'jobs',
});

/** Puts the subject's ids (and their JSON-quoted form, searched in JSON text) under the request. */
export function fillErasureTargets(wh: Warehouse, requestId: string, ids: readonly string[]): Promise<void> {
  return insertTargets(wh, ids.map((id) => ({ request_id: requestId, id, needle: JSON.stringify(id) })));
}

const clearTargets = defineCommand({
  name: 'compliance.clear_erasure_targets',
  sql: `ALTER TABLE {{db}}.${TARGETS} DELETE WHERE request_id = {request:String}`,
  params: z.object({ request: z.string() }),
  connection: 'jobs',
});

/** Forgets the request's ids (they lived in memory only). */
export function clearErasureTargets(wh: Warehouse, requestId: string): Promise<void> {
  return clearTargets(wh, { request: requestId }, undefined);
}

const REQUEST = /^[A-Za-z0-9_-]{1,80}$/;

/** The request's rows of the erasure set, as every deletion's text names them (and nothing else). */
function requestFilter(requestId: string): string {
  if (!REQUEST.test(requestId)) throw new Error('unsafe erasure request id');
  return `request_id = '${requestId}'`;
}

/** The subject condition read from the request's targets: the SQL names only the request id. */
export function targetCondition(wh: Warehouse, t: SubjectTableSpec, requestId: string): string {
  const from = `FROM ${ident(wh.database)}.${ident(TARGETS)} WHERE ${requestFilter(requestId)}`;
  const parts = t.keys.map((k) =>
    k.shape === 'array' ? `hasAny(${ident(k.column)}, (SELECT groupArray(id) ${from}))` : `${ident(k.column)} IN (SELECT id ${from})`,
  );
  if (parts.length === 0) for (const c of t.json) parts.push(`multiSearchAny(${ident(c)}, (SELECT groupArray(needle) ${from}))`);
  if (parts.length === 0) throw new Error(`table ${t.table} has no column to find a subject by`);
  return parts.join(' OR ');
}

export type DeleteMethod = 'mutation' | 'lightweight';

/** Where rows are changed (on a cluster, the replicated shard tables, on every node). */
function storage(wh: Warehouse, name: string): string {
  return `${ident(localDatabase(wh))}.${ident(name)}${wh.cluster ? ` ON CLUSTER ${ident(wh.cluster)}` : ''}`;
}

/**
 * The statement that deletes the request's subject from a table (its text holds no identifier).
 * `wait`: the statement returns once the deletion is complete on every replica; without it, once
 * the deletion is registered (see `waitForDeletions`).
 */
export function deleteTargetsSql(wh: Warehouse, o: { t: SubjectTableSpec; method: DeleteMethod; requestId: string; wait?: boolean }): string {
  const where = targetCondition(wh, o.t, o.requestId);
  const sync = o.wait === false ? 0 : 2;
  return o.method === 'mutation'
    ? `ALTER TABLE ${storage(wh, o.t.table)} DELETE WHERE ${where} SETTINGS mutations_sync = ${sync}`
    : `DELETE FROM ${storage(wh, o.t.table)} WHERE ${where} SETTINGS lightweight_deletes_sync = ${sync}`;
}

const deleteTargets = defineCommand({
  name: 'compliance.delete_subject_rows',
  sql: (o: { t: SubjectTableSpec; method: DeleteMethod; requestId: string; wait: boolean }, wh) => deleteTargetsSql(wh, o),
  params: z.object({}),
  connection: 'jobs',
});

/**
 * Deletes the subject's rows. A mutation rewrites the parts (the old ones become inactive copies,
 * see `inactiveParts`); a lightweight DELETE masks rows at once and purges them at the next merge.
 * With `wait` (the default) it returns once the deletion is complete on every replica; without,
 * once it is registered, and `waitForDeletions` waits for it.
 */
export function deleteTargetRows(wh: Warehouse, t: SubjectTableSpec, requestId: string, method: DeleteMethod, wait = true): Promise<void> {
  return deleteTargets(wh, {}, { t, method, requestId, wait });
}

const pendingQuery = defineQuery({
  name: 'compliance.pending_deletions',
  // The erasure set's name in the statement tells this request's deletions from any other.
  sql: `SELECT table, any(latest_fail_reason) AS failure FROM system.mutations
        WHERE database = {db:String} AND table IN {tables:Array(String)} AND NOT is_done AND position(command, {marker:String}) > 0
        GROUP BY table`,
  params: z.object({ db: z.string(), tables: z.array(z.string()), marker: z.string() }),
  row: z.object({ table: z.string(), failure: z.string() }),
  connection: 'jobs',
});

/** A deletion the engine reports failing (its reason names the table and the engine's error code only). */
export class DeletionFailed extends Error {}

/**
 * Waits until the request's deletions registered without waiting (`deleteTargetRows(…, false)`) are
 * done on this server: the engine runs them side by side in its background pool, where one after
 * another they left a core idle while each big part was rewritten. Polled: the engine tells of a
 * finished mutation only in `system.mutations`. Not for a cluster (the statements wait there).
 */
export async function waitForDeletions(wh: Warehouse, tables: readonly string[], requestId: string): Promise<void> {
  if (wh.cluster) throw new Error('deletions on a cluster wait in their statements');
  const marker = requestFilter(requestId);
  // Soon at first (small tables are done in milliseconds), then less often: each look costs the
  // engine about 12 ms, and at 50 ms apart the looks took a fifth of a 10 M-event erasure.
  for (let pollMs = 20; ; pollMs = Math.min(250, pollMs * 1.5)) {
    const pending = await pendingQuery(wh, { db: localDatabase(wh), tables: [...tables], marker });
    if (pending.length === 0) return;
    const failing = pending.find((p) => p.failure !== '');
    if (failing) throw new DeletionFailed(`deleting from ${failing.table} fails: ${/Code: \d+/.exec(failing.failure)?.[0] ?? 'engine error'}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A stored raw body as read back (to be stored again, rewritten). */
export const rawRowSchema = z.object({
  received_at: z.string().transform((s) => Date.parse(s.replace(' ', 'T') + 'Z')),
  body_sha256: z.string(),
  body: z.string(),
  signature_valid: z.boolean(),
  verdict: z.string(),
  reason: z.string(),
  waba_ids: z.array(z.string()),
  subject_ids: z.array(z.string()),
  item_count: z.coerce.number(),
  unknown_count: z.coerce.number(),
});

export const rawRowsOfSubjects = defineQuery({
  name: 'compliance.raw_rows_of_subjects',
  sql: `SELECT received_at, body_sha256, body, signature_valid, verdict, reason, waba_ids, subject_ids, item_count, unknown_count
        FROM {{db}}.${RAW_TABLE} FINAL WHERE hasAny(subject_ids, {ids:Array(String)})`,
  params: z.object({ ids: z.array(z.string()) }),
  row: rawRowSchema,
  connection: 'jobs',
});

/**
 * Stores rewritten raw bodies as new rows (same key and receipt time): an insert, whose values never
 * enter a mutation's text. The versions that still name the subject are then deleted with the rest.
 */
export function insertRewrittenBodies(wh: Warehouse, rows: readonly RawWebhookRow[]): Promise<void> {
  return insertRawWebhooks(wh, rows, { client: wh.jobs });
}

const partsQuery = defineQuery({
  name: 'compliance.inactive_parts',
  // Outdated only: a part being committed (PreActive) is inactive too, and must not be touched.
  sql: `SELECT table, name, path, refcount FROM system.parts
        WHERE database = {db:String} AND table IN {tables:Array(String)} AND NOT active AND _state = 'Outdated'`,
  params: z.object({ db: z.string(), tables: z.array(z.string()) }),
  row: z.object({ table: z.string(), name: z.string(), path: z.string(), refcount: z.coerce.number() }),
  connection: 'jobs',
});

export interface InactivePart {
  table: string;
  name: string;
  path: string;
  /** References held by the table and by queries still reading the part. */
  refcount: number;
}

/** Outdated parts (copies a merge or mutation replaced, kept until `old_parts_lifetime` passes). */
export function inactiveParts(wh: Warehouse, tables: readonly string[]): Promise<InactivePart[]> {
  return partsQuery(wh, { db: localDatabase(wh), tables: [...tables] });
}

const lifetimeQuery = defineQuery({
  name: 'compliance.old_parts_lifetime',
  sql: `SELECT toUInt64(value) AS seconds FROM system.merge_tree_settings WHERE name = 'old_parts_lifetime'`,
  params: z.object({}),
  row: z.object({ seconds: z.coerce.number() }),
  connection: 'jobs',
});

/** The server's default lifetime of inactive parts, for tables that do not set a shorter one. */
export async function defaultOldPartsLifetime(wh: Warehouse): Promise<number> {
  const [r] = await lifetimeQuery(wh, {}, undefined);
  return r?.seconds ?? 480;
}
