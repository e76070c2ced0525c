import { z } from 'zod';
import type { Warehouse } from '../client.ts';
import { localDatabase } from '../migrate.ts';
import { defineCommand, defineQuery } from '../query.ts';

// Every table (one row with no part when it has none), its definition's stamp, and its active parts.
const allParts = defineQuery({
  name: 'warehouse.active_parts',
  sql: `SELECT t.name AS table, concat(toString(t.uuid), '/', toString(cityHash64(t.create_table_query))) AS definition, p.name AS name,
               if(p.name = '', '', concat(toString(t.uuid), '/', p.name, '/', toString(toUnixTimestamp(p.modification_time)), '/', toString(p.rows), '/', toString(p.bytes_on_disk))) AS id,
               p.bytes_on_disk AS bytes, p.rows AS rows, p.partition_id AS partition
        FROM (SELECT name, uuid, create_table_query FROM system.tables
              WHERE database = {db:String} AND (empty({tables:Array(String)}) OR has({tables:Array(String)}, name))) AS t
        LEFT JOIN (SELECT table, name, modification_time, rows, bytes_on_disk, partition_id FROM system.parts
                   WHERE database = {db:String} AND active AND (empty({tables:Array(String)}) OR has({tables:Array(String)}, table))) AS p ON p.table = t.name
        SETTINGS join_use_nulls = 0`,
  params: z.object({ db: z.string(), tables: z.array(z.string()) }),
  row: z.object({ table: z.string(), definition: z.string(), name: z.string(), id: z.string(), bytes: z.coerce.number(), rows: z.coerce.number(), partition: z.string() }),
});

/**
 * The active parts of the tables, read once and asked as often as needed: a part never changes, and
 * an insert, a merge or a mutation makes a part of a new name. With each table's definition (its
 * UUID and a hash of its CREATE statement: columns, comments, TTL).
 */
export class PartsSnapshot {
  private readonly byTable = new Map<string, Map<string, string>>();
  private readonly definitions = new Map<string, string>();
  private readonly sizes = new Map<string, { bytes: number; rows: number }>();
  private readonly partitionOf = new Map<string, string>();
  private readonly partRows = new Map<string, number>();

  constructor(rows: ReadonlyArray<{ table: string; definition: string; name: string; id: string; bytes: number; rows: number; partition: string }>) {
    for (const r of rows) {
      this.definitions.set(r.table, r.definition);
      const size = this.sizes.get(r.table) ?? { bytes: 0, rows: 0 };
      this.sizes.set(r.table, { bytes: size.bytes + r.bytes, rows: size.rows + r.rows });
      if (r.name === '') continue;
      this.partitionOf.set(r.id, r.partition);
      this.partRows.set(r.id, r.rows);
      let t = this.byTable.get(r.table);
      if (!t) this.byTable.set(r.table, (t = new Map()));
      t.set(r.id, r.name);
    }
  }

  /** What the tables are (names, UUIDs, CREATE statements): a catalogue read under the same schema is still the catalogue. */
  schema(): string {
    return [...this.definitions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([t, d]) => `${t}=${d}`).join(',');
  }

  /** A table's UUID and a hash of its CREATE statement ('' when it is not there). */
  definition(table: string): string {
    return this.definitions.get(table) ?? '';
  }

  /** Bytes on disk of a table's active parts. */
  bytes(table: string): number {
    return this.sizes.get(table)?.bytes ?? 0;
  }

  /**
   * A table's partitions (by partition id): each one's parts (name and rows) and the fingerprint of
   * those parts, under which a result read from that partition is still its result.
   */
  partitions(table: string): Map<string, { fingerprint: string; parts: Array<{ name: string; rows: number }> }> {
    const byPartition = new Map<string, Array<{ id: string; name: string; rows: number }>>();
    for (const [id, name] of this.active(table)) {
      const p = this.partitionOf.get(id)!;
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push({ id, name, rows: this.partRows.get(id) ?? 0 });
    }
    return new Map([...byPartition].map(([p, list]) => [p, {
      fingerprint: list.map((x) => x.id).sort().join(','),
      parts: list.map(({ name, rows }) => ({ name, rows })),
    }]));
  }

