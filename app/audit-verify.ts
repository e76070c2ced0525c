import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AccessAudit } from './deps.ts';
import { GENESIS, entryHash, type ChainHead, type ProcessAudit } from './audit.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { auditAnchors, auditChainEntries, auditHeads, auditWriters, insertAuditAnchors } from '../warehouse/queries/audit.ts';

export const VERIFIER_VERSION = 'sha256-chains/3';

export interface AuditAnchor {
  writer: string;
  seq: number;
  entry_hash: string;
  location: string;
}

export interface ChainVerdict {
  writer: string;
  ok: boolean;
  entries: number;
  head?: { seq: number; hash: string };
  anchorsChecked: number;
  /** The newest anchor that was checked. */
  anchored?: AuditAnchor;
  firstBroken?: { seq: number; reason: string };
}

export interface AuditVerdict {
  ok: boolean;
  /** Entries read over all chains. */
  entries: number;
  anchorsChecked: number;
  /** One verdict per writer's chain, by writer id. */
  chains: ChainVerdict[];
}

/**
 * Recomputes one writer's chain from its first entry and names the first entry that does not fit;
 * then checks every anchor of that chain (a head published earlier) is still in it with the same
 * hash, which is how removing the latest entries, or rewriting the chain from some point on, is
 * detected.
 */
export async function verifyAuditChain(wh: Warehouse, writer: string, anchorList: readonly AuditAnchor[] = []): Promise<ChainVerdict> {
  const anchors = anchorList.filter((a) => a.writer === writer).sort((a, b) => a.seq - b.seq);
  const wanted = new Set(anchors.map((a) => a.seq));
  const seen = new Map<number, string>();
  let prevHash = GENESIS;
  let expectedSeq = 1;
  let after = 0;
  let count = 0;
  let broken: ChainVerdict['firstBroken'];
  walk: for (;;) {
    const page = await auditChainEntries(wh, { writer, after });
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
  return {
    writer, ok: !broken, entries: count, ...(head ? { head } : {}), anchorsChecked: checked,
    ...(anchored ? { anchored } : {}), ...(broken ? { firstBroken: broken } : {}),
  };
}

/** Verifies the chain of every writer that has entries or anchors, each on its own. */
export async function verifyAuditChains(wh: Warehouse, opts: { anchors?: readonly AuditAnchor[] } = {}): Promise<AuditVerdict> {
  const anchors = opts.anchors ?? [];
  const writers = new Set((await auditWriters(wh, {})).map((w) => w.writer));
  for (const a of anchors) writers.add(a.writer);
  const chains: ChainVerdict[] = [];
  for (const writer of [...writers].sort()) chains.push(await verifyAuditChain(wh, writer, anchors));
  return {
    ok: chains.every((c) => c.ok),
    entries: chains.reduce((n, c) => n + c.entries, 0),
    anchorsChecked: chains.reduce((n, c) => n + c.anchorsChecked, 0),
    chains,
  };
}

/** Anchors from the warehouse table, the anchor file (if configured) and this process's head. */
export async function collectAnchors(wh: Warehouse, anchorFile?: string, audit?: AccessAudit): Promise<AuditAnchor[]> {
  const out: AuditAnchor[] = (await auditAnchors(wh, {})).map((a) => ({ writer: a.writer, seq: a.seq, entry_hash: a.entry_hash, location: 'audit_anchors_v1' }));
  if (anchorFile && existsSync(anchorFile)) {
    for (const line of readFileSync(anchorFile, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const a = JSON.parse(line) as { writer?: unknown; seq?: unknown; entry_hash?: unknown };
        // Lines written before chains had writers belong to the chain of writer ''.
        const writer = typeof a.writer === 'string' ? a.writer : '';
        if (typeof a.seq === 'number' && typeof a.entry_hash === 'string') out.push({ writer, seq: a.seq, entry_hash: a.entry_hash, location: 'anchor file' });
      } catch {
        // A torn last line (crash while appending) carries no anchor.
      }
    }
  }
  const head = audit && 'head' in audit ? (audit as ProcessAudit).head() : undefined;
  if (head) out.push({ writer: head.writer, seq: head.seq, entry_hash: head.hash, location: 'the running service' });
  return out;
}

/** Publishes the head of every chain: rows in audit_anchors_v1 and, when configured, lines in a file. */
export async function anchorAuditHeads(wh: Warehouse, anchorFile: string | undefined, now: Date): Promise<ChainHead[]> {
  const heads = (await auditHeads(wh, {})).map((h) => ({ writer: h.writer, seq: h.head_seq, entry_hash: h.entry_hash }));
  await insertAuditAnchors(wh, heads.map((h) => ({ writer: h.writer, seq: h.seq, entry_hash: h.entry_hash, anchored_at: now.getTime() })));
  if (anchorFile && heads.length) {
    mkdirSync(dirname(anchorFile), { recursive: true });
    appendFileSync(anchorFile, heads.map((h) => JSON.stringify({ writer: h.writer, seq: h.seq, entry_hash: h.entry_hash, anchored_at: now.toISOString() }) + '\n').join(''));
  }
  return heads.map((h) => ({ writer: h.writer, seq: h.seq, hash: h.entry_hash }));
}
