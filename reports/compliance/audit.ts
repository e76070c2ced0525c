import { createHash } from 'node:crypto';
import type { AccessAudit, AuditEntry } from '../../app/deps.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { appendAuditRow, auditEntries, lastAuditEntry, type AuditRow } from '../../warehouse/queries/audit.ts';

export const GENESIS = '0'.repeat(64);

/** The hash of an entry covers its content and the previous hash, so any edit breaks the chain. */
export function entryHash(e: Omit<AuditRow, 'entry_hash' | 'at'> & { at: string }): string {
  const canonical = JSON.stringify([e.seq, e.at, e.actor, e.role, e.action, e.params_json, e.rows_returned, e.export_sha256, e.prev_hash]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** ClickHouse prints DateTime64(3,'UTC') as `YYYY-MM-DD hh:mm:ss.mmm`; hash that same text. */
function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Appends are serialised in this process so each entry links to the one before. The chain head is
 * read from the warehouse on first use, so a restart continues the same chain.
 */
export function createAccessAudit(wh: Warehouse): AccessAudit {
  let head: Promise<{ seq: number; hash: string }> | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  return {
    record(entry: AuditEntry): Promise<void> {
      head ??= lastAuditEntry(wh, {}).then((r) => (r[0] ? { seq: r[0].seq, hash: r[0].entry_hash } : { seq: 0, hash: GENESIS }));
      const job = tail.then(async () => {
        const prev = await head!;
        const atMs = Date.now();
        const row = {
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
        head = Promise.resolve({ seq: row.seq, hash });
      });
      tail = job.catch(() => undefined);
      return job;
    },
  };
}

export interface ChainVerdict {
  ok: boolean;
  entries: number;
  firstBroken?: { seq: number; reason: string };
}

/** Recomputes the chain from the first entry; names the first entry that does not fit. */
export async function verifyAuditChain(wh: Warehouse): Promise<ChainVerdict> {
  let prevHash = GENESIS;
  let expectedSeq = 1;
  let after = 0;
  let count = 0;
  for (;;) {
    const page = await auditEntries(wh, { after, limit: 50000 });
    if (page.length === 0) break;
    for (const r of page) {
      count++;
      if (r.seq !== expectedSeq) return { ok: false, entries: count, firstBroken: { seq: expectedSeq, reason: `entry ${expectedSeq} is missing` } };
      if (r.prev_hash !== prevHash) return { ok: false, entries: count, firstBroken: { seq: r.seq, reason: 'previous hash does not match' } };
      if (entryHash(r) !== r.entry_hash) return { ok: false, entries: count, firstBroken: { seq: r.seq, reason: 'content does not match its hash' } };
      prevHash = r.entry_hash;
      expectedSeq++;
    }
    after = page[page.length - 1]!.seq;
  }
  return { ok: true, entries: count };
}
