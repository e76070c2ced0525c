import { HttpError } from '../../app/http-error.ts';
import { createHash, randomUUID } from 'node:crypto';
import type { AppDeps } from '../../app/deps.ts';
import { auditWho, type Principal } from '../../app/auth.ts';
import { insertErasureRequest, insertSuppression } from '../../warehouse/queries/compliance/erasure.ts';
import {
  clearErasureTargets, deleteTargetRows, deleteTargetsSql, fillErasureTargets, insertRewrittenBodies, rawRowsOfSubjects, waitForDeletions,
} from '../../warehouse/queries/compliance/erasure-set.ts';
import { countSubjectRows, subjectFootprint, type SubjectTableSpec } from '../../warehouse/queries/compliance/subjects.ts';
import { RAW_TABLE, type RawWebhookRow } from '../../warehouse/tables.ts';
import { traceText, withoutSubjects } from '../../ingest/body-filter.ts';
import { privacyConfig } from './config.ts';
import { removeOldCopies } from './erasure-copies.ts';
import { chooseMethods, type ErasureMethodSetting, type TableMethod } from './erasure-method.ts';
import { purgeDueAt } from './purge.ts';
import { eraseFiles, type ErasureFileEvidence } from './erasure-files.ts';
import { activeHolds, subjectIdentifiers } from './holds.ts';
import { findRequest, openRequest, settleRequest } from './rights.ts';
import { discoverSubjectTables } from './subject-tables.ts';
import { jurisdictionOf, type Jurisdiction, type SubjectId } from './subject.ts';
import { subjectScreen } from './suppression.ts';
import { eraseTraces, subjectNames, traceNeedles } from './traces.ts';
import type { TraceNeedles } from '../../warehouse/queries/compliance/traces.ts';
import { labelRefresh } from '../labels/refresh.ts';
import { clearChargeLabels } from '../../warehouse/queries/labels/charge-sets.ts';
import { LABEL_EVENTS } from '../../warehouse/schema/labels.ts';

/**
 * Erasure with proof (R7; GDPR Art. 17; LGPD Art. 18 VI): every table that holds the subject (found
 * by the classification, raw bodies included) is cleared, the deletion is waited for, a query per
 * table must then return zero rows, the copies the deletion replaced must be gone from disk, and a
 * receipt with its own SHA-256 records it. Raw bodies that batched other people keep their items:
 * they are stored again without the subject's. The ingest log and archived snapshots on this
 * instance's disk are cleared too. No identifier is written to disk on the way: the deletions read
 * the ids from an in-memory set. The subject's keyed hash goes on the suppression list first, so
 * re-deliveries are not stored again.
 */

export interface ErasureTableEvidence {
  table: string;
  rows_before: number;
  rows_after: number;
  rows_after_physical: number;
  /** Inactive parts (pre-deletion copies) of the table still on disk when the receipt was made. */
  inactive_copies_after: number;
  /** When those copies are due to be removed (absent once they are gone). */
  copies_gone_by?: string;
  method: string;
  statement_sha256: string;
}

export interface ErasureReceipt {
  request_id: string;
  rights_request_id: string;
  status: 'completed' | 'incomplete' | 'logically_deleted';
  subject_hash: string;
  identifiers_searched: number;
  jurisdiction: Jurisdiction;
  legal_ground: string;
  requested_by: string;
  received_at: string;
  suppression_added_at: string;
  tables: ErasureTableEvidence[];
  /** Stores outside the warehouse on this instance's disk (ingest log, dashboard snapshots). */
  files: ErasureFileEvidence[];
  /** Status `logically_deleted`: when the last copies on disk are due to go; null once gone. */
  purge_due_at: string | null;
  verification: string;
  verified_at: string;
  receipt_sha256: string;
}

/** 409: the subject is under legal hold. The refusal is already in the access audit. */
export class ErasureRefused extends HttpError {
  readonly audited = true;
  constructor(readonly holds: Array<{ hold_id: string; reason: string; legal_reference: string; review_at: string | null }>, readonly requestId: string) {
    super(409, `erasure refused: subject is under legal hold ${holds.map((h) => h.hold_id).join(', ')}`, { body: { status: 'refused', request_id: requestId, holds } });
  }
}

