import { TupleParam } from '@clickhouse/client';
import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineCommand, defineQuery } from '../../query.ts';
import { localDatabase } from '../../migrate.ts';

/**
 * Settings that change what a statement does go in its SETTINGS clause: the embedded engine keeps
 * settings passed with a request for the rest of the connection's session.
 *
 * Retention in SQL: table TTLs that skip rows under a legal hold, the content purge for columns
 * whose policy is shorter than their row's, and the age statistics of the status report. Table and
 * column names come from the catalogue and the validated policy; they are checked and quoted here.
 */

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`unsafe identifier ${JSON.stringify(name).slice(0, 60)}`);
  return '`' + name + '`';
}
function days(n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 100_000) throw new Error(`bad retention period ${n}`);
  return n;
}

export interface KeyColumn {
  column: string;
  shape: 'scalar' | 'array';
}

/** True for a row naming someone under an active hold (lookup in the legal_hold_subjects_v1 Join). */
export function heldCondition(db: string, keys: readonly KeyColumn[]): string | undefined {
  if (keys.length === 0) return undefined;
  const lookup = (x: string) => `joinGet('${ident(db).slice(1, -1)}.legal_hold_subjects_v1', 'hold_id', ${x}) != ''`;
  return keys
    .map((k) => (k.shape === 'array' ? `arrayExists(x -> ${lookup('CAST(x, \'String\')')}, ${ident(k.column)})` : lookup(`CAST(ifNull(${ident(k.column)}, ''), 'String')`)))
    .join(' OR ');
}

/** `toDateTime(col) + toIntervalDay(N) [WHERE NOT held]`: the table TTL of one retention policy. */
export function ttlExpression(db: string, timeColumn: string, periodDays: number, keys: readonly KeyColumn[]): string {
  const held = heldCondition(db, keys);
  return `toDateTime(${ident(timeColumn)}) + toIntervalDay(${days(periodDays)})${held ? ` WHERE NOT (${held})` : ''}`;
}

/** The shard tables hold the data and the TTLs (on a cluster, `<db>_local` on every node). */
function storage(wh: Warehouse, table: string): string {
  return `${ident(localDatabase(wh))}.${ident(table)}${wh.cluster ? ` ON CLUSTER ${ident(wh.cluster)}` : ''}`;
}

/** Sets the TTL without rewriting existing parts now: expired rows go at the next TTL merge. */
const modifyTtl = defineCommand({
  name: 'compliance.modify_ttl',
  sql: (t: { table: string; expression: string }, wh) => `ALTER TABLE ${storage(wh, t.table)} MODIFY TTL ${t.expression} SETTINGS materialize_ttl_after_modify = 0`,
  params: z.object({}),
  connection: 'jobs',
});

export function modifyTableTtl(wh: Warehouse, table: string, expression: string): Promise<void> {
  return modifyTtl(wh, {}, { table, expression });
}

const removeTtl = defineCommand({
  name: 'compliance.remove_ttl',
  sql: (t: { table: string }, wh) => `ALTER TABLE ${storage(wh, t.table)} REMOVE TTL`,
  params: z.object({}),
  connection: 'jobs',
});

export function removeTableTtl(wh: Warehouse, table: string): Promise<void> {
  return removeTtl(wh, {}, { table });
}

/** Applies the TTL to existing parts now (what a TTL merge would do later), and waits. */
const materialize = defineCommand({
  name: 'compliance.materialize_ttl',
  sql: (t: { table: string }, wh) => `ALTER TABLE ${storage(wh, t.table)} MATERIALIZE TTL SETTINGS mutations_sync = 2`,
  params: z.object({}),
  connection: 'jobs',
});

export function materializeTtl(wh: Warehouse, table: string): Promise<void> {
  return materialize(wh, {}, { table });
}

export interface AgeStats {
  rows: number;
  oldest: string | null;
  /** The oldest row's time in epoch ms (null without rows). */
  oldest_ms: number | null;
  newest: string | null;
  past_policy: number;
  held_past_policy: number;
  content_past_policy: number;
}

