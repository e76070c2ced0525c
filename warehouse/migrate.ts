import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Warehouse } from './client.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

/** Numbered SQL files `NNNN_name.sql`; statements separated by `;` at the end of a line. */
export function loadMigrations(dir = DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const statements = text
        .split(/;\s*$/m)
        .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
        .filter(Boolean);
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        statements,
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    });
}

const MERGE_TREE = /ENGINE\s*=\s*(Replacing|Aggregating|Summing|Collapsing|VersionedCollapsing)?MergeTree(?:\(([^)]*)\))?/;
const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS \{\{db\}\}\.(\w+)/;
const ALTER_TABLE = /^ALTER TABLE \{\{db\}\}\.(\w+)/;

/** The database that holds a cluster's replicated shards; the main database holds Distributed tables. */
export function localDatabase(wh: Pick<Warehouse, 'database' | 'cluster'>): string {
  return wh.cluster ? `${wh.database}_local` : wh.database;
}

/**
 * Fills the placeholders `{{db}}` and `{{on_cluster}}`. One set of files serves the embedded engine,
 * a server and a cluster: with a cluster name, a table becomes a replicated table in `<db>_local` on
 * every node plus a Distributed table of the same name in `<db>`, sharded by the first sort-key
 * column (so duplicates of an item meet on one shard, where ReplacingMergeTree collapses them).
 */
export function renderStatements(sql: string, wh: Pick<Warehouse, 'database' | 'cluster'>): string[] {
  if (!wh.cluster) return [sql.replaceAll('{{db}}', wh.database).replaceAll('{{on_cluster}}', '')];
  const local = localDatabase(wh);
  const onCluster = `ON CLUSTER ${wh.cluster}`;
  const toLocal = (s: string) => s.replaceAll('{{db}}', local).replaceAll('{{on_cluster}}', onCluster);
  const create = CREATE_TABLE.exec(sql);
  if (create && MERGE_TREE.test(sql)) {
    const table = create[1]!;
    const replicated = toLocal(sql).replace(MERGE_TREE, (_m, kind: string | undefined, args: string | undefined) => {
      const rest = args?.trim() ? `, ${args.trim()}` : '';
      return `ENGINE = Replicated${kind ?? ''}MergeTree('/clickhouse/tables/{shard}/${local}/${table}', '{replica}'${rest})`;
    });
    const order = /ORDER BY\s+\(?\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(sql);
    const shardKey = order ? `cityHash64(${order[1]})` : 'rand()';
    const distributed = `CREATE TABLE IF NOT EXISTS ${wh.database}.${table} ${onCluster} AS ${local}.${table} ENGINE = Distributed(${wh.cluster}, ${local}, ${table}, ${shardKey})`;
    return [replicated, distributed];
  }
  const alter = ALTER_TABLE.exec(sql);
  if (alter && /\b(ADD|DROP|MODIFY|RENAME) COLUMN\b/.test(sql)) {
    // Column changes apply to the shards and to the Distributed table in front of them.
    return [toLocal(sql), sql.replaceAll('{{db}}', wh.database).replaceAll('{{on_cluster}}', onCluster)];
  }
  return [toLocal(sql)];
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/** Applies every migration not yet recorded; safe to run again and from several processes. */
export async function migrate(wh: Warehouse, migrations = loadMigrations()): Promise<MigrationResult> {
  const client = wh.writer;
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${wh.database}${wh.cluster ? ` ON CLUSTER ${wh.cluster}` : ''}` });
  if (wh.cluster) await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${localDatabase(wh)} ON CLUSTER ${wh.cluster}` });
  for (const query of renderStatements(
    `CREATE TABLE IF NOT EXISTS {{db}}.schema_migrations {{on_cluster}} (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`,
    wh,
  )) {
    await client.command({ query });
  }
  const done = await client.query({ query: `SELECT version, checksum FROM ${wh.database}.schema_migrations FINAL`, format: 'JSONEachRow' });
  const have = new Map((await done.json<{ version: number; checksum: string }>()).map((r) => [Number(r.version), r.checksum]));
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const m of migrations) {
    if (have.has(m.version)) {
      result.skipped.push(m.name);
      continue;
    }
    for (const stmt of m.statements) for (const query of renderStatements(stmt, wh)) await client.command({ query });
    await client.insert({
      table: `${wh.database}.schema_migrations`,
      values: [{ version: m.version, name: m.name, checksum: m.checksum, applied_at: Date.now() }],
      format: 'JSONEachRow',
    });
    result.applied.push(m.name);
  }
  return result;
}
