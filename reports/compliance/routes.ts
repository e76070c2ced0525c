import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app/deps.ts';
import { auditWho, requireRole } from '../../app/auth.ts';
import { HttpError } from '../../app/http-error.ts';
import { documentRoutes } from '../../app/openapi.ts';
import { mountReports, parseWith, route, type ParamInput, type ReportRoute, type AnyReportRoute } from '../endpoint.ts';
import type { ColumnSpec } from '../format.ts';
import { dateTimeSchema, instantSchema } from '../range.ts';
import { erasureRequests } from '../../warehouse/queries/compliance/erasure.ts';
import { auditEntries, auditVerifications } from '../../warehouse/queries/audit.ts';
import { auditByPerson } from '../../warehouse/queries/identity.ts';
import { privacyConfig } from './config.ts';
import { consentInputSchema, consentLedger, consentStatuses, marketingReport, recordConsent } from './consent.ts';
import { CROSS_BORDER_COLUMNS, crossBorder } from './crossborder.ts';
import { buildAccessExport, buildPortability } from './dsar.ts';
import { eraseSubject } from './erasure.ts';
import { HOLD_COLUMNS, holdsReport, liftHold, placeHold } from './holds.ts';
import { INVENTORY_COLUMNS, inventory, ROPA_COLUMNS, ropaRows } from './inventory.ts';
import { PORTABILITY_SCHEMA } from './portability.ts';
import { applyRetention, RETENTION_COLUMNS, retentionStatus } from './retention-run.ts';
import { chTime, extendRequest, findRequest, openRequest, register, REGISTER_COLUMNS, REQUEST_TYPES } from './rights.ts';
import { jurisdictionOf, parseSubjectId, type SubjectId } from './subject.ts';
import { runAuditVerification } from './verify.ts';

/**
 * The compliance API under /api/compliance, for the `privacy` role (and `admin`): a table of
 * routes served by the one report endpoint. Every call is in the access audit as
 * `compliance.<report>`, subjects as keyed hashes.
 *
 * Every route here needs an all-WABA scope (403 otherwise): a data subject's rights (export,
 * portability, erasure, holds, consent) cover everything held on the person, whichever business
 * they wrote to; the access audit, retention and inventory are about the whole store. A partial
 * answer to a rights request would be a wrong one.
 */

const BAD_SUBJECT = 'wa_id must be a phone number (6–15 digits, optionally with + and separators) or a business-scoped user id (CC.alphanumerics)';

function subjectOf(body: unknown): SubjectId {
  const s = parseSubjectId((body as { wa_id?: unknown } | undefined)?.wa_id);
  if (!s) throw new HttpError(400, BAD_SUBJECT, { body: { parameter: 'wa_id' } });
  return s;
}

const jurisdiction = z.enum(['gdpr', 'lgpd', 'both']).optional();
const subject = z.object({ wa_id: z.string().describe('phone number or business-scoped user id') });
const dsarBody = z.object({ request_id: z.string().optional(), jurisdiction }).passthrough();
const erasureBody = z.object({ legal_ground: z.string().trim().min(1).max(300), request_id: z.string().optional(), jurisdiction }).passthrough();
const holdBody = z.object({ reason: z.string().trim().min(1).max(500), legal_reference: z.string().max(300).default(''), review_at: dateTimeSchema.optional() }).passthrough();
/** A JSON body naming a subject, for the OpenAPI document. */
const bodyOf = (schema?: z.ZodObject) => ({ contentType: 'application/json', schema: schema ? subject.extend(schema.shape) : subject });

/** from and to: ISO dates or date-times within the bounds; by default everything up to tomorrow. */
const rangeSchema = z.object({ from: instantSchema.optional(), to: instantSchema.optional(), view: z.string().optional() });

function rangeOf({ query, now }: ParamInput): { from: Date; to: Date; view?: string } {
  const flat = Object.fromEntries(['from', 'to', 'view'].filter((k) => query[k] !== undefined && query[k] !== '').map((k) => [k, query[k]]));
  const q = parseWith(rangeSchema, flat);
  const from = q.from ?? new Date(0);
  const to = q.to ?? new Date(now.getTime() + 86_400_000);
  return { from, to, ...(q.view ? { view: q.view } : {}) };
}
const rangeAudit = (p: { from: Date; to: Date; view?: string }) => ({ from: p.from.toISOString(), to: p.to.toISOString(), ...(p.view ? { view: p.view } : {}) });

const columns = (names: string[], typeOf: (name: string) => string = () => 'String'): ColumnSpec[] => names.map((name) => ({ name, type: typeOf(name) }));

