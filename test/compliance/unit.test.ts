import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { parseClassification, isSubjectKey, keyShape } from '../../reports/compliance/classification.ts';
import { onlySubjects, withoutSubjects } from '../../ingest/body-filter.ts';
import { dueAt, registerRow } from '../../reports/compliance/rights.ts';
import { consentState, marketingSummary, tagPattern } from '../../reports/compliance/consent.ts';
import { parseTableTtl, retentionState, ttlMatches, type RetentionPolicy } from '../../reports/compliance/retention.ts';
import { jurisdictionOf, parseSubjectId, subjectCountry } from '../../reports/compliance/subject.ts';
import { isTransfer, crossBorderRows } from '../../reports/compliance/crossborder.ts';
import { privacyConfigSchema } from '../../reports/compliance/config.ts';
import { eventsCsv, toEvent } from '../../reports/compliance/events.ts';
import { receiptHash } from '../../reports/compliance/erasure.ts';
import { inbound, statuses } from './fixtures.ts';

describe('column classification grammar', () => {
  it.each([
    ['pii:direct', { class: 'pii:direct', category: '', purposes: [] }],
    ['pii:direct; cat=identifier; purpose=support,delivery; src=messages[].from', { class: 'pii:direct', category: 'identifier', purposes: ['support', 'delivery'], source: 'messages[].from' }],
    ['pii:content; cat=content; find=json', { class: 'pii:content', find: 'json' }],
    ['none; cat=technical', { class: 'none', category: 'technical' }],
    ['pii:indirect; basis=Art. 6(1)(c); protection=hmac', { class: 'pii:indirect', basis: 'Art. 6(1)(c)', protection: 'hmac' }],
  ])('reads %j', (comment, expected) => {
    const r = parseClassification(comment);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject(expected);
  });

  it.each([
    ['', 'no classification'],
    ['old comment', 'unknown class'],
    ['pii:secret', 'unknown class'],
    ['pii:direct; cat=phone', 'unknown category'],
    ['pii:direct; colour=red', 'bad attribute'],
    ['pii:direct; cat=', 'bad attribute'],
    ['none; find=everywhere', 'find must be'],
  ])('refuses %j', (comment, error) => {
    const r = parseClassification(comment);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(error);
  });

  it.each([
    ['pii:direct', true],
    ['pii:direct; cat=identifier', true],
    ['pii:direct; cat=profile', false],
    ['pii:direct; cat=identifier; find=none', false],
    ['pii:indirect; cat=identifier', false],
  ])('%j is a subject key: %s', (comment, key) => {
    const r = parseClassification(comment);
    expect(r.ok && isSubjectKey(r.value)).toBe(key);
  });

  it.each([
    ['String', 'scalar'], ['LowCardinality(String)', 'scalar'], ['Nullable(String)', 'scalar'], ['FixedString(16)', 'scalar'],
    ['Array(String)', 'array'], ['Array(LowCardinality(String))', 'array'], ['UInt64', undefined], ['DateTime64(3, \'UTC\')', undefined],
  ])('%s compares as %s', (type, shape) => expect(keyShape(type)).toBe(shape));
});

describe('subject identifiers', () => {
  it.each([
    ['5511987654321', { kind: 'phone', id: '5511987654321' }],
    ['+55 (11) 98765-4321', { kind: 'phone', id: '5511987654321' }],
    ['123456', { kind: 'phone', id: '123456' }],
    ['US.13491208655302741918', { kind: 'bsuid', id: 'US.13491208655302741918' }],
    ['BR.ENT.abc123', { kind: 'bsuid', id: 'BR.ENT.abc123' }],
    ['12345', undefined], ['1234567890123456', undefined], ['us.123', undefined], ['US.', undefined], ['55 11 9x', undefined], [42, undefined], ['', undefined],
  ])('%j → %j', (input, expected) => expect(parseSubjectId(input)).toEqual(expected));

  it.each([
    ['5511987654321', 'BR', 'lgpd'], ['4915123456789', 'DE', 'gdpr'], ['351912345678', 'PT', 'gdpr'], ['12025550123', 'US', 'both'],
    ['15551234567', 'US', 'both'], ['BR.abc', 'BR', 'lgpd'], ['999999', 'ZZ', 'both'],
  ])('%s is in %s and answers to %s', (id, country, law) => {
    expect(subjectCountry(id).country).toBe(country);
    expect(jurisdictionOf(id, 'both')).toBe(law);
  });
});