/** SHA-256 of the receipt's JSON without its own hash (keys in the order of the interface). */
export function receiptHash(receipt: Omit<ErasureReceipt, 'receipt_sha256'>): string {
  return createHash('sha256').update(JSON.stringify(receipt)).digest('hex');
}

export async function eraseSubject(
  deps: AppDeps,
  who: Principal | { actor: string; role: 'system' },
  input: { subject: SubjectId; legalGround: string; jurisdiction?: Jurisdiction; rightsRequestId?: string; register?: boolean },
): Promise<ErasureReceipt> {
  const wh = deps.warehouse;
  const cfg = privacyConfig(deps.config.file);
  const received = deps.now();
  const requestId = `er_${randomUUID()}`;
  const subjectHash = deps.pseudonyms.subject(input.subject.id);
  const jurisdiction = input.jurisdiction ?? jurisdictionOf(input.subject.id, cfg.default_jurisdiction);
  // The nightly sweep re-erases without a new entry in the rights-request register.
  const rights =
    input.register === false
      ? undefined
      : input.rightsRequestId
        ? await findRequest(deps, input.rightsRequestId, subjectHash)
        : await openRequest(deps, { type: 'erasure', subjectHash, jurisdiction, receivedAt: received, handledBy: who.actor });
  const ids = await subjectIdentifiers(deps, input.subject);

  const holds = await activeHolds(deps, ids);
  if (holds.length > 0) {
    await insertErasureRequest(wh, [{
      request_id: requestId, subject_hash: subjectHash, jurisdiction, legal_ground: input.legalGround, requested_by: who.actor,
      received_at: received.getTime(), completed_at: deps.now().getTime(), status: 'refused', hold_ids: holds.map((h) => h.hold_id),
      tables_json: '[]', receipt_json: '', receipt_sha256: '',
    }]);
    if (rights) await settleRequest(deps, rights, 'refused', holds.map((h) => h.hold_id).join(' '));
    await deps.audit.record({
      ...auditWho(who), action: 'compliance.erasure',
      params: { status: 'refused', subject: subjectHash, request_id: requestId, holds: holds.map((h) => h.hold_id), legal_ground: input.legalGround },
    });
    throw new ErasureRefused(holds.map((h) => ({ hold_id: h.hold_id, reason: h.reason, legal_reference: h.legal_reference, review_at: h.review_at })), requestId);
  }

  // Stop storing the subject before deleting, so a delivery arriving meanwhile is not kept.
  const suppressedAt = deps.now();
  const screen = subjectScreen(wh, deps.pseudonyms, deps.log);
  for (const id of ids) {
    const h = deps.pseudonyms.subject(id);
    await insertSuppression(wh, [{ subject_hash: h, request_id: requestId, added_at: suppressedAt.getTime() }]);
    screen.add(h);
  }

  // The charges kept after erasure (facts name no one) stop counting under the subject's labels;
  // done while the rows saying whose they were still stand.
  await clearChargeLabels(wh, ids);

  const tables = await discoverSubjectTables(wh);
  // Names are read before the rows holding them go: the text search looks for them too.
  const needles = traceNeedles(ids, await subjectNames(wh, tables, ids));
  const evidence = await eraseTables(deps, tables, ids, cfg.erasure, requestId, needles);
  const files = await eraseFiles(deps, ids);
  // The label sets held in memory are rebuilt without the subject's labels.
  if (evidence.some((e) => e.table === LABEL_EVENTS.name && e.rows_before > 0)) await labelRefresh(wh).changed([]);

  const clean = evidence.every((e) => e.rows_after === 0) && files.every((f) => f.found_after === 0);
  const purged = evidence.every((e) => e.rows_after_physical === 0 && e.inactive_copies_after === 0);
  // Masked rows (a lightweight DELETE) go with the next purge (reports/compliance/purge.ts); left copies when the engine removes them.
  const masked = evidence.some((e) => e.rows_after_physical > 0) ? purgeDueAt(deps, deps.now()) : null;
  const purgeDue = evidence.reduce<string | null>((at, e) => (e.copies_gone_by && (!at || e.copies_gone_by > at) ? e.copies_gone_by : at), masked);
  const body: Omit<ErasureReceipt, 'receipt_sha256'> = {
    request_id: requestId,
    rights_request_id: rights?.request_id ?? '',
    status: !clean ? 'incomplete' : purged ? 'completed' : 'logically_deleted',
    subject_hash: subjectHash,
    identifiers_searched: ids.length,
    jurisdiction,
    legal_ground: input.legalGround,
    requested_by: who.actor,
    received_at: received.toISOString(),
    suppression_added_at: suppressedAt.toISOString(),
    tables: evidence,
    files,
    purge_due_at: purged ? null : purgeDue,
    verification: VERIFICATION,
    verified_at: deps.now().toISOString(),
  };
  const receipt: ErasureReceipt = { ...body, receipt_sha256: receiptHash(body) };
  await insertErasureRequest(wh, [{
    request_id: requestId, subject_hash: subjectHash, jurisdiction, legal_ground: input.legalGround, requested_by: who.actor,
    received_at: received.getTime(), completed_at: deps.now().getTime(), status: receipt.status, hold_ids: [],
    tables_json: JSON.stringify(evidence), receipt_json: JSON.stringify(receipt), receipt_sha256: receipt.receipt_sha256,
  }]);
  if (rights) await settleRequest(deps, rights, clean ? 'completed' : 'failed', receipt.receipt_sha256);
  await deps.audit.record({
    ...auditWho(who), action: 'compliance.erasure',
    params: { subject: subjectHash, request_id: requestId, legal_ground: input.legalGround, status: receipt.status, tables: evidence.length },
    rows: evidence.reduce((n, e) => n + e.rows_before, 0),
    exportSha256: receipt.receipt_sha256,
  });
  return receipt;
}

