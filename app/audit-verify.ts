import type { AccessAudit } from './deps.ts';
import { GENESIS, entryHash, type ChainHead, type ProcessAudit } from './audit.ts';
import { isValidAnchor, readAnchorFile, storedAnchors, type AnchorPublisher, type AuditAnchor } from './audit-anchor.ts';
import type { AuditKey } from './audit-key.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { createHash, type Hash } from 'node:crypto';
import { AUDIT_BLOCK, auditBlockDigests, auditEntriesAfter, auditHeads, auditPartRanges, type AuditRow } from '../warehouse/queries/audit.ts';
import { readParts, type PartsSnapshot } from '../warehouse/queries/parts.ts';

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

/** SHA-256 over the row digests of the entries read in one block of sequence numbers, in sequence order (as `auditBlockDigests` computes it). */
interface KeptBlock {
  hash: Hash;
  rows: number;
}

/** What a verifier keeps of each writer's chain between passes: the walk so far, and digests of the entries it read. */
interface KeptChain {
  walk: ChainWalk;
  blocks: Map<number, KeptBlock>;
  /** The highest sequence number read, and how many rows up to it. */
  seq: number;
  rows: number;
}

/** The sequence numbers one part of the audit table holds for one writer. */
interface PartRange {
  writer: string;
  lo: number;
  hi: number;
}

/**
 * A verifier's memory from one pass to the next: each chain's walk, so a pass reads only the
 * entries appended since, once the store proves the entries read before are still there unchanged.
 * Parts of a table never change, so only the blocks of sequence numbers that a part which came or
 * went holds are read again (the same count and the same SHA-256 over their contents, computed by
 * the warehouse in one read): a new insert's block, a merge's blocks, every block where there is no
 * list of parts (a cluster). Anything else (an entry edited, removed or inserted among them, another
 * key or legacy seal) starts the walk over from the first entry. The nightly verification walks
 * every entry without a memory.
 */
export interface ChainMemory {
  keyId?: string;
  chains?: Map<string, KeptChain>;
  /** The audit table's parts listed before the last pass read, by id, with what each holds. */
  parts?: Map<string, PartRange[]>;
  /** Stored hashes of anchored entries read, by writer and sequence number: still true while their block is not read again. */
  anchored?: Map<string, string>;
  block?: number;
  /** The anchor table's anchors as last read, with its parts then (`collectAnchors` with a memory). */
  tableAnchors?: { fingerprint: string; anchors: AuditAnchor[] };
}

const memories = new WeakMap<Warehouse, ChainMemory>();

/** The process's verifier memory for a warehouse, shared by whoever verifies often (alert rules, the privacy dashboard). */
export function chainMemory(wh: Warehouse): ChainMemory {
  let m = memories.get(wh);
  if (!m) memories.set(wh, (m = {}));
  return m;
}

const AUDIT_TABLE = 'access_audit_v1';
const ANCHOR_TABLE = 'audit_anchors_v1';
const anchorKey = (writer: string, seq: number) => `${writer}\0${seq}`;

/**
 * Verifies the chain of every writer that has entries or anchors, each on its own, in one pass over
 * the audit in (writer, seq) order, page by page. Anchors carrying a MAC must verify under the key;
 * anchors from before the audit was keyed (no MAC) are still checked: they can only raise alarms.
 * With `memory`, a pass goes on from the last one's walks when the entries they read are unchanged.
 */
