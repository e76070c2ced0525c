import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { authHeader, http, postSigned, startTestService } from '../helpers/service.ts';
import { inbound, preference, statuses } from './fixtures.ts';

/**
 * Consent signals from every source and the marketing sends they make wrong, against a
 * hand-computed truth (T = 2026-10-01T00:00Z; hours after T in the comments).
 */

const NOW = new Date('2026-11-10T12:00:00Z');
const T = Date.parse('2026-10-01T00:00:00Z');
const at = (hours: number) => new Date(T + hours * 3_600_000).toISOString();
const P = (n: number) => `55119222200${String(n).padStart(2, '0')}`;
const P3 = '4915122220003';

let wh: Warehouse;
let svc: Service;

const api = (path: string, method = 'GET', body?: unknown, role: 'privacy' | 'manager' | null = 'privacy') =>
  http(`${svc.url()}${path}`, { method, headers: { 'Content-Type': 'application/json', ...(role ? authHeader(role) : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
const optIn = (wa_id: string, hours: number, scope = 'marketing') =>
  api('/api/compliance/consent', 'POST', { wa_id, action: 'opt_in', scope_category: scope, source_channel: 'website', captured_at: at(hours), notice_text: 'I agree to receive offers from Loja on WhatsApp', proof_ref: `form-${wa_id}` });
const sent = (to: string, id: string, hours: number, category = 'marketing', callback?: string) =>
  postSigned(svc, JSON.stringify(statuses({ to, id, status: 'sent', at: at(hours), category, ...(callback ? { callback } : {}) }, { to, id, status: 'delivered', at: at(hours + 0.01), category })));
const says = (from: string, id: string, hours: number, text: string) => postSigned(svc, JSON.stringify(inbound({ from, id, at: at(hours), text })));

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  svc = await startTestService(wh, {}, { now: () => NOW });
  for (const n of [1, 4, 5, 6]) expect((await optIn(P(n), 0)).status).toBe(201);
  expect((await optIn(P3, 0)).status).toBe(201);
  expect((await optIn(P(7), 0, 'utility')).status).toBe(201);
  // P1: opted in, one fine send, then STOP, then two sends.
  await sent(P(1), 'wamid.M1', 1);
  await says(P(1), 'wamid.in1', 2, 'STOP');
  // Meta delivers the STOP again (another body: the profile name changed): still one opt-out.
  await postSigned(svc, JSON.stringify(inbound({ from: P(1), id: 'wamid.in1', at: at(2), text: 'STOP', name: 'Renamed' })));
  await sent(P(1), 'wamid.M2', 3);
  await sent(P(1), 'wamid.M3', 5);
  // P2: never opted in; a campaign send tagged src=c (priced as utility), and a plain utility send.
  await sent(P(2), 'wamid.M4', 1, 'utility', 'v1;src=c;cp=spring');
  await sent(P(2), 'wamid.U1', 1, 'utility', 'v1;src=h;ag=alice');
  // P3: stop through WhatsApp's own control, a send, resume, a send.
  await postSigned(svc, JSON.stringify(preference(P3, 'stop', at(2))));
  await sent(P3, 'wamid.M5', 3);
  await postSigned(svc, JSON.stringify(preference(P3, 'resume', at(4))));
  await sent(P3, 'wamid.M6', 5);
  // P4: Meta refuses a marketing template with 131050, then a send gets through anyway.
  await postSigned(svc, JSON.stringify(statuses({ to: P(4), id: 'wamid.F1', status: 'failed', at: at(2), errorCode: 131050 })));
  await sent(P(4), 'wamid.M7', 6);
  // P5: a Portuguese keyword with spaces and lower case, then a thank-you.
  await says(P(5), 'wamid.in5', 2, '  parar ');
  await says(P(5), 'wamid.in5b', 2.5, 'Obrigado');
  await sent(P(5), 'wamid.M8', 3);
  // P6: "STOP please" is not the whole message: no opt-out.
  await says(P(6), 'wamid.in6', 2, 'STOP please');
  await sent(P(6), 'wamid.M9', 3);
  // P7: consented to utility messages only.
  await sent(P(7), 'wamid.M10', 1);
  // P8: opts in by keyword.
  await says(P(8), 'wamid.in8', 0, 'start');
  await sent(P(8), 'wamid.M11', 1);
});
afterAll(async () => {
  await svc?.stop();
  await wh?.close();
});

describe('marketing sent without opt-in or after opt-out', () => {
  it('lists exactly the violating sends with their kind and minutes after the opt-out', async () => {
    const r = await api('/api/compliance/marketing?format=json');
    expect(r.status).toBe(200);
    const got = JSON.parse(r.text).rows.map((v: Record<string, unknown>) => [v.message_id, v.violation_type, v.minutes_after_opt_out, v.opt_out_source]);
    expect(got.sort()).toEqual(
      [
        ['wamid.M2', 'AFTER_OPT_OUT', 60, 'keyword'],
        ['wamid.M3', 'AFTER_OPT_OUT', 180, 'keyword'],
        ['wamid.M4', 'NO_OPT_IN', null, ''],
        ['wamid.M5', 'AFTER_OPT_OUT', 60, 'user_preferences'],
        ['wamid.M7', 'AFTER_OPT_OUT', 240, 'meta_error_131050'],
        ['wamid.M8', 'AFTER_OPT_OUT', 60, 'keyword'],
        ['wamid.M10', 'NO_OPT_IN', null, ''],
      ].sort(),
    );
  });

  it('summarises time to honour and Meta rejections', async () => {
    const s = JSON.parse((await api('/api/compliance/marketing?view=summary')).text);
    expect(s).toEqual({
      violations: 7,
      no_opt_in: 2,
      after_opt_out: 5,
      opt_outs_not_honoured: 4,
      time_to_honour_p50_s: 3600,
      time_to_honour_p95_s: 14400,
      meta_rejections_131050: 1,
      truncated: false,
    });
  });

  it('counts the same violations per day on the privacy dashboard', async () => {
    const r = await api('/dashboards/privacy/data?from=2026-10-01&to=2026-10-01');
    expect(r.status).toBe(200);
    // Every send above is on 1 October (UTC): M2, M3, M5, M7, M8 after an opt-out; M4, M10 without opt-in.
    const consent = (JSON.parse(r.text) as { charts: Array<{ id: string; spec: { layer: Array<{ data: { values: unknown[] } }> } }> }).charts.find((c) => c.id === 'consent')!;
    // The bars: every consent signal of the day, by action. Opt-ins: the six of the API and P8's
    // "start"; opt-outs: P1's STOP (delivered twice, one message), P5's "parar", P3's stop through
    // WhatsApp's control, Meta's 131050 for P4 ("STOP please" is not one); P3's resume.
    const bars = consent.spec.layer[0]!.data.values as Array<{ day: string; action: string; n: number }>;
    expect(bars.map((b) => [b.day, b.action, b.n]).sort()).toEqual([
      ['2026-10-01', 'opt_in', 7],
      ['2026-10-01', 'opt_out', 4],
      ['2026-10-01', 'resume', 1],
    ]);
    // The red points: the chart's second layer.
    expect(consent.spec.layer[1]!.data.values).toEqual([
      { day: '2026-10-01', violation_type: 'AFTER_OPT_OUT', n: 5 },
      { day: '2026-10-01', violation_type: 'NO_OPT_IN', n: 2 },
    ]);
  });

  it('keeps a copy of exactly the statuses that can make a send marketing (category or campaign tag)', async () => {
    const copies = await rows<{ wamid: string; status: string }>(wh, `SELECT wamid, status FROM {{db}}.marketing_statuses_v1 FINAL ORDER BY wamid, status`);
    // Every marketing send's sent and delivered statuses; M4's sent status only (the tag; its
    // delivered status is utility and untagged); nothing of U1 (utility, src=h) or F1 (no category).
    const marketing = ['M1', 'M10', 'M11', 'M2', 'M3', 'M5', 'M6', 'M7', 'M8', 'M9'];
    const expected = [...marketing.flatMap((m) => [`wamid.${m}:delivered`, `wamid.${m}:sent`]), 'wamid.M4:sent'].sort();
    expect(copies.map((c) => `${c.wamid}:${c.status}`).sort()).toEqual(expected);
  });

  it('counts from every status when the settings reach past the copies (utility counted as marketing)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-consent-config-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ privacy: { consent: { marketing_categories: ['marketing', 'utility'] } } }));
    const other = await startTestService(wh, { CONFIG_FILE: join(dir, 'config.json') }, { now: () => NOW });
    try {
      // U1 (utility, src=h) is now a marketing send to P2, who never opted in: three without opt-in.
      const r = await http(`${other.url()}/dashboards/privacy/data?from=2026-10-01&to=2026-10-01`, { headers: authHeader('privacy') });
      expect(r.status, r.text.slice(0, 200)).toBe(200);
      const consent = (JSON.parse(r.text) as { charts: Array<{ id: string; spec: { layer: Array<{ data: { values: unknown[] } }> } }> }).charts.find((c) => c.id === 'consent')!;
      expect(consent.spec.layer[1]!.data.values).toEqual([
        { day: '2026-10-01', violation_type: 'AFTER_OPT_OUT', n: 5 },
        { day: '2026-10-01', violation_type: 'NO_OPT_IN', n: 3 },
      ]);
      // The list says the same.
      const list = await http(`${other.url()}/api/compliance/marketing?format=json`, { headers: authHeader('privacy') });
      const got = JSON.parse(list.text).rows.filter((v: { violation_type: string }) => v.violation_type === 'NO_OPT_IN').map((v: { message_id: string }) => v.message_id).sort();
      expect(got).toEqual(['wamid.M10', 'wamid.M4', 'wamid.U1']);
    } finally {
      await other.stop();
    }
  });

  it('keeps a copy of exactly the keyword messages and the sends Meta refused with 131050', async () => {
    const copies = await rows<{ kind: string; wamid: string; subject: string; keyword: string }>(
      wh, `SELECT kind, wamid, subject, keyword FROM {{db}}.consent_signals_v1 FINAL ORDER BY kind, wamid`);
    // P1's STOP (delivered twice: one row), P5's "  parar ", P8's "start" and P4's refusal; not
    // "Obrigado" nor "STOP please".
    expect(copies.map((c) => [c.kind, c.wamid, c.subject, c.keyword])).toEqual([
      ['keyword', 'wamid.in1', P(1), 'stop'],
      ['keyword', 'wamid.in5', P(5), 'parar'],
      ['keyword', 'wamid.in8', P(8), 'start'],
      ['meta_error_131050', 'wamid.F1', P(4), ''],
    ]);
  });

  it('finds keywords beyond the copied defaults in every message ("STOP please" made an opt-out)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-consent-words-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ privacy: { consent: { opt_out_keywords: ['STOP', 'parar', 'STOP please'] } } }));
    const other = await startTestService(wh, { CONFIG_FILE: join(dir, 'config.json') }, { now: () => NOW });
    try {
      // P6's "STOP please" (hour 2) is now an opt-out: M9 (hour 3) is sent 60 minutes after it.
      const r = await http(`${other.url()}/dashboards/privacy/data?from=2026-10-01&to=2026-10-01`, { headers: authHeader('privacy') });
      expect(r.status, r.text.slice(0, 200)).toBe(200);
      const consent = (JSON.parse(r.text) as { charts: Array<{ id: string; spec: { layer: Array<{ data: { values: Array<{ day: string; action?: string; n: number }> } }> } }> }).charts.find((c) => c.id === 'consent')!;
      expect(consent.spec.layer[0]!.data.values.map((b) => [b.action, b.n]).sort()).toEqual([['opt_in', 7], ['opt_out', 5], ['resume', 1]]);
      expect(consent.spec.layer[1]!.data.values).toEqual([
        { day: '2026-10-01', violation_type: 'AFTER_OPT_OUT', n: 6 },
        { day: '2026-10-01', violation_type: 'NO_OPT_IN', n: 2 },
      ]);
      const list = await http(`${other.url()}/api/compliance/marketing?format=json`, { headers: authHeader('privacy') });
      const m9 = JSON.parse(list.text).rows.find((v: { message_id: string }) => v.message_id === 'wamid.M9');
      expect([m9?.violation_type, m9?.minutes_after_opt_out, m9?.opt_out_source]).toEqual(['AFTER_OPT_OUT', 60, 'keyword']);
    } finally {
      await other.stop();
    }
  });

  it('narrows the violations to recipients under a label at the send', async () => {
    // P1 labelled vip from hour 4: M3 (hour 5) is under it, M2 (hour 3) is not; P2 (M4) from hour 0.
    expect((await api('/api/labels', 'POST', [{ wa_id: P(1), label: 'vip', action: 'add', at: at(4) }, { wa_id: P(2), label: 'vip/gold', action: 'add', at: at(0) }], 'manager')).status).toBe(201);
    const red = async (q: string) => {
      const r = await api(`/dashboards/privacy/data?from=2026-10-01&to=2026-10-01${q}`);
      expect(r.status, r.text.slice(0, 200)).toBe(200);
      const consent = (JSON.parse(r.text) as { charts: Array<{ id: string; spec: { layer: Array<{ data: { values: unknown[] } }> } }> }).charts.find((c) => c.id === 'consent')!;
      return consent.spec.layer[1]!.data.values;
    };
    expect(await red('&label=vip')).toEqual([
      { day: '2026-10-01', violation_type: 'AFTER_OPT_OUT', n: 1 },
      { day: '2026-10-01', violation_type: 'NO_OPT_IN', n: 1 },
    ]);
    expect(await red('&label=vip/gold')).toEqual([{ day: '2026-10-01', violation_type: 'NO_OPT_IN', n: 1 }]);
    expect(await red('&label=order')).toEqual([]);
    // Without a label, all of them still.
    expect((await red('')).length).toBe(2);
  });
});

