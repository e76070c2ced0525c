import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../warehouse/client.ts';
import { loadMigrations, migrate, renderStatements } from '../../warehouse/migrate.ts';
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

  it('render a cluster table as replicated shards behind a Distributed table', () => {
    const sql = 'CREATE TABLE IF NOT EXISTS {{db}}.t {{on_cluster}} (waba_id String, a String) ENGINE = ReplacingMergeTree(received_at) ORDER BY (waba_id, a)';
    expect(renderStatements(sql, { database: 'wa', cluster: 'c1' })).toEqual([
      "CREATE TABLE IF NOT EXISTS wa_local.t ON CLUSTER c1 (waba_id String, a String) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/wa_local/t', '{replica}', received_at) ORDER BY (waba_id, a)",
      'CREATE TABLE IF NOT EXISTS wa.t ON CLUSTER c1 AS wa_local.t ENGINE = Distributed(c1, wa_local, t, cityHash64(waba_id))',
    ]);
    expect(renderStatements('CREATE TABLE IF NOT EXISTS {{db}}.m {{on_cluster}} (seq UInt64) ENGINE = MergeTree ORDER BY seq', { database: 'wa', cluster: 'c1' })[0]).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/wa_local/m', '{replica}') ORDER BY seq",
    );
    expect(renderStatements('ALTER TABLE {{db}}.t {{on_cluster}} ADD COLUMN IF NOT EXISTS b String', { database: 'wa', cluster: 'c1' })).toEqual([
      'ALTER TABLE wa_local.t ON CLUSTER c1 ADD COLUMN IF NOT EXISTS b String',
      'ALTER TABLE wa.t ON CLUSTER c1 ADD COLUMN IF NOT EXISTS b String',
    ]);
    expect(renderStatements('ALTER TABLE {{db}}.t {{on_cluster}} MODIFY TTL ts + INTERVAL 30 DAY', { database: 'wa', cluster: 'c1' })).toEqual([
      'ALTER TABLE wa_local.t ON CLUSTER c1 MODIFY TTL ts + INTERVAL 30 DAY',
    ]);
    expect(renderStatements(sql, { database: 'wa', cluster: undefined })).toEqual([
      'CREATE TABLE IF NOT EXISTS wa.t  (waba_id String, a String) ENGINE = ReplacingMergeTree(received_at) ORDER BY (waba_id, a)',
    ]);
  });

  it('render every migration for a cluster without leaving a placeholder', () => {
    for (const m of loadMigrations()) {
      for (const stmt of m.statements) {
        for (const out of renderStatements(stmt, { database: 'wa', cluster: 'c1' })) {
          expect(out, m.name).not.toMatch(/\{\{/);
          if (/^CREATE TABLE/.test(out) && !/ENGINE = (Distributed|Null|Memory|Join)/.test(out)) expect(out, m.name).toMatch(/Replicated\w*MergeTree|ENGINE = Log/);
        }
      }
    }
  });
});
