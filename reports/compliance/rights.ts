import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { AppDeps } from '../../app/deps.ts';
import {
  rightsRequestById, rightsRequests, upsertRightsRequests, type RightsRequestRow,
} from '../../warehouse/queries/compliance/rights.ts';
import type { Jurisdiction } from './subject.ts';

/**
 * The rights-request register (R14): when each request arrived, when it is due and whether it was
 * answered in time. GDPR Art. 12(3): one month, extendable by two further months when the subject
 * is told within the first; LGPD Art. 19 II: a complete statement within 15 days (the same clock
 * is applied to the other LGPD rights, which the law asks to meet "without undue delay").
 */

export const REQUEST_TYPES = ['access', 'portability', 'erasure', 'rectification', 'restriction', 'objection', 'consent_revocation'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

const DAY_MS = 86_400_000;

/** Calendar arithmetic in UTC: 31 January + one month is the last day of February. */
export function dueAt(receivedAt: Date, jurisdiction: Jurisdiction, extended = false): Date {
  const t = DateTime.fromJSDate(receivedAt, { zone: 'utc' });
  const gdpr = t.plus({ months: extended ? 3 : 1 }).toJSDate();
  const lgpd = t.plus({ days: 15 }).toJSDate();
  if (jurisdiction === 'gdpr') return gdpr;
  if (jurisdiction === 'lgpd') return lgpd;
  return gdpr < lgpd ? gdpr : lgpd;
}

export interface RegisterRow {
  request_id: string;
  type: string;
  jurisdiction: string;
  subject_hash: string;
  received_at: string;
  identity_verified_at: string | null;
  simplified_reply_at: string | null;
  due_at: string;
  extended: boolean;
  extension_reason: string;
  extension_notified_at: string | null;
  status: string;
  completed_at: string | null;
  outcome_ref: string;
  handled_by: string;
  days_open: number;
  breached: boolean;
}

export const REGISTER_COLUMNS = [
  { name: 'request_id', type: 'String' }, { name: 'type', type: 'String' }, { name: 'jurisdiction', type: 'String' },
  { name: 'subject_hash', type: 'String' }, { name: 'received_at', type: 'String' }, { name: 'identity_verified_at', type: 'Nullable(String)' },
  { name: 'simplified_reply_at', type: 'Nullable(String)' }, { name: 'due_at', type: 'String' }, { name: 'extended', type: 'Bool' },
  { name: 'extension_reason', type: 'String' }, { name: 'extension_notified_at', type: 'Nullable(String)' }, { name: 'status', type: 'String' },
  { name: 'completed_at', type: 'Nullable(String)' }, { name: 'outcome_ref', type: 'String' }, { name: 'handled_by', type: 'String' },
  { name: 'days_open', type: 'UInt32' }, { name: 'breached', type: 'Bool' },
];

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A stored request as a register line, judged at `now`: days open and whether the deadline passed. */
export function registerRow(r: RightsRequestRow, now: Date): RegisterRow {
  const end = r.completed_at ?? now.getTime();
  return {
    request_id: r.request_id,
    type: r.type,
    jurisdiction: r.jurisdiction,
    subject_hash: r.subject_hash,
    received_at: iso(r.received_at)!,
    identity_verified_at: iso(r.identity_verified_at),
    simplified_reply_at: iso(r.simplified_reply_at),
    due_at: iso(r.due_at)!,
    extended: r.extended,
    extension_reason: r.extension_reason,
    extension_notified_at: iso(r.extension_notified_at),
    status: r.status,
    completed_at: iso(r.completed_at),
    outcome_ref: r.outcome_ref,
    handled_by: r.handled_by,
    days_open: Math.max(0, Math.floor((end - r.received_at) / DAY_MS)),
    breached: end > r.due_at,
  };
}

export async function openRequest(
  deps: AppDeps,
  req: { type: RequestType; subjectHash: string; jurisdiction: Jurisdiction; receivedAt?: Date; identityVerifiedAt?: Date; handledBy: string },
): Promise<RightsRequestRow> {
  const now = deps.now();
  const received = req.receivedAt ?? now;
  const row: RightsRequestRow = {
    request_id: `rr_${randomUUID()}`,
    type: req.type,
    jurisdiction: req.jurisdiction,
    subject_hash: req.subjectHash,
    received_at: received.getTime(),
    identity_verified_at: req.identityVerifiedAt?.getTime() ?? null,
    // LGPD Art. 19 I: the simplified confirmation is given at once, by the register itself.
    simplified_reply_at: req.jurisdiction !== 'gdpr' && (req.type === 'access' || req.type === 'portability') ? now.getTime() : null,
    due_at: dueAt(received, req.jurisdiction).getTime(),
    extended: false,
    extension_reason: '',
    extension_notified_at: null,
    status: 'received',
    completed_at: null,
    outcome_ref: '',
    handled_by: req.handledBy,
    updated_at: now.getTime(),
  };
  await upsertRightsRequests(deps.warehouse, [row]);
  return row;
}

/** A request id that does not exist or names another subject: the caller's mistake (400). */
export class RequestError extends Error {
  readonly status = 400;
}

/** The registered request the caller refers to; it must exist (and concern this subject, if given). */
export async function findRequest(deps: AppDeps, requestId: string, subjectHash?: string): Promise<RightsRequestRow> {
  const [row] = await rightsRequestById(deps.warehouse, { request_id: requestId });
  if (!row || (subjectHash !== undefined && row.subject_hash !== subjectHash)) throw new RequestError(`no rights request ${requestId.slice(0, 80)}${subjectHash ? ' for this subject' : ''}`);
  return row;
}

export async function settleRequest(deps: AppDeps, row: RightsRequestRow, status: 'completed' | 'refused' | 'failed', outcomeRef: string): Promise<RightsRequestRow> {
  const now = deps.now().getTime();
  const next = { ...row, status, completed_at: now, outcome_ref: outcomeRef, updated_at: Math.max(now, row.updated_at + 1) };
  await upsertRightsRequests(deps.warehouse, [next]);
  return next;
}

/** GDPR Art. 12(3): two more months, with the reason, told to the subject within the first month. */
export async function extendRequest(deps: AppDeps, row: RightsRequestRow, reason: string): Promise<RightsRequestRow | { error: string }> {
  if (row.jurisdiction !== 'gdpr') return { error: 'the LGPD has no extension of the 15-day deadline' };
  if (row.completed_at !== null) return { error: 'request already settled' };
  const now = deps.now();
  const firstDue = dueAt(new Date(row.received_at), 'gdpr').getTime();
  if (now.getTime() > firstDue) return { error: 'an extension must be notified within the first month' };
  const next = {
    ...row,
    extended: true,
    extension_reason: reason,
    extension_notified_at: now.getTime(),
    due_at: dueAt(new Date(row.received_at), 'gdpr', true).getTime(),
    status: 'extended',
    updated_at: Math.max(now.getTime(), row.updated_at + 1),
  };
  await upsertRightsRequests(deps.warehouse, [next]);
  return next;
}

export async function register(deps: AppDeps, from: Date, to: Date): Promise<RegisterRow[]> {
  const rows = await rightsRequests(deps.warehouse, { from: chTime(from), to: chTime(to) });
  return rows.map((r) => registerRow(r, deps.now()));
}

export function chTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