describe('webhook body filtering', () => {
  const body = inbound({ from: '111111', id: 'a', at: '2026-01-01T00:00:00Z' }, { from: '222222', id: 'b', at: '2026-01-01T00:00:00Z' });
  const st = statuses({ to: '111111', id: 'o1', status: 'sent', at: '2026-01-01T00:00:00Z' });

  it('removes only the erased subject, keeping the others as delivered', () => {
    const r = withoutSubjects(body, ['111111']);
    const v = (r.body as any).entry[0].changes[0].value;
    expect(v.messages.map((m: any) => m.id)).toEqual(['b']);
    expect(v.contacts.map((c: any) => c.wa_id)).toEqual(['222222']);
    expect(v.messages[0]).toEqual((body as any).entry[0].changes[0].value.messages[1]);
    expect(r).toMatchObject({ items: 1, removed: 1 });
    expect(JSON.stringify(r.body)).not.toContain('111111');
  });

  it('drops a change left empty, and keeps changes about nobody on erasure only', () => {
    expect(withoutSubjects(st, ['111111'])).toMatchObject({ items: 0, removed: 1, body: { entry: [] } });
    const tmpl = { object: 'whatsapp_business_account', entry: [{ id: 'w', changes: [{ field: 'account_update', value: { event: 'X' } }] }] };
    expect(withoutSubjects(tmpl, ['111111']).body).toEqual(tmpl);
    expect(onlySubjects(tmpl, ['111111']).body).toEqual({ ...tmpl, entry: [] });
  });

  it('keeps only the subject for an access export', () => {
    const r = onlySubjects(body, ['222222']);
    expect(JSON.stringify(r.body)).not.toContain('111111');
    expect((r.body as any).entry[0].changes[0].value.messages.map((m: any) => m.id)).toEqual(['b']);
    expect(onlySubjects('not an envelope', ['1'])).toMatchObject({ body: null });
  });
});

describe('rights-request deadlines', () => {
  it.each([
    ['2025-01-31T10:00:00Z', 'gdpr', false, '2025-02-28T10:00:00.000Z'],
    ['2024-01-31T10:00:00Z', 'gdpr', false, '2024-02-29T10:00:00.000Z'],
    ['2025-01-31T10:00:00Z', 'gdpr', true, '2025-04-30T10:00:00.000Z'],
    ['2025-01-31T10:00:00Z', 'lgpd', false, '2025-02-15T10:00:00.000Z'],
    ['2025-12-20T00:00:00Z', 'lgpd', false, '2026-01-04T00:00:00.000Z'],
    ['2025-02-10T00:00:00Z', 'both', false, '2025-02-25T00:00:00.000Z'],
  ] as const)('received %s under %s (extended %s) is due %s', (received, law, extended, due) => {
    expect(dueAt(new Date(received), law, extended).toISOString()).toBe(due);
  });

  it('counts days open and breaches at a given instant', () => {
    const base = { request_id: 'r', type: 'access', jurisdiction: 'lgpd', subject_hash: 'h', identity_verified_at: null, simplified_reply_at: null, extended: false, extension_reason: '', extension_notified_at: null, outcome_ref: '', handled_by: 'x', updated_at: 0 };
    const received = Date.parse('2026-01-01T00:00:00Z');
    const due = Date.parse('2026-01-16T00:00:00Z');
    expect(registerRow({ ...base, received_at: received, due_at: due, status: 'received', completed_at: null }, new Date('2026-01-10T00:00:00Z'))).toMatchObject({ days_open: 9, breached: false });
    expect(registerRow({ ...base, received_at: received, due_at: due, status: 'received', completed_at: null }, new Date('2026-01-20T00:00:00Z'))).toMatchObject({ days_open: 19, breached: true });
    expect(registerRow({ ...base, received_at: received, due_at: due, status: 'completed', completed_at: Date.parse('2026-01-05T00:00:00Z') }, new Date('2026-03-01T00:00:00Z'))).toMatchObject({ days_open: 4, breached: false });
  });
});

