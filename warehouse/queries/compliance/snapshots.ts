import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';

export async function insertSnapshot(
  wh: Warehouse,
  row: { snapshot_id: string; taken_at: number; report: string; rows: number; sha256: string; content: string },
): Promise<void> {
  await wh.writer.insert({ table: `${wh.database}.compliance_snapshots_v1`, values: [row], format: 'JSONEachRow' });
}

export const latestSnapshots = defineQuery({
  name: 'compliance.latest_snapshots',
  sql: `SELECT report, argMax(snapshot_id, taken_at) AS snapshot_id, toString(max(taken_at)) AS taken_at,
               argMax(rows, taken_at) AS rows, argMax(sha256, taken_at) AS sha256
        FROM {{db}}.compliance_snapshots_v1 GROUP BY report ORDER BY report`,
  params: z.object({}),
  row: z.object({ report: z.string(), snapshot_id: z.string(), taken_at: z.string(), rows: z.coerce.number(), sha256: z.string() }),
});
