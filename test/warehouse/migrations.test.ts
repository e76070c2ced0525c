import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../warehouse/client.ts';
import { loadMigrations, migrate, migrateDown, MigrationError, renderStatements } from '../../warehouse/migrate.ts';
import { DECLARED_TABLES } from '../../warehouse/schema/index.ts';
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
    const sql = 'CREATE TABLE IF NOT EXISTS {{db}}.t {{on_cluster}} (waba_id String, a String) ENGINE = {{replicated:ReplacingMergeTree(received_at)}} ORDER BY (waba_id, a)';
    expect(renderStatements(sql, { database: 'wa', cluster: 'c1' })).toEqual([
      "CREATE TABLE IF NOT EXISTS wa_local.t ON CLUSTER c1 (waba_id String, a String) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/wa_local/t', '{replica}', received_at) ORDER BY (waba_id, a)",
      'CREATE TABLE IF NOT EXISTS wa.t ON CLUSTER c1 AS wa_local.t ENGINE = Distributed(c1, wa_local, t, cityHash64(waba_id))',
    ]);
    expect(renderStatements('CREATE TABLE IF NOT EXISTS {{db}}.m {{on_cluster}} (seq UInt64) ENGINE = {{replicated:MergeTree}} ORDER BY seq', { database: 'wa', cluster: 'c1' })[0]).toContain(
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

  it('leave a table unmarked for replication on each node, and refuse a mark that is not a MergeTree engine', () => {
    const join = 'CREATE TABLE IF NOT EXISTS {{db}}.j {{on_cluster}} (id String, v String) ENGINE = Join(ANY, LEFT, id)';
    expect(renderStatements(join, { database: 'wa', cluster: 'c1' })).toEqual(['CREATE TABLE IF NOT EXISTS wa_local.j ON CLUSTER c1 (id String, v String) ENGINE = Join(ANY, LEFT, id)']);
    expect(renderStatements(join, { database: 'wa', cluster: undefined })).toEqual(['CREATE TABLE IF NOT EXISTS wa.j  (id String, v String) ENGINE = Join(ANY, LEFT, id)']);
    expect(() => renderStatements('CREATE TABLE IF NOT EXISTS {{db}}.j {{on_cluster}} (id String) ENGINE = {{replicated:Join(ANY, LEFT, id)}}', { database: 'wa', cluster: 'c1' })).toThrow(MigrationError);
  });

  it('mark every MergeTree table for replication, and give a down step to every step that is not purely additive', () => {
    for (const m of loadMigrations()) {
      for (const stmt of m.statements) {
        expect(stmt, m.name).not.toMatch(/ENGINE\s*=\s*\w*MergeTree/);
        if (/\b(DROP|RENAME|MODIFY (COLUMN|ORDER BY|TTL)|DELETE|UPDATE)\b/.test(stmt.replace(/'[^']*'/g, "''"))) expect(m.down, `${m.name} needs ${m.name}.down.sql`).toBeDefined();
      }
    }
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

  it('produce the declared columns, with their types, for every derived table', async () => {
    for (const t of DECLARED_TABLES) {
      const cols = await rows<{ name: string; type: string; default_kind: string }>(wh, 'SELECT name, type, default_kind FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position', { db: wh.database, t: t.name });
      const declared = (list: Record<string, { type: string }>) => Object.entries(list).map(([name, c]) => ({ name, type: c.type }));
      expect(cols.filter((c) => c.default_kind !== 'MATERIALIZED').map(({ name, type }) => ({ name, type })), t.name).toEqual(declared(t.columns));
      expect(cols.filter((c) => c.default_kind === 'MATERIALIZED').map(({ name, type }) => ({ name, type })), t.name).toEqual(declared(t.computed));
    }
  });
});

/**
 * A store of its own (another database in this worker's engine) and a migrations folder of its own
 * per test, so a changed or undone file never touches the real schema.
 */
describe('applied migrations', () => {
  let n = 0;
  const scratch = () => {
    n++;
    const dir = mkdtempSync(join(tmpdir(), 'wa-migrations-'));
    return { dir, store: { ...wh, database: `wa_migrate_test_${process.pid}_${n}` } as Warehouse, write: (file: string, sql: string) => writeFileSync(join(dir, file), sql) };
  };
  const tables = async (store: Warehouse) =>
    (await rows<{ name: string }>(wh, 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name', { db: store.database })).map((r) => r.name);
  afterAll(async () => {
    for (let i = 1; i <= n; i++) await wh.writer.command({ query: `DROP DATABASE IF EXISTS wa_migrate_test_${process.pid}_${i} SYNC` });
  });

  it('refuse to start when an applied file changed, naming the file', async () => {
    const { dir, store, write } = scratch();
    write('0001_first.sql', 'CREATE TABLE IF NOT EXISTS {{db}}.t1 {{on_cluster}} (a String) ENGINE = {{replicated:MergeTree}} ORDER BY a');
    expect((await migrate(store, loadMigrations(dir))).applied).toEqual(['0001_first']);
    write('0001_first.sql', 'CREATE TABLE IF NOT EXISTS {{db}}.t1 {{on_cluster}} (a String, b String) ENGINE = {{replicated:MergeTree}} ORDER BY a');
    write('0002_second.sql', 'CREATE TABLE IF NOT EXISTS {{db}}.t2 {{on_cluster}} (a String) ENGINE = {{replicated:MergeTree}} ORDER BY a');
    const err = await migrate(store, loadMigrations(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toContain('0001_first.sql');
    // Nothing after the refusal ran.
    expect(await tables(store)).toEqual(['schema_migrations', 't1']);
  });

  it('accept a file whose only change is marking its engine for replication', async () => {
    const { dir, store, write } = scratch();
    write('0001_first.sql', 'CREATE TABLE IF NOT EXISTS {{db}}.t1 {{on_cluster}} (a String, v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY a');
    await migrate(store, loadMigrations(dir));
    write('0001_first.sql', 'CREATE TABLE IF NOT EXISTS {{db}}.t1 {{on_cluster}} (a String, v UInt64) ENGINE = {{replicated:ReplacingMergeTree(v)}} ORDER BY a');
    expect(await migrate(store, loadMigrations(dir))).toEqual({ applied: [], skipped: ['0001_first'] });
  });

  it('rebuild the raw bodies in granules of 256 rows keeping every stored row, and back', async () => {
    const { store } = scratch();
    const all = loadMigrations();
    const before = all.filter((m) => m.version < 606);
    const regrain = all.filter((m) => m.version <= 606);
    await migrate(store, before);
    const raw = `${store.database}.${RAW_TABLE}`;
    // Two versions of one body (the engine keeps both until a merge), one body per month, a body
    // whose trace text differs from its body, one naming nobody: 2,000 rows over several granules.
    const values = Array.from({ length: 2000 }, (_, i) => ({
      received_at: Date.UTC(2026, i % 3, 1 + (i % 27), 10, 0, i % 60),
      body_sha256: `sha-${i % 1999}`,
      body: `{"n":${i},"from":"55119${String(i).padStart(8, '0')}"}`,
      trace_text: i % 2 ? `{"n":${i}}` : '',
      signature_valid: true, verdict: 'ok', reason: '', waba_ids: ['w1'],
      subject_ids: i % 10 === 0 ? [] : [`55119${String(i).padStart(8, '0')}`],
      item_count: 1, unknown_count: 0,
    }));
    await wh.writer.insert({ table: raw, values, format: 'JSONEachRow' });
    const stored = () => rows<Record<string, unknown>>(wh, `SELECT * FROM ${raw} ORDER BY body_sha256, received_at, body`);
    const setting = async () => (await rows<{ engine_full: string }>(wh, 'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db: store.database, t: RAW_TABLE }))[0]!.engine_full.match(/index_granularity = (\d+)/)?.[1];
    const was = await stored();
    expect(was.length).toBe(2000);
    expect(await setting()).toBe('8192');

    expect((await migrate(store, regrain)).applied).toEqual(['0606_raw_fine_granules']);
    expect(await setting()).toBe('256');
    expect(await stored()).toEqual(was);
    // Found by the subject index as before (one body names 5511900000007).
    expect(await rows(wh, `SELECT body_sha256 FROM ${raw} WHERE has(subject_ids, '5511900000007')`)).toEqual([{ body_sha256: 'sha-7' }]);
    expect(await tables(store)).not.toContain('raw_webhooks_regrain');

    expect(await migrateDown(store, regrain)).toBe('0606_raw_fine_granules');
    expect(await setting()).toBe('8192');
    expect(await stored()).toEqual(was);
    expect(await tables(store)).not.toContain('raw_webhooks_regrain');
  });

  it('rebuild the raw bodies in granules of at most 64 KiB with the trace text as LowCardinality, keeping every stored row, and back', async () => {
    const { store } = scratch();
    const all = loadMigrations();
    await migrate(store, all.filter((m) => m.version < 612));
    const raw = `${store.database}.${RAW_TABLE}`;
    // Bodies of 2–6 KB, so a granule of 256 rows would pass 64 KiB; two versions of one body, three months.
    const values = Array.from({ length: 1500 }, (_, i) => ({
      received_at: Date.UTC(2026, i % 3, 1 + (i % 27), 10, 0, i % 60),
      body_sha256: `sha-${String(i % 1499).padStart(4, '0')}`,
      body: `{"n":${i},"from":"55119${String(i).padStart(8, '0')}","pad":"${'x'.repeat(2000 + (i % 5) * 1000)}"}`,
      trace_text: i % 2 ? `["whatsapp","n${i % 3}"]` : '["whatsapp"]',
      signature_valid: true, verdict: 'ok', reason: '', waba_ids: ['w1'],
      subject_ids: i % 10 === 0 ? [] : [`55119${String(i).padStart(8, '0')}`],
      item_count: 1, unknown_count: 0,
    }));
    await wh.writer.insert({ table: raw, values, format: 'JSONEachRow' });
    const stored = () => rows<Record<string, unknown>>(wh, `SELECT * FROM ${raw} ORDER BY body_sha256, received_at, body`);
    const shape = async () => {
      const [t] = await rows<{ engine_full: string }>(wh, 'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db: store.database, t: RAW_TABLE });
      const [c] = await rows<{ type: string }>(wh, "SELECT type FROM system.columns WHERE database = {db:String} AND table = {t:String} AND name = 'trace_text'", { db: store.database, t: RAW_TABLE });
      return { bytes: t!.engine_full.match(/index_granularity_bytes = (\d+)/)?.[1], trace: c!.type };
    };
    const was = await stored();
    expect(was.length).toBe(1500);
    expect((await shape()).bytes).toBeUndefined();
    expect((await shape()).trace).toBe('String');

    expect((await migrate(store, all.filter((m) => m.version <= 612))).applied).toEqual(['0612_raw_bodies_by_bytes']);
    expect((await shape()).bytes).toBe('65536');
    expect((await shape()).trace).toBe('LowCardinality(String)');
    expect(await stored()).toEqual(was);
    // Granules hold at most 64 KiB of rows: bodies of 2–6 KB make granules of far fewer than 256 rows.
    const [marks] = await rows<{ marks: number; rows: number }>(wh, 'SELECT sum(marks) AS marks, sum(rows) AS rows FROM system.parts WHERE database = {db:String} AND table = {t:String} AND active', { db: store.database, t: RAW_TABLE });
    expect(marks!.rows / marks!.marks).toBeLessThan(40);
    expect(await rows(wh, `SELECT body_sha256 FROM ${raw} WHERE has(subject_ids, '5511900000007')`)).toEqual([{ body_sha256: 'sha-0007' }]);
    expect(await tables(store)).not.toContain('raw_webhooks_regrain');

    expect(await migrateDown(store, all.filter((m) => m.version <= 612))).toBe('0612_raw_bodies_by_bytes');
    expect((await shape()).bytes).toBeUndefined();
    expect((await shape()).trace).toBe('String');
    expect(await stored()).toEqual(was);
    expect(await tables(store)).not.toContain('raw_webhooks_regrain');
  });

  it('partition the SLA waits by day keeping every stored row and label set, and back', async () => {
    const { store } = scratch();
    const all = loadMigrations();
    const before = all.filter((m) => m.version < 610);
    const byDay = all.filter((m) => m.version <= 610);
    await migrate(store, before);
    const table = `${store.database}.sla_waits_v1`;
    // Waits over two months, two versions of one, a deletion marker, and label sets as stored (not
    // what the labels would give now: the copy must not recompute them).
    const values = Array.from({ length: 300 }, (_, i) => {
      const w = i % 290;
      return {
        wait_id: `w${w}`, waba_id: 'W1', phone_number_id: 'P1', wa_id: `55119${String(w).padStart(8, '0')}`, family: w % 2 ? 'human' : 'any',
        kind: 'first', started_at: Date.UTC(2026, 9 + (w % 2), 1 + (w % 28), 10, 0, 0) + w, version: i >= 290 ? 2 : 1,
        is_deleted: i === 299 ? 1 : 0, label_set: i % 7, agent: `a${i % 3}`, response_seconds: i,
      };
    });
    // Two inserts: the engine collapses the versions of one insert as it writes them.
    for (const part of [values.slice(0, 290), values.slice(290)]) {
      await wh.writer.insert({ table, values: part, format: 'JSONEachRow', clickhouse_settings: { insert_allow_materialized_columns: 1, max_partitions_per_insert_block: '0' } });
    }
    const stored = () => rows<Record<string, unknown>>(wh, `SELECT *, label_set FROM ${table} ORDER BY wait_id, version`);
    const current = () => rows<Record<string, unknown>>(wh, `SELECT wait_id, version, label_set FROM ${table} FINAL ORDER BY wait_id`);
    const key = async () => (await rows<{ partition_key: string }>(wh, 'SELECT partition_key FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db: store.database, t: 'sla_waits_v1' }))[0]!.partition_key;
    const was = await stored();
    const wasCurrent = await current();
    expect(was.length).toBe(300);
    // The deleted wait is gone, the others at their latest version.
    expect(wasCurrent.length).toBe(289);
    expect(await key()).toBe('toYYYYMM(started_at)');

    expect((await migrate(store, byDay)).applied).toEqual(['0610_sla_waits_by_day']);
    expect(await key()).toBe('toYYYYMMDD(started_at)');
    // Every row but the versions replaced (the copy is one insert, which the engine collapses); the
    // deletion marker stays, so an older version arriving late cannot bring its wait back.
    const latest = was.filter((r) => Number(r.version) === 2 || !was.some((o) => o.wait_id === r.wait_id && Number(o.version) === 2));
    expect(latest.length).toBe(290);
    expect(await stored()).toEqual(latest);
    expect(await current()).toEqual(wasCurrent);
    // Each past day merged into one part: FINAL then reads it as it is, and still leaves the deleted wait out.
    await wh.writer.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
    expect(await current()).toEqual(wasCurrent);
    expect(await tables(store)).not.toContain('sla_waits_by_day');

    expect(await migrateDown(store, byDay)).toBe('0610_sla_waits_by_day');
    expect(await key()).toBe('toYYYYMM(started_at)');
    expect(await current()).toEqual(wasCurrent);
    expect(await tables(store)).not.toContain('sla_waits_by_day');
  });

  it('rebuild the SLA waits in granules of 1,024 rows keeping every stored row and label set, and back', async () => {
    const { store } = scratch();
    const all = loadMigrations();
    await migrate(store, all.filter((m) => m.version < 613));
    const table = `${store.database}.sla_waits_v1`;
    // 3,000 waits on three days (granules of 8,192 rows before, about 1,000 a day after), label sets as stored.
    const values = Array.from({ length: 3000 }, (_, i) => ({
      wait_id: `w${i}`, waba_id: 'W1', phone_number_id: 'P1', wa_id: `55119${String(i % 400).padStart(8, '0')}`, family: 'any',
      kind: 'first', started_at: Date.UTC(2026, 10, 1 + (i % 3), 10, 0, 0) + i, version: 1, is_deleted: 0, label_set: i % 7, agent: `a${i % 3}`, response_seconds: i,
    }));
    await wh.writer.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { insert_allow_materialized_columns: 1, max_partitions_per_insert_block: '0' } });
    const current = () => rows<Record<string, unknown>>(wh, `SELECT *, label_set FROM ${table} FINAL ORDER BY wait_id`);
    const shape = async () => {
      const [t] = await rows<{ engine_full: string }>(wh, 'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db: store.database, t: 'sla_waits_v1' });
      const [x] = await rows<{ granularity: number }>(wh, "SELECT granularity FROM system.data_skipping_indices WHERE database = {db:String} AND table = {t:String} AND name = 'wa_id_idx'", { db: store.database, t: 'sla_waits_v1' });
      return { granules: t!.engine_full.match(/index_granularity = (\d+)/)?.[1] ?? '8192', index: x!.granularity };
    };
    const was = await current();
    expect(was.length).toBe(3000);
    expect(await shape()).toEqual({ granules: '8192', index: 4 });

    expect((await migrate(store, all.filter((m) => m.version <= 613))).applied).toEqual(['0613_sla_waits_fine_granules']);
    expect(await shape()).toEqual({ granules: '1024', index: 1 });
    expect(await current()).toEqual(was);
    // Found by the number as before.
    expect(await rows(wh, `SELECT count() AS n FROM ${table} FINAL WHERE wa_id = '5511900000007'`)).toEqual([{ n: 8 }]);
    expect(await tables(store)).not.toContain('sla_waits_regrain');

    expect(await migrateDown(store, all.filter((m) => m.version <= 613))).toBe('0613_sla_waits_fine_granules');
    expect(await shape()).toEqual({ granules: '8192', index: 4 });
    expect(await current()).toEqual(was);
    expect(await tables(store)).not.toContain('sla_waits_regrain');
  });

  it('undo the latest step with its down file, and refuse one without', async () => {
    const { dir, store, write } = scratch();
    write('0001_first.sql', 'CREATE TABLE IF NOT EXISTS {{db}}.t1 {{on_cluster}} (a String) ENGINE = {{replicated:MergeTree}} ORDER BY a');
    write('0002_swap.sql', 'CREATE TABLE IF NOT EXISTS {{db}}.t2 {{on_cluster}} (a String) ENGINE = {{replicated:MergeTree}} ORDER BY a;\n\nDROP TABLE IF EXISTS {{db}}.t1 {{on_cluster}} SYNC');
    write('0002_swap.down.sql', 'CREATE TABLE IF NOT EXISTS {{db}}.t1 {{on_cluster}} (a String) ENGINE = {{replicated:MergeTree}} ORDER BY a;\n\nDROP TABLE IF EXISTS {{db}}.t2 {{on_cluster}} SYNC');
    await migrate(store, loadMigrations(dir));
    expect(await tables(store)).toEqual(['schema_migrations', 't2']);
    expect(await migrateDown(store, loadMigrations(dir))).toBe('0002_swap');
    expect(await tables(store)).toEqual(['schema_migrations', 't1']);
    await expect(migrateDown(store, loadMigrations(dir))).rejects.toThrow('migration 0001_first.sql has no down step (0001_first.down.sql)');
    expect((await migrate(store, loadMigrations(dir))).applied).toEqual(['0002_swap']);
    expect(await tables(store)).toEqual(['schema_migrations', 't2']);
  });
});
