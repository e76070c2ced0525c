import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AppDeps } from '../../app/deps.ts';
import { auditWho, type Principal } from '../../app/auth.ts';
import { appendConsentEvents, consentEvents, consentEventsPerDay, marketingViolations,
  marketingViolationsPerDay, meta131050Count, FLAGGED, COPIED_KEYWORDS, type KeywordSource } from '../../warehouse/queries/compliance/consent.ts';
import { dateTimeSchema } from '../range.ts';
import { privacyConfig, type PrivacyConfig } from './config.ts';
import { chTime } from './rights.ts';
import { jurisdictionOf, parseSubjectId } from './subject.ts';

/**
 * Consent (R9) and marketing sent without it (R10). Opt-ins come from the business's own systems
 * through the API (an append-only ledger); opt-outs also from keywords, `user_preferences`
 * webhooks and Meta's error 131050. A send is marketing when its pricing category is marketing or
 * its `biz_opaque_callback_data` carries the campaign tag, and it counts at its `sent` time.
 */

export const consentInputSchema = z.object({
  wa_id: z.string(),
  action: z.enum(['opt_in', 'opt_out']),
  scope_category: z.enum(['marketing', 'utility', 'authentication', 'all']).default('marketing'),
  source_channel: z.string().regex(/^[a-z_]{2,40}$/).default('api'),
  captured_at: dateTimeSchema.optional(),
  notice_text_version: z.string().max(200).default(''),
  notice_text: z.string().max(20_000).optional(),
  notice_text_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  language: z.string().max(20).default(''),
  proof_ref: z.string().max(500).default(''),
  waba_id: z.string().max(64).default(''),
  phone_number_id: z.string().max(64).default(''),
  legal_basis: z.string().max(200).default(''),
  jurisdiction: z.enum(['gdpr', 'lgpd', 'both']).optional(),
});
export type ConsentInput = z.infer<typeof consentInputSchema>;

export async function recordConsent(deps: AppDeps, who: Principal, input: ConsentInput) {
  const subject = parseSubjectId(input.wa_id);
  if (!subject) throw Object.assign(new Error('wa_id must be a phone number (6–15 digits) or a business-scoped user id'), { status: 400 });
  const cfg = privacyConfig(deps.config.file);
  const now = deps.now();
  const captured = input.captured_at ? new Date(input.captured_at) : now;
  const row = {
    consent_event_id: `ce_${randomUUID()}`,
    wa_id: subject.id,
    subject_hash: deps.pseudonyms.subject(subject.id),
    waba_id: input.waba_id,
    phone_number_id: input.phone_number_id,
    scope_category: input.scope_category,
    action: input.action,
    source_channel: input.source_channel,
    captured_at: captured.getTime(),
    effective_at: captured.getTime(),
    recorded_at: now.getTime(),
    notice_text_version: input.notice_text_version,
    notice_text_sha256: input.notice_text_sha256 ?? (input.notice_text ? createHash('sha256').update(input.notice_text).digest('hex') : ''),
    language: input.language,
    proof_ref: input.proof_ref,
    collected_by: who.actor,
    legal_basis: input.legal_basis || (input.action === 'opt_in' ? 'consent (GDPR Art. 6(1)(a); LGPD Art. 7 I)' : ''),
    jurisdiction: input.jurisdiction ?? jurisdictionOf(subject.id, cfg.default_jurisdiction),
  };
  await appendConsentEvents(deps.warehouse, [row]);
  await deps.audit.record({
    ...auditWho(who), action: 'compliance.consent_record',
    params: { subject: row.subject_hash, consent_event_id: row.consent_event_id, action: row.action, scope: row.scope_category },
  });
  return { consent_event_id: row.consent_event_id, subject_hash: row.subject_hash, action: row.action, scope_category: row.scope_category, captured_at: captured.toISOString() };
}

export function keywordParams(cfg: PrivacyConfig) {
  return { out_words: cfg.consent.opt_out_keywords, in_words: cfg.consent.opt_in_keywords };
}

