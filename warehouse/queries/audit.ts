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
  /** '' for the unkeyed legacy segment; else names the HMAC key the entry was written under. */
  key_id: z.string(),
});
export type AuditRow = z.infer<typeof auditRowSchema>;

const COLUMNS = 'writer, seq, toString(at) AS at, actor, role, action, params_json, rows_returned, export_sha256, prev_hash, entry_hash, key_id';

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
 * Entries per hour (UTC) and action in a time range, with who made them: the privacy dashboard's
 * timeline, counted where the entries are rather than shipped one by one.
 */
export const auditHourly = defineQuery({
  name: 'audit.hourly',
  sql: `SELECT formatDateTime(toStartOfHour(at), '%Y-%m-%dT%H:00:00.000Z', 'UTC') AS hour, action, count() AS n,
          arrayStringConcat(arraySort(groupUniqArray(actor)), ', ') AS actors
        FROM {{db}}.access_audit_v1
        WHERE at >= {from:DateTime64(3)} AND at < {to:DateTime64(3)}
        GROUP BY hour, action ORDER BY hour, action`,
  params: z.object({ from: z.string(), to: z.string() }),
  row: z.object({ hour: z.string(), action: z.string(), n: z.coerce.number(), actors: z.string() }),
});

/**
 * SHA-256 of one entry's stored content, every column the chain check reads, each as its length,
 * ':' and itself, so no content can move from one column to the next unseen (hex, lower case).
 */
const ROW_DIGEST = `lower(hex(SHA256(arrayStringConcat(arrayMap(x -> concat(toString(length(x)), ':', x), [writer, toString(seq), toString(at), actor, role,
  action, params_json, ifNull(toString(rows_returned), '-'), export_sha256, prev_hash, entry_hash, key_id])))))`;

/** Since a sequence number per writer (writers not named: from their first entry). */
const SINCE = 'seq > transform(writer, {writers:Array(String)}, {seqs:Array(UInt64)}, toUInt64(0))';

/**
 * A page of entries of every chain in (writer, seq) order, after a key (or from the start), each with
 * its row digest, from the entries after a sequence number per writer. WITH TIES keeps every row of
 * the page's last key in the page, so the next page can start strictly after it and an entry stored
 * twice is never split between pages.
 */
export const auditEntriesAfter = defineQuery({
  name: 'audit.entries_after',
  sql: `SELECT ${COLUMNS}, ${ROW_DIGEST} AS row_digest FROM {{db}}.access_audit_v1
        WHERE ({start:Bool} OR (writer, seq) > ({writer:String}, {seq:UInt64})) AND ${SINCE}
        ORDER BY writer, seq LIMIT {limit:UInt32} WITH TIES`,
  params: z.object({
    start: z.boolean(), writer: z.string(), seq: z.number().int(), limit: z.number().int(),
    writers: z.array(z.string()).default([]), seqs: z.array(z.number().int()).default([]),
  }),
  row: auditRowSchema.extend({ row_digest: z.string() }),
  format: 'compact',
});

/** Sequence numbers per block of a chain: a verifier keeps one digest per block. */
export const AUDIT_BLOCK = 1024;

/**
 * Per writer and block of sequence numbers (`intDiv(seq, block)`), what the store holds up to a
 * sequence number per writer: how many rows, SHA-256 over their row digests in sequence order (what
 * a verifier computed as it read them), and the stored hashes of the anchored entries among them,
 * all from one read of one state of the table. Every block, or only the blocks named.
 */
