import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineCommand, defineQuery } from '../../query.ts';
import { localDatabase } from '../../migrate.ts';
import { rawRowSchema } from './erasure-set.ts';

/**
 * Free-text search for a person in rows no subject key points at: quarantined bodies, error texts,
 * JSON of shapes not yet known. Which tables and columns comes from the catalogue
 * (reports/compliance/traces.ts); the identifiers in this SQL are catalogue names, checked and
 * quoted. What is searched for travels only as parameters: `needles` (exact substrings: ids, names)
 * and `patterns` (a number written with separators, `+55 (11) 98765-4321`), each pattern tried only
 * where its `anchors` (the number's last digits) occur. A deletion names rows by a hash of their sort
 * key, so no identifier is written into the mutation's text.
 */

export interface TraceTableSpec {
  table: string;
  /** String columns searched as text; Array(String) columns searched element by element. */
  text: string[];
  arrays: string[];
  /** Subject keys: a row naming someone is theirs (found by its key), not a trace. */
  keys: Array<{ column: string; shape: 'scalar' | 'array' }>;
  /** The table's sort key expression (`system.tables.sorting_key`), the identity of a row. */
  sortingKey: string;
  /** Whether its engine reads in two steps (PREWHERE: MergeTree family, Distributed in front of it). */
  prewhere: boolean;
}

export interface TraceNeedles {
  /** The person's ids (rows keyed to them are found by their keys, not by this search). */
  ids: string[];
  needles: string[];
  patterns: string[];
  anchors: string[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`unsafe identifier ${JSON.stringify(name).slice(0, 60)}`);
  return '`' + name + '`';
}

function table(wh: Warehouse, name: string): string {
  return `${ident(wh.database)}.${ident(name)}`;
}

function storage(wh: Warehouse, name: string): string {
  return `${ident(localDatabase(wh))}.${ident(name)}${wh.cluster ? ` ON CLUSTER ${ident(wh.cluster)}` : ''}`;
}

/** Rows that name nobody by a subject key (all keys empty). */
function keyless(t: TraceTableSpec): string {
  const parts = t.keys.map((k) => (k.shape === 'array' ? `empty(${ident(k.column)})` : `${ident(k.column)} = ''`));
  return parts.length ? parts.join(' AND ') : '1';
}

function textMatch(expr: string): string {
  // The regular expression runs only where the number's last digits occur (short-circuit AND), and
  // the per-pattern test only on rows holding one of them: a lambda over the constant arrays costs
  // per row, one vectorized substring search of every anchor does not.
  return `(multiSearchAny(${expr}, {needles:Array(String)}) OR (multiSearchAny(${expr}, {anchors:Array(String)}) AND arrayExists((p, a) -> position(${expr}, a) > 0 AND match(${expr}, p), {patterns:Array(String)}, {anchors:Array(String)})))`;
}

/**
 * One search over a row's text columns and array elements joined by a NUL byte, which no needle,
 * pattern or anchor holds or matches across, so a row matches exactly when one of its values does
 * (an anchor found in one value and its pattern in another also counts: more, never fewer). One
 * search per table, not per column: the engine's cost of a search condition is mostly in analysing
 * it: at 10 M events the 47 tables of a search took 580–680 ms searched column by column, 340 ms so.
 */
function searchedText(t: TraceTableSpec): string {
  const parts = [...t.text.map((c) => `ifNull(toString(${ident(c)}), '')`), ...t.arrays.map((c) => `arrayStringConcat(${ident(c)}, '\\0')`)];
  if (parts.length === 0) throw new Error(`table ${t.table} has no text column to search`);
  return parts.length === 1 ? parts[0]! : `concatWithSeparator('\\0', ${parts.join(', ')})`;
}

/** The name the searched text is given once per query (the match names it three times). */
const SEARCHED = '`_wa_searched_text`';

/** The WHERE condition of a trace, written out: some searched column holds a needle, and no key names anyone. */
export function traceCondition(t: TraceTableSpec): string {
  return `${textMatch(searchedText(t))} AND ${keyless(t)}`;
}

/**
 * A read of the rows holding a trace. The keys come first (PREWHERE), so text columns are read only
 * for the few rows that name nobody, not every body of the raw table; the text is named once in a
 * WITH: written out three times in each table's condition, the engine's parsing and analysis took
 * 150–175 ms of the 22-table count at 10 M events, 100 ms so.
 */
function searchSql(wh: Warehouse, t: TraceTableSpec, what: string): string {
  const filter = t.prewhere ? `PREWHERE ${keyless(t)} WHERE ${textMatch(SEARCHED)}` : `WHERE ${textMatch(SEARCHED)} AND ${keyless(t)}`;
  return `WITH ${searchedText(t)} AS ${SEARCHED} SELECT ${what} FROM ${table(wh, t.table)} ${filter}`;
}

