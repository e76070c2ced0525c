import type { AccessAudit } from './deps.ts';
import { GENESIS, entryHash, type ChainHead, type ProcessAudit } from './audit.ts';
import { isValidAnchor, readAnchorFile, storedAnchors, type AnchorPublisher, type AuditAnchor } from './audit-anchor.ts';
import type { AuditKey } from './audit-key.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { createHash, type Hash } from 'node:crypto';
import { auditEntriesAfter, auditHeads, auditPrefixDigests, type AuditRow } from '../warehouse/queries/audit.ts';

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

  constructor(
    readonly writer: string,
    private readonly key: AuditKey,
    /** The last unkeyed entry the legacy seal accepts (0: none). */
    readonly sealedSeq: number,
  ) {}

  entry(r: AuditRow): void {
    if (this.broken) return;
    this.count++;
    if (r.seq < this.expectedSeq) this.broken = { seq: r.seq, reason: `entry ${r.seq} appears more than once` };
    else if (r.seq !== this.expectedSeq) this.broken = { seq: this.expectedSeq, reason: `entry ${this.expectedSeq} is missing` };
    else if (r.prev_hash !== this.prevHash) this.broken = { seq: r.seq, reason: 'previous hash does not match' };
    else this.broken = this.keyCheck(r);
    if (this.broken) return;
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

  /**
   * The chain's verdict against its anchors (oldest first), given the stored hash of each anchored
   * entry that was read (`hashAt`), and its anchors whose MAC does not verify (someone wrote them
   * without the key). Reads the walk, never changes it: a walk goes on with the next entries.
   */
  verdict(anchors: readonly AuditAnchor[], hashAt: ReadonlyMap<number, string>, forged: readonly AuditAnchor[]): ChainVerdict {
    const head = this.expectedSeq > 1 ? { seq: this.expectedSeq - 1, hash: this.prevHash } : undefined;
    let broken = this.broken;
    for (const a of forged) {
      if (!broken || broken.seq > a.seq) broken = { seq: a.seq, reason: `the anchor of entry ${a.seq} in ${a.location} does not carry a valid MAC (rewritten or forged)` };
    }
    let checked = 0;
    for (const a of anchors) {
      if (broken && a.seq >= broken.seq) break;
      checked++;
      const hash = hashAt.get(a.seq);
      if (hash === undefined) {
        // Name the whole missing run up to the newest anchor past the head.
        const last = anchors.reduce((m, x) => (x.seq > m.seq ? x : m), a);
        broken = { seq: (head?.seq ?? 0) + 1, reason: `entries ${(head?.seq ?? 0) + 1}–${last.seq} were removed (anchored in ${last.location})` };
      } else if (hash !== a.entry_hash) {
        broken = { seq: a.seq, reason: `entry ${a.seq} differs from the hash anchored in ${a.location}` };
      }
      if (broken) break;
    }
    const anchored = anchors.filter((a) => hashAt.has(a.seq)).at(-1);
    return {
      writer: this.writer, ok: !broken, entries: this.count, ...(head ? { head } : {}), anchorsChecked: checked,
      ...(anchored ? { anchored } : {}), ...(broken ? { firstBroken: broken } : {}),
    };
  }
}

/** What a verifier keeps of each writer's chain between passes: the walk so far, and a digest of the entries it read. */
interface KeptChain {
  walk: ChainWalk;
  /** SHA-256 over the row digests of the entries read, in sequence order (as `auditPrefixDigests` computes it). */
  digest: Hash;
  /** The highest sequence number read, and how many rows up to it. */
  seq: number;
  rows: number;
}

/**
 * A verifier's memory from one pass to the next: each chain's walk, so a pass reads only the
 * entries appended since, once the store proves the entries read before are still there unchanged
 * (the same count and the same SHA-256 over their contents, computed by the warehouse in one
 * read). Anything else (an entry edited, removed or inserted among them, another key or legacy
 * seal) starts the walk over from the first entry.
 */
export interface ChainMemory {
  keyId?: string;
  chains?: Map<string, KeptChain>;
}

const memories = new WeakMap<Warehouse, ChainMemory>();

/** The process's verifier memory for a warehouse, shared by whoever verifies often (alert rules, the privacy dashboard). */
export function chainMemory(wh: Warehouse): ChainMemory {
  let m = memories.get(wh);
  if (!m) memories.set(wh, (m = {}));
  return m;
}

/**
 * Verifies the chain of every writer that has entries or anchors, each on its own, in one pass over
 * the audit in (writer, seq) order, page by page. Anchors carrying a MAC must verify under the key;
 * anchors from before the audit was keyed (no MAC) are still checked: they can only raise alarms.
 * With `memory`, a pass goes on from the last one's walks when the entries they read are unchanged.
 */