/** One part's rows and the time range they cover (a part never changes: kept by whoever lists parts). */
export interface PartAge {
  rows: number;
  oldest: string;
  oldest_ms: number;
  newest: string;
}

const partAgeSchema = z.tuple([z.string(), z.coerce.number(), z.string(), z.coerce.number(), z.string()]);
const PART_AGES = (t: string) => `SELECT _part AS part, count() AS n, toString(min(${t})) AS lo, toUnixTimestamp64Milli(toDateTime64(min(${t}), 3)) AS lo_ms, toString(max(${t})) AS hi`;
const partAge = ([, rows, oldest, oldest_ms, newest]: z.infer<typeof partAgeSchema>): PartAge => ({ rows, oldest, oldest_ms, newest });

interface AgeShape {
  table: string;
  timeColumn: string;
  keys: readonly KeyColumn[];
  contentColumns: readonly ContentColumn[];
}

const ageStatsQuery = defineQuery({
  name: 'compliance.age_stats',
  sql: (o: AgeShape, wh) => {
    const t = ident(o.timeColumn);
    const held = heldCondition(localDatabase(wh), o.keys) ?? '0';
    const hasContent = o.contentColumns.length ? o.contentColumns.map(notEmpty).join(' OR ') : '0';
    const from = `${ident(wh.database)}.${ident(o.table)}`;
    // Three reads, so the held and content columns are read only for rows past a cutoff
    // (PREWHERE on the time column): a store mostly within policy costs one time-column scan.
    // The time range per part, so a caller that lists parts can read only the new ones next time.
    return `SELECT a.parts AS parts, p.past_policy AS past_policy, p.held_past_policy AS held_past_policy, c.content_past_policy AS content_past_policy
            FROM (SELECT groupArray((part, n, lo, lo_ms, hi)) AS parts FROM (${PART_AGES(t)} FROM ${from} GROUP BY part)) AS a
            CROSS JOIN (SELECT count() AS past_policy, countIf(${held}) AS held_past_policy
                        FROM ${from} PREWHERE ${t} < fromUnixTimestamp64Milli({cutoff:Int64})) AS p
            CROSS JOIN (SELECT count() AS content_past_policy
                        FROM ${from} PREWHERE ${t} < fromUnixTimestamp64Milli({content_cutoff:Int64})
                        WHERE NOT (${held}) AND (${hasContent})) AS c`;
  },
  params: z.object({ cutoff: z.number(), content_cutoff: z.number() }),
  row: z.object({
    parts: z.array(partAgeSchema),
    past_policy: z.coerce.number(),
    held_past_policy: z.coerce.number(),
    content_past_policy: z.coerce.number(),
  }),
  connection: 'jobs',
});

/**
 * Physical rows (no FINAL: every stored copy counts for storage limitation), their age range, and
 * how many are older than the policy's cutoff, held, or still carry content past the content cutoff.
 */
export async function ageStats(
  wh: Warehouse,
  table: string,
  opts: { timeColumn: string; cutoffMs: number | null; contentCutoffMs: number | null; keys: readonly KeyColumn[]; contentColumns: readonly ContentColumn[] },
): Promise<AgeStats & { parts: Map<string, PartAge> }> {
  const [r] = await ageStatsQuery(
    wh,
    { cutoff: opts.cutoffMs ?? -1e15, content_cutoff: opts.contentCutoffMs ?? -1e15 },
    { table, timeColumn: opts.timeColumn, keys: opts.keys, contentColumns: opts.contentColumns },
  );
  const parts = new Map((r?.parts ?? []).map((p) => [p[0], partAge(p)]));
  return { ...ageOfParts(parts.values()), past_policy: r?.past_policy ?? 0, held_past_policy: r?.held_past_policy ?? 0, content_past_policy: r?.content_past_policy ?? 0, parts };
}