/** The identity of a row, without its content: a hash of the sort key (or of the row when it has none). */
function rowIdentity(t: TraceTableSpec): string {
  const key = t.sortingKey.split(',').map((c) => c.trim()).filter(Boolean);
  if (key.length > 0 && key.every((c) => IDENT.test(c))) return `cityHash64(${key.map(ident).join(', ')})`;
  return `cityHash64(${[...t.text, ...t.arrays].map(ident).join(', ')})`;
}

const needleParams = z.object({ needles: z.array(z.string()), patterns: z.array(z.string()), anchors: z.array(z.string()) });

const traceRows = defineQuery({
  name: 'compliance.trace_rows',
  sql: (o: { t: TraceTableSpec; physical: boolean }, wh) =>
    `${searchSql(wh, o.t, '*')}${deletedToo(o.physical)}`,
  params: needleParams,
  row: z.record(z.string(), z.unknown()),
  connection: 'jobs',
});

/** Every row of a table holding the person's traces (every stored copy). */
export function selectTraceRows(wh: Warehouse, t: TraceTableSpec, n: TraceNeedles): Promise<Record<string, unknown>[]> {
  return traceRows(wh, n, { t, physical: false });
}

const countTraces = defineQuery({
  name: 'compliance.count_traces',
  sql: (o: { t: TraceTableSpec; physical: boolean }, wh) =>
    `${searchSql(wh, o.t, 'count() AS n')}${deletedToo(o.physical)}`,
  params: needleParams,
  row: z.object({ n: z.coerce.number() }),
  connection: 'jobs',
});

/** Rows a lightweight DELETE masks are counted too (`physical`): what is still on disk. */
function deletedToo(physical: boolean): string {
  return physical ? ' SETTINGS apply_deleted_mask = 0' : '';
}

/**
 * One count per table, side by side in one query (`t`, `n`): the engine runs them together, and one
 * query costs less than one per table, most of which find nothing. `count(t, what)` is the table's
 * `SELECT what FROM … WHERE …`.
 */
function countsByTable(o: { tables: readonly TraceTableSpec[]; physical: boolean }, count: (t: TraceTableSpec, what: string) => string): string {
  const each = o.tables.map((t) => `SELECT * FROM (${count(t, `'${ident(t.table).slice(1, -1)}' AS t, count() AS n`)})`);
  return `SELECT t, n FROM (${each.join('\nUNION ALL ')})${deletedToo(o.physical)}`;
}

const countTracesEach = defineQuery({
  name: 'compliance.count_traces_each',
  sql: (o: { tables: readonly TraceTableSpec[]; physical: boolean }, wh) => countsByTable(o, (t, what) => searchSql(wh, t, what)),
  params: needleParams,
  row: z.object({ t: z.string(), n: z.coerce.number() }),
  connection: 'jobs',
});

/** The rows naming nobody by a key, per table. */
const countKeylessEach = defineQuery({
  name: 'compliance.count_keyless_each',
  sql: (o: { tables: readonly TraceTableSpec[]; physical: boolean }, wh) =>
    countsByTable(o, (t, what) => `SELECT ${what} FROM ${table(wh, t.table)} ${t.prewhere ? 'PREWHERE' : 'WHERE'} ${keyless(t)}`),
  params: z.object({}),
  row: z.object({ t: z.string(), n: z.coerce.number() }),
  connection: 'jobs',
});

/** The rows holding traces in each of the tables. */
export async function countTraceRowsEach(wh: Warehouse, tables: readonly TraceTableSpec[], n: TraceNeedles, physical = false): Promise<Map<string, number>> {
  const none = new Map(tables.map((t) => [t.table, 0]));
  if (tables.length === 0 || (n.needles.length === 0 && n.patterns.length === 0)) return none;
  // A table whose every row names someone by a key holds no trace. Asked first with the keys alone: a
  // small condition, the same for every person (the engine's condition cache answers it from the
  // second search on), so the text is searched only where some row names nobody. Analysing the text
  // condition was most of the search's cost: 22 tables at 10 M events 130 → 70 ms, 12 of them then
  // left out (messages, statuses, waits…).
  const keyed = tables.filter((t) => t.keys.length > 0);
  const keyless = new Map(keyed.length ? (await countKeylessEach(wh, {}, { tables: keyed, physical })).map((r) => [r.t, r.n]) : []);
  const searched = tables.filter((t) => t.keys.length === 0 || (keyless.get(t.table) ?? 0) > 0);
  if (searched.length === 0) return none;
  const rows = await countTracesEach(wh, n, { tables: searched, physical });
  for (const r of rows) if (none.has(r.t)) none.set(r.t, r.n);
  return none;
}

