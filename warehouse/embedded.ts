import { Session } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import { IN_TURN } from './query.ts';

/**
 * Arguments of the embedded engine, given by the first connection to a data directory (the engine
 * is one per process and directory). chDB's pool of 2 threads for merges and mutations queued a
 * mutation's parts one behind another, about 100–150 ms each even when a part needs no change:
 * a deletion from a table of 32 parts took 3–5 s. With 16 (the server's default) it takes 0.1 s.
 * The threads share the cores; the work is the same.
 */
export const ENGINE_ARGS = ['--background_pool_size=16'];

/** Starts the engine for a data directory with `ENGINE_ARGS`; the session is closed with the warehouse. */
export function startEngine(path: string): { close(): void } {
  return new Session(path, { connectionArgs: ENGINE_ARGS });
}

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

/** A command declared to take its turn like an insert (`defineCommand({ inTurn: true })`). */
const writes = (params: unknown) => IN_TURN.has(String((params as { clickhouse_settings?: { log_comment?: unknown } } | undefined)?.clickhouse_settings?.log_comment ?? ''));

/**
 * The connection with its `insert` calls, and the commands declared `inTurn`, through `gate`;
 * everything else as it is. Such a command (an `INSERT … SELECT` that writes again rows another
 * insert may be writing: the label refresh, reports/labels/refresh.ts) then sees that insert whole
 * or runs before it.
 */
export function insertsInTurn<C extends { insert(params: never): Promise<unknown>; command?(params: never): Promise<unknown> }>(conn: C, through: Gate): C {
  const turn = (target: C, params: never, method: 'insert' | 'command') => {
    inserts.waiting++;
    return through(() => {
      inserts.waiting--;
      // The statement names the table and columns only; the rows travel apart.
      inserts.running = { what: String((params as { query?: unknown }).query ?? '').split('(')[0]!.trim().slice(0, 120), since: Date.now() };
      return (method === 'insert' ? target.insert(params) : target.command!(params)).finally(() => {
        inserts.running = undefined;
      });
    });
  };
  return new Proxy(conn, {
    get(target, prop) {
      // Bound to the connection itself: its methods use private fields.
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === 'insert') return (params: never) => turn(target, params, 'insert');
      if (prop === 'command') return (params: never) => (writes(params) ? turn(target, params, 'command') : (value as (p: never) => Promise<unknown>).call(target, params));
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
