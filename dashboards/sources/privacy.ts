import { partsOnce } from '../../warehouse/queries/parts.ts';
import { chainMemory, collectAnchors, verifyAuditChains, type AuditVerdict } from '../../app/audit-verify.ts';
import { privacyConfig } from '../../reports/compliance/config.ts';
import { consentCounts, marketingViolationCounts } from '../../reports/compliance/consent.ts';
import { retentionMemory, retentionStatus, type RetentionStatusRow } from '../../reports/compliance/retention-run.ts';
import { register, chTime } from '../../reports/compliance/rights.ts';
import { auditHourly } from '../../warehouse/queries/audit.ts';
import type { RetentionRow } from '../charts/privacy/retention.ts';
import type { RightsRequestRow } from '../charts/privacy/rights-requests.ts';
import type { ConsentInput } from '../charts/privacy/consent.ts';
import type { AuditHourRow } from '../charts/privacy/access-audit.ts';
import type { AuditChainInput } from '../charts/privacy/audit-chain.ts';
import { attempt, type SourceContext, type Unavailable } from '../source.ts';
import { labelsOf, rangeInstants } from '../query.ts';

/** The compliance report outputs the privacy dashboard draws. */
export interface PrivacyData extends Unavailable {
  retention: RetentionRow[];
  rightsRequests: RightsRequestRow[];
  consent: ConsentInput;
  accessAudit: AuditHourRow[];
  auditChain: AuditChainInput;
}

const DAY_MS = 86_400_000;

export function retentionRow(r: RetentionStatusRow, now: Date): RetentionRow {
  const oldest = r.oldest_event_time ? Date.parse(r.oldest_event_time.includes('T') ? r.oldest_event_time : `${r.oldest_event_time.replace(' ', 'T')}Z`) : NaN;
  return {
    table: r.table,
    policy_days: r.policy_days,
    oldest_age_days: Number.isFinite(oldest) ? Math.max(0, Math.round(((now.getTime() - oldest) / DAY_MS) * 10) / 10) : null,
    rows_total: r.rows_total,
    rows_past_policy: r.rows_past_policy,
    rows_dropped_on_arrival: r.rows_dropped_on_arrival,
    status: r.status,
  };
}

/** Counts per UTC day and key (an item counts `weight` times: 1, or a count it carries). */
function perDay<T>(items: readonly T[], day: (t: T) => string, key: (t: T) => string, weight: (t: T) => number = () => 1): Array<{ day: string; key: string; n: number }> {
  const m = new Map<string, { day: string; key: string; n: number }>();
  for (const it of items) {
    const d = day(it);
    const k = key(it);
    const e = m.get(`${d}|${k}`) ?? { day: d, key: k, n: 0 };
    e.n += weight(it);
    m.set(`${d}|${k}`, e);
  }
  return [...m.values()].sort((a, b) => a.day.localeCompare(b.day) || a.key.localeCompare(b.key));
}

/**
 * Reads the compliance reports for the range: retention status (now), the rights-request register,
 * the consent ledger and marketing violations, the access audit and the audit chain. WABA and phone
 * filters narrow the violations (the only rows here that name a business number).
 */
export async function loadPrivacy(ctx: SourceContext): Promise<PrivacyData> {
  const { deps, query: q, now } = ctx;
  const cfg = privacyConfig(deps.config.file);
  const { fromIso, toIso } = rangeInstants(q);
  const from = new Date(fromIso);
  const to = new Date(toIso);
  const status: Unavailable = { unavailable: [] };
  // One read of the tables' parts for the retention statistics and the audit verifier.
  const parts = partsOnce(deps.warehouse);

  const retention = await attempt(ctx, status, 'compliance.retention', ['retention'], [] as RetentionStatusRow[], () => retentionStatus(deps.warehouse, cfg, now, retentionMemory(deps.warehouse), parts));
  const requests = await attempt(ctx, status, 'compliance.requests', ['rights-requests'], [] as Awaited<ReturnType<typeof register>>, () => register(deps, from, to));
  const ledger = await attempt(ctx, status, 'compliance.consent', ['consent'], [] as Awaited<ReturnType<typeof consentCounts>>, () => consentCounts(deps, from, to));
  const marketing = await attempt(ctx, status, 'compliance.marketing', ['consent'], [] as Awaited<ReturnType<typeof marketingViolationCounts>>, () =>
    marketingViolationCounts(deps, from, to, labelsOf(q)),
  );
  const audit = await attempt(ctx, status, 'compliance.audit', ['access-audit'], [] as AuditHourRow[], () =>
    auditHourly(deps.warehouse, { from: chTime(from), to: chTime(to) }),
  );
  const chain = await attempt(ctx, status, 'compliance.audit_verify', ['audit-chain'], { ok: true, entries: 0, anchorsChecked: 0, chains: [] } as AuditVerdict, () =>
    collectAnchors(deps.warehouse, [deps.config.audit.anchorFile, cfg.audit.anchor_file], deps.audit, { memory: chainMemory(deps.warehouse), parts })
      .then((anchors) => verifyAuditChains(deps.warehouse, { key: deps.auditKey, anchors, memory: chainMemory(deps.warehouse), parts })),
  );

  const brokenChain = chain.chains.find((c) => !c.ok);
  const violations = marketing.filter((v) => (!q.waba || v.waba_id === q.waba) && (!q.phone || v.phone_number_id === q.phone));
  return {
    ...status,
    retention: retention.map((r) => retentionRow(r, now)),
    rightsRequests: requests.map((r) => ({
      request_id: r.request_id,
      type: r.type,
      jurisdiction: r.jurisdiction,
      received_at: r.received_at,
      due_at: r.due_at,
      completed_at: r.completed_at,
      status: r.status,
    })),
    consent: {
      events: ledger,
      violations: perDay(violations, (v) => v.day, (v) => v.violation, (v) => v.n).map((v) => ({ day: v.day, violation_type: v.key, n: v.n })),
    },
    accessAudit: audit,
    auditChain: {
      ok: chain.ok,
      entries: chain.entries,
      verified_at: now.toISOString(),
      first_broken_seq: brokenChain?.firstBroken?.seq ?? null,
      reason: brokenChain ? `${brokenChain.firstBroken!.reason} (chain ${JSON.stringify(brokenChain.writer)})` : null,
    },
  };
}
