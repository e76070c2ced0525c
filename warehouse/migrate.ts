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

/**
 * Fills the placeholders: `{{db}}`, and for a cluster `{{on_cluster}}` plus replicated engines, so
 * one set of files serves the embedded engine, a server and a cluster.
 */
export function renderStatement(sql: string, wh: Pick<Warehouse, 'database' | 'cluster'>): string {
  let out = sql.replaceAll('{{db}}', wh.database);
  out = out.replaceAll('{{on_cluster}}', wh.cluster ? `ON CLUSTER ${wh.cluster}` : '');
  if (wh.cluster) {
    out = out.replace(
      /ENGINE\s*=\s*(Replacing|Aggregating|Summing)?MergeTree\(([^)]*)\)/,
      (_m, kind: string | undefined, args: string) =>
        `ENGINE = Replicated${kind ?? ''}MergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}'${args.trim() ? ', ' + args : ''})`,
    );
  }
  return out;
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/** Applies every migration not yet recorded; safe to run again and from several processes. */
export async function migrate(wh: Warehouse, migrations = loadMigrations()): Promise<MigrationResult> {
  const client = wh.writer;
  await client.command({
    query: renderStatement(
      `CREATE TABLE IF NOT EXISTS {{db}}.schema_migrations {{on_cluster}} (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`,
      wh,
    ),
  });
  const done = await client.query({ query: `SELECT version, checksum FROM ${wh.database}.schema_migrations FINAL`, format: 'JSONEachRow' });
  const have = new Map((await done.json<{ version: number; checksum: string }>()).map((r) => [Number(r.version), r.checksum]));
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const m of migrations) {
    if (have.has(m.version)) {
      result.skipped.push(m.name);
      continue;
    }
    for (const stmt of m.statements) await client.command({ query: renderStatement(stmt, wh) });
    await client.insert({
      table: `${wh.database}.schema_migrations`,
      values: [{ version: m.version, name: m.name, checksum: m.checksum, applied_at: Date.now() }],
      format: 'JSONEachRow',
    });
    result.applied.push(m.name);
  }
  return result;
}
