import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWarehouse, type Warehouse } from '../../warehouse/client.ts';
import { migrate, MigrationError } from '../../warehouse/migrate.ts';

/**
 * The embedded warehouse of this test worker: one data directory per process (chDB's rule), migrated
 * once. `process.pid` keys it, so parallel workers never share a directory.
 */
export const TEST_DATA_DIR = join(process.env.WA_TEST_DIR ?? join(tmpdir(), 'wa-analytics-test'), String(process.pid));

export async function openTestWarehouse(): Promise<Warehouse> {
  mkdirSync(TEST_DATA_DIR, { recursive: true });
  const wh = await openWarehouse({
    dataDir: TEST_DATA_DIR,
    clickhouse: process.env.CLICKHOUSE_URL
      ? { mode: 'server', url: process.env.CLICKHOUSE_URL, user: process.env.CLICKHOUSE_USER ?? 'default', password: process.env.CLICKHOUSE_PASSWORD ?? '', database: `wa_test_${process.pid}` }
      : { mode: 'embedded', database: 'wa_test' },
  });
  try {
    await migrate(wh);
  } catch (e) {
    // Worker directories outlive a run (keyed by pid); one left by a branch with other migration
    // files is disposable: start it again rather than fail on its stored checksums.
    if (!(e instanceof MigrationError)) throw e;
    await wh.writer.command({ query: `DROP DATABASE IF EXISTS ${wh.database} SYNC` });
    await migrate(wh);
  }
  return wh;
}

/** Empties every table of the test database (between tests), keeping the migrations record. */
export async function truncateAll(wh: Warehouse): Promise<void> {
  const rs = await wh.writer.query({
    query: `SELECT name FROM system.tables WHERE database = {db:String} AND engine NOT IN ('View', 'MaterializedView', 'Dictionary') AND name != 'schema_migrations'`,
    query_params: { db: wh.database },
    format: 'JSONEachRow',
  });
  for (const { name } of await rs.json<{ name: string }>()) await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.${name}` });
  // Dictionaries built from the tables hold what they held: rebuilt from the empty tables.
  await wh.writer.command({ query: 'SYSTEM RELOAD DICTIONARIES' });
}

/** Rows of a query, for assertions. */
export async function rows<T = Record<string, unknown>>(wh: Warehouse, sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await wh.reader.query({ query: sql.replaceAll('{{db}}', wh.database), query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}
