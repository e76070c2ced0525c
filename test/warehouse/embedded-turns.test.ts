import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertsInTurn, turns } from '../../warehouse/embedded.ts';
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
