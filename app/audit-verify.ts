import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AccessAudit } from './deps.ts';
import { GENESIS, entryHash, type ChainHead, type ProcessAudit } from './audit.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { auditAnchors, auditEntriesAfter, auditHeads, insertAuditAnchors, type AuditRow } from '../warehouse/queries/audit.ts';

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
 * Recomputes one writer's chain from its first entry, fed its entries in sequence order, and names
 * the first entry that does not fit; then checks every anchor of that chain (a head published
 * earlier) is still in it with the same hash, which is how removing the latest entries, or
 * rewriting the chain from some point on, is detected.
 */
class ChainWalk {
  private prevHash = GENESIS;
  private expectedSeq = 1;
  private count = 0;
  private broken: ChainVerdict['firstBroken'];
  private readonly wanted: Set<number>;
  private readonly seen = new Map<number, string>();

  constructor(readonly writer: string, private readonly anchors: readonly AuditAnchor[]) {
    this.wanted = new Set(anchors.map((a) => a.seq));
  }

  entry(r: AuditRow): void {
    if (this.broken) return;
    this.count++;
    if (r.seq < this.expectedSeq) this.broken = { seq: r.seq, reason: `entry ${r.seq} appears more than once` };
    else if (r.seq !== this.expectedSeq) this.broken = { seq: this.expectedSeq, reason: `entry ${this.expectedSeq} is missing` };
    else if (r.prev_hash !== this.prevHash) this.broken = { seq: r.seq, reason: 'previous hash does not match' };
    else if (entryHash(r) !== r.entry_hash) this.broken = { seq: r.seq, reason: 'content does not match its hash' };
    if (this.broken) return;
    if (this.wanted.has(r.seq)) this.seen.set(r.seq, r.entry_hash);
    this.prevHash = r.entry_hash;
    this.expectedSeq++;
  }

  verdict(): ChainVerdict {
    const head = this.expectedSeq > 1 ? { seq: this.expectedSeq - 1, hash: this.prevHash } : undefined;
    let broken = this.broken;
    let checked = 0;
    for (const a of this.anchors) {
      if (broken && a.seq >= broken.seq) break;
      checked++;
      const hash = this.seen.get(a.seq);
      if (hash === undefined) {
        broken = { seq: (head?.seq ?? 0) + 1, reason: `entries ${(head?.seq ?? 0) + 1}–${a.seq} were removed (anchored in ${a.location})` };
      } else if (hash !== a.entry_hash) {
        broken = { seq: a.seq, reason: `entry ${a.seq} differs from the hash anchored in ${a.location}` };
      }
      if (broken) break;
    }
    const anchored = this.anchors.filter((a) => this.seen.has(a.seq)).at(-1);
    return {
      writer: this.writer, ok: !broken, entries: this.count, ...(head ? { head } : {}), anchorsChecked: checked,
      ...(anchored ? { anchored } : {}), ...(broken ? { firstBroken: broken } : {}),
    };
  }
}

/**
 * Verifies the chain of every writer that has entries or anchors, each on its own, in one pass over
 * the audit in (writer, seq) order, page by page.
 */
export async function verifyAuditChains(wh: Warehouse, opts: { anchors?: readonly AuditAnchor[]; pageSize?: number } = {}): Promise<AuditVerdict> {
  const pageSize = opts.pageSize ?? 50_000;
  const anchors = [...(opts.anchors ?? [])].sort((a, b) => a.seq - b.seq);
  const walks = new Map<string, ChainWalk>();
  const walkOf = (writer: string) => {
    let w = walks.get(writer);
    if (!w) walks.set(writer, (w = new ChainWalk(writer, anchors.filter((a) => a.writer === writer))));
    return w;
  };
  let after: { writer: string; seq: number } | undefined;
  for (;;) {
    const page = await auditEntriesAfter(wh, { start: !after, writer: after?.writer ?? '', seq: after?.seq ?? 0, limit: pageSize });
    for (const r of page) walkOf(r.writer).entry(r);
    if (page.length < pageSize) break;
    const last = page.at(-1)!;
    after = { writer: last.writer, seq: last.seq };
  }
  for (const a of anchors) walkOf(a.writer);
  const chains = [...walks.values()].sort((a, b) => (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0)).map((w) => w.verdict());
  return {
    ok: chains.every((c) => c.ok),
    entries: chains.reduce((n, c) => n + c.entries, 0),
    anchorsChecked: chains.reduce((n, c) => n + c.anchorsChecked, 0),
    chains,
  };
}

/** One writer's chain (an empty verdict when it has neither entries nor anchors). */
export async function verifyAuditChain(wh: Warehouse, writer: string, anchors: readonly AuditAnchor[] = []): Promise<ChainVerdict> {
  const all = await verifyAuditChains(wh, { anchors: anchors.filter((a) => a.writer === writer) });
  return all.chains.find((c) => c.writer === writer) ?? { writer, ok: true, entries: 0, anchorsChecked: 0 };
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
