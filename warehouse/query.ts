import type { z } from 'zod';
import type { Warehouse } from './client.ts';

/**
 * A query declared once — name, SQL with `{param:Type}` placeholders, a schema for its parameters
 * and one for its rows — becomes a typed function. Values never enter the SQL text: they travel as
 * query_params. `{{db}}` is the database. The name tags the query in the server's query log.
 */
export function defineQuery<P extends z.ZodType, R extends z.ZodType>(def: {
  name: string;
  sql: string;
  params: P;
  row: R;
  connection?: 'reader' | 'jobs' | 'writer';
}) {
  return async function run(wh: Warehouse, params: z.input<P>): Promise<Array<z.output<R>>> {
    const p = def.params.parse(params) as Record<string, unknown>;
    const rs = await wh[def.connection ?? 'reader'].query({
      query: def.sql.replaceAll('{{db}}', wh.database),
      query_params: p,
      format: 'JSONEachRow',
      clickhouse_settings: { log_comment: def.name, output_format_json_quote_64bit_integers: 0 },
    });
    const rows = await rs.json<unknown>();
    return rows.map((r) => def.row.parse(r));
  };
}

/** A statement without rows (INSERT … SELECT, ALTER, DELETE), declared the same way. */
export function defineCommand<P extends z.ZodType>(def: { name: string; sql: string; params: P; connection?: 'writer' | 'jobs'; settings?: Record<string, unknown> }) {
  return async function run(wh: Warehouse, params: z.input<P>): Promise<void> {
    const p = def.params.parse(params) as Record<string, unknown>;
    await wh[def.connection ?? 'writer'].command({
      query: def.sql.replaceAll('{{db}}', wh.database),
      query_params: p,
      clickhouse_settings: { log_comment: def.name, ...(def.settings ?? {}) },
    });
  };
}
