import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Warehouse } from '../../warehouse/client.ts';
import { WarehouseError } from '../../warehouse/errors.ts';
import { ITEM_INSERTS, insertRawWebhooks } from '../../warehouse/ingest-inserts.ts';
import { registerWarehouseMetrics } from '../../warehouse/metrics.ts';
import { engineMemory } from '../../warehouse/queries/memory.ts';
import { RAW_WEBHOOK, STATUS } from '../../warehouse/tables.ts';
import { compactRows, defineCommand, defineInsert, defineQuery } from '../../warehouse/query.ts';
import { openTestWarehouse, rows } from '../helpers/warehouse.ts';

/** The one way into the warehouse: declared reads (keyed and compact), inserts, errors and timing. */

let wh: Warehouse;
beforeAll(async () => {
  wh = await openTestWarehouse();
  await wh.writer.command({ query: `DROP TABLE IF EXISTS ${wh.database}.query_test SYNC` });
  // A deduplication window, as the ingest tables have: a retried insert with the same token is stored once.
  await wh.writer.command({
    query: `CREATE TABLE ${wh.database}.query_test (id String, n UInt32, at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id
            SETTINGS non_replicated_deduplication_window = 100`,
  });
});
afterAll(async () => {
  await wh?.writer.command({ query: `DROP TABLE IF EXISTS ${wh.database}.query_test SYNC` });
  await wh?.close();
});

const row = z.object({ id: z.string(), n: z.number().int(), at: z.number() });
const insertTest = defineInsert({ name: 'test.insert', table: 'query_test', row, chunk: 2 });
const compactRead = defineQuery({
  name: 'test.compact',
  sql: `SELECT id, n, toUnixTimestamp64Milli(at) AS at FROM {{db}}.query_test WHERE n >= {min:UInt32} ORDER BY id`,
  params: z.object({ min: z.number().int() }),
  row,
  format: 'compact',
});

