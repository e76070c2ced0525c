import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';

/**
 * Finding, reading and deleting one person's rows in any table. Which tables and columns to search
 * comes from the classification in the catalogue (reports/compliance/subject-tables.ts), so the
 * identifiers in this SQL are catalogue names, checked and quoted; subject ids travel only as
 * query parameters (`{ids:Array(String)}`), never in the SQL text. Deleting them is in
 * erasure-set.ts: a mutation's text is kept on disk with its parameters filled in.
 */

export interface SubjectTableSpec {
  table: string;
  /** Replacing/Collapsing engines: read with FINAL so re-delivered duplicates count once. */
  final: boolean;
  keys: Array<{ column: string; shape: 'scalar' | 'array' }>;
  /** JSON text columns searched for the quoted id, used only when the table has no subject key. */
  json: string[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`unsafe identifier ${JSON.stringify(name).slice(0, 60)}`);
  return '`' + name + '`';
}

/** Where rows are read (on a cluster, the Distributed table in front of the shards). */
function table(wh: Warehouse, name: string): string {
  return `${ident(wh.database)}.${ident(name)}`;
}

/** One condition per subject key column: it holds one of the ids (parameter `ids`). */
function keyConditions(t: SubjectTableSpec): string[] {
  return t.keys.map((k) => (k.shape === 'array' ? `hasAny(${ident(k.column)}, {ids:Array(String)})` : `${ident(k.column)} IN {ids:Array(String)}`));
}

/** The WHERE condition naming the subject; parameters `ids` and `needles` (ids as JSON strings). */
export function subjectCondition(t: SubjectTableSpec): string {
  const parts = keyConditions(t);
  if (parts.length === 0) for (const c of t.json) parts.push(`multiSearchAny(${ident(c)}, {needles:Array(String)})`);
  if (parts.length === 0) throw new Error(`table ${t.table} has no column to find a subject by`);
  return parts.join(' OR ');
}

function params(ids: readonly string[]) {
  return { ids: [...ids], needles: ids.map((id) => JSON.stringify(id)) };
}

const subjectParams = z.object({ ids: z.array(z.string()), needles: z.array(z.string()) });

const countRows = defineQuery({
  name: 'compliance.count_subject_rows',
  sql: (o: { t: SubjectTableSpec; physical: boolean }, wh) =>
    `SELECT count() AS n FROM ${table(wh, o.t.table)} WHERE ${subjectCondition(o.t)}${o.physical ? ' SETTINGS apply_deleted_mask = 0' : ''}`,
  params: subjectParams,
  row: z.object({ n: z.coerce.number() }),
  connection: 'jobs',
});

/** Rows naming the subject; `physical` also counts rows masked by a lightweight DELETE. */
export async function countSubjectRows(wh: Warehouse, t: SubjectTableSpec, ids: readonly string[], physical = false): Promise<number> {
  const [row] = await countRows(wh, params(ids), { t, physical });
  return row?.n ?? 0;
}

const footprintQuery = defineQuery({
  name: 'compliance.subject_footprint',
  sql: (t: SubjectTableSpec, wh) => `SELECT sum(s.n) AS rows, sum(p.bytes_on_disk) AS bytes
        FROM (SELECT _part AS part, count() AS n FROM ${table(wh, t.table)} WHERE ${subjectCondition(t)} GROUP BY part) AS s
        LEFT JOIN (SELECT name, bytes_on_disk FROM system.parts WHERE database = {db:String} AND table = {table:String} AND active) AS p
          ON p.name = s.part`,
  params: subjectParams.extend({ db: z.string(), table: z.string() }),
  row: z.object({ rows: z.coerce.number(), bytes: z.coerce.number() }),
  connection: 'jobs',
});

/**
 * The subject's rows in a table and the size of the parts holding them: what a mutation deleting
 * them would rewrite (the engine copies a part that holds no matching row by hard links). One
 * server only: `_part` names a part of the server that answers.
 */
export async function subjectFootprint(wh: Warehouse, t: SubjectTableSpec, ids: readonly string[]): Promise<{ rows: number; bytes: number }> {
  const [f] = await footprintQuery(wh, { ...params(ids), db: wh.database, table: t.table }, t);
  return { rows: f?.rows ?? 0, bytes: f?.bytes ?? 0 };
}

/**
 * The subject's rows of one table, every column, timestamps as ClickHouse prints them.
 *
 * PREWHERE, stated: under FINAL ClickHouse does not move an OR over several columns there itself, and
 * reads every column of every row before filtering (1 s instead of 60 ms for one person in 7 M
 * statuses). Filtering before FINAL's merge is exact here: every version of a row carries the same
 * subject keys (they are the same Meta item, re-delivered, or the same wait, recomputed). For the
 * same reason the skip indexes need not widen their ranges for FINAL (`exact_mode = 0`: a wait's
 * number found 207 granules of 439 that way, 418 widened).
 */