  /** Rows of a table's active parts. */
  rows(table: string): number {
    return this.sizes.get(table)?.rows ?? 0;
  }

  /**
   * A table's active parts, each by name under an id that also names the table's UUID, the part's
   * time, rows and bytes (a table dropped and made again can reuse a name, never all of these).
   */
  active(table: string): Map<string, string> {
    return this.byTable.get(table) ?? new Map();
  }

  /** What a table holds, as its active parts: a result read under the same fingerprint is still the result. A table with no part: ''. */
  fingerprint(table: string): string {
    return [...this.active(table).keys()].sort().join(',');
  }
}

/**
 * Reads the active parts of the tables named (every table when none). Reading costs milliseconds.
 * On a cluster this node's parts are one shard of a table: there is no snapshot (null).
 */
export async function readParts(wh: Warehouse, tables: readonly string[] = []): Promise<PartsSnapshot | null> {
  if (wh.cluster) return null;
  return new PartsSnapshot(await allParts(wh, { db: localDatabase(wh), tables: [...tables] }));
}

/**
 * What a part's name says of it (`<partition>_<min block>_<max block>_<level>[_<mutation>]`): the
 * blocks it holds and the mutation that last rewrote it (0: none). An insert takes block numbers
 * above every part's before it, a merge keeps its parts' range, and a mutation (ALTER, lightweight
 * DELETE) renames every part it rewrites with its own number. Null when the name does not read so.
 */
export function partBlocks(name: string, partition: string): { min: number; max: number; mutation: number } | null {
  if (!name.startsWith(partition + '_')) return null;
  const f = name.slice(partition.length + 1).split('_').map(Number);
  if ((f.length !== 3 && f.length !== 4) || f.some((x) => !Number.isSafeInteger(x))) return null;
  return { min: f[0]!, max: f[1]!, mutation: f[3] ?? 0 };
}

/** A result as last read, with what its tables held then (and what else it was read for). */
export interface KeptRead<T> {
  last?: { fingerprint: string; value: T };
}

/**
 * A read kept while the tables it reads stand still: the result in `slot` is used again while the
 * tables' parts and `key` (what else the read depended on) are the same and `valid` holds; else the
 * read runs and its result is kept. The parts are taken before the read, so a write that lands
 * during it is read next time. Without a snapshot (a cluster) it always reads.
 */
export async function readKept<T>(
  slot: KeptRead<T> | undefined, parts: (() => Promise<PartsSnapshot | null>) | undefined, tables: readonly string[], read: () => Promise<T>,
  opts: { key?: string; valid?: (value: T) => boolean } = {},
): Promise<T> {
  const snapshot = slot ? await parts?.() : undefined;
  const fingerprint = snapshot ? [opts.key ?? '', ...tables.map((t) => snapshot.fingerprint(t))].join('|') : undefined;
  const last = slot?.last;
  if (fingerprint !== undefined && last?.fingerprint === fingerprint && (opts.valid?.(last.value) ?? true)) return last.value;
  const value = await read();
  if (slot) slot.last = fingerprint === undefined ? undefined : { fingerprint, value };
  return value;
}

/** Reads the snapshot once, when first asked (the reads of one evaluation share it). */
export function partsOnce(wh: Warehouse): () => Promise<PartsSnapshot | null> {
  let read: Promise<PartsSnapshot | null> | undefined;
  return () => (read ??= readParts(wh));
}

const merge = defineCommand({
  name: 'warehouse.merge_table',
  // On a cluster the shards' tables, not the Distributed one in front of them. The table is a name
  // from the code (OPTIMIZE takes no parameter for it).
  sql: (table: string, wh) => `OPTIMIZE TABLE ${localDatabase(wh)}.${table}${wh.cluster ? ` ON CLUSTER ${wh.cluster}` : ''} FINAL`,
  params: z.object({}),
  connection: 'jobs',
});

/**
 * Merges a table whole, after a one-time copy wrote a second row for most of its rows: until they
 * are merged, every read's FINAL merges them again.
 */
export function mergeTable(wh: Warehouse, table: string): Promise<void> {
  return merge(wh, {}, table);
}
