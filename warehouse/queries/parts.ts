import { z } from 'zod';
import type { Warehouse } from '../client.ts';
import { localDatabase } from '../migrate.ts';
import { defineQuery } from '../query.ts';

const allParts = defineQuery({
  name: 'warehouse.active_parts',
  sql: `SELECT table, name, concat(toString(uuid), '/', name, '/', toString(toUnixTimestamp(modification_time)), '/', toString(rows), '/', toString(bytes_on_disk)) AS id
        FROM system.parts AS p
        LEFT JOIN (SELECT name AS table, uuid FROM system.tables WHERE database = {db:String}) AS t USING table
        WHERE p.database = {db:String} AND p.active AND (empty({tables:Array(String)}) OR has({tables:Array(String)}, p.table))`,
  params: z.object({ db: z.string(), tables: z.array(z.string()) }),
  row: z.object({ table: z.string(), name: z.string(), id: z.string() }),
});

/**
 * The active parts of the tables, read once and asked as often as needed: a part never changes, and
 * an insert, a merge or a mutation makes a part of a new name.
 */
export class PartsSnapshot {
  private readonly byTable = new Map<string, Map<string, string>>();

  constructor(rows: ReadonlyArray<{ table: string; name: string; id: string }>) {
    for (const r of rows) {
      let t = this.byTable.get(r.table);
      if (!t) this.byTable.set(r.table, (t = new Map()));
      t.set(r.id, r.name);
    }
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

/** Reads the snapshot once, when first asked (the reads of one evaluation share it). */
export function partsOnce(wh: Warehouse): () => Promise<PartsSnapshot | null> {
  let read: Promise<PartsSnapshot | null> | undefined;
  return () => (read ??= readParts(wh));
}
