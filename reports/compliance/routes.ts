import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app/deps.ts';
import { requireRole, type Principal } from '../../app/auth.ts';
import { createHash } from 'node:crypto';
import { encode, FORMATS, type ColumnSpec, type ExportFormat } from '../format.ts';
import { erasureRequests } from '../../warehouse/queries/compliance/erasure.ts';
import { auditEntries, auditVerifications } from '../../warehouse/queries/audit.ts';
import { privacyConfig } from './config.ts';
import { consentInputSchema, consentLedger, consentStatuses, marketingReport, recordConsent } from './consent.ts';
import { CROSS_BORDER_COLUMNS, crossBorder } from './crossborder.ts';
import { buildAccessExport, buildPortability } from './dsar.ts';
import { eraseSubject, ErasureRefused } from './erasure.ts';
import { HOLD_COLUMNS, holdsReport, liftHold, placeHold } from './holds.ts';
import { INVENTORY_COLUMNS, inventory, ROPA_COLUMNS, ropaRows } from './inventory.ts';
import { PORTABILITY_SCHEMA } from './portability.ts';
import { applyRetention, RETENTION_COLUMNS, retentionStatus } from './retention-run.ts';
import { chTime, extendRequest, findRequest, openRequest, register, REGISTER_COLUMNS, REQUEST_TYPES } from './rights.ts';
import { jurisdictionOf, parseSubjectId, type SubjectId } from './subject.ts';
import { runAuditVerification } from './verify.ts';

/**
 * The compliance API under /api/compliance, for the `privacy` role (and `admin`). Every report run
 * and export is written to the access audit with subjects as keyed hashes.
 */

const BAD_SUBJECT = 'wa_id must be a phone number (6–15 digits, optionally with + and separators) or a business-scoped user id (CC.alphanumerics)';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  arrow: 'application/vnd.apache.arrow.file',
  parquet: 'application/vnd.apache.parquet',
};

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function subjectOf(body: unknown): SubjectId {
  const s = parseSubjectId((body as { wa_id?: unknown } | undefined)?.wa_id);
  if (!s) throw new HttpError(400, BAD_SUBJECT);
  return s;
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new HttpError(400, z.prettifyError(r.error));
  return r.data;
}

const optionalDate = z.iso.datetime({ offset: true }).optional();
const jurisdiction = z.enum(['gdpr', 'lgpd', 'both']).optional();

function formatOf(req: Request): ExportFormat {
  const f = String(req.query.format ?? 'json');
  if (!(FORMATS as readonly string[]).includes(f)) throw new HttpError(400, `format must be one of ${FORMATS.join(', ')}`);
  return f as ExportFormat;
}

function rangeOf(req: Request, now: Date): { from: Date; to: Date } {
  const from = req.query.from ? new Date(String(req.query.from)) : new Date(0);
  const to = req.query.to ? new Date(String(req.query.to)) : new Date(now.getTime() + 86_400_000);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new HttpError(400, 'from and to must be ISO dates');
  return { from, to };
}

