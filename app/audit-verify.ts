import type { AccessAudit } from './deps.ts';
import { GENESIS, entryHash, type ChainHead, type ProcessAudit } from './audit.ts';
import { isValidAnchor, readAnchorFile, storedAnchors, type AnchorPublisher, type AuditAnchor } from './audit-anchor.ts';
import type { AuditKey } from './audit-key.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { auditEntriesAfter, auditHeads, type AuditRow } from '../warehouse/queries/audit.ts';

export type { AuditAnchor } from './audit-anchor.ts';

export const VERIFIER_VERSION = 'hmac-sha256-chains/4';

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
 * rewriting the chain from some point on, is detected. Keyed entries need the audit key to be
 * recomputed; unkeyed ones are accepted only up to the sealed end of the legacy segment.
 */
class ChainWalk {
  private prevHash = GENESIS;
  private expectedSeq = 1;
  private count = 0;
  private keyedSeen = false;
  private broken: ChainVerdict['firstBroken'];
  private readonly wanted: Set<number>;
  private readonly seen = new Map<number, string>();

  constructor(
    readonly writer: string,
    private readonly anchors: readonly AuditAnchor[],
    private readonly key: AuditKey,
    /** The last unkeyed entry the legacy seal accepts (0: none). */
    private readonly sealedSeq: number,
  ) {
    this.wanted = new Set(anchors.map((a) => a.seq));
  }

  entry(r: AuditRow): void {
    if (this.broken) return;
    this.count++;
    if (r.seq < this.expectedSeq) this.broken = { seq: r.seq, reason: `entry ${r.seq} appears more than once` };
    else if (r.seq !== this.expectedSeq) this.broken = { seq: this.expectedSeq, reason: `entry ${this.expectedSeq} is missing` };
    else if (r.prev_hash !== this.prevHash) this.broken = { seq: r.seq, reason: 'previous hash does not match' };
    else this.broken = this.keyCheck(r);
    if (this.broken) return;
    if (this.wanted.has(r.seq)) this.seen.set(r.seq, r.entry_hash);
    this.prevHash = r.entry_hash;
    this.expectedSeq++;
  }

  private keyCheck(r: AuditRow): ChainVerdict['firstBroken'] {
    if (r.key_id === '') {
      if (this.keyedSeen || r.seq > this.sealedSeq) return { seq: r.seq, reason: `entry ${r.seq} is not keyed and not in the sealed legacy segment` };
    } else if (r.key_id !== this.key.id) {
      return { seq: r.seq, reason: `entry ${r.seq} is keyed with another key (${r.key_id})` };
    } else this.keyedSeen = true;
    return entryHash(r, this.key) === r.entry_hash ? undefined : { seq: r.seq, reason: 'content does not match its hash' };
  }

  /** An anchor whose MAC does not verify: someone wrote it without the key. */
  forged(a: AuditAnchor): void {
    if (!this.broken || this.broken.seq > a.seq) this.broken = { seq: a.seq, reason: `the anchor of entry ${a.seq} in ${a.location} does not carry a valid MAC (rewritten or forged)` };
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
        // Name the whole missing run up to the newest anchor past the head.
        const last = this.anchors.reduce((m, x) => (x.seq > m.seq ? x : m), a);
        broken = { seq: (head?.seq ?? 0) + 1, reason: `entries ${(head?.seq ?? 0) + 1}–${last.seq} were removed (anchored in ${last.location})` };
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
 * the audit in (writer, seq) order, page by page. Anchors carrying a MAC must verify under the key;
 * anchors from before the audit was keyed (no MAC) are still checked: they can only raise alarms.
 */
export async function verifyAuditChains(wh: Warehouse, opts: { key: AuditKey; anchors?: readonly AuditAnchor[]; pageSize?: number }): Promise<AuditVerdict> {
  const pageSize = opts.pageSize ?? 50_000;
  const all = [...(opts.anchors ?? [])].sort((a, b) => a.seq - b.seq);
  const forged = all.filter((a) => a.mac !== '' && !isValidAnchor(a, opts.key));
  const anchors = all.filter((a) => !forged.includes(a) && a.kind !== 'sealed');
  const sealedSeq = new Map<string, number>();
  for (const a of anchors) if (a.kind === 'seal' && a.mac !== '') sealedSeq.set(a.writer, Math.max(sealedSeq.get(a.writer) ?? 0, a.seq));
  const walks = new Map<string, ChainWalk>();
  const walkOf = (writer: string) => {
    let w = walks.get(writer);
    if (!w) walks.set(writer, (w = new ChainWalk(writer, anchors.filter((a) => a.writer === writer), opts.key, sealedSeq.get(writer) ?? 0)));
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
  for (const a of forged) walkOf(a.writer).forged(a);
  const chains = [...walks.values()].sort((a, b) => (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0)).map((w) => w.verdict());
  return {
    ok: chains.every((c) => c.ok),
    entries: chains.reduce((n, c) => n + c.entries, 0),
    anchorsChecked: chains.reduce((n, c) => n + c.anchorsChecked, 0),
    chains,
  };
}

/** One writer's chain (an empty verdict when it has neither entries nor anchors). */
export async function verifyAuditChain(wh: Warehouse, key: AuditKey, writer: string, anchors: readonly AuditAnchor[] = []): Promise<ChainVerdict> {
  const all = await verifyAuditChains(wh, { key, anchors: anchors.filter((a) => a.writer === writer) });
  return all.chains.find((c) => c.writer === writer) ?? { writer, ok: true, entries: 0, anchorsChecked: 0 };
}

/** Anchors from the warehouse table, the anchor files (configured, and any older one) and this process's head. */
export async function collectAnchors(wh: Warehouse, anchorFiles: readonly (string | undefined)[] = [], audit?: AccessAudit): Promise<AuditAnchor[]> {
  const out = await storedAnchors(wh);
  for (const file of new Set(anchorFiles.filter((f): f is string => !!f))) out.push(...readAnchorFile(file));
  const head = audit && 'head' in audit ? (audit as ProcessAudit).head() : undefined;
  if (head) out.push({ kind: 'head', writer: head.writer, seq: head.seq, entry_hash: head.hash, key_id: '', mac: '', location: 'the running service' });
  return out;
}

/** Publishes the head of every chain (file, table and webhook, as every write burst does). */
export async function anchorAuditHeads(wh: Warehouse, anchors: AnchorPublisher, now: Date): Promise<ChainHead[]> {
  const heads = await auditHeads(wh, {});
  await anchors.publish(heads.map((h) => ({ kind: 'head' as const, writer: h.writer, seq: h.head_seq, entry_hash: h.entry_hash })), now);
  return heads.map((h) => ({ writer: h.writer, seq: h.head_seq, hash: h.entry_hash }));
}
