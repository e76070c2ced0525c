import { z } from 'zod';
import type { Warehouse } from '../client.ts';
import { defineQuery } from '../query.ts';

/** One entry of the access audit; `writer` names the instance whose chain it belongs to. */
export const auditRowSchema = z.object({
  writer: z.string(),
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

const COLUMNS = 'writer, seq, toString(at) AS at, actor, role, action, params_json, rows_returned, export_sha256, prev_hash, entry_hash';

/** The head of one writer's chain (read on the writer connection, which appends). */
export const lastAuditEntry = defineQuery({
  name: 'audit.last',
  sql: `SELECT ${COLUMNS} FROM {{db}}.access_audit_v1 WHERE writer = {writer:String} ORDER BY seq DESC LIMIT 1`,
  params: z.object({ writer: z.string() }),
  row: auditRowSchema,
  connection: 'writer',
});

/** Entries of every chain in a time range, in time order (the listing). */
export const auditEntries = defineQuery({
  name: 'audit.entries',
  sql: `SELECT ${COLUMNS} FROM {{db}}.access_audit_v1 AS a
        WHERE a.at >= {from:DateTime64(3)} AND a.at < {to:DateTime64(3)}
        ORDER BY a.at, writer, seq LIMIT {limit:UInt32}`,
  params: z.object({ from: z.string().default('1970-01-01 00:00:00'), to: z.string().default('2999-01-01 00:00:00'), limit: z.number().int().default(100000) }),
  row: auditRowSchema,
});

/**
 * A page of entries of every chain in (writer, seq) order, after a key (or from the start). WITH TIES
 * keeps every row of the page's last key in the page, so the next page can start strictly after it
 * and an entry stored twice is never split between pages.
 */
export const auditEntriesAfter = defineQuery({
  name: 'audit.entries_after',
  sql: `SELECT ${COLUMNS} FROM {{db}}.access_audit_v1
        WHERE {start:Bool} OR (writer, seq) > ({writer:String}, {seq:UInt64})
        ORDER BY writer, seq LIMIT {limit:UInt32} WITH TIES`,
  params: z.object({ start: z.boolean(), writer: z.string(), seq: z.number().int(), limit: z.number().int() }),
  row: auditRowSchema,
});

/** The latest entry of every chain (what an anchor publishes). */
export const auditHeads = defineQuery({
  name: 'audit.heads',
  sql: `SELECT writer, max(seq) AS head_seq, argMax(entry_hash, seq) AS entry_hash FROM {{db}}.access_audit_v1
        GROUP BY writer ORDER BY writer`,
  params: z.object({}),
  row: z.object({ writer: z.string(), head_seq: z.coerce.number(), entry_hash: z.string() }),
  connection: 'writer',
});

export async function appendAuditRow(wh: Warehouse, row: Omit<AuditRow, 'at'> & { at: number }): Promise<void> {
  await wh.writer.insert({ table: `${wh.database}.access_audit_v1`, values: [row], format: 'JSONEachRow' });
}

/** Heads published so far (the latest per sequence number first is enough to check them). */
export const auditAnchors = defineQuery({
  name: 'audit.anchors',
  sql: `SELECT writer, seq, entry_hash, toString(max(anchored_at)) AS anchored_at FROM {{db}}.audit_anchors_v1
        GROUP BY writer, seq, entry_hash ORDER BY writer, seq`,
  params: z.object({}),
  row: z.object({ writer: z.string(), seq: z.coerce.number(), entry_hash: z.string(), anchored_at: z.string() }),
});

export async function insertAuditAnchors(wh: Warehouse, anchors: Array<{ writer: string; seq: number; entry_hash: string; anchored_at: number }>): Promise<void> {
  if (anchors.length === 0) return;
  await wh.writer.insert({ table: `${wh.database}.audit_anchors_v1`, values: anchors, format: 'JSONEachRow' });
}

export interface AuditVerificationRow {
  verified_at: number;
  verified_by: string;
  /** The chain this row is about. */
  writer: string;
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

export async function insertAuditVerifications(wh: Warehouse, rows: AuditVerificationRow[]): Promise<void> {
  if (rows.length === 0) return;
  await wh.writer.insert({ table: `${wh.database}.audit_verifications_v1`, values: rows, format: 'JSONEachRow' });
}

export const auditVerifications = defineQuery({
  name: 'audit.verifications',
  sql: `SELECT toString(verified_at) AS verified_at, verified_by, writer, entries_checked, to_seq, head_hash, anchors_checked,
               anchored_seq, anchored_hash, result, first_break_seq, reason, verifier_version
        FROM {{db}}.audit_verifications_v1 ORDER BY verified_at DESC, writer LIMIT {limit:UInt32}`,
  params: z.object({ limit: z.number().int().default(1000) }),
  row: z.object({
    verified_at: z.string(),
    verified_by: z.string(),
    writer: z.string(),
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
