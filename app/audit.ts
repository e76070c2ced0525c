import type { AccessAudit, AuditEntry } from './deps.ts';
import { sha256Hex, type AuditKey } from './audit-key.ts';
import type { AnchorPublisher } from './audit-anchor.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { appendAuditRows, lastAuditEntry, type AuditRow } from '../warehouse/queries/audit.ts';

/**
 * The access audit: append-only, one hash chain per writing instance. Every instance (API, jobs,
 * CLI) appends to its own chain, keyed by (writer, seq), so several instances on one warehouse never
 * race for a sequence number; the verifier (`audit-verify.ts`) checks each chain on its own.
 */

export const GENESIS = '0'.repeat(64);

/**
 * The hash of an entry covers its content and the previous hash, so any edit breaks the chain. It
 * covers the writer too, so an entry cannot be moved to another chain. A keyed entry (key_id set) is
 * an HMAC under the audit key, which the warehouse never holds: rewriting an entry and recomputing
 * the chain needs that key. Unkeyed entries (the legacy segment) keep the hash they were written
 * with, and those of the chain written before chains had writers (writer '') leave the writer out.
 */
export function entryHash(e: Omit<AuditRow, 'entry_hash' | 'at' | 'key_id'> & { at: string; key_id?: string }, key?: AuditKey): string {
  const content = [e.seq, e.at, e.actor, e.role, e.action, e.params_json, e.rows_returned, e.export_sha256, e.prev_hash];
  if (e.key_id) {
    if (!key || key.id !== e.key_id) throw new Error(`audit entry ${e.seq} is keyed with key ${e.key_id}, not the configured one`);
    return key.mac(JSON.stringify(['keyed', e.key_id, e.writer, ...content]));
  }
  return sha256Hex(JSON.stringify(e.writer === '' ? content : [e.writer, ...content]));
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
  /** Seals the unkeyed legacy segment once (before the first keyed entry); verification awaits it. */
  ready(): Promise<void>;
  /** Resolves once every entry recorded so far is appended (or failed). */
  idle(): Promise<void>;
}

export interface AuditWriterOptions {
  key: AuditKey;
  /** Where the head of every write burst is anchored outside the warehouse. */
  anchors?: AnchorPublisher;
}

/** Entries appended by one insert at most (a burst of more goes in several). */
const MAX_BATCH = 1000;

/**
 * Appends keyed entries to the chain of `writer`, serialised in this process so each entry links to
 * the one before (entries that arrive while an append runs are chained and appended together by the
 * next: a burst of deliveries costs a few inserts, not one each); when the queue empties (the end of
 * a write burst) the head is anchored, so the
 * newest entries cannot be removed unnoticed. The head is read from the warehouse before every append, so a restart under the same
 * writer id continues its chain; if the warehouse's head is behind what this process wrote
 * (entries were removed), the chain goes on from the process's own head and the gap stays visible
 * to the verifier. Two live processes must not share a writer id (`INSTANCE_ID`).
 */
export function createAccessAudit(wh: Warehouse, writer: string, opts: AuditWriterOptions): ProcessAudit {
  if (writer === '') throw new Error('an audit writer needs a non-empty id');
  const { key, anchors } = opts;
  let written: ChainHead | undefined;
  /** Entries not yet appended, in call order. */
  const waiting: Array<{ entry: AuditEntry; resolve(): void; reject(e: unknown): void }> = [];
  let draining: Promise<void> | undefined;
  let sealed: Promise<void> | undefined;
  const ready = () => (sealed ??= (anchors?.sealLegacy(new Date()) ?? Promise.resolve()).catch((err) => {
    sealed = undefined;
    throw err;
  }));

  /** Appends what is waiting: the entries queued while one insert runs go together in the next. */
  async function drain(): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.splice(0, MAX_BATCH);
      let appended = false;
      try {
        await ready();
        const [last] = await lastAuditEntry(wh, { writer });
        let prev = last ? { seq: last.seq, hash: last.entry_hash } : { seq: 0, hash: GENESIS };
        if (written && written.seq > prev.seq) prev = written;
        const rows = batch.map(({ entry }) => {
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
            key_id: key.id,
          };
          const hash = entryHash({ ...row, at: chTime(atMs) }, key);
          prev = { seq: row.seq, hash };
          return { ...row, at: atMs, entry_hash: hash };
        });
        await appendAuditRows(wh, rows);
        appended = true;
        written = { writer, seq: prev.seq, hash: prev.hash };
        for (const b of batch.slice(0, -1)) b.resolve();
        // The end of a write burst: its head is anchored (the last entry's caller hears how that went).
        if (waiting.length === 0 && anchors) await anchors.publish([{ kind: 'head', writer, seq: prev.seq, entry_hash: prev.hash }], new Date(rows.at(-1)!.at));
        batch.at(-1)!.resolve();
      } catch (e) {
        for (const b of appended ? batch.slice(-1) : batch) b.reject(e);
      }
    }
  }

  function kick(): void {
    draining ??= drain().finally(() => {
      draining = undefined;
      // An entry queued between the loop's last check and this line still gets appended.
      if (waiting.length > 0) kick();
    });
  }

  return {
    head: () => written,
    ready,
    record(entry: AuditEntry): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ entry, resolve, reject });
        kick();
      });
    },
    async idle(): Promise<void> {
      while (draining) await draining;
    },
  };
}
