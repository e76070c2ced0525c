import type { Warehouse } from '../../client.ts';

export async function insertSnapshot(
  wh: Warehouse,
  row: { snapshot_id: string; taken_at: number; report: string; rows: number; sha256: string; content: string },
): Promise<void> {
  await wh.writer.insert({ table: `${wh.database}.compliance_snapshots_v1`, values: [row], format: 'JSONEachRow' });
}
