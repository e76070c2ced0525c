import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { RETENTION_DROPPED, type RetentionDroppedRow } from '../../schema/compliance.ts';

/** Rows not stored because they were past their table's retention on arrival (retention_dropped_v1). */

export type { RetentionDroppedRow };

export const insertRetentionDropped = defineInsert({ name: 'compliance.retention_dropped.insert', table: RETENTION_DROPPED.name, row: RETENTION_DROPPED.row });

/** Totals per table and reason, of rows that arrived on or after a day. */
export const retentionDroppedTotals = defineQuery({
  name: 'compliance.retention_dropped.totals',
  sql: `SELECT table_name, reason, sum(rows) AS rows FROM {{db}}.retention_dropped_v1
        WHERE day >= {since:Date} GROUP BY table_name, reason ORDER BY table_name, reason`,
  params: z.object({ since: z.string().default('1970-01-01') }),
  row: z.object({ table_name: z.string(), reason: z.string(), rows: z.coerce.number() }),
});
