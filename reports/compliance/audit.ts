import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AccessAudit, AuditEntry } from '../../app/deps.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import {
  appendAuditRow, auditAnchors, auditEntries, insertAuditAnchor, lastAuditEntry, type AuditRow,
} from '../../warehouse/queries/audit.ts';

export const GENESIS = '0'.repeat(64);
export const VERIFIER_VERSION = 'sha256-chain/2';

/** The hash of an entry covers its content and the previous hash, so any edit breaks the chain. */
export function entryHash(e: Omit<AuditRow, 'entry_hash' | 'at'> & { at: string }): string {
  const canonical = JSON.stringify([e.seq, e.at, e.actor, e.role, e.action, e.params_json, e.rows_returned, e.export_sha256, e.prev_hash]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** ClickHouse prints DateTime64(3,'UTC') as `YYYY-MM-DD hh:mm:ss.mmm`; hash that same text. */
function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface ProcessAudit extends AccessAudit {
  /** The last entry this process appended: an anchor no one can remove from the warehouse. */
  head(): ChainHead | undefined;
}

/**
 * Appends are serialised in this process so each entry links to the one before. The head is read
 * from the warehouse before every append, so a restart or another writer continues the same chain;
 * if the warehouse's head is behind what this process wrote (entries were removed), the chain goes
 * on from the process's own head and the gap stays visible to the verifier.
 */
export function createAccessAudit(wh: Warehouse): ProcessAudit {
  let written: ChainHead | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  return {
    head: () => written,
    record(entry: AuditEntry): Promise<void> {
      const job = tail.then(async () => {
        const [last] = await lastAuditEntry(wh, {});
        let prev: ChainHead = last ? { seq: last.seq, hash: last.entry_hash } : { seq: 0, hash: GENESIS };
        if (written && written.seq > prev.seq) prev = written;
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
        written = { seq: row.seq, hash };
      });
      tail = job.catch(() => undefined);
      return job;
    },
  };
}

export interface AuditAnchor {
  seq: number;
  entry_hash: string;
  location: string;
}

export interface ChainVerdict {
  ok: boolean;
  entries: number;
  head?: ChainHead;
  anchorsChecked: number;
  /** The newest anchor that was checked. */
  anchored?: AuditAnchor;
  firstBroken?: { seq: number; reason: string };
}

/**
 * Recomputes the chain from the first entry and names the first entry that does not fit; then
 * checks every anchor (a head published earlier) is still in the chain with the same hash, which
 * is how removing the latest entries, or rewriting the chain from some point on, is detected.
 */
export async function verifyAuditChain(wh: Warehouse, opts: { anchors?: readonly AuditAnchor[] } = {}): Promise<ChainVerdict> {
  const anchors = [...(opts.anchors ?? [])].sort((a, b) => a.seq - b.seq);
  const wanted = new Set(anchors.map((a) => a.seq));
  const seen = new Map<number, string>();
  let prevHash = GENESIS;
  let expectedSeq = 1;
  let after = 0;
  let count = 0;
  let broken: ChainVerdict['firstBroken'];
  walk: for (;;) {
    const page = await auditEntries(wh, { after, limit: 50000 });
    if (page.length === 0) break;
    for (const r of page) {
      count++;
      if (r.seq < expectedSeq) broken = { seq: r.seq, reason: `entry ${r.seq} appears more than once` };
      else if (r.seq !== expectedSeq) broken = { seq: expectedSeq, reason: `entry ${expectedSeq} is missing` };
      else if (r.prev_hash !== prevHash) broken = { seq: r.seq, reason: 'previous hash does not match' };
      else if (entryHash(r) !== r.entry_hash) broken = { seq: r.seq, reason: 'content does not match its hash' };
      if (broken) break walk;
      if (wanted.has(r.seq)) seen.set(r.seq, r.entry_hash);
      prevHash = r.entry_hash;
      expectedSeq++;
    }
    after = page[page.length - 1]!.seq;
  }
  const head = expectedSeq > 1 ? { seq: expectedSeq - 1, hash: prevHash } : undefined;
  let checked = 0;
  for (const a of anchors) {
    if (broken && a.seq >= broken.seq) break;
    checked++;
    const hash = seen.get(a.seq);
    if (hash === undefined) {
      broken = { seq: (head?.seq ?? 0) + 1, reason: `entries ${(head?.seq ?? 0) + 1}–${a.seq} were removed (anchored in ${a.location})` };
    } else if (hash !== a.entry_hash) {
      broken = { seq: a.seq, reason: `entry ${a.seq} differs from the hash anchored in ${a.location}` };
    }
    if (broken) break;
  }
  const anchored = anchors.filter((a) => seen.has(a.seq)).at(-1);
  return { ok: !broken, entries: count, ...(head ? { head } : {}), anchorsChecked: checked, ...(anchored ? { anchored } : {}), ...(broken ? { firstBroken: broken } : {}) };
}

/** Anchors from the warehouse table, the anchor file (if configured) and this process's head. */
export async function collectAnchors(wh: Warehouse, anchorFile?: string, audit?: AccessAudit): Promise<AuditAnchor[]> {
  const out: AuditAnchor[] = (await auditAnchors(wh, {})).map((a) => ({ seq: a.seq, entry_hash: a.entry_hash, location: 'audit_anchors_v1' }));
  if (anchorFile && existsSync(anchorFile)) {
    for (const line of readFileSync(anchorFile, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const a = JSON.parse(line) as { seq?: unknown; entry_hash?: unknown };
        if (typeof a.seq === 'number' && typeof a.entry_hash === 'string') out.push({ seq: a.seq, entry_hash: a.entry_hash, location: 'anchor file' });
      } catch {
        // A torn last line (crash while appending) carries no anchor.
      }
    }
  }
  const head = audit && 'head' in audit ? (audit as ProcessAudit).head() : undefined;
  if (head) out.push({ seq: head.seq, entry_hash: head.hash, location: 'the running service' });
  return out;
}

/** Publishes the current head: a row in audit_anchors_v1 and, when configured, a line in a file. */
export async function anchorAuditHead(wh: Warehouse, anchorFile: string | undefined, now: Date): Promise<ChainHead | undefined> {
  const [last] = await lastAuditEntry(wh, {});
  if (!last) return undefined;
  await insertAuditAnchor(wh, { seq: last.seq, entry_hash: last.entry_hash, anchored_at: now.getTime() });
  if (anchorFile) {
    mkdirSync(dirname(anchorFile), { recursive: true });
    appendFileSync(anchorFile, JSON.stringify({ seq: last.seq, entry_hash: last.entry_hash, anchored_at: now.toISOString() }) + '\n');
  }
  return { seq: last.seq, hash: last.entry_hash };
}