describe('consent state', () => {
  const ev = (action: string, ts: number, scope = 'marketing') => ({ subject: 's', action, scope, source: 'x', ts });
  it.each([
    [[], 'none'],
    [[ev('opt_in', 1)], 'opted_in'],
    [[ev('opt_in', 1), ev('opt_out', 2)], 'opted_out'],
    [[ev('opt_out', 1), ev('opt_in', 2)], 'opted_in'],
    [[ev('opt_in', 1), ev('opt_out', 2), ev('resume', 3)], 'opted_in'],
    [[ev('opt_out', 1), ev('resume', 2)], 'none'],
    [[ev('opt_in', 1, 'utility')], 'none'],
    [[ev('opt_in', 1, 'all'), ev('opt_out', 2, 'utility')], 'opted_in'],
  ])('%j → %s', (events, status) => expect(consentState(events).current_status).toBe(status));

  it('matches the campaign tag between separators only', () => {
    const re = new RegExp(tagPattern('src=c'));
    expect(['v1;src=c;cp=1', 'src=c', 'v1;src=c'].every((s) => re.test(s))).toBe(true);
    expect(['v1;src=cx', 'v1;xsrc=c', 'v1;src=h'].some((s) => re.test(s))).toBe(false);
  });

  it('summarises time to honour per opt-out (the last send it failed to stop)', () => {
    const v = (h: string, out: string | null, sent: string, t = 'AFTER_OPT_OUT') => ({ violation_type: t, subject_hash: h, last_opt_out_at: out, sent_at: sent });
    const s = marketingSummary([
      v('a', '2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z'), v('a', '2026-01-01T00:00:00Z', '2026-01-01T03:00:00Z'),
      v('b', '2026-01-01T00:00:00Z', '2026-01-01T00:10:00Z'), v('c', null, '2026-01-01T00:00:00Z', 'NO_OPT_IN'),
    ], 2, false);
    expect(s).toEqual({ violations: 4, no_opt_in: 1, after_opt_out: 3, opt_outs_not_honoured: 2, time_to_honour_p50_s: 600, time_to_honour_p95_s: 10800, meta_rejections_131050: 2, truncated: false });
  });
});

describe('retention rules', () => {
  const q = (ttl: string) => `CREATE TABLE db.t (\`ts\` DateTime64(3, 'UTC'), \`x\` String TTL toDateTime(ts) + toIntervalDay(1)) ENGINE = MergeTree ORDER BY ts ${ttl}SETTINGS index_granularity = 8192`;
  it('reads the table TTL, not a column TTL', () => {
    expect(parseTableTtl(q(''))).toBeUndefined();
    expect(parseTableTtl(q(`TTL toDateTime(ts) + toIntervalDay(30) WHERE NOT (joinGet('db.legal_hold_subjects_v1', 'hold_id', wa_id) != '') `))).toMatchObject({ time_column: 'ts', days: 30, hold_aware: true });
    expect(parseTableTtl(q('TTL toDateTime(ts) + toIntervalDay(7) '))).toMatchObject({ days: 7, hold_aware: false });
  });

  it('judges a TTL against its policy', () => {
    const p = { days: 30, time_column: 'ts', keys: [{ column: 'wa_id', shape: 'scalar' }] } as RetentionPolicy;
    expect(ttlMatches(p, { expression: '', time_column: 'ts', days: 30, hold_aware: true })).toBe(true);
    expect(ttlMatches(p, { expression: '', time_column: 'ts', days: 30, hold_aware: false })).toBe(false);
    expect(ttlMatches(p, { expression: '', time_column: 'ts', days: 31, hold_aware: true })).toBe(false);
    expect(ttlMatches(p, undefined)).toBe(false);
    expect(ttlMatches({ ...p, days: null }, undefined)).toBe(true);
  });

  it.each([
    [{ days: 30, ttl_matches: true, rows_past_policy: 0, held_past_policy: 0, content_past_policy: 0, pending_mutations: 0 }, 'OK'],
    [{ days: 30, ttl_matches: true, rows_past_policy: 3, held_past_policy: 3, content_past_policy: 0, pending_mutations: 0 }, 'OK'],
    [{ days: 30, ttl_matches: true, rows_past_policy: 3, held_past_policy: 1, content_past_policy: 0, pending_mutations: 0 }, 'WARN'],
    [{ days: 30, ttl_matches: false, rows_past_policy: 3, held_past_policy: 0, content_past_policy: 0, pending_mutations: 0 }, 'BREACH'],
    [{ days: 30, ttl_matches: false, rows_past_policy: 0, held_past_policy: 0, content_past_policy: 0, pending_mutations: 0 }, 'WARN'],
    [{ days: null, ttl_matches: true, rows_past_policy: 0, held_past_policy: 0, content_past_policy: 0, pending_mutations: 2 }, 'WARN'],
  ])('%j is %s', (s, status) => expect(retentionState(s).status).toBe(status));
});

