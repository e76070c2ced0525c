import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { z } from 'zod';
import type { Warehouse } from './client.ts';
import { WarehouseError } from './errors.ts';
import { queryDuration } from './metrics.ts';
import { pauses } from '../app/yielding.ts';

/**
 * The one way into the warehouse. A call is declared once — a name, its SQL with `{param:Type}`
 * placeholders, a schema for its parameters and one for its rows (or, for an insert, its table and
 * row schema) — and becomes a typed function. Values never enter the SQL text: they travel as
 * query_params. `{{db}}` is the database. Every call goes through `tracked`: the name tags it in
 * the server's query log (`log_comment`), its duration is observed by name, and a failure becomes
 * a WarehouseError naming it.
 */

export type Connection = 'reader' | 'jobs' | 'writer';

/**
 * SQL that depends on more than values (a table from the catalogue, a grouping from a fixed list):
 * built from a `shape` argument, never from parameter values.
 */
type Sql<S> = string | ((shape: S, wh: Warehouse) => string);

function render<S>(sql: Sql<S>, wh: Warehouse, shape: S): string {
  return (typeof sql === 'string' ? sql : sql(shape, wh)).replaceAll('{{db}}', wh.database);
}

/** The path every call takes (declared ones here; encoded exports in encode.ts). */
export async function tracked<T>(name: string, work: () => Promise<T>): Promise<T> {
  const end = queryDuration.startTimer({ query: name });
  try {
    const result = await work();
    end({ outcome: 'ok' });
    return result;
  } catch (e) {
    end({ outcome: 'error' });
    // Parameter and row checks are the caller's mistake, not the warehouse's: they stay as they are.
    if (e instanceof WarehouseError || (e as Error)?.name === 'ZodError') throw e;
    throw new WarehouseError(name, e);
  }
}

interface QueryDef<P extends z.ZodType, R extends z.ZodType, S> {
  name: string;
  sql: Sql<S>;
  params: P;
  row: R;
  connection?: Connection;
  /**
   * `compact`: rows travel as JSON arrays under one header of names (JSONCompactEachRowWithNames),
   * about half the bytes of keyed rows for large reads; decoded into objects and checked the same way.
   */
  format?: 'json' | 'compact';
  settings?: ClickHouseSettings;
}

/** A read: `run(wh, params[, shape])` answers the rows, each checked by the row schema. */
export function defineQuery<P extends z.ZodType, R extends z.ZodType, S = void>(def: QueryDef<P, R, S>) {
  const compact = def.format === 'compact';
  return function run(wh: Warehouse, params: z.input<P>, shape: S): Promise<Array<z.output<R>>> {
    return tracked(def.name, async () => {
      const p = def.params.parse(params) as Record<string, unknown>;
      const rs = await wh[def.connection ?? 'reader'].query({
        query: render(def.sql, wh, shape),
        query_params: p,
        format: compact ? 'JSONCompactEachRowWithNames' : 'JSONEachRow',
        clickhouse_settings: { log_comment: def.name, output_format_json_quote_64bit_integers: 0, ...def.settings },
      });
      // Compact: the first row holds the names of the others' values.
      const rows = await rs.json<unknown>();
      const names = compact ? (rows[0] as string[] | undefined) ?? [] : undefined;
      const keyed = (r: unknown) => {
        if (!names) return r;
        const o: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) o[names[i]!] = (r as unknown[])[i];
        return o;
      };
      const pause = pauses();
      const out: Array<z.output<R>> = [];
      for (let i = compact ? 1 : 0; i < rows.length; i++) {
        out.push(def.row.parse(keyed(rows[i])));
        await pause();
      }
      return out;
    });
  };
}

/** Names of the commands that take their turn with the inserts on the embedded engine (warehouse/embedded.ts). */
export const IN_TURN = new Set<string>();

/**
 * A statement without rows (INSERT … SELECT, ALTER, DELETE), declared the same way. `inTurn`: on the
 * embedded engine it runs between inserts, never beside one.
 */
export function defineCommand<P extends z.ZodType, S = void>(def: { name: string; sql: Sql<S>; params: P; connection?: Connection; settings?: ClickHouseSettings; inTurn?: boolean }) {
  if (def.inTurn) IN_TURN.add(def.name);
  return function run(wh: Warehouse, params: z.input<P>, shape: S): Promise<void> {
    return tracked(def.name, async () => {
      const p = def.params.parse(params) as Record<string, unknown>;
      await wh[def.connection ?? 'writer'].command({
        query: render(def.sql, wh, shape),
        query_params: p,
        clickhouse_settings: { log_comment: def.name, ...def.settings },
      });
    });
  };
}

export interface InsertOptions {
  /** Another connection than the declared one (the ingest writer spreads a commit over several). */
  client?: ClickHouseClient;
  /** Settings of this insert, e.g. `insert_deduplication_token` so a retried batch is stored once. */
  settings?: ClickHouseSettings;
}

/**
 * The rows as arrays in one column order (JSONCompactEachRow), when every row has the same keys: the
 * engine then parses values only, not a key per value, and the client writes less (a 20,000-status
 * insert on the embedded engine took 2.2× less CPU than as JSONEachRow). A row lacking a key other rows
 * have would lose that column's default in this form, so such a batch stays JSONEachRow.
 */
export function compactRows(values: readonly object[]): { columns: [string, ...string[]]; rows: unknown[][] } | undefined {
  const first = values[0];
  if (!first) return undefined;
  const columns = Object.keys(first);
  if (columns.length === 0) return undefined;
  const rows: unknown[][] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as Record<string, unknown>;
    if (Object.keys(v).length !== columns.length) return undefined;
    const row: unknown[] = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) {
      const x = v[columns[c]!];
      if (x === undefined) return undefined;
      row[c] = x;
    }
    rows[i] = row;
  }
  return { columns: columns as [string, ...string[]], rows };
}

/**
 * An insert into a declared table: rows are checked by the row schema (unknown keys dropped) and
 * sent as JSONCompactEachRow (JSONEachRow when their keys differ, see `compactRows`), in pieces of
 * `chunk` rows. Timestamps are epoch milliseconds.
 */
export function defineInsert<R extends z.ZodType>(def: { name: string; table: string; row: R; connection?: Connection; chunk?: number; settings?: ClickHouseSettings }) {
  const chunk = def.chunk ?? 50_000;
  return function insert(wh: Pick<Warehouse, 'database'> & Partial<Pick<Warehouse, Connection>>, rows: ReadonlyArray<z.input<R>>, opts: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return tracked(def.name, async () => {
      const values: object[] = new Array(rows.length);
      const pause = pauses();
      for (let i = 0; i < rows.length; i++) {
        values[i] = def.row.parse(rows[i]) as object;
        await pause();
      }
      const client = opts.client ?? wh[def.connection ?? 'writer'];
      if (!client) throw new Error(`no ${def.connection ?? 'writer'} connection for ${def.name}`);
      const token = opts.settings?.insert_deduplication_token;
      const compact = compactRows(values);
      for (let i = 0; i < values.length; i += chunk) {
        await client.insert({
          table: `${wh.database}.${def.table}`,
          ...(compact
            ? { values: compact.rows.slice(i, i + chunk), format: 'JSONCompactEachRow' as const, columns: compact.columns }
            : { values: values.slice(i, i + chunk), format: 'JSONEachRow' as const }),
          // One token per piece: the same token on every piece would drop all but the first.
          clickhouse_settings: { log_comment: def.name, ...def.settings, ...opts.settings, ...(token && values.length > chunk ? { insert_deduplication_token: `${token}:${i / chunk}` } : {}) },
        });
      }
    });
  };
}