describe('consent ledger', () => {
  it('holds every signal: API opt-ins, keywords, preference webhooks and error 131050', async () => {
    const ledger = JSON.parse((await api('/api/compliance/consent?format=json')).text).rows;
    const by = (source: string) => ledger.filter((e: { source: string }) => e.source === source).map((e: { subject: string; action: string }) => `${e.subject}:${e.action}`).sort();
    expect(by('website')).toEqual([1, 4, 5, 6, 7].map((n) => `${P(n)}:opt_in`).concat(`${P3}:opt_in`).sort());
    expect(by('keyword')).toEqual([`${P(1)}:opt_out`, `${P(5)}:opt_out`, `${P(8)}:opt_in`].sort());
    expect(by('user_preferences')).toEqual([`${P3}:opt_out`, `${P3}:resume`].sort());
    expect(by('meta_error_131050')).toEqual([`${P(4)}:opt_out`]);
    expect(ledger).toHaveLength(12);
  });

  it('gives each subject a current status', async () => {
    const rowsOf = JSON.parse((await api('/api/compliance/consent?view=status&format=json')).text).rows;
    const status = Object.fromEntries(rowsOf.map((r: { subject: string; current_status: string }) => [r.subject, r.current_status]));
    expect(status).toEqual({
      [P(1)]: 'opted_out', [P3]: 'opted_in', [P(4)]: 'opted_out', [P(5)]: 'opted_out', [P(6)]: 'opted_in', [P(7)]: 'none', [P(8)]: 'opted_in',
    });
  });

  it('keeps the proof of an opt-in and refuses bad input and other roles', async () => {
    const [row] = await rows<{ notice_text_sha256: string; collected_by: string; legal_basis: string; jurisdiction: string }>(
      wh, `SELECT notice_text_sha256, collected_by, legal_basis, jurisdiction FROM {{db}}.consent_events_v1 WHERE wa_id = {w:String}`, { w: P3 });
    expect(row).toMatchObject({ collected_by: 'privacy#4', jurisdiction: 'gdpr' });
    expect(row!.notice_text_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await api('/api/compliance/consent', 'POST', { wa_id: 'nope', action: 'opt_in' })).status).toBe(400);
    expect((await api('/api/compliance/consent', 'POST', { wa_id: P(1), action: 'maybe' })).status).toBe(400);
    expect((await api('/api/compliance/consent', 'POST', { wa_id: P(1), action: 'opt_in' }, 'manager')).status).toBe(403);
    expect((await api('/api/compliance/consent', 'POST', { wa_id: P(1), action: 'opt_in' }, null)).status).toBe(401);
  });
});

