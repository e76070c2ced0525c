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
        FROM {{db}}.access_audit_v1 AS a
        WHERE seq > {after:UInt64} AND a.at >= {from:DateTime64(3)} AND a.at < {to:DateTime64(3)}
        ORDER BY seq LIMIT {limit:UInt32}`,
  params: z.object({ after: z.number().int().default(0), from: z.string().default('1970-01-01 00:00:00'), to: z.string().default('2999-01-01 00:00:00'), limit: z.number().int().default(100000) }),
  row: auditRowSchema,
});

export async function appendAuditRow(wh: Warehouse, row: Omit<AuditRow, 'at'> & { at: number }): Promise<void> {
  await wh.writer.insert({ table: `${wh.database}.access_audit_v1`, values: [row], format: 'JSONEachRow' });
}

/** Heads published so far (the latest per sequence number first is enough to check them). */
export const auditAnchors = defineQuery({
  name: 'audit.anchors',
  sql: `SELECT seq, entry_hash, toString(max(anchored_at)) AS anchored_at FROM {{db}}.audit_anchors_v1
        GROUP BY seq, entry_hash ORDER BY seq`,
  params: z.object({}),
  row: z.object({ seq: z.coerce.number(), entry_hash: z.string(), anchored_at: z.string() }),
});

export async function insertAuditAnchor(wh: Warehouse, anchor: { seq: number; entry_hash: string; anchored_at: number }): Promise<void> {
  await wh.writer.insert({ table: `${wh.database}.audit_anchors_v1`, values: [anchor], format: 'JSONEachRow' });
}

export interface AuditVerificationRow {
  verified_at: number;
  verified_by: string;
  entries_checked: number;
  to_seq: number;
  head_hash: string;
  anchors_checked: number;
  anchored_seq: number | null;
  anchored_hash: string;
  result: 'ok' | 'broken';
  first_break_seq: number | null;
  reason: string;
  verifier_version: string;
}

export async function insertAuditVerification(wh: Warehouse, row: AuditVerificationRow): Promise<void> {
  await wh.writer.insert({ table: `${wh.database}.audit_verifications_v1`, values: [row], format: 'JSONEachRow' });
}

export const auditVerifications = defineQuery({
  name: 'audit.verifications',
  sql: `SELECT toString(verified_at) AS verified_at, verified_by, entries_checked, to_seq, head_hash, anchors_checked,
               anchored_seq, anchored_hash, result, first_break_seq, reason, verifier_version
        FROM {{db}}.audit_verifications_v1 ORDER BY verified_at DESC LIMIT {limit:UInt32}`,
  params: z.object({ limit: z.number().int().default(1000) }),
  row: z.object({
    verified_at: z.string(),
    verified_by: z.string(),
    entries_checked: z.coerce.number(),
    to_seq: z.coerce.number(),
    head_hash: z.string(),
    anchors_checked: z.coerce.number(),
    anchored_seq: z.coerce.number().nullable(),
    anchored_hash: z.string(),
    result: z.string(),
    first_break_seq: z.coerce.number().nullable(),
    reason: z.string(),
    verifier_version: z.string(),
  }),
});