const VERIFICATION =
  'SELECT count() FROM <table> WHERE <subject condition> returned rows_after; rows_after_physical with apply_deleted_mask = 0; ' +
  'inactive_copies_after: parts replaced by the deletion still in system.parts (active = 0); files: records or files naming the subject; ' +
  'then every text column of every table searched for the ids, the numbers written with separators and the names: tables "(text search)"';

/**
 * Every table: counted, cleared, counted again. The subject's ids are put in the in-memory erasure
 * set for the deletions (their SQL text, kept on disk by the engine, names only the request).
 */
async function eraseTables(
  deps: AppDeps, tables: readonly SubjectTableSpec[], ids: string[], how: { method: ErasureMethodSetting; rewrite_budget_mb: number },
  requestId: string, needles: TraceNeedles,
): Promise<ErasureTableEvidence[]> {
  const wh = deps.warehouse;
  const evidence: ErasureTableEvidence[] = [];
  await fillErasureTargets(wh, requestId, ids);
  try {
    // On one server every deletion is registered first and then waited for together: the engine
    // runs them side by side (one after another, each big part's rewrite left a core idle). On a
    // cluster each statement waits for its replicas.
    const wait = Boolean(wh.cluster);
    // Every table counted before any deletion starts: counted in between, each count competed for the
    // cores with the deletions already running and held back the next table's, so the rewrites ran
    // nearly one after another.
    // `auto` weighs the parts each table's deletion would rewrite (one server: on a cluster the
    // parts are the shards', and every table is rewritten).
    const setting = how.method === 'auto' && wh.cluster ? 'mutation' : how.method;
    const footprints = [];
    for (const t of tables) {
      footprints.push(setting === 'auto' ? { table: t.table, ...(await subjectFootprint(wh, t, ids)) } : { table: t.table, rows: await countSubjectRows(wh, t, ids), bytes: 0 });
    }
    const methods = chooseMethods(footprints, setting, how.rewrite_budget_mb * 1e6);
    const started: Array<{ t: SubjectTableSpec; evidence: StartedEvidence }> = [];
    for (const [i, t] of tables.entries()) started.push({ t, evidence: await startErasure(deps, t, ids, methods.get(t.table)!, requestId, wait, footprints[i]!.rows) });
    if (!wait) await waitForDeletions(wh, started.filter((e) => e.evidence.rows_before > 0).map((e) => e.t.table), requestId);
    // What each table holds of the subject once its deletion is complete.
    for (const { t, evidence: e } of started) {
      const { table, rows_before, ...rest } = e;
      evidence.push({ table, rows_before, rows_after: await countSubjectRows(wh, t, ids), rows_after_physical: await countSubjectRows(wh, t, ids, true), ...rest });
    }
  } finally {
    await clearErasureTargets(wh, requestId);
  }
  // Then whatever still quotes the person where no subject key points (quarantine, error texts, unknown shapes).
  for (const e of (await eraseTraces(deps, needles)).evidence) evidence.push({ ...e, inactive_copies_after: 0 });
  const tableOf = (e: ErasureTableEvidence) => e.table.split(' ')[0]!;
  const copies = await removeOldCopies(wh, deps.config.dataDir, [...new Set(evidence.filter((e) => e.rows_before > 0).map(tableOf))]);
  for (const e of evidence) {
    const left = copies.get(tableOf(e));
    e.inactive_copies_after = left?.parts ?? 0;
    if (left) e.copies_gone_by = left.goneBy;
  }
  return evidence;
}

