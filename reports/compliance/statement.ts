import type { PrivacyConfig } from './config.ts';
import type { RetentionPolicy } from './retention.ts';

/**
 * The cover statement of an access export (R5): GDPR Art. 15(1)(a)–(h) and 15(2), LGPD Arts. 9,
 * 18 and 19 — confirmation (or the statement that no record exists), purposes, legal bases,
 * categories, recipients, transfers, retention, source, rights, and what the files contain. Pure.
 */

export interface StatementInput {
  cfg: PrivacyConfig;
  requestId: string;
  rightsRequestId: string;
  jurisdiction: string;
  receivedAt: Date;
  dueAt: Date;
  generatedAt: Date;
  identifiers: string[];
  profileNames: string[];
  rowCounts: Record<string, number>;
  dataCategories: string[];
  policies: RetentionPolicy[];
  holds: Array<{ hold_id: string; reason: string; legal_reference: string }>;
  priorRequests: Array<{ request_id: string; type: string; received_at: string; status: string }>;
  thirdPartyItemsRemoved: number;
  files: Array<{ name: string; bytes: number; sha256: string }>;
}

export const STATEMENT_FORMAT = 'wa-analytics.dsar-statement/1';

const RIGHTS = [
  'rectification of inaccurate data (GDPR Art. 16; LGPD Art. 18 III)',
  'erasure (GDPR Art. 17; LGPD Art. 18 IV and VI)',
  'restriction of processing (GDPR Art. 18) and blocking (LGPD Art. 18 IV)',
  'objection, absolute for direct marketing (GDPR Art. 21; LGPD Art. 18 §2)',
  'portability (GDPR Art. 20; LGPD Art. 18 V) — portability.json in this package',
  'withdrawal of consent at any time (GDPR Art. 7(3); LGPD Art. 18 IX)',
  'complaint to a supervisory authority (GDPR Art. 77; LGPD Art. 18 §1)',
];

export function buildStatement(s: StatementInput) {
  const total = Object.values(s.rowCounts).reduce((a, b) => a + b, 0);
  const cfg = s.cfg;
  return {
    format: STATEMENT_FORMAT,
    request_id: s.requestId,
    rights_request_id: s.rightsRequestId,
    jurisdiction: s.jurisdiction,
    request_received_at: s.receivedAt.toISOString(),
    due_at: s.dueAt.toISOString(),
    generated_at: s.generatedAt.toISOString(),
    subject_identifiers_searched: s.identifiers,
    profile_names_seen: s.profileNames,
    processing_confirmed: total > 0,
    no_records_statement:
      total > 0 ? null : 'No personal data about the identifiers searched is held in this system (LGPD Art. 19 II: inexistência de registro).',
    records_total: total,
    row_counts_by_table: s.rowCounts,
    controller: cfg.controller,
    role: cfg.role,
    representative: cfg.representative,
    dpo: cfg.dpo,
    encarregado: cfg.encarregado,
    purposes: cfg.activities.map((a) => ({ activity: a.name, purposes: a.purposes })),
    legal_bases: cfg.activities.map((a) => ({ activity: a.name, gdpr: a.legal_basis_gdpr, lgpd: a.legal_basis_lgpd })),
    data_categories: s.dataCategories,
    recipients: [...new Set(cfg.activities.flatMap((a) => [...a.recipients, ...a.processors]))],
    storage: { provider: cfg.storage.provider, region: cfg.storage.region, country: cfg.storage.country },
    transfer_safeguards: cfg.transfers,
    retention_period_or_criteria: s.policies
      .filter((p) => s.rowCounts[p.table] !== undefined)
      .map((p) => ({ table: p.table, days: p.days, content_days: p.content_days, counted_from: p.time_column, basis: p.basis })),
    source_of_data:
      'WhatsApp Business Platform (Meta Cloud API) webhooks: messages you sent to the business, delivery statuses of messages the business sent you, your WhatsApp profile name and marketing preferences; consent records entered by the business.',
    criteria_used: `Every table whose columns are classified as direct identifiers was searched for the identifiers listed (${s.identifiers.length}); raw webhook bodies were searched by the subject list stored with each body.`,
    automated_decisions: cfg.automated_decisions,
    rights_information: RIGHTS,
    supervisory_authorities: cfg.supervisory_authorities,
    shared_with_entities: [...new Set(cfg.activities.flatMap((a) => a.processors))],
    consent_refusal_consequences:
      'Refusing or withdrawing consent stops marketing messages only; replies to your own messages and service notifications continue under their own legal basis.',
    legal_holds: s.holds,
    third_party_redactions: {
      items_removed: s.thirdPartyItemsRemoved,
      rule: 'Raw webhook bodies that also carried other people’s messages or statuses are shown with those items removed (GDPR Art. 15(4)).',
    },
    prior_requests: s.priorRequests,
    files: s.files,
  };
}