describe('declared warehouse calls', () => {
  it('insert checked rows, in pieces, once per deduplication token, and read them back as typed rows', async () => {
    const values = [
      { id: 'a', n: 1, at: Date.UTC(2026, 0, 1) },
      { id: 'b', n: 2, at: Date.UTC(2026, 0, 2) },
      { id: 'c', n: 3, at: Date.UTC(2026, 0, 3) },
    ];
    await insertTest(wh, values, { settings: { insert_deduplication_token: 'batch-1' } });
    await insertTest(wh, values, { client: wh.jobs, settings: { insert_deduplication_token: 'batch-1' } });
    expect(await compactRead(wh, { min: 2 })).toEqual(values.slice(1));
    expect(await stored()).toBe(3);
  });

  it('refuse a row that does not fit the table before sending anything', async () => {
    await expect(insertTest(wh, [{ id: 'd', n: -1.5, at: 0 }])).rejects.toThrow(z.ZodError);
    expect(await stored()).toBe(3);
  });

  it('name the failed query without quoting what ClickHouse said about the data', async () => {
    const bad = defineQuery({ name: 'test.bad_number', sql: 'SELECT toUInt32({v:String}) AS n', params: z.object({ v: z.string() }), row: z.object({ n: z.number() }) });
    const err = await bad(wh, { v: '5511987654321x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarehouseError);
    expect((err as WarehouseError).query).toBe('test.bad_number');
    expect((err as WarehouseError).message).toMatch(/^warehouse query test\.bad_number failed/);
    expect(JSON.stringify(err) + String(err) + (err as Error).stack).not.toContain('5511987654321');
    expect((err as WarehouseError).type).toMatch(/^[A-Z_]+$/);
  });

  it('serve the ingest tables: raw bodies and typed items on a chosen connection, checked by their declared defaults', async () => {
    const sha = `sha-${process.pid}-${Date.now()}`;
    const raw = { ...RAW_WEBHOOK, received_at: Date.UTC(2026, 0, 1), body_sha256: sha, body: '{}', item_count: 1 };
    const status = { ...STATUS, waba_id: 'W1', wamid: 'wamid.Q1', status: 'sent', ts: Date.UTC(2026, 0, 1), pricing_billable: true, error_code: null, body_sha256: sha, received_at: raw.received_at };
    await ITEM_INSERTS.statuses(wh, [status], { client: wh.committers[0], settings: { insert_deduplication_token: sha } });
    await insertRawWebhooks(wh, [raw], { client: wh.committers[0], settings: { insert_deduplication_token: sha } });
    expect(await rows(wh, 'SELECT wamid, pricing_billable, error_code FROM {{db}}.statuses_v1 WHERE body_sha256 = {sha:String}', { sha })).toEqual([{ wamid: 'wamid.Q1', pricing_billable: true, error_code: null }]);
    expect(await rows(wh, 'SELECT item_count FROM {{db}}.raw_webhooks_v1 WHERE body_sha256 = {sha:String}', { sha })).toEqual([{ item_count: 1 }]);
    await expect(insertRawWebhooks(wh, [{ ...raw, item_count: '1' as unknown as number }])).rejects.toThrow(z.ZodError);
  });

  it('time every call by name on the registry the app serves', async () => {
    const registry = new Registry();
    registerWarehouseMetrics(registry);
    registerWarehouseMetrics(registry);
    const ping = defineCommand({ name: 'test.timed', sql: 'SELECT 1', params: z.object({}) });
    const before = await count(registry, 'test.timed', 'ok');
    await ping(wh, {});
    await ping(wh, {});
    expect(await count(registry, 'test.timed', 'ok')).toBe(before + 2);
    const failing = defineCommand({ name: 'test.timed_failure', sql: 'SELECT * FROM {{db}}.no_such_table', params: z.object({}) });
    await expect(failing(wh, {})).rejects.toThrow(WarehouseError);
    expect(await count(registry, 'test.timed_failure', 'error')).toBe(1);
  });

  it("report the memory the engine tracks at each scrape, beside the process's own", async () => {
    const registry = new Registry();
    registerWarehouseMetrics(registry, () => engineMemory(wh));
    const text = await registry.metrics();
    const bytes = Number(/^wa_warehouse_memory_bytes (\S+)$/m.exec(text)?.[1]);
    // The embedded engine holds its tables' indexes and caches: some memory, less than the process's.
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(process.memoryUsage().rss);
  });
  it('send rows of the same keys as arrays in one column order, and rows of differing keys by name, so a missing key takes the column default', async () => {
    expect(compactRows([{ id: 'a', n: 1 }, { n: 2, id: 'b' }])).toEqual({ columns: ['id', 'n'], rows: [['a', 1], ['b', 2]] });
    expect(compactRows([{ id: 'a', n: 1 }, { id: 'b' }])).toBeUndefined();
    expect(compactRows([{ id: 'a', n: 1 }, { id: 'b', n: undefined }])).toBeUndefined();
    expect(compactRows([{ id: 'a' }, { id: 'b', n: 2 }])).toBeUndefined();

    await wh.writer.command({ query: `DROP TABLE IF EXISTS ${wh.database}.query_defaults SYNC` });
    await wh.writer.command({ query: `CREATE TABLE ${wh.database}.query_defaults (id String, n UInt32 DEFAULT 7, note Nullable(String), tags Array(String)) ENGINE = MergeTree ORDER BY id` });
    const insertDefaults = defineInsert({
      name: 'test.insert_defaults', table: 'query_defaults',
      row: z.object({ id: z.string(), n: z.number().int().optional(), note: z.string().nullable(), tags: z.array(z.string()) }),
    });
    // Same keys in another order, a NULL, an empty and a full array: stored as given.
    await insertDefaults(wh, [{ id: 'a', n: 1, note: null, tags: [] }, { tags: ['x', 'y'], note: 'é "q"', n: 2, id: 'b' }]);
    // One row without `n`: it takes the column's default, as a named row does.
    await insertDefaults(wh, [{ id: 'c', n: 3, note: 'c', tags: ['z'] }, { id: 'd', note: null, tags: [] }]);
    expect(await rows(wh, `SELECT id, n, note, tags FROM ${wh.database}.query_defaults ORDER BY id`)).toEqual([
      { id: 'a', n: 1, note: null, tags: [] },
      { id: 'b', n: 2, note: 'é "q"', tags: ['x', 'y'] },
      { id: 'c', n: 3, note: 'c', tags: ['z'] },
      { id: 'd', n: 7, note: null, tags: [] },
    ]);
    await wh.writer.command({ query: `DROP TABLE IF EXISTS ${wh.database}.query_defaults SYNC` });
  });
});

async function stored(): Promise<number> {
  const [r] = await rows<{ n: number | string }>(wh, 'SELECT count() AS n FROM {{db}}.query_test');
  return Number(r!.n);
}

async function count(registry: Registry, query: string, outcome: string): Promise<number> {
  const text = await registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`wa_warehouse_query_seconds_count{query="${query}",outcome="${outcome}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}