describe('cross-border', () => {
  it.each([
    ['DE', 'US', true], ['DE', 'IE', false], ['BR', 'US', true], ['BR', 'BR', false], ['US', 'DE', false], ['DE', '', false],
  ])('subject in %s, stored in %s: transfer %s', (s, st, t) => expect(isTransfer(s, st)).toBe(t));

  it('counts subjects and rows per country with the configured mechanism', () => {
    const cfg = privacyConfigSchema.parse({ storage: { country: 'US', region: 'us-east-1' }, transfers: [{ recipient: 'hosting', country: 'US', mechanism_gdpr: 'DPF', mechanism_lgpd: 'ANPD SCC' }] });
    const rows = crossBorderRows([{ id: '5511987654321', rows: 5 }, { id: '5521987654321', rows: 2 }, { id: '4915123456789', rows: 1 }, { id: '12025550123', rows: 9 }], cfg);
    expect(rows.map((r) => [r.subject_country, r.subjects, r.rows, r.transfer, r.transfer_mechanism_gdpr])).toEqual([
      ['US', 1, 9, false, ''], ['BR', 2, 7, true, 'DPF'], ['DE', 1, 1, true, 'DPF'],
    ]);
  });
});

describe('export files', () => {
  it('neutralises formulas in every CSV cell', () => {
    const csv = eventsCsv([toEvent('messages_v1', { wamid: '@x', ts: '2026-01-01 00:00:00.000', text_body: '+SUM(A1)', type: '-1+1' })]).toString('utf8');
    expect(csv).toContain(`'@x`);
    expect(csv).toContain(`'+SUM(A1)`);
    expect(csv).toContain(`'-1+1`);
  });

  it('hashes the receipt over its JSON without the hash', () => {
    const r = { request_id: 'er_1', status: 'completed' } as never;
    expect(receiptHash(r)).toBe(createHash('sha256').update('{"request_id":"er_1","status":"completed"}').digest('hex'));
  });

  it('takes defaults for a missing privacy section and refuses a bad one', () => {
    const cfg = privacyConfigSchema.parse({});
    expect(cfg.retention).toMatchObject({ raw_days: 30, items_days: 730, content_days: null });
    expect(cfg.consent.opt_out_keywords).toEqual(expect.arrayContaining(['STOP', 'PARAR', 'SAIR', 'CANCELAR', 'BAJA', 'ABMELDEN']));
    expect(privacyConfigSchema.safeParse({ retention: { raw_days: -1 } }).success).toBe(false);
    expect(privacyConfigSchema.safeParse({ consent: { marketing_tag: 'src=c;DROP' } }).success).toBe(false);
  });
});