export async function verifyAuditChains(wh: Warehouse, opts: { key: AuditKey; anchors?: readonly AuditAnchor[]; pageSize?: number; memory?: ChainMemory }): Promise<AuditVerdict> {
  const pageSize = opts.pageSize ?? 50_000;
  const all = [...(opts.anchors ?? [])].sort((a, b) => a.seq - b.seq);
  const forged = all.filter((a) => a.mac !== '' && !isValidAnchor(a, opts.key));
  const anchors = all.filter((a) => !forged.includes(a) && a.kind !== 'sealed');
  const sealedSeq = new Map<string, number>();
  for (const a of anchors) if (a.kind === 'seal' && a.mac !== '') sealedSeq.set(a.writer, Math.max(sealedSeq.get(a.writer) ?? 0, a.seq));
  /** Stored hashes of the anchored entries, per writer. */
  const hashes = new Map<string, Map<number, string>>();
  const hashesOf = (writer: string) => {
    let h = hashes.get(writer);
    if (!h) hashes.set(writer, (h = new Map()));
    return h;
  };
  const wanted = new Set(anchors.map((a) => `${a.writer}\0${a.seq}`));
  const chains = (await keptChains(wh, opts.key, opts.memory, sealedSeq, anchors, hashesOf)) ?? new Map<string, KeptChain>();
  const chainOf = (writer: string) => {
    let c = chains.get(writer);
    if (!c) chains.set(writer, (c = { walk: new ChainWalk(writer, opts.key, sealedSeq.get(writer) ?? 0), digest: createHash('sha256'), seq: 0, rows: 0 }));
    return c;
  };
  const since = [...chains.values()];
  let after: { writer: string; seq: number } | undefined;
  for (;;) {
    const page = await auditEntriesAfter(wh, {
      start: !after, writer: after?.writer ?? '', seq: after?.seq ?? 0, limit: pageSize, writers: since.map((c) => c.walk.writer), seqs: since.map((c) => c.seq),
    });
    for (const r of page) {
      const c = chainOf(r.writer);
      c.walk.entry(r);
      c.digest.update(r.row_digest);
      c.seq = Math.max(c.seq, r.seq);
      c.rows++;
      if (wanted.has(`${r.writer}\0${r.seq}`)) hashesOf(r.writer).set(r.seq, r.entry_hash);
    }
    if (page.length < pageSize) break;
    const last = page.at(-1)!;
    after = { writer: last.writer, seq: last.seq };
  }
  for (const a of anchors) chainOf(a.writer);
  for (const a of forged) chainOf(a.writer);
  if (opts.memory) {
    opts.memory.keyId = opts.key.id;
    opts.memory.chains = chains;
  }
  const verdicts = [...chains.values()]
    .sort((a, b) => (a.walk.writer < b.walk.writer ? -1 : a.walk.writer > b.walk.writer ? 1 : 0))
    .map((c) => c.walk.verdict(anchors.filter((a) => a.writer === c.walk.writer), hashesOf(c.walk.writer), forged.filter((a) => a.writer === c.walk.writer)));
  return {
    ok: verdicts.every((c) => c.ok),
    entries: verdicts.reduce((n, c) => n + c.entries, 0),
    anchorsChecked: verdicts.reduce((n, c) => n + c.anchorsChecked, 0),
    chains: verdicts,
  };
}

/**
 * The chains of the last pass, if the store still holds exactly the entries they read (and the key
 * and legacy seals are the same), with the stored hashes of anchored entries among them read in the
 * same query. Undefined: the walk starts over. The chains are taken out of the memory: a pass that
 * runs meanwhile walks from the start instead of moving the same walks on twice.
 */
async function keptChains(
  wh: Warehouse, key: AuditKey, memory: ChainMemory | undefined, sealedSeq: ReadonlyMap<string, number>, anchors: readonly AuditAnchor[],
  hashesOf: (writer: string) => Map<number, string>,
): Promise<Map<string, KeptChain> | undefined> {
  const kept = memory?.chains;
  if (!kept || memory.keyId !== key.id) return undefined;
  memory.chains = undefined;
  // Chains with anchors and no entry read have nothing to go on from.
  const read = [...kept.values()].filter((c) => c.rows > 0);
  if (read.length === 0) return undefined;
  for (const c of read) if (c.walk.sealedSeq !== (sealedSeq.get(c.walk.writer) ?? 0)) return undefined;
  // The anchored entries among those read, each once (the anchor file and table repeat heads).
  const readUpTo = new Map(read.map((c) => [c.walk.writer, c.seq]));
  const anchored = new Map<string, AuditAnchor>();
  for (const a of anchors) if (a.seq <= (readUpTo.get(a.writer) ?? -1)) anchored.set(`${a.writer}\0${a.seq}`, a);
  const stored = await auditPrefixDigests(wh, {
    writers: read.map((c) => c.walk.writer), seqs: read.map((c) => c.seq),
    anchor_writers: [...anchored.values()].map((a) => a.writer), anchor_seqs: [...anchored.values()].map((a) => a.seq),
  });
  const byWriter = new Map(stored.map((s) => [s.writer, s]));
  for (const c of read) {
    const s = byWriter.get(c.walk.writer);
    if (!s || s.rows !== c.rows || s.digest !== c.digest.copy().digest('hex')) return undefined;
  }
  for (const s of stored) for (const [seq, hash] of s.anchored) hashesOf(s.writer).set(seq, hash);
  return new Map(read.map((c) => [c.walk.writer, c]));
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
