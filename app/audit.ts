import { createHash } from 'node:crypto';
import type { AccessAudit, AuditEntry } from './deps.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { appendAuditRow, lastAuditEntry, type AuditRow } from '../warehouse/queries/audit.ts';

/**
 * The access audit: append-only, one hash chain per writing instance. Every instance (API, jobs,
 * CLI) appends to its own chain, keyed by (writer, seq), so several instances on one warehouse never
 * race for a sequence number; the verifier (`audit-verify.ts`) checks each chain on its own.
 */

export const GENESIS = '0'.repeat(64);

/**
 * The hash of an entry covers its content and the previous hash, so any edit breaks the chain. It
 * covers the writer too, so an entry cannot be moved to another chain; entries of the chain written
 * before chains had writers (writer '') keep the hash they were written with.
 */
export function entryHash(e: Omit<AuditRow, 'entry_hash' | 'at'> & { at: string }): string {
  const content = [e.seq, e.at, e.actor, e.role, e.action, e.params_json, e.rows_returned, e.export_sha256, e.prev_hash];
  const canonical = JSON.stringify(e.writer === '' ? content : [e.writer, ...content]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** ClickHouse prints DateTime64(3,'UTC') as `YYYY-MM-DD hh:mm:ss.mmm`; hash that same text. */
function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export interface ChainHead {
  writer: string;
  seq: number;
  hash: string;
}

export interface ProcessAudit extends AccessAudit {
  /** The last entry this process appended: an anchor no one can remove from the warehouse. */
  head(): ChainHead | undefined;
}

/**
 * Appends to the chain of `writer`, serialised in this process so each entry links to the one
 * before. The head is read from the warehouse before every append, so a restart under the same
 * writer id continues its chain; if the warehouse's head is behind what this process wrote
 * (entries were removed), the chain goes on from the process's own head and the gap stays visible
 * to the verifier. Two live processes must not share a writer id (`INSTANCE_ID`).
 */
export function createAccessAudit(wh: Warehouse, writer: string): ProcessAudit {
  if (writer === '') throw new Error('an audit writer needs a non-empty id');
  let written: ChainHead | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  return {
    head: () => written,
    record(entry: AuditEntry): Promise<void> {
      const job = tail.then(async () => {
        const [last] = await lastAuditEntry(wh, { writer });
        let prev = last ? { seq: last.seq, hash: last.entry_hash } : { seq: 0, hash: GENESIS };
        if (written && written.seq > prev.seq) prev = written;
        const atMs = Date.now();
        const row = {
          writer,
          seq: prev.seq + 1,
          actor: entry.actor,
          role: entry.role,
          action: entry.action,
          params_json: JSON.stringify(entry.params),
          rows_returned: entry.rows ?? null,
          export_sha256: entry.exportSha256 ?? '',
          prev_hash: prev.hash,
        };
        const hash = entryHash({ ...row, at: chTime(atMs) });
        await appendAuditRow(wh, { ...row, at: atMs, entry_hash: hash });
        written = { writer, seq: row.seq, hash };
      });
      tail = job.catch(() => undefined);
      return job;
    },
  };
}