export async function verifyAuditChains(
  wh: Warehouse,
  opts: { key: AuditKey; anchors?: readonly AuditAnchor[]; pageSize?: number; memory?: ChainMemory; block?: number; parts?: () => Promise<PartsSnapshot | null> },
): Promise<AuditVerdict> {
  const pageSize = opts.pageSize ?? 50_000;
  const block = opts.block ?? AUDIT_BLOCK;
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
  const wanted = new Set(anchors.map((a) => anchorKey(a.writer, a.seq)));
  // The parts are listed before anything is read, so a part that comes later is new to the next pass.
  const snapshot = opts.memory ? await (opts.parts ?? (() => readParts(wh, [AUDIT_TABLE])))() : null;
  const known = opts.memory?.block === block ? opts.memory.parts : undefined;
  const parts = snapshot ? await partsNow(wh, snapshot.active(AUDIT_TABLE), known) : undefined;
  // The same parts as the last pass listed before its walk: nothing was appended since that walk.
  const standing = !!parts && !!known && parts.fresh.length === 0 && [...known.keys()].every((id) => parts.ranges.has(id));
  const kept = await keptChains(wh, { key: opts.key, memory: opts.memory, sealedSeq, anchors, hashesOf, block, parts });
  const chains = kept ?? new Map<string, KeptChain>();
  const chainOf = (writer: string) => {
    let c = chains.get(writer);
    if (!c) chains.set(writer, (c = { walk: new ChainWalk(writer, opts.key, sealedSeq.get(writer) ?? 0), blocks: new Map(), seq: 0, rows: 0 }));
    return c;
  };
  const since = [...chains.values()];
  let after: { writer: string; seq: number } | undefined;
  for (;;) {
    if (kept && standing) break;
    const page = await auditEntriesAfter(wh, {
      start: !after, writer: after?.writer ?? '', seq: after?.seq ?? 0, limit: pageSize, writers: since.map((c) => c.walk.writer), seqs: since.map((c) => c.seq),
    });
    for (const r of page) {
      const c = chainOf(r.writer);
      c.walk.entry(r);
      const n = Math.floor(r.seq / block);
      let b = c.blocks.get(n);
      if (!b) c.blocks.set(n, (b = { hash: createHash('sha256'), rows: 0 }));
      b.hash.update(r.row_digest);
      b.rows++;
      c.seq = Math.max(c.seq, r.seq);
      c.rows++;
      if (wanted.has(anchorKey(r.writer, r.seq))) hashesOf(r.writer).set(r.seq, r.entry_hash);
    }
    if (page.length < pageSize) break;
    const last = page.at(-1)!;
    after = { writer: last.writer, seq: last.seq };
  }
  for (const a of anchors) chainOf(a.writer);
  for (const a of forged) chainOf(a.writer);
  if (opts.memory) {
    const anchored = new Map<string, string>();
    for (const [writer, h] of hashes) for (const [seq, hash] of h) anchored.set(anchorKey(writer, seq), hash);
    Object.assign(opts.memory, { keyId: opts.key.id, chains, parts: parts?.ranges, anchored, block });
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

/** The audit table's parts now, each with what it holds (read for the parts the last pass did not list), and which of them are new. */
interface PartsNow {
  ranges: Map<string, PartRange[]>;
  fresh: string[];
}

async function partsNow(wh: Warehouse, listed: ReadonlyMap<string, string>, known: ReadonlyMap<string, PartRange[]> | undefined): Promise<PartsNow> {
  const fresh = [...listed.keys()].filter((id) => !known?.has(id));
  const ranges = new Map<string, PartRange[]>();
  for (const id of listed.keys()) ranges.set(id, known?.get(id) ?? []);
  if (fresh.length > 0) {
    const idOf = new Map(fresh.map((id) => [listed.get(id)!, id]));
    // A part merged away since it was listed reads as holding nothing: its rows are in a part the next pass finds new.
    for (const r of await auditPartRanges(wh, { parts: [...idOf.keys()] })) ranges.get(idOf.get(r.part)!)!.push({ writer: r.writer, lo: r.lo, hi: r.hi });
  }
  return { ranges, fresh };
}

/**
 * The chains of the last pass, if the store still holds exactly the entries they read (and the key
 * and legacy seals are the same), with the stored hashes of anchored entries among them. Only the
 * blocks a new or vanished part holds, and those of anchors not yet looked up, are read again (every
 * block without a list of parts). Undefined: the walk starts over. The chains are taken out of the
 * memory: a pass that runs meanwhile walks from the start instead of moving the same walks on twice.
 */
async function keptChains(wh: Warehouse, o: {
  key: AuditKey; memory: ChainMemory | undefined; sealedSeq: ReadonlyMap<string, number>; anchors: readonly AuditAnchor[];
  hashesOf: (writer: string) => Map<number, string>; block: number; parts: PartsNow | undefined;
}): Promise<Map<string, KeptChain> | undefined> {
  const { memory, block } = o;
  const kept = memory?.chains;
  if (!kept || memory.keyId !== o.key.id || memory.block !== block) return undefined;
  memory.chains = undefined;
  // Chains with anchors and no entry read have nothing to go on from.
  const read = new Map([...kept].filter(([, c]) => c.rows > 0));
  if (read.size === 0) return undefined;
  for (const c of read.values()) if (c.walk.sealedSeq !== (o.sealedSeq.get(c.walk.writer) ?? 0)) return undefined;
  const upTo = (writer: string) => read.get(writer)?.seq ?? -1;
  const key = (writer: string, n: number) => `${writer}\0${n}`;
  // Blocks to read again; undefined: every block.
  let touched: Set<string> | undefined;
  if (o.parts && memory.parts) {
    touched = new Set();
    const cover = (r: PartRange) => {
      const hi = Math.min(r.hi, upTo(r.writer));
      for (let n = Math.floor(r.lo / block); n * block <= hi; n++) touched!.add(key(r.writer, n));
    };
    for (const [id, ranges] of memory.parts) if (!o.parts.ranges.has(id)) ranges.forEach(cover);
    for (const id of o.parts.fresh) o.parts.ranges.get(id)!.forEach(cover);
  }
  // The anchored entries among those read, each once (the anchor file and table repeat heads).
  const anchored = new Map<string, AuditAnchor>();
  for (const a of o.anchors) {
    if (a.seq > upTo(a.writer)) continue;
    anchored.set(anchorKey(a.writer, a.seq), a);
    const hash = memory.anchored?.get(anchorKey(a.writer, a.seq));
    const n = key(a.writer, Math.floor(a.seq / block));
    if (touched && (hash === undefined || touched.has(n))) touched.add(n);
    else if (hash !== undefined) o.hashesOf(a.writer).set(a.seq, hash);
  }
  const blocks = touched ? [...touched].map((k) => k.split('\0')) : [];
  const stored = touched && blocks.length === 0 ? [] : await auditBlockDigests(wh, {
    block, writers: [...read.keys()], seqs: [...read.values()].map((c) => c.seq), every: !touched,
    block_writers: blocks.map((b) => b[0]!), blocks: blocks.map((b) => Number(b[1])),
    anchor_writers: [...anchored.values()].map((a) => a.writer), anchor_seqs: [...anchored.values()].map((a) => a.seq),
  });
  const got = new Map(stored.map((s) => [key(s.writer, s.blk), s]));
  for (const s of stored) if (!read.get(s.writer)?.blocks.has(s.blk)) return undefined;
  for (const c of read.values()) {
    for (const [n, b] of c.blocks) {
      if (touched && !touched.has(key(c.walk.writer, n))) continue;
      const s = got.get(key(c.walk.writer, n));
      if (!s || s.rows !== b.rows || s.digest !== b.hash.copy().digest('hex')) return undefined;
    }
  }
  for (const s of stored) for (const [seq, hash] of s.anchored) o.hashesOf(s.writer).set(seq, hash);
  return read;
}

/** One writer's chain (an empty verdict when it has neither entries nor anchors). */
export async function verifyAuditChain(wh: Warehouse, key: AuditKey, writer: string, anchors: readonly AuditAnchor[] = []): Promise<ChainVerdict> {
  const all = await verifyAuditChains(wh, { key, anchors: anchors.filter((a) => a.writer === writer) });
  return all.chains.find((c) => c.writer === writer) ?? { writer, ok: true, entries: 0, anchorsChecked: 0 };
}

/** Anchors from the warehouse table, the anchor files (configured, and any older one) and this process's head. */
export async function collectAnchors(
  wh: Warehouse, anchorFiles: readonly (string | undefined)[] = [], audit?: AccessAudit, keep?: { memory: ChainMemory; parts: () => Promise<PartsSnapshot | null> },
): Promise<AuditAnchor[]> {
  // The anchor table is read again only once its parts changed (read first: an anchor written during the read is read next time).
  const fingerprint = keep ? (await keep.parts())?.fingerprint(ANCHOR_TABLE) : undefined;
  const kept = fingerprint !== undefined && keep!.memory.tableAnchors?.fingerprint === fingerprint ? keep!.memory.tableAnchors.anchors : undefined;
  const stored = kept ?? (await storedAnchors(wh));
  if (fingerprint !== undefined) keep!.memory.tableAnchors = { fingerprint, anchors: stored };
  const out = [...stored];
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
