import type { AppDeps } from '../../app/deps.ts';
import type { Principal } from '../../app/auth.ts';
import { insertAuditVerification } from '../../warehouse/queries/audit.ts';
import { collectAnchors, verifyAuditChain, VERIFIER_VERSION } from './audit.ts';
import { privacyConfig } from './config.ts';

/**
 * Audit-chain verification (R16): recompute the chain, check every published anchor, keep the
 * result, and record the run itself in the audit. Anchors are collected before the walk, so
 * entries appended meanwhile never look like a truncation.
 */
export async function runAuditVerification(deps: AppDeps, who: Principal | { actor: string; role: 'system' }) {
  const cfg = privacyConfig(deps.config.file);
  const anchors = await collectAnchors(deps.warehouse, cfg.audit.anchor_file, deps.audit);
  const v = await verifyAuditChain(deps.warehouse, { anchors });
  const now = deps.now();
  const result = {
    result: v.ok ? ('ok' as const) : ('broken' as const),
    verified_at: now.toISOString(),
    entries_checked: v.entries,
    head: v.head ?? null,
    anchors_checked: v.anchorsChecked,
    anchored: v.anchored ? { seq: v.anchored.seq, entry_hash: v.anchored.entry_hash, location: v.anchored.location } : null,
    first_broken: v.firstBroken ?? null,
    verifier_version: VERIFIER_VERSION,
  };
  await insertAuditVerification(deps.warehouse, {
    verified_at: now.getTime(),
    verified_by: who.actor,
    entries_checked: v.entries,
    to_seq: v.head?.seq ?? 0,
    head_hash: v.head?.hash ?? '',
    anchors_checked: v.anchorsChecked,
    anchored_seq: v.anchored?.seq ?? null,
    anchored_hash: v.anchored?.entry_hash ?? '',
    result: result.result,
    first_break_seq: v.firstBroken?.seq ?? null,
    reason: v.firstBroken?.reason ?? '',
    verifier_version: VERIFIER_VERSION,
  });
  await deps.audit.record({
    actor: who.actor, role: who.role, action: 'compliance.audit_verify',
    params: { result: result.result, first_broken: v.firstBroken?.seq ?? null }, rows: v.entries,
  });
  return result;
}
