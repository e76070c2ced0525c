import { z } from 'zod';
import type { Warehouse } from '../client.ts';
import { localDatabase } from '../migrate.ts';
import { defineQuery } from '../query.ts';

const partsOf = defineQuery({
  name: 'warehouse.parts_fingerprints',
  sql: `SELECT table, toString(count()) AS parts, toString(sum(cityHash64(name))) AS names, toString(sum(rows)) AS rows
FROM system.parts WHERE database = {db:String} AND active AND (empty({tables:Array(String)}) OR has({tables:Array(String)}, table))
GROUP BY table`,
  params: z.object({ db: z.string(), tables: z.array(z.string()) }),
  row: z.object({ table: z.string(), parts: z.string(), names: z.string(), rows: z.string() }),
});

/**
 * What each table holds, as its active parts (every table when `tables` is empty): an insert, a
 * merge or a mutation makes a part of a new name, so a result read under the same fingerprint is
 * still the result. A table with no part has the fingerprint ''. Reading it costs milliseconds. On
 * a cluster this node's parts are one shard of a table: there is no fingerprint (null).
 */
export async function partsFingerprints(wh: Warehouse, tables: readonly string[] = []): Promise<Map<string, string> | null> {
  if (wh.cluster) return null;
  const out = new Map<string, string>(tables.map((t) => [t, '']));
  for (const r of await partsOf(wh, { db: localDatabase(wh), tables: [...tables] })) out.set(r.table, `${r.parts}:${r.names}:${r.rows}`);
  return out;
}
