import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The access audit's key: entries and anchors are HMAC-SHA-256 under a secret that is not in the
 * warehouse, so someone who can rewrite the audit tables cannot recompute a chain or forge an anchor.
 * Entries written before the audit was keyed keep their unkeyed SHA-256 (key id '').
 */
export interface AuditKey {
  /** Names the key in each entry without revealing it (rotation shows as a new id). */
  id: string;
  mac(canonical: string): string;
}

export function auditKey(secret: string): AuditKey {
  const id = createHmac('sha256', secret).update('wa-analytics audit key id').digest('hex').slice(0, 16);
  return { id, mac: (canonical) => createHmac('sha256', secret).update(canonical).digest('hex') };
}

export const sha256Hex = (canonical: string) => createHash('sha256').update(canonical).digest('hex');

/** Constant-time comparison of two hex MACs. */
export function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export type AnchorKind = 'head' | 'seal' | 'sealed';

/** What an anchor's MAC covers: which chain, which entry, what it was, and the anchor's kind. */
export function anchorCanonical(a: { kind: AnchorKind; writer: string; seq: number; entry_hash: string }): string {
  return JSON.stringify(['anchor', a.kind, a.writer, a.seq, a.entry_hash]);
}
