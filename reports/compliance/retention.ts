import type { PrivacyConfig } from './config.ts';
import type { ClassifiedColumn } from './subject-tables.ts';
import { isSubjectKey, keyShape } from './classification.ts';
import type { ContentColumn, KeyColumn } from '../../warehouse/queries/compliance/retention.ts';

/**
 * Retention policy per table (storage limitation, GDPR Art. 5(1)(e); LGPD Arts. 15–16): how long a
 * row is kept after its time column, and how long its free-text content is. Pure: the catalogue
 * and the config in, policies and their status out.
 */

export interface RetentionPolicy {
  table: string;
  policy_id: string;
  /** null: kept without a time limit (proof of compliance, or data with no personal content). */
  days: number | null;
  time_column: string;
  content_days: number | null;
  basis: string;
  keys: KeyColumn[];
  content_columns: ContentColumn[];
}

type Kind = 'raw' | 'items' | 'consent' | 'accounting' | 'keep';
const ACCOUNTING = 'accounting records (tax law commonly asks 5–10 years); no personal data: messages named by a keyed substitute';
const INGEST: Record<string, { kind: Kind; time: string; basis?: string }> = {
  raw_webhooks_v1: { kind: 'raw', time: 'received_at' },
  messages_v1: { kind: 'items', time: 'ts' },
  statuses_v1: { kind: 'items', time: 'ts' },
  message_echoes_v1: { kind: 'items', time: 'ts' },
  user_preferences_v1: { kind: 'consent', time: 'ts' },
  contacts_v1: { kind: 'items', time: 'seen_at' },
  webhook_errors_v1: { kind: 'items', time: 'received_at' },
  unknown_items_v1: { kind: 'items', time: 'received_at' },
  consent_events_v1: { kind: 'consent', time: 'captured_at' },
  compliance_snapshots_v1: { kind: 'items', time: 'taken_at' },
  // A label says something about a person (docs/LABELS.md): kept as long as the messages it slices.
  label_events_v1: { kind: 'items', time: 'at' },
  // A template send names its customer (wa_id, wamid): kept as long as the statuses it is read from.
  template_sends_v1: { kind: 'items', time: 'first_ts' },
  // The CSAT surveys sent (wa_id): kept as long as the statuses they are copied from.
  csat_surveys_v1: { kind: 'items', time: 'ts' },
  csat_credits_v1: { kind: 'items', time: 'sent_at' },
  // The marketing-flagged statuses (recipient): kept as long as the statuses they are copied from.
  marketing_statuses_v1: { kind: 'items', time: 'ts' },
  // The keyword messages and 131050 refusals (subject): kept as long as the items they are copied from.
  consent_signals_v1: { kind: 'items', time: 'ts' },
  // Who each keyed message went to (wa_id): kept as long as the statuses it is copied from.
  billing_message_customers_v1: { kind: 'items', time: 'ts' },
  access_audit_v1: { kind: 'keep', time: 'at', basis: 'proof of who accessed personal data (GDPR Art. 5(2); LGPD Art. 6 X); holds keyed hashes only' },
  erasure_requests_v1: { kind: 'keep', time: 'received_at', basis: 'proof of erasure (GDPR Art. 17, 5(2); LGPD Art. 18 VI); keyed hashes only' },
  erasure_suppression_v1: { kind: 'keep', time: 'added_at', basis: 'keeps erased subjects from being stored again; keyed hashes only' },
  rights_requests_v1: { kind: 'keep', time: 'received_at', basis: 'register of rights requests (GDPR Art. 12; LGPD Art. 19); keyed hashes only' },
  legal_holds_v1: { kind: 'keep', time: 'start_at', basis: 'legal holds; released holds forget the ids they named' },
  audit_anchors_v1: { kind: 'keep', time: 'anchored_at', basis: 'integrity anchors of the access audit' },
  audit_verifications_v1: { kind: 'keep', time: 'verified_at', basis: 'integrity checks of the access audit' },
  billing_statuses_v1: { kind: 'accounting', time: 'ts', basis: ACCOUNTING },
  billing_messages_v1: { kind: 'accounting', time: 'charge_ts', basis: ACCOUNTING },
  billing_conversations_v1: { kind: 'accounting', time: 'first_ts', basis: ACCOUNTING },
  retention_dropped_v1: { kind: 'keep', time: 'day', basis: 'counts of rows not stored because retention had passed on arrival; no personal data' },
};

function policyDays(kind: Kind, r: PrivacyConfig['retention']): number | null {
  if (kind === 'raw') return r.raw_days;
  if (kind === 'items') return r.items_days;
  if (kind === 'consent') return r.consent_days;
  if (kind === 'accounting') return r.accounting_days;
  return null;
}

/**
 * The row retention of a table from the config alone (no catalogue): what its TTL removes, so what
 * a row arriving already past it will not be stored. Undefined when the table has no time limit.
 */