describe('rights-request register', () => {
  it('computes GDPR and LGPD due dates, flags breaches, extends GDPR requests only', async () => {
    const open = async (wa_id: string, type: string, days: number) =>
      JSON.parse((await api('/api/compliance/requests', 'POST', { wa_id, type, received_at: new Date(NOW.getTime() - days * 86_400_000).toISOString() })).text);
    const br = await open(P(1), 'access', 20);
    const de = await open(P3, 'erasure', 20);
    const us = await open('12025550123', 'access', 1);
    expect(br).toMatchObject({ jurisdiction: 'lgpd', received_at: '2026-10-21T12:00:00.000Z', due_at: '2026-11-05T12:00:00.000Z' });
    expect(de).toMatchObject({ jurisdiction: 'gdpr', due_at: '2026-11-21T12:00:00.000Z' });
    expect(us).toMatchObject({ jurisdiction: 'both', due_at: '2026-11-24T12:00:00.000Z' });

    expect((await api(`/api/compliance/requests/${br.request_id}/extend`, 'POST', { reason: 'complex' })).status).toBe(409);
    const ext = JSON.parse((await api(`/api/compliance/requests/${de.request_id}/extend`, 'POST', { reason: 'many requests from this subject' })).text);
    expect(ext.due_at).toBe('2027-01-21T12:00:00.000Z');

    expect((await api('/api/compliance/dsar', 'POST', { wa_id: P(1), request_id: br.request_id })).status).toBe(200);
    expect((await api('/api/compliance/dsar', 'POST', { wa_id: P(2), request_id: br.request_id })).status).toBe(400);

    const reg = JSON.parse((await api('/api/compliance/requests?format=json')).text).rows;
    const get = (id: string) => reg.find((r: { request_id: string }) => r.request_id === id);
    expect(get(br.request_id)).toMatchObject({ status: 'completed', completed_at: NOW.toISOString(), days_open: 20, breached: true, simplified_reply_at: NOW.toISOString() });
    expect(get(de.request_id)).toMatchObject({ status: 'extended', extended: true, extension_reason: 'many requests from this subject', breached: false, days_open: 20 });
    expect(get(us.request_id)).toMatchObject({ status: 'received', breached: false, days_open: 1 });
  });
});