/** `src=c` → a regex for the tag between `;` separators of biz_opaque_callback_data. */
export function tagPattern(tag: string): string {
  return `(^|;)${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(;|$)`;
}

export interface ConsentStatus {
  subject: string;
  current_status: 'opted_in' | 'opted_out' | 'none';
  since: string;
  last_source: string;
  last_opt_in_at: string | null;
  last_opt_out_at: string | null;
  events: number;
}

type Ev = { subject: string; action: string; scope: string; source: string; ts: number };

/**
 * The state after a subject's events (oldest first), for marketing: an opt-out holds until a later
 * opt-in; a resume (the user lifting a WhatsApp "stop") restores an earlier opt-in, never creates one.
 */
export function consentState(events: readonly Ev[]): Omit<ConsentStatus, 'subject'> {
  let optIn: number | null = null;
  let optOut: number | null = null;
  let resume: number | null = null;
  let last: Ev | undefined;
  for (const e of events) {
    if (e.scope !== 'marketing' && e.scope !== 'all') continue;
    if (e.action === 'opt_in') optIn = e.ts;
    else if (e.action === 'opt_out') optOut = e.ts;
    else if (e.action === 'resume') resume = e.ts;
    else continue;
    last = e;
  }
  const out = optOut !== null && optOut > Math.max(optIn ?? -Infinity, resume ?? -Infinity);
  const status = out ? 'opted_out' : optIn !== null ? 'opted_in' : 'none';
  return {
    current_status: status,
    since: last ? new Date(last.ts).toISOString() : '',
    last_source: last?.source ?? '',
    last_opt_in_at: optIn === null ? null : new Date(optIn).toISOString(),
    last_opt_out_at: optOut === null ? null : new Date(optOut).toISOString(),
    events: events.length,
  };
}

/** What decides the consent stream: the configured keywords, and the range. */
function ledgerParams(deps: AppDeps, from: Date, to: Date) {
  return { ...keywordParams(privacyConfig(deps.config.file)), from: chTime(from), to: chTime(to) };
}

/**
 * Where the stream finds keyword messages: the copies (migration 0609) hold every message whose
 * whole text is a default keyword, so they serve any keywords among the defaults; others are looked
 * for in every message.
 */
export function keywordSource(consent: { opt_out_keywords: readonly string[]; opt_in_keywords: readonly string[] }): KeywordSource {
  const copied: readonly string[] = COPIED_KEYWORDS;
  const words = [...consent.opt_out_keywords, ...consent.opt_in_keywords].map((w) => w.trim().toLowerCase());
  return words.every((w) => copied.includes(w)) ? 'copies' : 'messages';
}

const streamShape = (deps: AppDeps) => ({ keywords: keywordSource(privacyConfig(deps.config.file).consent) });

export async function consentLedger(deps: AppDeps, from: Date, to: Date) {
  return consentEvents(deps.warehouse, ledgerParams(deps, from, to), streamShape(deps));
}

/** Consent events per UTC day and action over the range (the privacy dashboard's chart). */
export function consentCounts(deps: AppDeps, from: Date, to: Date) {
  return consentEventsPerDay(deps.warehouse, ledgerParams(deps, from, to), streamShape(deps));
}

export async function consentStatuses(deps: AppDeps, from: Date, to: Date): Promise<ConsentStatus[]> {
  const events = await consentLedger(deps, from, to);
  const bySubject = new Map<string, Ev[]>();
  for (const e of events) bySubject.set(e.subject, [...(bySubject.get(e.subject) ?? []), e]);
  return [...bySubject].map(([subject, evs]) => ({ subject, ...consentState(evs) }));
}

/** What decides a marketing send's violation: keywords, marketing categories and tag, the range. */
function judgedParams(deps: AppDeps, from: Date, to: Date) {
  const cfg = privacyConfig(deps.config.file);
  return { ...ledgerParams(deps, from, to), categories: cfg.consent.marketing_categories, tag_re: tagPattern(cfg.consent.marketing_tag) };
}

/**
 * Marketing violations per UTC day of the send, WABA, phone number and kind (the dashboard's chart);
 * with labels, only sends whose recipient was under one of them at the send.
 */