/** A table's evidence but for what is left after its deletion (counted once the deletion is done). */
type StartedEvidence = Omit<ErasureTableEvidence, 'rows_after' | 'rows_after_physical'>;

/** Deletes the subject's rows of a table, `before` of them counted (waiting for the deletion, or not). */
async function startErasure(
  deps: AppDeps, t: SubjectTableSpec, ids: string[], chosen: TableMethod, requestId: string, wait: boolean, before: number,
): Promise<StartedEvidence> {
  const method = chosen.method;
  const wh = deps.warehouse;
  const sync = wait ? '=2' : '=0, then waited for in system.mutations';
  let how = method === 'mutation' ? `ALTER TABLE … DELETE (mutation, mutations_sync${sync})` : `DELETE FROM (lightweight, lightweight_deletes_sync${sync})`;
  if (before > 0) {
    if (t.table === RAW_TABLE) {
      const rewritten = await rewriteSharedBodies(deps, ids, requestId);
      if (rewritten > 0) how = `${rewritten} bodies shared with other people stored again without the subject (INSERT) + ${how}`;
    }
    await deleteTargetRows(wh, t, requestId, method, wait);
  }
  return {
    table: t.table,
    rows_before: before,
    inactive_copies_after: 0,
    method: before > 0 ? `${how}; subject ids read from the in-memory erasure set${chosen.why ? ` (${chosen.why})` : ''}` : 'nothing to erase',
    statement_sha256: createHash('sha256').update(deleteTargetsSql(wh, { t, method, requestId, wait })).digest('hex'),
  };
}

/**
 * Bodies naming someone else besides the subject: stored again without the subject's items, under
 * the same key and receipt time (the others' typed rows still point at it, re-deliveries still
 * collapse). An insert, not an UPDATE: an UPDATE's text would copy the others' bodies into the
 * mutation log. The versions naming the subject are deleted with the rest.
 */
async function rewriteSharedBodies(deps: AppDeps, ids: string[], requestId: string): Promise<number> {
  const mine = new Set(ids);
  const rows = await rawRowsOfSubjects(deps.warehouse, { ids });
  const rewritten: RawWebhookRow[] = [];
  for (const r of rows) {
    if (!r.subject_ids.some((id) => !mine.has(id))) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.body);
    } catch {
      continue;
    }
    const kept = withoutSubjects(parsed, ids);
    rewritten.push({
      ...r,
      verdict: 'redacted',
      body: JSON.stringify(kept.body),
      trace_text: traceText(kept.body),
      item_count: kept.items,
      subject_ids: r.subject_ids.filter((id) => !mine.has(id)),
      reason: `items of an erased subject removed (${requestId})`,
    });
  }
  await insertRewrittenBodies(deps.warehouse, rewritten);
  return rewritten.length;
}