export async function countTraceRows(wh: Warehouse, t: TraceTableSpec, n: TraceNeedles, physical = false): Promise<number> {
  if (n.needles.length === 0 && n.patterns.length === 0) return 0;
  const [row] = await countTraces(wh, n, { t, physical });
  return row?.n ?? 0;
}

const traceIdentities = defineQuery({
  name: 'compliance.trace_identities',
  sql: (t: TraceTableSpec, wh) => `${searchSql(wh, t, `DISTINCT toString(${rowIdentity(t)}) AS h`)} SETTINGS apply_deleted_mask = 0`,
  params: needleParams,
  row: z.object({ h: z.string() }),
  connection: 'jobs',
});

const deleteByIdentity = defineCommand({
  name: 'compliance.delete_traces',
  sql: (t: TraceTableSpec, wh) =>
    `ALTER TABLE ${storage(wh, t.table)} DELETE WHERE toString(${rowIdentity(t)}) IN {hashes:Array(String)} AND ${keyless(t)} SETTINGS mutations_sync = 2`,
  params: z.object({ hashes: z.array(z.string()) }),
  connection: 'jobs',
});

/**
 * Deletes the rows holding the person's traces, by the hash of their sort key (rows sharing that
 * key with a trace are copies of the same item). Returns how many identities were deleted.
 */
export async function deleteTraceRows(wh: Warehouse, t: TraceTableSpec, n: TraceNeedles): Promise<number> {
  if (n.needles.length === 0 && n.patterns.length === 0) return 0;
  const hashes = (await traceIdentities(wh, n, t)).map((r) => r.h);
  if (hashes.length > 0) await deleteByIdentity(wh, { hashes }, t);
  return hashes.length;
}

/**
 * Raw bodies that name other people (kept for them) and hold a needle in a part no known field
 * assigns to a person (`trace_text`, a few bytes a body): the caller reads the body and removes
 * those parts. The search reads the text first (it is the smaller column and almost never matches)
 * and the subject ids only where it holds a needle; the bodies are then read by their key, for the
 * bodies found only. In one read the engine decompressed bodies of granules that matched nothing
 * (0.3 → 0.15 s at 10 M events, none found).
 */
const QUOTING = `${textMatch('trace_text')} AND notEmpty(subject_ids) AND NOT hasAny(subject_ids, {ids:Array(String)})`;

export const rawBodiesQuoting = defineQuery({
  name: 'compliance.raw_bodies_quoting',
  sql: `SELECT DISTINCT body_sha256, body, item_count FROM {{db}}.raw_webhooks_v1
        WHERE body_sha256 IN (SELECT body_sha256 FROM {{db}}.raw_webhooks_v1 PREWHERE ${QUOTING}) AND ${QUOTING}
        SETTINGS apply_deleted_mask = 0`,
  params: needleParams.extend({ ids: z.array(z.string()) }),
  row: z.object({ body_sha256: z.string(), body: z.string(), item_count: z.coerce.number() }),
  connection: 'jobs',
});

/** The stored versions of raw bodies, with a hash of each body to name a version without its text. */
export const rawVersionsBySha = defineQuery({
  name: 'compliance.raw_versions_by_sha',
  sql: `SELECT received_at, body_sha256, body, signature_valid, verdict, reason, waba_ids, subject_ids, item_count, unknown_count,
               toString(cityHash64(body)) AS body_hash
        FROM {{db}}.raw_webhooks_v1 WHERE body_sha256 IN {shas:Array(String)}`,
  params: z.object({ shas: z.array(z.string()) }),
  row: rawRowSchema.extend({ body_hash: z.string() }),
  connection: 'jobs',
});

/**
 * Deletes the named versions of raw bodies (by key and a hash of the body): the mutation's text,
 * kept on disk, holds hashes only, never a body.
 */
const deleteVersions = defineCommand({
  name: 'compliance.delete_raw_versions',
  sql: (_: undefined, wh) =>
    `ALTER TABLE ${storage(wh, 'raw_webhooks_v1')} DELETE WHERE body_sha256 IN {shas:Array(String)} AND toString(cityHash64(body)) IN {hashes:Array(String)} SETTINGS mutations_sync = 2`,
  params: z.object({ shas: z.array(z.string()), hashes: z.array(z.string()) }),
  connection: 'jobs',
});

export function deleteRawVersions(wh: Warehouse, versions: ReadonlyArray<{ body_sha256: string; body_hash: string }>): Promise<void> {
  if (versions.length === 0) return Promise.resolve();
  return deleteVersions(wh, { shas: [...new Set(versions.map((v) => v.body_sha256))], hashes: [...new Set(versions.map((v) => v.body_hash))] }, undefined);
}
