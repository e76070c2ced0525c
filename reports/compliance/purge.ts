import { createHash } from 'node:crypto';
import type { AppDeps } from '../../app/deps.ts';
import { insertErasureRequest } from '../../warehouse/queries/compliance/erasure.ts';
import { applyDeletedMask, maskedTables, pendingPurges } from '../../warehouse/queries/compliance/purge.ts';
import { privacyConfig } from './config.ts';
import { removeOldCopies } from './erasure-copies.ts';

/**
 * The second step of a lightweight erasure (`privacy.erasure.method = "lightweight"`): its receipt
 * says `logically_deleted` — the rows are masked, answered by no query, but still in the parts'
 * files — and names when they will be gone (`purge_due_at`). This purge rewrites every part that
 * carries a mask (`APPLY DELETED MASK`), removes the copies that rewrite replaced, checks that no
 * mask is left, and records for each erasure it completed a `purged` row beside its receipt, with
 * its own SHA-256, and an audit entry. Erasures are gathered for `purge_minutes`, so one rewrite
 * serves all of them; the job checks every minute.
 */

const SYSTEM = { actor: 'system:compliance', role: 'system' as const };
const MINUTE_MS = 60_000;

/** When an erasure completed now will have been purged at the latest (one gathering period, then a run). */
export function purgeDueAt(deps: AppDeps, completedAt: Date): string {
  const minutes = privacyConfig(deps.config.file).erasure.purge_minutes;
  return new Date(completedAt.getTime() + 2 * minutes * MINUTE_MS).toISOString();
}

export interface PurgeResult {
  purged: string[];
  tables: string[];
  left: string[];
}

/**
 * Purges when the oldest pending erasure has waited `purge_minutes` (or at once with `force`).
 * Erasures finished after the purge started wait for the next one.
 */
export async function purgeErased(deps: AppDeps, opts: { force?: boolean } = {}): Promise<PurgeResult> {
  const wh = deps.warehouse;
  const started = deps.now();
  const pending = await pendingPurges(wh, {});
  const minutes = privacyConfig(deps.config.file).erasure.purge_minutes;
  const due = pending.length > 0 && (opts.force || pending[0]!.completed_at <= started.getTime() - minutes * MINUTE_MS);
  if (!due) return { purged: [], tables: [], left: [] };
  const tables = await maskedTables(wh);
  for (const t of tables) await applyDeletedMask(wh, t);
  const copies = await removeOldCopies(wh, deps.config.dataDir, tables);
  const left = [...new Set([...(await maskedTables(wh)).filter((t) => tables.includes(t)), ...copies.keys()])];
  if (left.length > 0) return { purged: [], tables, left };
  const done = deps.now();
  const purged = pending.filter((p) => p.completed_at <= started.getTime());
  for (const p of purged) {
    const evidence = {
      request_id: p.request_id,
      purged_at: done.toISOString(),
      tables_rewritten: tables,
      method: 'ALTER TABLE … APPLY DELETED MASK (mutations_sync=2) on every table with masked rows; replaced parts removed; no masked part left',
    };
    const json = JSON.stringify(evidence);
    const sha = createHash('sha256').update(json).digest('hex');
    await insertErasureRequest(wh, [{
      request_id: p.request_id, subject_hash: p.subject_hash, jurisdiction: p.jurisdiction, legal_ground: p.legal_ground, requested_by: p.requested_by,
      received_at: p.received_at, completed_at: done.getTime(), status: 'purged', hold_ids: [], tables_json: JSON.stringify(tables), receipt_json: json, receipt_sha256: sha,
    }]);
    await deps.audit.record({ ...SYSTEM, action: 'compliance.erasure_purge', params: { request_id: p.request_id, subject: p.subject_hash, tables: tables.length }, exportSha256: sha });
  }
  return { purged: purged.map((p) => p.request_id), tables, left: [] };
}