export function selectSubjectRows(wh: Warehouse, t: SubjectTableSpec, ids: readonly string[]): Promise<Record<string, unknown>[]> {
  return subjectRows(wh, params(ids), t);
}

/**
 * One branch per subject key, each leaving out the rows of the keys before it, so no row comes
 * twice. With one OR over all keys the engine kept most granules even though each key's own index
 * rules them out (statuses at 10 M events: 837 granules of 1,108 for a number whose 439 statuses lie
 * in 28; 86 → 38 ms, the messages 72 → 54 ms).
 */
function subjectBranches(t: SubjectTableSpec): string[] {
  const keys = keyConditions(t);
  if (keys.length === 0) return [subjectCondition(t)];
  return keys.map((k, i) => [k, ...keys.slice(0, i).map((before) => `NOT (${before})`)].join(' AND '));
}

/** Whatever columns the catalogue's table has: each row is an object of them. */
const subjectRows = defineQuery({
  name: 'compliance.select_subject_rows',
  sql: (t: SubjectTableSpec, wh) => subjectBranches(t).map((b) => `SELECT * FROM ${table(wh, t.table)}${t.final ? ' FINAL' : ''} PREWHERE ${b}`).join('\nUNION ALL\n'),
  params: subjectParams,
  row: z.record(z.string(), z.unknown()),
  settings: { use_skip_indexes_if_final_exact_mode: 0 },
});

/**
 * Every id the subject's rows link to theirs (number, user id, a new number after a change). One
 * branch per key column (the skip indexes prune each one; an OR over several kept most granules,
 * see `subjectBranches`); DISTINCT makes rows found twice count once.
 */
const LINKED = [
  { table: 'messages_v1', ids: ['wa_id', 'from_user_id', 'system_new_wa_id'], where: '' },
  { table: 'statuses_v1', ids: ['recipient_id', 'recipient_user_id'], where: `recipient_type != 'group' AND ` },
  { table: 'contacts_v1', ids: ['wa_id', 'user_id'], where: '' },
  { table: 'user_preferences_v1', ids: ['wa_id', 'user_id'], where: '' },
].flatMap((l) => l.ids.map((key) => `SELECT arrayJoin([${l.ids.join(', ')}]) AS id FROM {{db}}.${l.table} WHERE ${l.where}${key} IN {ids:Array(String)}`));

export const linkedIdentifiers = defineQuery({
  name: 'compliance.linked_identifiers',
  sql: `SELECT DISTINCT id FROM (\n${LINKED.join('\nUNION ALL\n')}\n) WHERE id != '' ORDER BY id`,
  params: z.object({ ids: z.array(z.string()) }),
  row: z.object({ id: z.string() }),
});

/** Subject ids seen in raw bodies received since a time (the suppression sweep). */
export const subjectIdsReceivedSince = defineQuery({
  name: 'compliance.subject_ids_since',
  sql: `SELECT DISTINCT arrayJoin(subject_ids) AS id FROM {{db}}.raw_webhooks_v1 WHERE received_at >= {since:DateTime64(3)}`,
  params: z.object({ since: z.string() }),
  row: z.object({ id: z.string() }),
  connection: 'jobs',
});

/**
 * Rows per subject id across the given tables (each row counted once per distinct id it names):
 * the base of the cross-border view. Tables without a subject key are left out.
 */
export async function subjectRowCounts(wh: Warehouse, tables: readonly SubjectTableSpec[]): Promise<Array<{ id: string; rows: number }>> {
  const keyed = tables.filter((t) => t.keys.length > 0);
  if (keyed.length === 0) return [];
  return rowCounts(wh, {}, keyed);
}

const rowCounts = defineQuery({
  name: 'compliance.subject_row_counts',
  sql: (tables: readonly SubjectTableSpec[], wh) => {
    const parts = tables.map((t) => {
      const ids = t.keys.map((k) => (k.shape === 'array' ? ident(k.column) : `[CAST(${ident(k.column)}, 'String')]`)).join(', ');
      return `SELECT arrayJoin(arrayDistinct(arrayFilter(x -> x != '', arrayConcat(${ids})))) AS id FROM ${table(wh, t.table)}`;
    });
    return `SELECT id, count() AS rows FROM (${parts.join(' UNION ALL ')}) GROUP BY id`;
  },
  params: z.object({}),
  row: z.object({ id: z.string(), rows: z.coerce.number() }),
});
