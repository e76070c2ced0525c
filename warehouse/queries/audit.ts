import { z } from 'zod';
import type { Warehouse } from '../client.ts';
import { defineQuery } from '../query.ts';

export const auditRowSchema = z.object({
  seq: z.coerce.number(),
  at: z.string(),
  actor: z.string(),
  role: z.string(),
  action: z.string(),
  params_json: z.string(),
  rows_returned: z.coerce.number().nullable(),
  export_sha256: z.string(),
  prev_hash: z.string(),
  entry_hash: z.string(),
});
export type AuditRow = z.infer<typeof auditRowSchema>;

export const lastAuditEntry = defineQuery({
  name: 'audit.last',
  sql: `SELECT seq, toString(at) AS at, actor, role, action, params_json, rows_returned, export_sha256, prev_hash, entry_hash
        FROM {{db}}.access_audit_v1 ORDER BY seq DESC LIMIT 1`,
  params: z.object({}),
  row: auditRowSchema,
  connection: 'writer',
});

export const auditEntries = defineQuery({
  name: 'audit.entries',
  sql: `SELECT seq, toString(at) AS at, actor, role, action, params_json, rows_returned, export_sha256, prev_hash, entry_hash
        FROM {{db}}.access_audit_v1
        WHERE seq > {after:UInt64} AND at >= {from:DateTime64(3)} AND at < {to:DateTime64(3)}
        ORDER BY seq LIMIT {limit:UInt32}`,
  params: z.object({ after: z.number().int().default(0), from: z.string().default('1970-01-01 00:00:00'), to: z.string().default('2999-01-01 00:00:00'), limit: z.number().int().default(100000) }),
  row: auditRowSchema,
});

export async function appendAuditRow(wh: Warehouse, row: Omit<AuditRow, 'at'> & { at: number }): Promise<void> {
  await wh.writer.insert({ table: `${wh.database}.access_audit_v1`, values: [row], format: 'JSONEachRow' });
}
