import { chainMemory, collectAnchors, verifyAuditChains } from '../../../app/audit-verify.ts';
import type { AppDeps } from '../../../app/deps.ts';
import { privacyConfig } from '../../compliance/config.ts';
import type { Warehouse } from '../../../warehouse/client.ts';
import type { PartsSnapshot } from '../../../warehouse/queries/parts.ts';
import type { AlertItem } from '../state.ts';

/** Rules on the service itself: the warehouse not answering, an old ingest backlog, an access-audit chain that no longer verifies. */

export async function warehouseItems(wh: Warehouse): Promise<AlertItem[]> {
  const reachable = await wh.ping().catch(() => false);
  return reachable ? [] : [{ key: 'warehouse', waba_id: '', rank: 0, detail: { warehouse: wh.mode, reachable: 'no' } }];
}

/** How far behind the warehouse this instance's ingest log is (the figures /healthz shows). */
export function backlogItems(deps: AppDeps, maxAgeSeconds: number, now: number): AlertItem[] {
  const b = deps.ingestBacklog?.(now);
  if (!b || b.backlog_age_seconds <= maxAgeSeconds) return [];
  return [{ key: 'ingest', waba_id: '', rank: b.backlog_age_seconds, detail: { backlog_age_seconds: b.backlog_age_seconds, backlog_bytes: b.backlog_bytes } }];
}

/** The verdict of one evaluation, shared by its audit-chain rules. */
export type ChainCache = { verdict?: ReturnType<typeof verifyAuditChains>; parts?: () => Promise<PartsSnapshot | null> };

async function verdictOf(deps: AppDeps, parts: ChainCache['parts']): ReturnType<typeof verifyAuditChains> {
  // The anchors outside the store too: a truncated or rewritten chain is detected by them.
  const memory = chainMemory(deps.warehouse);
  const anchors = await collectAnchors(deps.warehouse, [deps.config.audit.anchorFile, privacyConfig(deps.config.file).audit.anchor_file], deps.audit, parts ? { memory, parts } : undefined);
  // Walked on from the process's last pass (the evaluation before, or a privacy dashboard load).
  return verifyAuditChains(deps.warehouse, { key: deps.auditKey, anchors, memory, ...(parts ? { parts } : {}) });
}

export async function auditChainItems(deps: AppDeps, cache: ChainCache = {}): Promise<AlertItem[]> {
  cache.verdict ??= verdictOf(deps, cache.parts);
  const verdict = await cache.verdict;
  return verdict.chains
    .filter((c) => !c.ok)
    .map((c) => ({
      key: `chain:${c.writer}`, waba_id: '', rank: 0,
      detail: { writer: c.writer, first_broken_seq: c.firstBroken?.seq ?? null, reason: c.firstBroken?.reason ?? 'anchor mismatch' },
    }));
}
