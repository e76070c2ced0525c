import type { RetentionRow } from '../charts/privacy/retention.ts';
import type { RightsRequestRow } from '../charts/privacy/rights-requests.ts';
import type { ConsentInput } from '../charts/privacy/consent.ts';
import type { AuditEntryRow } from '../charts/privacy/access-audit.ts';
import type { AuditChainInput } from '../charts/privacy/audit-chain.ts';
import type { SourceContext } from '../source.ts';

/** The compliance report outputs the privacy dashboard draws. */
export interface PrivacyData {
  retention: RetentionRow[];
  rightsRequests: RightsRequestRow[];
  consent: ConsentInput;
  accessAudit: AuditEntryRow[];
  auditChain: AuditChainInput;
}

export async function loadPrivacy(ctx: SourceContext): Promise<PrivacyData> {
  return {
    retention: [],
    rightsRequests: [],
    consent: { events: [], violations: [] },
    accessAudit: [],
    auditChain: { ok: true, entries: 0, verified_at: ctx.now.toISOString(), first_broken_seq: null, reason: null },
  };
}
