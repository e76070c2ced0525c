import type { AppDeps } from '../../app/deps.ts';
import { auditWho, type Principal } from '../../app/auth.ts';
import { collectAnchors, verifyAuditChains, VERIFIER_VERSION, type ChainVerdict } from '../../app/audit-verify.ts';
import { insertAuditVerifications } from '../../warehouse/queries/audit.ts';
import { privacyConfig } from './config.ts';
import type { ProcessAudit } from '../../app/audit.ts';

function chainResult(c: ChainVerdict) {
  return {
    writer: c.writer,
    result: c.ok ? ('ok' as const) : ('broken' as const),
    entries_checked: c.entries,
    head: c.head ?? null,
    anchors_checked: c.anchorsChecked,
    anchored: c.anchored ? { seq: c.anchored.seq, entry_hash: c.anchored.entry_hash, location: c.anchored.location } : null,
    first_broken: c.firstBroken ?? null,
  };
}

/**
 * Audit-chain verification (R16): recompute every writer's chain, check every published anchor,
 * keep the result per chain, and record the run itself in the audit. Anchors are collected before
 * the walk, so entries appended meanwhile never look like a truncation.
 */
export async function runAuditVerification(deps: AppDeps, who: Principal | { actor: string; role: 'system' }) {
  const cfg = privacyConfig(deps.config.file);
  // A first keyed start seals the unkeyed entries before they are judged.
  if ('ready' in deps.audit) await (deps.audit as ProcessAudit).ready();
  const anchors = await collectAnchors(deps.warehouse, [deps.config.audit.anchorFile, cfg.audit.anchor_file], deps.audit);
  const v = await verifyAuditChains(deps.warehouse, { key: deps.auditKey, anchors });
  const now = deps.now();
  const chains = v.chains.map(chainResult);
  const broken = chains.find((c) => c.first_broken);
  const result = {
    result: v.ok ? ('ok' as const) : ('broken' as const),
    verified_at: now.toISOString(),
    entries_checked: v.entries,
    anchors_checked: v.anchorsChecked,
    /** The first break of the first broken chain (chains in writer order). */
    first_broken: broken ? { writer: broken.writer, ...broken.first_broken! } : null,
    chains,
    verifier_version: VERIFIER_VERSION,
  };
  // One kept row per chain; a run over an empty audit keeps one row for the (empty) chain ''.
  const kept = chains.length ? chains : [chainResult({ writer: '', ok: true, entries: 0, anchorsChecked: 0 })];
  await insertAuditVerifications(deps.warehouse, kept.map((c) => ({
    verified_at: now.getTime(),
    verified_by: who.actor,
    writer: c.writer,
    entries_checked: c.entries_checked,
    to_seq: c.head?.seq ?? 0,
    head_hash: c.head?.hash ?? '',
    anchors_checked: c.anchors_checked,
    anchored_seq: c.anchored?.seq ?? null,
    anchored_hash: c.anchored?.entry_hash ?? '',
    result: c.result,
    first_break_seq: c.first_broken?.seq ?? null,
    reason: c.first_broken?.reason ?? '',
    verifier_version: VERIFIER_VERSION,
  })));
  await deps.audit.record({
    ...auditWho(who), action: 'compliance.audit_verify',
    params: { result: result.result, first_broken: broken?.first_broken?.seq ?? null, ...(broken ? { chain: broken.writer } : {}) }, rows: v.entries,
  });
  return result;
}
