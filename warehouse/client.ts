import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { Config } from '../app/config.ts';

export type { ClickHouseClient };

/**
 * The warehouse handles: one ClickHouse dialect over two transports. Separate connections for the
 * ingest writer, report readers and background jobs, because chDB runs one query at a time per
 * connection: a long report must not hold up the commit that acknowledges a webhook.
 */
export interface Warehouse {
  readonly database: string;
  readonly mode: 'embedded' | 'server';
  readonly cluster: string | undefined;
  readonly writer: ClickHouseClient;
  /** Connections for ingest commits: a commit writes its tables in parallel, one connection each. */
  readonly committers: readonly ClickHouseClient[];
  readonly reader: ClickHouseClient;
  readonly jobs: ClickHouseClient;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The client's own logger prints failed statements and server messages, which can quote row data;
 * the service logs failures itself, through the redacting logger.
 */
const QUIET = { level: ClickHouseLogLevel.OFF };

const COMMON_SETTINGS: ClickHouseSettings = {
  // Reports read ReplacingMergeTree tables with FINAL; let it run on all cores.
  do_not_merge_across_partitions_select_final: 0,
  // The same JSON numbers from the embedded engine and a server.
  output_format_json_quote_64bit_integers: 0,
  // A signed body may carry a lone surrogate escape ("\ud800"): store it as is rather than fail the commit.
  input_format_json_throw_on_bad_escape_sequence: 0,
};

export async function openWarehouse(config: Pick<Config, 'clickhouse' | 'dataDir'> & Partial<Pick<Config, 'committers'>>): Promise<Warehouse> {
  const ch = config.clickhouse;
  let make: (name: string) => ClickHouseClient;
  let engine: { close(): void } | undefined;
  if (ch.mode === 'embedded') {
    const path = join(config.dataDir, 'clickhouse');
    mkdirSync(path, { recursive: true });
    // Loaded lazily so a server deployment never loads the embedded engine.
    const { embeddedConnection, startEngine } = await import('./embedded.ts');
    engine = startEngine(path);
    make = (name) =>
      createClient({
        connection: embeddedConnection(path) as never,
        application: `wa-analytics-${name}`,
        clickhouse_settings: COMMON_SETTINGS,
        log: QUIET,
      });
  } else {
    // Through a Distributed table, an insert must reach the shards before it is acknowledged.
    const settings: ClickHouseSettings = ch.cluster ? { ...COMMON_SETTINGS, insert_distributed_sync: 1 } : COMMON_SETTINGS;
    make = (name) =>
      createClient({
        url: ch.url,
        username: ch.user,
        password: ch.password,
        application: `wa-analytics-${name}`,
        clickhouse_settings: settings,
        log: QUIET,
        request_timeout: 60_000,
      });
  }
  const writer = make('writer');
  const reader = make('reader');
  const jobs = make('jobs');
  // A server client already keeps a pool of HTTP connections; the embedded engine needs one connection
  // per parallel insert. One by default: parallel inserts on several embedded connections once left an
  // insert that never returned (chDB 3.4.0, see docs/BENCHMARKS.md), and inserts now take turns
  // (./embedded.ts), so more committers only let a commit's inserts queue on separate connections.
  const committers = ch.mode === 'embedded' ? Array.from({ length: config.committers ?? 1 }, (_, i) => make(`commit-${i}`)) : [writer];
  return {
    database: ch.database,
    mode: ch.mode,
    cluster: ch.mode === 'server' ? ch.cluster : undefined,
    writer,
    committers,
    reader,
    jobs,
    async ping() {
      try {
        const r = await reader.query({ query: 'SELECT 1 AS ok', format: 'JSONEachRow' });
        await r.json();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await Promise.allSettled([...new Set([writer, reader, jobs, ...committers])].map((c) => c.close()));
      engine?.close();
    },
  };
}
