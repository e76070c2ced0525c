import type { PartsSnapshot } from '../../../warehouse/queries/parts.ts';
import type { AppDeps } from '../../../app/deps.ts';
import { privacyConfig } from '../../compliance/config.ts';
import { retentionMemory, retentionStatus } from '../../compliance/retention-run.ts';
import { register } from '../../compliance/rights.ts';
import type { AlertRule } from '../config.ts';
import type { AlertItem } from '../state.ts';

/**
 * Privacy rules on the compliance reports: an open rights request within N days of its legal due
 * date (or past it), and a table in retention breach. Items name the request id and the table; never
 * the subject (not even its keyed hash).
 */

type PrivacyRule = Extract<AlertRule, { kind: 'rights_request_due' | 'retention_breach' }>;

const DAY_MS = 86_400_000;

/** The reads of one evaluation shared by its privacy rules: the register and the retention status, once each. */
export interface PrivacyCache {
  register?: ReturnType<typeof register>;
  retention?: ReturnType<typeof retentionStatus>;
  /** The evaluation's snapshot of the tables' parts. */
  parts?: () => Promise<PartsSnapshot | null>;
}

export async function privacyItems(rule: PrivacyRule, deps: AppDeps, now: number, cache: PrivacyCache = {}): Promise<AlertItem[]> {
  if (rule.kind === 'rights_request_due') {
    cache.register ??= register(deps, new Date(0), new Date(now + DAY_MS));
    const open = (await cache.register).filter((r) => r.completed_at === null);
    return open
      .filter((r) => Date.parse(r.due_at) - now <= rule.days_before * DAY_MS)
      .map((r) => ({
        key: r.request_id, waba_id: '', rank: now - Date.parse(r.due_at),
        detail: {
          request_id: r.request_id, type: r.type, jurisdiction: r.jurisdiction, received_at: r.received_at, due_at: r.due_at,
          days_left: Math.floor((Date.parse(r.due_at) - now) / DAY_MS), status: r.status,
        },
      }));
  }
  cache.retention ??= retentionStatus(deps.warehouse, privacyConfig(deps.config.file), new Date(now), retentionMemory(deps.warehouse), cache.parts);
  const status = await cache.retention;
  return status
    .filter((r) => r.status === 'BREACH')
    .map((r) => ({ key: r.table, waba_id: '', rank: r.rows_past_policy, detail: { table: r.table, policy_days: r.policy_days, rows_past_policy: r.rows_past_policy, reason: r.breach_reason } }));
}