export function rowRetention(table: string, cfg: PrivacyConfig): { days: number; time_column: string } | undefined {
  const override = cfg.retention.tables[table];
  const builtIn = INGEST[table];
  const days = override ? override.days : builtIn ? policyDays(builtIn.kind, cfg.retention) : null;
  const time = override?.time_column ?? builtIn?.time;
  return days !== null && time ? { days, time_column: time } : undefined;
}

/** Policies for every table with storage: ingest defaults, then `privacy.retention.tables` overrides. */
export function resolvePolicies(columns: readonly ClassifiedColumn[], cfg: PrivacyConfig, sortingKeys: ReadonlyMap<string, string>): RetentionPolicy[] {
  const tables = [...new Set(columns.map((c) => c.table))].sort();
  const out: RetentionPolicy[] = [];
  for (const table of tables) {
    const cols = columns.filter((c) => c.table === table);
    const names = new Set(cols.map((c) => c.name));
    const override = cfg.retention.tables[table];
    const builtIn = INGEST[table];
    if (!override && !builtIn) continue;
    const time = override?.time_column ?? builtIn!.time;
    if (!names.has(time)) continue;
    const days = override ? override.days : policyDays(builtIn!.kind, cfg.retention);
    const content = override?.content_days ?? (builtIn && builtIn.kind !== 'keep' ? cfg.retention.content_days : null);
    const sortKey = sortingKeys.get(table) ?? '';
    out.push({
      table,
      policy_id: override ? `config:${table}` : `default:${builtIn!.kind}`,
      days,
      time_column: time,
      content_days: content !== null && (days === null || content < days) ? content : null,
      basis: builtIn?.basis ?? (days === null ? 'kept without a time limit by configuration' : 'storage limitation (GDPR Art. 5(1)(e); LGPD Art. 15)'),
      keys: cols.filter((c) => c.classification && isSubjectKey(c.classification) && keyShape(c.type)).map((c) => ({ column: c.name, shape: keyShape(c.type)! })),
      content_columns: cols
        .filter((c) => c.classification?.class === 'pii:content' && !inKey(sortKey, c.name) && /^(Nullable\()?(LowCardinality\()?String\)*$|^Nullable\(/.test(c.type))
        .map((c) => ({ column: c.name, type: c.type })),
    });
  }
  return out;
}

function inKey(sortingKey: string, column: string): boolean {
  return sortingKey.split(',').map((s) => s.trim()).includes(column);
}

export interface ParsedTtl {
  expression: string;
  time_column: string | undefined;
  days: number | undefined;
  hold_aware: boolean;
}

/** The table-level TTL as ClickHouse reports it in `create_table_query` (column TTLs excluded). */
export function parseTableTtl(createTableQuery: string): ParsedTtl | undefined {
  const engineAt = createTableQuery.search(/\)\s+ENGINE\s*=/);
  const tail = engineAt >= 0 ? createTableQuery.slice(engineAt) : createTableQuery;
  const m = /\sTTL\s+(.+?)(?:\s+SETTINGS\s|$)/s.exec(tail);
  if (!m) return undefined;
  const expression = m[1]!.trim();
  const parts = /^toDateTime\(`?([A-Za-z_][A-Za-z0-9_]*)`?\)\s*\+\s*toIntervalDay\((\d+)\)/.exec(expression);
  return {
    expression,
    time_column: parts?.[1],
    days: parts ? Number(parts[2]) : undefined,
    hold_aware: expression.includes('legal_hold_subjects_v1'),
  };
}

/** Whether the TTL in place is the one the policy asks for (period, column, hold exemption). */
export function ttlMatches(policy: RetentionPolicy, ttl: ParsedTtl | undefined): boolean {
  if (policy.days === null) return ttl === undefined;
  if (!ttl) return false;
  return ttl.days === policy.days && ttl.time_column === policy.time_column && ttl.hold_aware === policy.keys.length > 0;
}

export type RetentionState = 'OK' | 'WARN' | 'BREACH';

export function retentionState(s: {
  days: number | null;
  ttl_matches: boolean;
  rows_past_policy: number;
  held_past_policy: number;
  content_past_policy: number;
  pending_mutations: number;
}): { status: RetentionState; reason: string } {
  const unheld = s.rows_past_policy - s.held_past_policy;
  if (s.days !== null && !s.ttl_matches && unheld > 0) return { status: 'BREACH', reason: `${unheld} rows past policy and no matching TTL` };
  if (s.days !== null && !s.ttl_matches) return { status: 'WARN', reason: 'TTL does not match the policy' };
  if (unheld > 0) return { status: 'WARN', reason: `${unheld} rows past policy await the next TTL merge` };
  if (s.content_past_policy > 0) return { status: 'WARN', reason: `${s.content_past_policy} rows keep content past the content policy` };
  if (s.pending_mutations > 0) return { status: 'WARN', reason: `${s.pending_mutations} mutations pending` };
  return { status: 'OK', reason: '' };
}
