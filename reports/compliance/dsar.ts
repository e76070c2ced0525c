import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../../app/deps.ts';
import { auditWho, type Principal } from '../../app/auth.ts';
import { catalogColumns } from '../../warehouse/queries/compliance/catalog.ts';
import { rightsRequestsOfSubject } from '../../warehouse/queries/compliance/rights.ts';
import { selectSubjectRows } from '../../warehouse/queries/compliance/subjects.ts';
import { RAW_TABLE } from '../../warehouse/tables.ts';
import { privacyConfig } from './config.ts';
import { eventsCsv, eventsJsonl, redactRawRecord, sortEvents, toEvent, type SubjectEvent } from './events.ts';
import { activeHolds, subjectIdentifiers } from './holds.ts';
import { fileEntry, manifestOf, sha256, zipPackage, type Manifest, type PackageFile } from './package.ts';
import { PORTABILITY_SCHEMA, portabilityDocument } from './portability.ts';
import { resolvePolicies } from './retention.ts';
import { findRequest, openRequest, settleRequest } from './rights.ts';
import { buildStatement, statementHtml, type Statement } from './statement.ts';
import { classifyColumns, subjectTables } from './subject-tables.ts';
import { jurisdictionOf, type Jurisdiction, type SubjectId } from './subject.ts';
import { namesIn, traceNeedles, traceRows } from './traces.ts';
import { localDatabase } from '../../warehouse/migrate.ts';

/**
 * The access export (R5) and portability document (R6) for one subject: every row of every table
 * the classification marks as holding the subject, raw bodies reduced to the subject's own items.
 */

export interface SubjectData {
  identifiers: string[];
  rows: Map<string, Record<string, unknown>[]>;
  thirdPartyItemsRemoved: number;
  categories: string[];
}

export async function collectSubjectData(deps: AppDeps, subject: SubjectId): Promise<SubjectData & { columns: ReturnType<typeof classifyColumns> }> {
  const wh = deps.warehouse;
  const ids = await subjectIdentifiers(deps, subject);
  const columns = classifyColumns(await catalogColumns(wh, { db: localDatabase(wh) }));
  const rows = new Map<string, Record<string, unknown>[]>();
  let removed = 0;
  for (const t of subjectTables(columns)) {
    if (t.table !== RAW_TABLE) {
      rows.set(t.table, await selectSubjectRows(wh, t, ids));
      continue;
    }
    // Raw bodies without FINAL (it costs more than the rows here): copies of a body share its
    // SHA-256, the latest stored copy is kept.
    const latest = new Map<string, Record<string, unknown>>();
    for (const r of await selectSubjectRows(wh, { ...t, final: false }, ids)) {
      const prev = latest.get(String(r.body_sha256));
      if (!prev || String(r.received_at) > String(prev.received_at)) latest.set(String(r.body_sha256), r);
    }
    rows.set(
      t.table,
      [...latest.values()].map((r) => {
        const x = redactRawRecord(r, ids);
        removed += x.removed;
        return x.record;
      }),
    );
  }
  // Rows that quote the person where no subject key points (quarantine, error texts, unknown shapes).
  for (const [table, found] of await traceRows(wh, traceNeedles(ids, namesIn(rows)), columns)) {
    const have = rows.get(table) ?? [];
    const seen = new Set(have.map((r) => JSON.stringify(r)));
    rows.set(table, [...have, ...found.filter((r) => !seen.has(JSON.stringify(r)))]);
  }
  const categories = new Set<string>();
  for (const c of columns) {
    if ((rows.get(c.table)?.length ?? 0) > 0 && c.classification && c.classification.class !== 'none' && c.classification.category) categories.add(c.classification.category);
  }
  return { identifiers: ids, rows, thirdPartyItemsRemoved: removed, categories: [...categories].sort(), columns };
}

export interface AccessExport {
  zip: Buffer;
  zipSha256: string;
  manifest: Manifest;
  manifestSha256: string;
  statement: Statement;
  events: SubjectEvent[];
}

