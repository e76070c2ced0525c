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

/** The connection with its `insert` calls through `gate`; everything else as it is. */
export function insertsInTurn<C extends { insert(params: never): Promise<unknown> }>(conn: C, through: Gate): C {
  return new Proxy(conn, {
    get(target, prop) {
      // Bound to the connection itself: its methods use private fields.
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === 'insert') return (params: never) => through(() => target.insert(params));
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
