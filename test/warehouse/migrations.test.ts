import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../warehouse/client.ts';
import { loadMigrations, migrate, renderStatement } from '../../warehouse/migrate.ts';
import { ITEM_TABLES, RAW_TABLE, RAW_WEBHOOK } from '../../warehouse/tables.ts';
import { openTestWarehouse, rows } from '../helpers/warehouse.ts';

let wh: Warehouse;
beforeAll(async () => {
  wh = await openTestWarehouse();
});
afterAll(() => wh?.close());

describe('migrations', () => {
  it('are numbered uniquely', () => {
    const versions = loadMigrations().map((m) => m.version);
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('are recorded and safe to run again', async () => {
    const again = await migrate(wh);
    expect(again.applied).toEqual([]);
    expect(again.skipped.length).toBe(loadMigrations().length);
  });

  it('produce the columns the ingest code writes, for every table', async () => {
    const tables: Array<[string, object]> = [[RAW_TABLE, RAW_WEBHOOK], ...Object.values(ITEM_TABLES).map((t): [string, object] => [t.table, t.defaults])];
    for (const [table, defaults] of tables) {
      const cols = await rows<{ name: string }>(wh, 'SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position', { db: wh.database, t: table });
      expect(cols.map((c) => c.name).sort(), table).toEqual(Object.keys(defaults).sort());
    }
  });

  it('render replicated engines and ON CLUSTER for a cluster', () => {
    const sql = 'CREATE TABLE IF NOT EXISTS {{db}}.t {{on_cluster}} (a String) ENGINE = ReplacingMergeTree(received_at) ORDER BY a';
    expect(renderStatement(sql, { database: 'wa', cluster: 'c1' })).toBe(
      "CREATE TABLE IF NOT EXISTS wa.t ON CLUSTER c1 (a String) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', received_at) ORDER BY a",
    );
    expect(renderStatement(sql, { database: 'wa', cluster: undefined })).toBe('CREATE TABLE IF NOT EXISTS wa.t  (a String) ENGINE = ReplacingMergeTree(received_at) ORDER BY a');
  });
});
