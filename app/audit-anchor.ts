import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { dirname } from 'node:path';
import type { AuditSettings } from './config.ts';
import type { Logger } from './logger.ts';
import { anchorCanonical, sameMac, type AnchorKind, type AuditKey } from './audit-key.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { auditAnchors, auditHeads, insertAuditAnchors, keyedAuditEntries } from '../warehouse/queries/audit.ts';

/**
 * Anchors of the access audit: a chain head (or a sealed legacy head) published where rewriting the
 * warehouse cannot reach it — an append-only file the operator ships elsewhere, a row in
 * audit_anchors_v1, and optionally a signed webhook. Each anchor carries an HMAC under the audit
 * key, so a rewritten anchor row is recognised as such.
 */

export interface AnchorPoint {
  kind: AnchorKind;
  writer: string;
  seq: number;
  entry_hash: string;
}

export interface AuditAnchor extends AnchorPoint {
  key_id: string;
  /** '' for anchors written before the audit was keyed. */
  mac: string;
  location: string;
}

export interface AnchorPublisher {
  publish(points: readonly AnchorPoint[], now: Date): Promise<void>;
  /**
   * Before the first keyed entry: anchors the head of every unkeyed chain as the end of the legacy
   * segment, and a `sealed` marker. Unkeyed entries past a seal are not accepted by the verifier.
   */
  sealLegacy(now: Date): Promise<void>;
}

export const ANCHOR_SIGNATURE_HEADER = 'x-audit-signature-256';

export function isValidAnchor(a: AuditAnchor, key: AuditKey): boolean {
  return a.mac !== '' && a.key_id === key.id && sameMac(key.mac(anchorCanonical(a)), a.mac);
}

/** Anchors in an anchor file; lines from before chains had writers belong to writer ''. */
export function readAnchorFile(file: string, location = 'anchor file'): AuditAnchor[] {
  if (!existsSync(file)) return [];
  const out: AuditAnchor[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const a = JSON.parse(line) as Record<string, unknown>;
      if (typeof a.seq !== 'number' || typeof a.entry_hash !== 'string') continue;
      const kind = a.kind === 'seal' || a.kind === 'sealed' ? a.kind : 'head';
      out.push({
        kind, writer: typeof a.writer === 'string' ? a.writer : '', seq: a.seq, entry_hash: a.entry_hash,
        key_id: typeof a.key_id === 'string' ? a.key_id : '', mac: typeof a.mac === 'string' ? a.mac : '', location,
      });
    } catch {
      // A torn last line (crash while appending) carries no anchor.
    }
  }
  return out;
}

export async function storedAnchors(wh: Warehouse): Promise<AuditAnchor[]> {
  return (await auditAnchors(wh, {})).map((a) => ({
    kind: a.kind === 'seal' || a.kind === 'sealed' ? a.kind : 'head', writer: a.writer, seq: a.seq, entry_hash: a.entry_hash,
    key_id: a.key_id, mac: a.mac, location: 'audit_anchors_v1',
  }));
}

function appendDurably(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, text);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function createAnchorPublisher(wh: Warehouse, settings: AuditSettings, key: AuditKey, log: Logger): AnchorPublisher {
  const publish = async (points: readonly AnchorPoint[], now: Date) => {
    if (points.length === 0) return;
    const signed = points.map((p) => ({ ...p, key_id: key.id, mac: key.mac(anchorCanonical(p)) }));
    // The file first: it is the copy a warehouse rewrite cannot touch.
    appendDurably(settings.anchorFile, signed.map((a) => JSON.stringify({ ...a, anchored_at: now.toISOString() }) + '\n').join(''));
    await insertAuditAnchors(wh, signed.map((a) => ({ ...a, anchored_at: now.getTime() })));
    if (settings.webhook) await postAnchors(settings.webhook, signed, now, log);
  };
  return {
    publish,
    async sealLegacy(now) {
      const known = [...readAnchorFile(settings.anchorFile), ...(await storedAnchors(wh))];
      if (known.some((a) => a.kind === 'sealed' && isValidAnchor(a, key))) return;
      // Keyed entries exist but no seal: it was removed; sealing now could bless rewritten entries.
      if ((await keyedAuditEntries(wh, {}))[0]!.n > 0) {
        log.error('the access audit has keyed entries but no legacy seal: `audit verify` will report its unkeyed entries');
        return;
      }
      const legacy = (await auditHeads(wh, {})).filter((h) => h.key_id === '');
      await publish([
        ...legacy.map((h) => ({ kind: 'seal' as const, writer: h.writer, seq: h.head_seq, entry_hash: h.entry_hash })),
        { kind: 'sealed', writer: '', seq: 0, entry_hash: '' },
      ], now);
      log.info({ legacy_chains: legacy.length, anchor_file: settings.anchorFile }, 'access audit keyed: unkeyed entries sealed as a legacy segment');
    },
  };
}

/** A signed POST of the anchors; a failure is logged (the file and the table hold them anyway). */
async function postAnchors(hook: { url: string; secret: string }, anchors: readonly object[], now: Date, log: Logger): Promise<void> {
  const body = JSON.stringify({ anchored_at: now.toISOString(), anchors });
  const signature = 'sha256=' + createHmac('sha256', hook.secret).update(body).digest('hex');
  try {
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [ANCHOR_SIGNATURE_HEADER]: signature },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) log.warn({ status: res.status }, 'audit anchor webhook refused the anchors');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'audit anchor webhook unreachable');
  }
}
