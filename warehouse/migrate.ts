import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Warehouse } from './client.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  /** SHA-256 of the file; stored when applied and compared at every start. */
  checksum: string;
  /** SHA-256 of the file as written before cluster placeholders were explicit (see `legacyText`). */
  legacyChecksum: string;
  /** Statements of `NNNN_name.down.sql`, which undoes a step that is not purely additive. */
  down: string[] | undefined;
}

/** A migration that cannot be applied as asked: names the file and says why. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Statements separated by `;` at the end of a line; comment lines dropped. */
function statementsOf(text: string): string[] {
  return text
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

const REPLICATED = /\{\{replicated:(.+?)\}\}/g;

/** The file as it read before `{{replicated:…}}` marked its engines (the same statements, unmarked). */
function legacyText(text: string): string {
  return text.replace(REPLICATED, '$1');
}

/** Numbered SQL files `NNNN_name.sql`, each with an optional `NNNN_name.down.sql`. */
export function loadMigrations(dir = DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const name = file.replace(/\.sql$/, '');
      const downFile = join(dir, `${name}.down.sql`);
      return {
        version: Number(file.slice(0, 4)),
        name,
        statements: statementsOf(text),
        checksum: sha256(text),
        legacyChecksum: sha256(legacyText(text)),
        down: existsSync(downFile) ? statementsOf(readFileSync(downFile, 'utf8')) : undefined,
      };
    });
}

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS \{\{db\}\}\.(\w+)/;
const ALTER_TABLE = /^ALTER TABLE \{\{db\}\}\.(\w+)/;

/** The database that holds a cluster's replicated shards; the main database holds Distributed tables. */
export function localDatabase(wh: Pick<Warehouse, 'database' | 'cluster'>): string {
  return wh.cluster ? `${wh.database}_local` : wh.database;
}

/**
 * Fills the placeholders. One set of files serves the embedded engine, a server and a cluster:
 *
 * - `{{db}}`: the database (on a cluster, the shard database `<db>_local` for DDL);
 * - `{{main_db}}`: the database reports read (on a cluster, its Distributed tables), for objects every
 *   node holds whole (a dictionary) and what refers to them;
 * - `{{on_cluster}}`: `ON CLUSTER <name>` on a cluster, nothing otherwise;
 * - `ENGINE = {{replicated:ReplacingMergeTree(v)}}`: the engine as written on one node; on a cluster
 *   `ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/<db>_local/<table>', '{replica}', v)`
 *   in `<db>_local` on every node, plus a Distributed table of the same name in `<db>` in front of
 *   it, sharded by the first sort-key column (so duplicates of an item meet on one shard, where
 *   ReplacingMergeTree collapses them). Tables without it (Join, Log…) live on each node.
 */
export function renderStatements(sql: string, wh: Pick<Warehouse, 'database' | 'cluster'>): string[] {
  sql = sql.replaceAll('{{main_db}}', wh.database);
  if (!wh.cluster) return [sql.replaceAll('{{db}}', wh.database).replaceAll('{{on_cluster}}', '').replace(REPLICATED, '$1')];
  const local = localDatabase(wh);
  const onCluster = `ON CLUSTER ${wh.cluster}`;
  const toLocal = (s: string) => s.replaceAll('{{db}}', local).replaceAll('{{on_cluster}}', onCluster);
  if (REPLICATED.test(sql)) {
    REPLICATED.lastIndex = 0;
    const create = CREATE_TABLE.exec(sql);
    if (!create) throw new MigrationError(`{{replicated:…}} outside CREATE TABLE IF NOT EXISTS {{db}}.<table>: ${sql.slice(0, 80)}`);
    const table = create[1]!;
    const replicated = toLocal(sql).replace(REPLICATED, (_m, engine: string) => {
      const e = /^(\w*MergeTree)(?:\((.*)\))?$/.exec(engine.trim());
      if (!e) throw new MigrationError(`{{replicated:${engine}}} in ${table}: not a MergeTree engine`);
      const rest = e[2]?.trim() ? `, ${e[2].trim()}` : '';
      return `Replicated${e[1]}('/clickhouse/tables/{shard}/${local}/${table}', '{replica}'${rest})`;
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

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS {{db}}.schema_migrations {{on_cluster}} (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
  ENGINE = {{replicated:ReplacingMergeTree(applied_at)}} ORDER BY version`;

async function applied(wh: Warehouse): Promise<Map<number, string>> {
  const client = wh.writer;
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${wh.database}${wh.cluster ? ` ON CLUSTER ${wh.cluster}` : ''}` });
  if (wh.cluster) await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${localDatabase(wh)} ON CLUSTER ${wh.cluster}` });
  for (const query of renderStatements(MIGRATIONS_TABLE, wh)) await client.command({ query });
  const done = await client.query({ query: `SELECT version, checksum FROM ${wh.database}.schema_migrations FINAL`, format: 'JSONEachRow' });
  return new Map((await done.json<{ version: number; checksum: string }>()).map((r) => [Number(r.version), r.checksum]));
}

/**
 * Refuses a store whose applied migrations no longer match their files: the schema would differ
 * from what the files say, on this store only. A file may gain `{{replicated:…}}` marks (the same
 * statements); any other change needs a new migration.
 */
export function checkApplied(have: ReadonlyMap<number, string>, migrations: readonly Migration[]): void {
  for (const m of migrations) {
    const stored = have.get(m.version);
    if (stored !== undefined && stored !== m.checksum && stored !== m.legacyChecksum) {
      throw new MigrationError(
        `migration ${m.name}.sql was changed after it was applied to this store (checksum ${stored.slice(0, 12)}… stored, ${m.checksum.slice(0, 12)}… now): restore the file and put the change in a new migration`,
      );
    }
  }
}

/** Applies every migration not yet recorded; safe to run again and from several processes. */
export async function migrate(wh: Warehouse, migrations = loadMigrations()): Promise<MigrationResult> {
  const client = wh.writer;
  const have = await applied(wh);
  checkApplied(have, migrations);
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

/**
 * Undoes the latest applied migration with its `.down.sql` and forgets it, so `migrate` applies it
 * again. Refuses a migration without a down step (a purely additive one is undone by leaving it).
 */
export async function migrateDown(wh: Warehouse, migrations = loadMigrations()): Promise<string> {
  const have = await applied(wh);
  checkApplied(have, migrations);
  if (have.size === 0) throw new MigrationError('no migration has been applied to this store');
  const latest = Math.max(...have.keys());
  const m = migrations.find((x) => x.version === latest);
  if (!m) throw new MigrationError(`the latest applied migration (${latest}) has no file here`);
  if (!m.down) throw new MigrationError(`migration ${m.name}.sql has no down step (${m.name}.down.sql)`);
  for (const stmt of m.down) for (const query of renderStatements(stmt, wh)) await wh.writer.command({ query });
  for (const query of renderStatements(`ALTER TABLE {{db}}.schema_migrations {{on_cluster}} DELETE WHERE version = ${m.version} SETTINGS mutations_sync = 2`, wh)) {
    await wh.writer.command({ query });
  }
  return m.name;
}