export const auditBlockDigests = defineQuery({
  name: 'audit.block_digests',
  sql: `SELECT writer, intDiv(seq, {block:UInt64}) AS blk, count() AS rows,
          lower(hex(SHA256(arrayStringConcat(arrayMap(x -> x.2, arraySort(x -> x.1, groupArray((seq, ${ROW_DIGEST})))))))) AS digest,
          groupArrayIf((seq, entry_hash), (writer, seq) IN (SELECT arrayJoin(arrayZip({anchor_writers:Array(String)}, {anchor_seqs:Array(UInt64)})))) AS anchored
        FROM {{db}}.access_audit_v1
        WHERE has({writers:Array(String)}, writer) AND NOT ${SINCE}
          AND ({every:Bool} OR (writer, intDiv(seq, {block:UInt64})) IN (SELECT arrayJoin(arrayZip({block_writers:Array(String)}, {blocks:Array(UInt64)}))))
        GROUP BY writer, blk`,
  params: z.object({
    block: z.number().int(), writers: z.array(z.string()), seqs: z.array(z.number().int()), every: z.boolean(),
    block_writers: z.array(z.string()).default([]), blocks: z.array(z.number().int()).default([]),
    anchor_writers: z.array(z.string()), anchor_seqs: z.array(z.number().int()),
  }),
  row: z.object({ writer: z.string(), blk: z.coerce.number(), rows: z.coerce.number(), digest: z.string(), anchored: z.array(z.tuple([z.coerce.number(), z.string()])) }),
});

/** Per part named and writer, the lowest and highest sequence number it holds. */
export const auditPartRanges = defineQuery({
  name: 'audit.part_ranges',
  sql: `SELECT _part AS part, writer, min(seq) AS lo, max(seq) AS hi FROM {{db}}.access_audit_v1
        WHERE has({parts:Array(String)}, _part) GROUP BY part, writer`,
  params: z.object({ parts: z.array(z.string()) }),
  row: z.object({ part: z.string(), writer: z.string(), lo: z.coerce.number(), hi: z.coerce.number() }),
});

/** The latest entry of every chain (what an anchor publishes). */
export const auditHeads = defineQuery({
  name: 'audit.heads',
  sql: `SELECT writer, max(seq) AS head_seq, argMax(entry_hash, seq) AS entry_hash, argMax(key_id, seq) AS key_id
        FROM {{db}}.access_audit_v1 GROUP BY writer ORDER BY writer`,
  params: z.object({}),
  row: z.object({ writer: z.string(), head_seq: z.coerce.number(), entry_hash: z.string(), key_id: z.string() }),
  connection: 'writer',
});

export async function appendAuditRows(wh: Warehouse, rows: ReadonlyArray<Omit<AuditRow, 'at'> & { at: number }>): Promise<void> {
  await wh.writer.insert({ table: `${wh.database}.access_audit_v1`, values: [...rows], format: 'JSONEachRow' });
}

/** Anchors published so far, once per distinct content (the same head anchored twice is one check). */
export const auditAnchors = defineQuery({
  name: 'audit.anchors',
  sql: `SELECT kind, writer, seq, entry_hash, key_id, mac, toString(max(anchored_at)) AS anchored_at FROM {{db}}.audit_anchors_v1
        GROUP BY kind, writer, seq, entry_hash, key_id, mac ORDER BY writer, seq`,
  params: z.object({}),
  row: z.object({
    kind: z.string(), writer: z.string(), seq: z.coerce.number(), entry_hash: z.string(), key_id: z.string(), mac: z.string(), anchored_at: z.string(),
  }),
});

/** Whether any entry was written under a key (the legacy segment is sealed only before the first). */
export const keyedAuditEntries = defineQuery({
  name: 'audit.keyed_entries',
  sql: `SELECT count() AS n FROM {{db}}.access_audit_v1 WHERE key_id != ''`,
  params: z.object({}),
  row: z.object({ n: z.coerce.number() }),
  connection: 'writer',
});

export interface AuditAnchorRow {
  kind: string;
  writer: string;
  seq: number;
  entry_hash: string;
  key_id: string;
  mac: string;
  anchored_at: number;
}

export async function insertAuditAnchors(wh: Warehouse, anchors: AuditAnchorRow[]): Promise<void> {
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