export type Statement = ReturnType<typeof buildStatement>;

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function list(items: readonly unknown[]): string {
  return items.length ? `<ul>${items.map((i) => `<li>${esc(typeof i === 'string' ? i : JSON.stringify(i))}</li>`).join('')}</ul>` : '<p>none</p>';
}

/** The same statement as a self-contained page (no scripts, no external resources). */
export function statementHtml(st: Statement): string {
  const rows = Object.entries(st.row_counts_by_table).map(([t, n]) => `<tr><td>${esc(t)}</td><td>${n}</td></tr>`).join('');
  const files = st.files.map((f) => `<tr><td>${esc(f.name)}</td><td>${f.bytes}</td><td><code>${esc(f.sha256)}</code></td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Access request ${esc(st.request_id)}</title></head>
<body>
<h1>Your personal data: access statement</h1>
<p>Request <code>${esc(st.request_id)}</code>, received ${esc(st.request_received_at)}, answered ${esc(st.generated_at)} (due ${esc(st.due_at)}; ${esc(st.jurisdiction.toUpperCase())}).</p>
<p>Controller: ${esc(st.controller.name)} ${esc(st.controller.email)}. Data protection officer / encarregado: ${esc(st.dpo.name || st.encarregado.name)} ${esc(st.dpo.email || st.encarregado.email)}.</p>
<h2>Do we hold data about you?</h2>
<p>${st.processing_confirmed ? `Yes: ${st.records_total} records about the identifiers ${esc(st.subject_identifiers_searched.join(', '))}.` : esc(st.no_records_statement)}</p>
<table><thead><tr><th>Table</th><th>Records</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Why and on what basis</h2>${list(st.legal_bases.map((b) => `${b.activity}: GDPR ${b.gdpr}; LGPD ${b.lgpd}`))}
<h2>Categories of data</h2>${list(st.data_categories)}
<h2>Recipients and transfers</h2>${list(st.recipients)}${list(st.transfer_safeguards.map((t) => `${t.recipient} (${t.country}): GDPR ${t.mechanism_gdpr}; LGPD ${t.mechanism_lgpd}`))}
<p>Stored by ${esc(st.storage.provider)} ${esc(st.storage.region)} ${esc(st.storage.country)}.</p>
<h2>How long we keep it</h2>${list(st.retention_period_or_criteria.map((r) => `${r.table}: ${r.days === null ? 'no time limit' : r.days + ' days'}${r.content_days ? `, content ${r.content_days} days` : ''} from ${r.counted_from} — ${r.basis}`))}
<h2>Where it comes from</h2><p>${esc(st.source_of_data)}</p>
<h2>Automated decisions</h2><p>${esc(st.automated_decisions)}</p>
<h2>Your rights</h2>${list(st.rights_information)}<p>Supervisory authorities: ${esc(st.supervisory_authorities.join('; '))}.</p>
<h2>Retention exceptions</h2>${list(st.legal_holds.map((h) => `${h.hold_id}: ${h.reason} ${h.legal_reference}`))}
<h2>Files in this package</h2>
<table><thead><tr><th>File</th><th>Bytes</th><th>SHA-256</th></tr></thead><tbody>${files}</tbody></table>
<p>${esc(st.third_party_redactions.rule)} Items removed: ${st.third_party_redactions.items_removed}.</p>
</body></html>
`;
}