export function marketingViolationCounts(deps: AppDeps, from: Date, to: Date, labels: string[] = []) {
  const { consent } = privacyConfig(deps.config.file);
  return marketingViolationsPerDay(deps.warehouse, { ...judgedParams(deps, from, to), labels, label_match: 'any' }, {
    labelled: labels.length > 0,
    source: flaggedHoldsEverySend(consent) ? 'flagged' : 'statuses',
    ...streamShape(deps),
  });
}

/**
 * Whether the flagged copies (migration 0608) hold every status that can make a send marketing under
 * these settings: their categories among the copied ones and the same tag. Otherwise every status is read.
 */
export function flaggedHoldsEverySend(consent: { marketing_categories: readonly string[]; marketing_tag: string }): boolean {
  const copied: readonly string[] = FLAGGED.categories;
  return consent.marketing_tag === FLAGGED.tag && consent.marketing_categories.every((c) => copied.includes(c));
}

export async function marketingReport(deps: AppDeps, from: Date, to: Date, limit = 100_000) {
  const params = judgedParams(deps, from, to);
  const range = { from: params.from, to: params.to };
  const rows = await marketingViolations(deps.warehouse, { ...params, limit }, streamShape(deps));
  const violations = rows.map((r) => ({
    message_id: r.wamid,
    sent_at: new Date(r.sent_at).toISOString(),
    subject: r.subject,
    subject_hash: deps.pseudonyms.subject(r.subject),
    waba_id: r.waba_id,
    business_phone_number_id: r.phone_number_id,
    pricing_category: r.pricing_category,
    conversation_origin_type: r.origin_type,
    callback_data: r.callback_data,
    consent_status_at_send: r.violation === 'AFTER_OPT_OUT' ? 'opted_out' : 'none',
    last_opt_in_at: r.last_opt_in_at === null ? null : new Date(r.last_opt_in_at).toISOString(),
    last_opt_out_at: r.last_opt_out_at === null ? null : new Date(r.last_opt_out_at).toISOString(),
    opt_out_source: r.opt_out_source,
    minutes_after_opt_out: r.violation === 'AFTER_OPT_OUT' && r.last_opt_out_at !== null ? Math.round((r.sent_at - r.last_opt_out_at) / 60_000) : null,
    delivery_status: r.delivery_status,
    violation_type: r.violation,
  }));
  return { violations, summary: marketingSummary(violations, (await meta131050Count(deps.warehouse, range))[0]?.n ?? 0, rows.length >= limit) };
}

/**
 * Time to honour an opt-out: from the opt-out to the last marketing send it did not stop (0 when
 * none followed). Percentiles over the opt-outs that had violations.
 */
export function marketingSummary(
  violations: ReadonlyArray<{ violation_type: string; subject_hash: string; last_opt_out_at: string | null; sent_at: string }>,
  rejected131050: number,
  truncated: boolean,
) {
  const honour = new Map<string, number>();
  for (const v of violations) {
    if (v.violation_type !== 'AFTER_OPT_OUT' || !v.last_opt_out_at) continue;
    const key = `${v.subject_hash} ${v.last_opt_out_at}`;
    const s = (Date.parse(v.sent_at) - Date.parse(v.last_opt_out_at)) / 1000;
    honour.set(key, Math.max(honour.get(key) ?? 0, s));
  }
  const secs = [...honour.values()].sort((a, b) => a - b);
  const pct = (p: number) => (secs.length ? secs[Math.min(secs.length - 1, Math.ceil((p / 100) * secs.length) - 1)]! : null);
  return {
    violations: violations.length,
    no_opt_in: violations.filter((v) => v.violation_type === 'NO_OPT_IN').length,
    after_opt_out: violations.filter((v) => v.violation_type === 'AFTER_OPT_OUT').length,
    opt_outs_not_honoured: secs.length,
    time_to_honour_p50_s: pct(50),
    time_to_honour_p95_s: pct(95),
    meta_rejections_131050: rejected131050,
    truncated,
  };
}