/** Rows and time range of parts taken together. */
export function ageOfParts(parts: Iterable<PartAge>): Pick<AgeStats, 'rows' | 'oldest' | 'oldest_ms' | 'newest'> {
  let rows = 0;
  let first: PartAge | undefined;
  let newest: string | null = null;
  for (const p of parts) {
    if (p.rows === 0) continue;
    rows += p.rows;
    if (!first || p.oldest_ms < first.oldest_ms) first = p;
    if (newest === null || p.newest > newest) newest = p.newest;
  }
  return { rows, oldest: first?.oldest ?? null, oldest_ms: first?.oldest_ms ?? null, newest };
}

const manyPartAgesQuery = defineQuery({
  name: 'compliance.part_ages',
  sql: (tables: ReadonlyArray<{ table: string; timeColumn: string }>, wh) => tables
    .map((o, i) => `${PART_AGES(ident(o.timeColumn))}, toUInt32(${i}) AS t FROM ${ident(wh.database)}.${ident(o.table)} WHERE (toUInt32(${i}), _part) IN {parts:Array(Tuple(UInt32, String))} GROUP BY part`)
    .join('\nUNION ALL\n'),
  params: z.object({ parts: z.array(z.instanceof(TupleParam)) }),
  row: z.object({ t: z.coerce.number(), part: z.string(), n: z.coerce.number(), lo: z.string(), lo_ms: z.coerce.number(), hi: z.string() }),
  connection: 'jobs',
});

/** The time range of the parts named, per table in one read: by table and part name (a part merged away meanwhile is missing). */
export async function partAgesOf(wh: Warehouse, wanted: ReadonlyArray<{ table: string; timeColumn: string; parts: readonly string[] }>): Promise<Map<string, Map<string, PartAge>>> {
  const out = new Map<string, Map<string, PartAge>>(wanted.map((w) => [w.table, new Map()]));
  if (wanted.length === 0) return out;
  const parts = wanted.flatMap((w, i) => w.parts.map((p) => new TupleParam([i, p])));
  for (const r of await manyPartAgesQuery(wh, { parts }, wanted)) out.get(wanted[r.t]!.table)!.set(r.part, { rows: r.n, oldest: r.lo, oldest_ms: r.lo_ms, newest: r.hi });
  return out;
}

export interface ContentColumn {
  column: string;
  type: string;
}

function notEmpty(c: ContentColumn): string {
  return c.type.startsWith('Nullable(') ? `${ident(c.column)} IS NOT NULL` : `notEmpty(${ident(c.column)})`;
}

function emptyValue(c: ContentColumn): string {
  return c.type.startsWith('Nullable(') ? 'NULL' : `defaultValueOfTypeName('${c.type.replace(/[^A-Za-z0-9_(), ]/g, '')}')`;
}

const purgeContent = defineCommand({
  name: 'compliance.purge_content',
  sql: (o: AgeShape, wh) => {
    const held = heldCondition(localDatabase(wh), o.keys) ?? '0';
    const sets = o.contentColumns.map((c) => `${ident(c.column)} = ${emptyValue(c)}`).join(', ');
    return `ALTER TABLE ${storage(wh, o.table)} UPDATE ${sets}
            WHERE ${ident(o.timeColumn)} < fromUnixTimestamp64Milli({cutoff:Int64}) AND NOT (${held})
              AND (${o.contentColumns.map(notEmpty).join(' OR ')})
            SETTINGS mutations_sync = 2`;
  },
  params: z.object({ cutoff: z.number() }),
  connection: 'jobs',
});

/**
 * Clears content columns of rows past the content policy that no hold protects, as a mutation:
 * a column TTL cannot consult the hold list, and held content must survive.
 */
export async function purgeExpiredContent(
  wh: Warehouse,
  table: string,
  opts: { timeColumn: string; cutoffMs: number; keys: readonly KeyColumn[]; contentColumns: readonly ContentColumn[] },
): Promise<void> {
  if (opts.contentColumns.length === 0) return;
  await purgeContent(wh, { cutoff: opts.cutoffMs }, { table, timeColumn: opts.timeColumn, keys: opts.keys, contentColumns: opts.contentColumns });
}
