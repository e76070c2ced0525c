import { createChdbConnection } from 'chdb/connection';

/**
 * A connection to the embedded engine whose inserts take turns with every other insert of the
 * process, whichever connection they come on. chDB runs each call on a libuv worker and cannot
 * cancel it, and parallel inserts on several connections once left one that never returned (chDB
 * 3.4.0, parallel ingest commits in CI), holding every later load. The loader's commits and the
 * followers' inserts would otherwise run side by side on their own connections. Reads still run
 * beside an insert, and an insert's cost is mostly its part, so turns cost little.
 */
export function embeddedConnection(path: string): unknown {
  return insertsInTurn(createChdbConnection({ path }), gate);
}

type Gate = <T>(run: () => Promise<T>) => Promise<T>;

/** One gate for the process: chDB binds one data directory per process. */
const gate = turns();

/** Runs what it is given one at a time, in the order given; a failure does not stop the next. */
export function turns(): Gate {
  let tail: Promise<unknown> = Promise.resolve();
  return (run) => {
    const mine = tail.then(run, run);
    tail = mine.catch(() => undefined);
    return mine;
  };
}

/** Inserts waiting for their turn, and the one running (its statement up to the column list, and since when). */
const inserts = { waiting: 0, running: undefined as { what: string; since: number } | undefined };

/** What the inserts of this process are doing now: for diagnosing an insert that does not return. */
export function embeddedInserts(): { waiting: number; running?: { what: string; ms: number } } {
  const r = inserts.running;
  return { waiting: inserts.waiting, ...(r ? { running: { what: r.what, ms: Date.now() - r.since } } : {}) };
}

/** The connection with its `insert` calls through `gate`; everything else as it is. */
export function insertsInTurn<C extends { insert(params: never): Promise<unknown> }>(conn: C, through: Gate): C {
  const turn = (target: C, params: never) => {
    inserts.waiting++;
    return through(() => {
      inserts.waiting--;
      // The statement names the table and columns only; the rows travel apart.
      inserts.running = { what: String((params as { query?: unknown }).query ?? '').split('(')[0]!.trim().slice(0, 120), since: Date.now() };
      return target.insert(params).finally(() => {
        inserts.running = undefined;
      });
    });
  };
  return new Proxy(conn, {
    get(target, prop) {
      // Bound to the connection itself: its methods use private fields.
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === 'insert') return (params: never) => turn(target, params);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
