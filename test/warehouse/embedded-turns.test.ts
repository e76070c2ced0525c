import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_ARGS, insertsInTurn, turns } from '../../warehouse/embedded.ts';
import { defineCommand } from '../../warehouse/query.ts';
import { z } from 'zod';
import type { Warehouse } from '../../warehouse/client.ts';
import { openTestWarehouse, rows } from '../helpers/warehouse.ts';

/** A connection stand-in that records when each insert starts and lets the test finish it. */
function recorder(name: string, log: string[]) {
  const open: Array<() => void> = [];
  return {
    open,
    conn: {
      insert(params: { n: number }) {
        log.push(`${name} start ${params.n}`);
        return new Promise<void>((resolve, reject) => open.push(() => (params.n < 0 ? reject(new Error('refused')) : resolve())));
      },
      command(params: { n: number; clickhouse_settings: { log_comment: string } }) {
        log.push(`${name} command ${params.clickhouse_settings.log_comment} ${params.n}`);
        return new Promise<void>((resolve) => open.push(resolve));
      },
      tag: name,
      describe() {
        return this.tag;
      },
    },
  };
}

/** Lets every queued promise callback run (no timer involved). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('inserts into the embedded engine take turns', () => {
  it('across connections: the next starts only when the one before has ended, failed or not', async () => {
    const log: string[] = [];
    const gate = turns();
    const a = recorder('a', log);
    const b = recorder('b', log);
    const ga = insertsInTurn(a.conn as never, gate) as typeof a.conn;
    const gb = insertsInTurn(b.conn as never, gate) as typeof b.conn;
    const first = ga.insert({ n: -1 });
    const second = gb.insert({ n: 2 });
    const third = ga.insert({ n: 3 });
    await flush();
    expect(log).toEqual(['a start -1']);
    a.open.shift()!();
    await expect(first).rejects.toThrow('refused');
    await flush();
    expect(log).toEqual(['a start -1', 'b start 2']);
    b.open.shift()!();
    await second;
    await flush();
    expect(log).toEqual(['a start -1', 'b start 2', 'a start 3']);
    a.open.shift()!();
    await third;
    // Other members are the connection's own, bound to it.
    expect(ga.describe()).toBe('a');
  });

  it('commands declared in turn wait for the insert running, and others do not', async () => {
    defineCommand({ name: 'test.in_turn', sql: 'SELECT 1', params: z.object({}), inTurn: true });
    const log: string[] = [];
    const gate = turns();
    const a = recorder('a', log);
    const ga = insertsInTurn(a.conn as never, gate) as typeof a.conn;
    const insert = ga.insert({ n: 1 });
    const inTurn = ga.command({ n: 2, clickhouse_settings: { log_comment: 'test.in_turn' } });
    const free = ga.command({ n: 3, clickhouse_settings: { log_comment: 'test.other' } });
    const after = ga.insert({ n: 4 });
    // Ends a started call (by its log entry: calls are pushed in the order they start), then says
    // which calls are running once the gate has moved.
    const finish = async (entry: string, call: Promise<unknown>) => {
      const i = log.indexOf(entry);
      log.splice(i, 1);
      a.open.splice(i, 1)[0]!();
      await call;
      await flush();
      return [...log];
    };
    await flush();
    expect([...log].sort()).toEqual(['a command test.other 3', 'a start 1']);
    expect(await finish('a command test.other 3', free)).toEqual(['a start 1']);
    // The command in turn starts only once the insert before it has ended…
    expect(await finish('a start 1', insert)).toEqual(['a command test.in_turn 2']);
    await flush();
    // …and the next insert waits for it.
    expect(log).toEqual(['a command test.in_turn 2']);
    expect(await finish('a command test.in_turn 2', inTurn)).toEqual(['a start 4']);
    expect(await finish('a start 4', after)).toEqual([]);
  });

  describe('on the real engine', () => {
    let wh: Warehouse;
    beforeAll(async () => {
      wh = await openTestWarehouse();
      await wh.writer.command({ query: `CREATE TABLE IF NOT EXISTS ${wh.database}.turns_probe (k UInt32) ENGINE = MergeTree ORDER BY k` });
    });
    afterAll(async () => {
      await wh.writer.command({ query: `DROP TABLE IF EXISTS ${wh.database}.turns_probe` });
      await wh.close();
    });

    it('stores every row of inserts started at once on every connection', async () => {
      const clients = [wh.writer, wh.reader, wh.jobs, ...wh.committers];
      await Promise.all(
        clients.flatMap((c, i) =>
          Array.from({ length: 5 }, (_, j) => c.insert({ table: `${wh.database}.turns_probe`, values: [{ k: i * 100 + j }], format: 'JSONEachRow' })),
        ),
      );
      const got = await rows<{ n: number }>(wh, 'SELECT count() AS n FROM {{db}}.turns_probe');
      expect(Number(got[0]!.n)).toBe(clients.length * 5);
    });
  });
});

describe('the embedded engine', () => {
  let wh: Warehouse;
  beforeAll(async () => {
    wh = await openTestWarehouse();
  });
  afterAll(() => wh?.close());

  it('runs with the arguments it is started with: the merge and mutation pool asked for, not chDB’s 2', async () => {
    const asked = ENGINE_ARGS.find((a) => a.startsWith('--background_pool_size='))?.split('=')[1];
    // chDB's own pool would answer 2 whether or not the argument reached the engine.
    expect(asked).not.toBe('2');
    const [pool] = await rows<{ value: string }>(wh, `SELECT value FROM system.server_settings WHERE name = 'background_pool_size'`);
    expect(pool?.value).toBe(asked);
  });
});