export async function buildAccessExport(
  deps: AppDeps,
  who: Principal | { actor: string; role: 'system' },
  input: { subject: SubjectId; jurisdiction?: Jurisdiction; rightsRequestId?: string },
): Promise<AccessExport> {
  const cfg = privacyConfig(deps.config.file);
  const wh = deps.warehouse;
  const now = deps.now();
  const subjectHash = deps.pseudonyms.subject(input.subject.id);
  const jurisdiction = input.jurisdiction ?? jurisdictionOf(input.subject.id, cfg.default_jurisdiction);
  const rights = input.rightsRequestId
    ? await findRequest(deps, input.rightsRequestId, subjectHash)
    : await openRequest(deps, { type: 'access', subjectHash, jurisdiction, receivedAt: now, handledBy: who.actor });
  const data = await collectSubjectData(deps, input.subject);
  const events = sortEvents([...data.rows].flatMap(([table, rows]) => rows.map((r) => toEvent(table, r))));
  const portability = portabilityDocument({
    identifiers: data.identifiers,
    generatedAt: now,
    messages: data.rows.get('messages_v1') ?? [],
    contacts: data.rows.get('contacts_v1') ?? [],
    preferences: data.rows.get('user_preferences_v1') ?? [],
    consents: data.rows.get('consent_events_v1') ?? [],
  });
  const dataFiles: PackageFile[] = [
    { name: 'events.jsonl', data: Buffer.from(eventsJsonl(events)) },
    { name: 'events.csv', data: eventsCsv(events) },
    { name: 'portability.json', data: Buffer.from(JSON.stringify(portability, null, 2) + '\n') },
    { name: 'portability.schema.json', data: Buffer.from(JSON.stringify(PORTABILITY_SCHEMA, null, 2) + '\n') },
  ];
  // Sort keys only decide which content columns a purge may clear; the statement needs none.
  const policies = resolvePolicies(data.columns, cfg, new Map());
  const hashes = data.identifiers.map((id) => deps.pseudonyms.subject(id));
  const prior = (await rightsRequestsOfSubject(wh, { hashes })).filter((r) => r.request_id !== rights.request_id);
  const contacts = data.rows.get('contacts_v1') ?? [];
  const statement = buildStatement({
    cfg,
    requestId: `dsar_${randomUUID()}`,
    rightsRequestId: rights.request_id,
    jurisdiction,
    receivedAt: new Date(rights.received_at),
    dueAt: new Date(rights.due_at),
    generatedAt: now,
    identifiers: data.identifiers,
    profileNames: [...new Set(contacts.map((c) => String(c.profile_name ?? '')).filter(Boolean))],
    rowCounts: Object.fromEntries([...data.rows].map(([t, r]) => [t, r.length])),
    dataCategories: data.categories,
    policies,
    holds: (await activeHolds(deps, data.identifiers)).map((h) => ({ hold_id: h.hold_id, reason: h.reason, legal_reference: h.legal_reference })),
    priorRequests: prior.map((r) => ({ request_id: r.request_id, type: r.type, received_at: new Date(r.received_at).toISOString(), status: r.status })),
    thirdPartyItemsRemoved: data.thirdPartyItemsRemoved,
    files: dataFiles.map(fileEntry),
  });
  const files: PackageFile[] = [
    { name: 'statement.json', data: Buffer.from(JSON.stringify(statement, null, 2) + '\n') },
    { name: 'statement.html', data: Buffer.from(statementHtml(statement)) },
    ...dataFiles,
  ];
  const manifest = manifestOf(files, { format: 'wa-analytics.dsar/1', request_id: statement.request_id, generated_at: now });
  const zip = await zipPackage(files, manifest, now);
  const zipSha256 = sha256(zip);
  const manifestSha256 = sha256(JSON.stringify(manifest, null, 2) + '\n');
  await settleRequest(deps, rights, 'completed', manifestSha256);
  await deps.audit.record({
    ...auditWho(who),
    action: 'compliance.dsar',
    params: { subject: subjectHash, request_id: statement.request_id, rights_request_id: rights.request_id, manifest_sha256: manifestSha256 },
    rows: events.length,
    exportSha256: zipSha256,
  });
  return { zip, zipSha256, manifest, manifestSha256, statement, events };
}

/** R6 alone: the portability document, recorded in the audit like any export. */
export async function buildPortability(deps: AppDeps, who: Principal, subject: SubjectId) {
  const data = await collectSubjectData(deps, subject);
  const doc = portabilityDocument({
    identifiers: data.identifiers,
    generatedAt: deps.now(),
    messages: data.rows.get('messages_v1') ?? [],
    contacts: data.rows.get('contacts_v1') ?? [],
    preferences: data.rows.get('user_preferences_v1') ?? [],
    consents: data.rows.get('consent_events_v1') ?? [],
  });
  const body = Buffer.from(JSON.stringify(doc));
  const hash = sha256(body);
  await deps.audit.record({
    ...auditWho(who), action: 'compliance.portability',
    params: { subject: deps.pseudonyms.subject(subject.id) }, rows: doc.messages.length + doc.profile.length + doc.preferences.length, exportSha256: hash,
  });
  return { body, sha256: hash };
}
