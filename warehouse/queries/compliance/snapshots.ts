import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { COMPLIANCE_SNAPSHOTS } from '../../schema/compliance.ts';

export const insertSnapshots = defineInsert({ name: 'compliance.insert_snapshot', table: COMPLIANCE_SNAPSHOTS.name, row: COMPLIANCE_SNAPSHOTS.row });

export const latestSnapshots = defineQuery({
  name: 'compliance.latest_snapshots',
  sql: `SELECT report, argMax(snapshot_id, taken_at) AS snapshot_id, toString(max(taken_at)) AS taken_at,
               argMax(rows, taken_at) AS rows, argMax(sha256, taken_at) AS sha256
        FROM {{db}}.compliance_snapshots_v1 GROUP BY report ORDER BY report`,
  params: z.object({}),
  row: z.object({ report: z.string(), snapshot_id: z.string(), taken_at: z.string(), rows: z.coerce.number(), sha256: z.string() }),
});