const ERASURE_COLUMNS = columns(
  ['request_id', 'subject_hash', 'jurisdiction', 'legal_ground', 'requested_by', 'received_at', 'completed_at', 'status', 'hold_ids', 'tables_json', 'receipt_sha256'],
  (n) => (n === 'completed_at' ? 'Nullable(String)' : 'String'),
);
const CONSENT_STATUS_COLUMNS = columns(
  ['subject', 'subject_hash', 'current_status', 'since', 'last_source', 'last_opt_in_at', 'last_opt_out_at', 'events'],
  (n) => (n === 'events' ? 'UInt32' : n.startsWith('last_opt') ? 'Nullable(String)' : 'String'),
);
const CONSENT_LEDGER_COLUMNS = columns(['event_id', 'subject', 'subject_hash', 'action', 'scope', 'source', 'ts', 'proof_ref']);
const VIOLATION_COLUMNS = columns(
  ['message_id', 'sent_at', 'subject', 'subject_hash', 'waba_id', 'business_phone_number_id', 'pricing_category', 'conversation_origin_type', 'callback_data',
    'consent_status_at_send', 'last_opt_in_at', 'last_opt_out_at', 'opt_out_source', 'minutes_after_opt_out', 'delivery_status', 'violation_type'],
  (n) => (n === 'minutes_after_opt_out' ? 'Nullable(Int64)' : n.startsWith('last_opt') ? 'Nullable(String)' : 'String'),
);
const AUDIT_COLUMNS = columns(
  ['seq', 'at', 'actor', 'role', 'action', 'params_json', 'rows_returned', 'export_sha256', 'prev_hash', 'entry_hash'],
  (n) => (n === 'seq' ? 'UInt64' : n === 'rows_returned' ? 'Nullable(UInt64)' : 'String'),
);
const PERSON_COLUMNS = columns(
  ['actor', 'email', 'display_name', 'sign_in_methods', 'sign_ins', 'sign_ins_without_mfa', 'failed_sign_ins', 'lockouts', 'sessions_ended', 'report_runs', 'refused', 'first_at', 'last_at'],
  (n) => (/^(sign_ins|sign_ins_without_mfa|failed_sign_ins|lockouts|sessions_ended|report_runs|refused)$/.test(n) ? 'UInt64' : 'String'),
);
const VERIFICATION_COLUMNS = columns(
  ['verified_at', 'verified_by', 'entries_checked', 'to_seq', 'head_hash', 'anchors_checked', 'anchored_seq', 'anchored_hash', 'result', 'first_break_seq', 'reason', 'verifier_version'],
  (n) => (/^(entries_checked|to_seq|anchors_checked)$/.test(n) ? 'UInt64' : /seq$/.test(n) ? 'Nullable(UInt64)' : 'String'),
);

/** A report of the compliance module: `compliance.<name>`, exported as `<name>-<date>.<format>`. */
function report<P = Record<string, unknown>>(path: string, name: string, r: Omit<ReportRoute<P>, 'path' | 'role' | 'action'>): ReportRoute<P> {
  return route({ path, role: 'privacy', wabas: 'all', action: `compliance.${name}`, audit: () => ({}), filename: (_p, now) => `${name}-${now.toISOString().slice(0, 10)}`, ...r });
}

/** An operation on a subject or the store (POST): its own audit entry, refusals by the endpoint. */
function operation<P>(path: string, name: string, r: Omit<ReportRoute<P>, 'path' | 'role' | 'action' | 'method'>): ReportRoute<P> {
  return route({ method: 'post', path, role: 'privacy', wabas: 'all', action: `compliance.${name}`, audit: () => ({}), selfAudited: true, ...r });
}

