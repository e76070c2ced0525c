import { z } from 'zod';
import { defineQuery } from '../../query.ts';

/**
 * The warehouse's own catalogue: every column with its comment (the personal-data classification),
 * every table with its engine and the TTL actually set, and unfinished mutations.
 */

export const catalogColumns = defineQuery({
  name: 'compliance.catalog_columns',
  sql: `SELECT c.table AS table, c.name AS name, c.type AS type, c.comment AS comment, c.position AS position, t.engine AS engine
        FROM system.columns AS c
        INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
        WHERE c.database = {db:String}
        ORDER BY c.table, c.position`,
  params: z.object({ db: z.string() }),
  row: z.object({ table: z.string(), name: z.string(), type: z.string(), comment: z.string(), position: z.coerce.number(), engine: z.string() }),
});
export type CatalogColumn = Awaited<ReturnType<typeof catalogColumns>>[number];

export const catalogTables = defineQuery({
  name: 'compliance.catalog_tables',
  sql: `SELECT name, engine, create_table_query, partition_key, sorting_key,
               ifNull(total_rows, 0) AS total_rows, ifNull(total_bytes, 0) AS total_bytes, total_rows IS NOT NULL AS rows_known
        FROM system.tables WHERE database = {db:String} ORDER BY name`,
  params: z.object({ db: z.string() }),
  row: z.object({
    name: z.string(),
    engine: z.string(),
    create_table_query: z.string(),
    partition_key: z.string(),
    sorting_key: z.string(),
    total_rows: z.coerce.number(),
    total_bytes: z.coerce.number(),
    /** Whether the engine knows its row count (a Distributed table, a view: not). */
    rows_known: z.coerce.boolean(),
  }),
});

export const pendingMutations = defineQuery({
  name: 'compliance.pending_mutations',
  sql: `SELECT table, count() AS pending, toString(min(create_time)) AS oldest, any(latest_fail_reason) AS fail_reason
        FROM system.mutations WHERE database = {db:String} AND NOT is_done AND NOT is_killed
        GROUP BY table`,
  params: z.object({ db: z.string() }),
  row: z.object({ table: z.string(), pending: z.coerce.number(), oldest: z.string(), fail_reason: z.string() }),
});

/** Tables without storage of their own: views read other tables, dictionaries are caches. */
export const STORAGELESS_ENGINES = new Set(['View', 'MaterializedView', 'Dictionary', 'LiveView', 'WindowView']);