export function mountRoutes(router: Router, deps: AppDeps): void {
  const privacy = requireRole(deps.config.apiTokens, 'privacy');
  const cfg = () => privacyConfig(deps.config.file);
  const who = (req: Request): Principal => req.principal!;

  /**
   * Sends a report in the asked format. The run is in the access audit before the bytes leave:
   * if the audit cannot be written, nothing is handed out.
   */
  async function report(req: Request, res: Response, name: string, rows: readonly object[], columns: readonly ColumnSpec[], params: Record<string, unknown> = {}) {
    const format = formatOf(req);
    const bytes = await encode(deps.warehouse, rows as readonly Record<string, unknown>[], columns, format);
    const sha = createHash('sha256').update(bytes).digest('hex');
    await deps.audit.record({ actor: who(req).actor, role: who(req).role, action: 'report_run', params: { report: name, format, ...params }, rows: rows.length, exportSha256: sha });
    res.setHeader('Content-Type', CONTENT_TYPES[format]);
    if (format !== 'json') res.setHeader('Content-Disposition', `attachment; filename="${name}-${deps.now().toISOString().slice(0, 10)}.${format}"`);
    res.setHeader('X-Export-SHA256', sha);
    res.end(bytes);
  }
  const get = (path: string, handler: (req: Request, res: Response) => Promise<void>) =>
    router.get(path, privacy, (req, res) => {
      formatOf(req);
      return handler(req, res);
    });

  get('/api/compliance/inventory', async (req, res) => report(req, res, 'pii_inventory', await inventory(deps.warehouse, cfg()), INVENTORY_COLUMNS));
  get('/api/compliance/processing', async (req, res) => report(req, res, 'records_of_processing', ropaRows(await inventory(deps.warehouse, cfg()), cfg()), ROPA_COLUMNS));
  get('/api/compliance/retention', async (req, res) => report(req, res, 'retention_status', await retentionStatus(deps.warehouse, cfg(), deps.now()), RETENTION_COLUMNS));
  get('/api/compliance/holds', async (req, res) => report(req, res, 'legal_holds', await holdsReport(deps), HOLD_COLUMNS));
  get('/api/compliance/cross-border', async (req, res) => report(req, res, 'cross_border', await crossBorder(deps.warehouse, cfg()), CROSS_BORDER_COLUMNS));
  get('/api/compliance/requests', async (req, res) => {
    const { from, to } = rangeOf(req, deps.now());
    await report(req, res, 'rights_requests', await register(deps, from, to), REGISTER_COLUMNS, { from: from.toISOString(), to: to.toISOString() });
  });
  get('/api/compliance/erasures', async (req, res) => {
    const { from, to } = rangeOf(req, deps.now());
    const rows = await erasureRequests(deps.warehouse, { from: chTime(from), to: chTime(to) });
    await report(req, res, 'erasure_log', rows.map((r) => ({ ...r, hold_ids: r.hold_ids.join(' ') })), Object.keys(rows[0] ?? { request_id: '' }).map((name) => ({ name, type: name === 'completed_at' ? 'Nullable(String)' : 'String' })));
  });
  get('/api/compliance/consent', async (req, res) => {
    const { from, to } = rangeOf(req, deps.now());
    if (req.query.view === 'status') {
      const rows = (await consentStatuses(deps, from, to)).map((r) => ({ ...r, subject_hash: deps.pseudonyms.subject(r.subject) }));
      return report(req, res, 'consent_status', rows, ['subject', 'subject_hash', 'current_status', 'since', 'last_source', 'last_opt_in_at', 'last_opt_out_at', 'events'].map((name) => ({ name, type: name === 'events' ? 'UInt32' : name.startsWith('last_opt') ? 'Nullable(String)' : 'String' })));
    }
    const rows = (await consentLedger(deps, from, to)).map((e) => ({ ...e, ts: new Date(e.ts).toISOString(), subject_hash: deps.pseudonyms.subject(e.subject) }));
    await report(req, res, 'consent_ledger', rows, ['event_id', 'subject', 'subject_hash', 'action', 'scope', 'source', 'ts', 'proof_ref'].map((name) => ({ name, type: 'String' })));
  });
  get('/api/compliance/marketing', async (req, res) => {
    const { from, to } = rangeOf(req, deps.now());
    const { violations, summary } = await marketingReport(deps, from, to);
    if (req.query.view === 'summary') {
      await deps.audit.record({ actor: who(req).actor, role: who(req).role, action: 'report_run', params: { report: 'marketing_summary' }, rows: 1 });
      res.json(summary);
      return;
    }
    const columns = Object.keys(violations[0] ?? { message_id: '' }).map((name) => ({
      name, type: name === 'minutes_after_opt_out' ? 'Nullable(Int64)' : name.startsWith('last_opt') ? 'Nullable(String)' : 'String',
    }));
    await report(req, res, 'marketing_violations', violations, columns, { from: from.toISOString(), to: to.toISOString() });
  });
  get('/api/compliance/audit', async (req, res) => {
    const { from, to } = rangeOf(req, deps.now());
    const rows = await auditEntries(deps.warehouse, { from: chTime(from), to: chTime(to) });
    await report(req, res, 'access_audit', rows, Object.keys(rows[0] ?? { seq: 0 }).map((name) => ({ name, type: name === 'seq' ? 'UInt64' : name === 'rows_returned' ? 'Nullable(UInt64)' : 'String' })));
  });
  get('/api/compliance/audit/verifications', async (req, res) => {
    const rows = await auditVerifications(deps.warehouse, {});
    await report(req, res, 'audit_verifications', rows, Object.keys(rows[0] ?? { verified_at: '' }).map((name) => ({ name, type: /^(entries_checked|to_seq|anchors_checked)$/.test(name) ? 'UInt64' : /seq$/.test(name) ? 'Nullable(UInt64)' : 'String' })));
  });
  router.get('/api/compliance/audit/verify', privacy, async (req, res) => {
    res.json(await runAuditVerification(deps, who(req)));
  });
  router.get('/api/compliance/portability/schema', privacy, (_req, res) => {
    res.json(PORTABILITY_SCHEMA);
  });

  router.post('/api/compliance/dsar', privacy, async (req, res) => {
    const subject = subjectOf(req.body);
    const body = parse(z.object({ request_id: z.string().optional(), jurisdiction }).passthrough(), req.body);
    const out = await buildAccessExport(deps, who(req), { subject, jurisdiction: body.jurisdiction, rightsRequestId: body.request_id });
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="${out.statement.request_id}.zip"`);
    res.setHeader('X-Export-SHA256', out.zipSha256);
    res.setHeader('X-Manifest-SHA256', out.manifestSha256);
    res.end(out.zip);
  });
  router.post('/api/compliance/portability', privacy, async (req, res) => {
    const out = await buildPortability(deps, who(req), subjectOf(req.body));
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('X-Export-SHA256', out.sha256);
    res.end(out.body);
  });
  router.post('/api/compliance/erasure', privacy, async (req, res) => {
    const subject = subjectOf(req.body);
    const body = parse(z.object({ legal_ground: z.string().trim().min(1).max(300), request_id: z.string().optional(), jurisdiction }).passthrough(), req.body);
    try {
      res.json(await eraseSubject(deps, who(req), { subject, legalGround: body.legal_ground, jurisdiction: body.jurisdiction, rightsRequestId: body.request_id }));
    } catch (e) {
      if (!(e instanceof ErasureRefused)) throw e;
      res.status(409).json({ error: e.message, status: 'refused', request_id: e.requestId, holds: e.holds });
    }
  });
  router.post('/api/compliance/holds', privacy, async (req, res) => {
    const subject = subjectOf(req.body);
    const body = parse(z.object({ reason: z.string().trim().min(1).max(500), legal_reference: z.string().max(300).default(''), review_at: optionalDate }).passthrough(), req.body);
    res.status(201).json(await placeHold(deps, who(req), { subject, reason: body.reason, legal_reference: body.legal_reference, review_at: body.review_at ? new Date(body.review_at) : null }));
  });
  router.post('/api/compliance/holds/:hold_id/release', privacy, async (req, res) => {
    const out = await liftHold(deps, who(req), String(req.params.hold_id));
    if (!out) throw new HttpError(404, 'no such hold');
    res.json(out);
  });
  router.post('/api/compliance/consent', privacy, async (req, res) => {
    subjectOf(req.body);
    res.status(201).json(await recordConsent(deps, who(req), parse(consentInputSchema, req.body)));
  });
  router.post('/api/compliance/requests', privacy, async (req, res) => {
    const subject = subjectOf(req.body);
    const body = parse(z.object({ type: z.enum(REQUEST_TYPES), jurisdiction, received_at: optionalDate, identity_verified_at: optionalDate }).passthrough(), req.body);
    const row = await openRequest(deps, {
      type: body.type,
      subjectHash: deps.pseudonyms.subject(subject.id),
      jurisdiction: body.jurisdiction ?? jurisdictionOf(subject.id, cfg().default_jurisdiction),
      ...(body.received_at ? { receivedAt: new Date(body.received_at) } : {}),
      ...(body.identity_verified_at ? { identityVerifiedAt: new Date(body.identity_verified_at) } : {}),
      handledBy: who(req).actor,
    });
    await deps.audit.record({ actor: who(req).actor, role: who(req).role, action: 'rights_request_open', params: { request_id: row.request_id, type: row.type, subject: row.subject_hash } });
    res.status(201).json({ request_id: row.request_id, type: row.type, jurisdiction: row.jurisdiction, received_at: new Date(row.received_at).toISOString(), due_at: new Date(row.due_at).toISOString() });
  });
  router.post('/api/compliance/requests/:request_id/extend', privacy, async (req, res) => {
    const body = parse(z.object({ reason: z.string().trim().min(1).max(500) }), req.body);
    const row = await findRequest(deps, String(req.params.request_id));
    const out = await extendRequest(deps, row, body.reason);
    if ('error' in out) throw new HttpError(409, out.error);
    await deps.audit.record({ actor: who(req).actor, role: who(req).role, action: 'rights_request_extend', params: { request_id: out.request_id } });
    res.json({ request_id: out.request_id, due_at: new Date(out.due_at).toISOString(), extended: true });
  });
  router.post('/api/compliance/retention/apply', privacy, async (req, res) => {
    const out = await applyRetention(deps.warehouse, cfg());
    await deps.audit.record({ actor: who(req).actor, role: who(req).role, action: 'ttl_change', params: { changed: out.changed, failed: out.failed.map((f) => f.table) } });
    res.json(out);
  });
}