export function complianceRoutes(deps: AppDeps): AnyReportRoute[] {
  const cfg = () => privacyConfig(deps.config.file);
  const wh = deps.warehouse;
  const hashed = <T extends { subject: string }>(rows: T[]) => rows.map((r) => ({ ...r, subject_hash: deps.pseudonyms.subject(r.subject) }));
  return [
    report('/api/compliance/inventory', 'pii_inventory', { columns: INVENTORY_COLUMNS, run: async () => ({ rows: await inventory(wh, cfg(), deps.config.ingest.retainMs) }) }),
    report('/api/compliance/processing', 'records_of_processing', { columns: ROPA_COLUMNS, run: async () => ({ rows: ropaRows(await inventory(wh, cfg(), deps.config.ingest.retainMs), cfg()) }) }),
    report('/api/compliance/retention', 'retention_status', { columns: RETENTION_COLUMNS, run: async ({ now }) => ({ rows: await retentionStatus(wh, cfg(), now) }) }),
    report('/api/compliance/holds', 'legal_holds', { columns: HOLD_COLUMNS, run: async () => ({ rows: await holdsReport(deps) }) }),
    report('/api/compliance/cross-border', 'cross_border', { columns: CROSS_BORDER_COLUMNS, run: async () => ({ rows: await crossBorder(wh, cfg()) }) }),
    report('/api/compliance/requests', 'rights_requests', {
      columns: REGISTER_COLUMNS, params: rangeOf, query: rangeSchema, audit: rangeAudit,
      run: async ({ params: { from, to } }) => ({ rows: await register(deps, from, to) }),
    }),
    report('/api/compliance/erasures', 'erasure_log', {
      columns: ERASURE_COLUMNS, params: rangeOf, query: rangeSchema, audit: rangeAudit,
      run: async ({ params: { from, to } }) => ({ rows: (await erasureRequests(wh, { from: chTime(from), to: chTime(to) })).map((r) => ({ ...r, hold_ids: r.hold_ids.join(' ') })) }),
    }),
    report('/api/compliance/consent', 'consent', {
      params: rangeOf, query: rangeSchema, audit: rangeAudit,
      columns: (p) => (p.view === 'status' ? CONSENT_STATUS_COLUMNS : CONSENT_LEDGER_COLUMNS),
      filename: (p, now) => `consent_${p.view === 'status' ? 'status' : 'ledger'}-${now.toISOString().slice(0, 10)}`,
      run: async ({ params: { from, to, view } }) =>
        view === 'status'
          ? { rows: hashed(await consentStatuses(deps, from, to)) }
          : { rows: hashed((await consentLedger(deps, from, to)).map((e) => ({ ...e, ts: new Date(e.ts).toISOString() }))) },
    }),
    report('/api/compliance/marketing', 'marketing', {
      params: rangeOf, query: rangeSchema, audit: rangeAudit, columns: VIOLATION_COLUMNS,
      filename: (_p, now) => `marketing_violations-${now.toISOString().slice(0, 10)}`,
      run: async ({ params: { from, to, view } }) => {
        const { violations, summary } = await marketingReport(deps, from, to);
        return view === 'summary' ? { json: summary, rows: 1 } : { rows: violations };
      },
    }),
    report('/api/compliance/audit', 'access_audit', {
      columns: AUDIT_COLUMNS, params: rangeOf, query: rangeSchema, audit: rangeAudit,
      run: async ({ params: { from, to } }) => ({ rows: await auditEntries(wh, { from: chTime(from), to: chTime(to) }) }),
    }),
    report('/api/compliance/audit/people', 'access_audit_by_person', {
      columns: PERSON_COLUMNS, params: rangeOf, audit: rangeAudit,
      run: async ({ params: { from, to } }) => ({ rows: await auditByPerson(wh, { from: chTime(from), to: chTime(to) }) }),
    }),
    report('/api/compliance/audit/verifications', 'audit_verifications', { columns: VERIFICATION_COLUMNS, run: async () => ({ rows: await auditVerifications(wh, {}) }) }),
    route({
      path: '/api/compliance/audit/verify', role: 'privacy', wabas: 'all', action: 'compliance.audit_verify', selfAudited: true,
      run: async ({ principal }) => ({ json: await runAuditVerification(deps, principal) }),
    }),

    operation('/api/compliance/dsar', 'dsar', {
      summary: "a data subject's access export (statement, JSONL/CSV, SHA-256 manifest) as a zip", body: bodyOf(dsarBody), answers: { contentType: 'application/zip' },
      params: ({ body }) => ({ subject: subjectOf(body), ...parseWith(dsarBody, body ?? {}) }),
      run: async ({ principal, params }) => {
        const out = await buildAccessExport(deps, principal, { subject: params.subject, jurisdiction: params.jurisdiction, rightsRequestId: params.request_id });
        return {
          file: out.zip, contentType: 'application/zip',
          headers: { 'Content-Disposition': `attachment; filename="${out.statement.request_id}.zip"`, 'X-Export-SHA256': out.zipSha256, 'X-Manifest-SHA256': out.manifestSha256 },
        };
      },
    }),
    operation('/api/compliance/portability', 'portability', {
      summary: "a data subject's portable copy (JSON)", body: bodyOf(),
      params: ({ body }) => subjectOf(body),
      run: async ({ principal, params }) => {
        const out = await buildPortability(deps, principal, params);
        return { file: out.body, contentType: 'application/json; charset=utf-8', headers: { 'X-Export-SHA256': out.sha256 } };
      },
    }),
    operation('/api/compliance/erasure', 'erasure', {
      summary: 'erase a data subject from every table, with per-table proof and a receipt', body: bodyOf(erasureBody),
      params: ({ body }) => ({ subject: subjectOf(body), ...parseWith(erasureBody, body ?? {}) }),
      run: async ({ principal, params: p }) => ({ json: await eraseSubject(deps, principal, { subject: p.subject, legalGround: p.legal_ground, jurisdiction: p.jurisdiction, rightsRequestId: p.request_id }) }),
    }),
    operation('/api/compliance/holds', 'legal_hold', {
      summary: "place a legal hold on a subject's data (erasure refused while it stands)", body: bodyOf(holdBody), answers: { status: 201 },
      params: ({ body }) => ({ subject: subjectOf(body), ...parseWith(holdBody, body ?? {}) }),
      run: async ({ principal, params: p }) => ({
        status: 201,
        json: await placeHold(deps, principal, { subject: p.subject, reason: p.reason, legal_reference: p.legal_reference, review_at: p.review_at ? new Date(p.review_at) : null }),
      }),
    }),
    operation('/api/compliance/holds/:hold_id/release', 'legal_hold', {
      summary: 'release a legal hold',
      params: ({ path }) => String(path.hold_id),
      run: async ({ principal, params }) => {
        const out = await liftHold(deps, principal, params);
        if (!out) throw new HttpError(404, 'no such hold');
        return { json: out };
      },
    }),
    operation('/api/compliance/consent', 'consent_record', {
      summary: 'record an opt-in or opt-out', body: { contentType: 'application/json', schema: consentInputSchema }, answers: { status: 201 },
      params: ({ body }) => (subjectOf(body), parseWith(consentInputSchema, body ?? {})),
      run: async ({ principal, params }) => ({ status: 201, json: await recordConsent(deps, principal, params) }),
    }),
    operation('/api/compliance/requests', 'rights_request_open', {
      summary: 'open a rights request (due date by jurisdiction)', body: { contentType: 'application/json' }, answers: { status: 201 },
      params: ({ body }) => ({
        subject: subjectOf(body),
        ...parseWith(z.object({ type: z.enum(REQUEST_TYPES), jurisdiction, received_at: dateTimeSchema.optional(), identity_verified_at: dateTimeSchema.optional() }).passthrough(), body ?? {}),
      }),
      run: async ({ principal, params: p }) => {
        const row = await openRequest(deps, {
          type: p.type,
          subjectHash: deps.pseudonyms.subject(p.subject.id),
          jurisdiction: p.jurisdiction ?? jurisdictionOf(p.subject.id, cfg().default_jurisdiction),
          ...(p.received_at ? { receivedAt: new Date(p.received_at) } : {}),
          ...(p.identity_verified_at ? { identityVerifiedAt: new Date(p.identity_verified_at) } : {}),
          handledBy: principal.actor,
        });
        await deps.audit.record({ ...auditWho(principal), action: 'compliance.rights_request_open', params: { request_id: row.request_id, type: row.type, subject: row.subject_hash } });
        return { status: 201, json: { request_id: row.request_id, type: row.type, jurisdiction: row.jurisdiction, received_at: new Date(row.received_at).toISOString(), due_at: new Date(row.due_at).toISOString() } };
      },
    }),
    operation('/api/compliance/requests/:request_id/extend', 'rights_request_extend', {
      summary: "extend a rights request's due date", body: { contentType: 'application/json', schema: z.object({ reason: z.string() }) },
      params: ({ body, path }) => ({ id: String(path.request_id), ...parseWith(z.object({ reason: z.string().trim().min(1).max(500) }), body ?? {}) }),
      run: async ({ principal, params }) => {
        const out = await extendRequest(deps, await findRequest(deps, params.id), params.reason);
        if ('error' in out) throw new HttpError(409, out.error);
        await deps.audit.record({ ...auditWho(principal), action: 'compliance.rights_request_extend', params: { request_id: out.request_id } });
        return { json: { request_id: out.request_id, due_at: new Date(out.due_at).toISOString(), extended: true } };
      },
    }),
    operation('/api/compliance/retention/apply', 'retention_apply', {
      summary: 'set the retention TTLs of the policy on every table',
      run: async ({ principal }) => {
        const out = await applyRetention(wh, cfg());
        await deps.audit.record({ ...auditWho(principal), action: 'compliance.retention_apply', params: { changed: out.changed, failed: out.failed.map((f) => f.table) } });
        return { json: out };
      },
    }),
  ];
}

export function mountRoutes(router: Router, deps: AppDeps): void {
  mountReports(router, deps, complianceRoutes(deps));
  // A fixed document, not a report of stored data.
  documentRoutes(router, [{ method: 'get', path: '/api/compliance/portability/schema', summary: 'the JSON Schema of the portability export', access: { roles: ['privacy'] }, answers: ['application/json'] }]);
  router.get('/api/compliance/portability/schema', requireRole(deps, 'privacy'), (_req, res) => {
    res.json(PORTABILITY_SCHEMA);
  });
}
