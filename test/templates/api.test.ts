import { beforeAll, describe, expect, it } from 'vitest';
import { PHONE_UTC, WABA_UTC, getJson, postAll, refresh, writeTenantConfig } from '../billing/setup.ts';
import { authHeader, http } from '../helpers/service.ts';
import { truncateAll } from '../helpers/warehouse.ts';
import { useTestService } from '../helpers/service.ts';
import { button, customerBody, delivered, preferenceBody, send, statusesBody, TAG, templateEventBody, text } from './bodies.ts';

/**
 * Hand-built September 2025 traffic (per-message pricing, a UTC WABA, Brazilian customers) through
 * the real service; every expected number below is counted by hand from the cases as commented.
 */

const ctx = useTestService({ CONFIG_FILE: writeTenantConfig() });
const W = WABA_UTC;
const P = PHONE_UTC;
const [A, B, C, D, E, F, G, H] = ['5511900000001', '5511900000002', '5511900000003', '5511900000004', '5511900000005', '5511900000006', '5511900000007', '5511900000008'];
const PROMO = TAG('promo', 'pt_BR', 'bf');
const MARKETING = 0.0625;
const UTILITY = 0.0068;

async function loadRateCard() {
  const card = ['Market,Currency,Marketing,Utility,Authentication,Service', `Brazil,USD,${MARKETING},${UTILITY},0.0315,0`].join('\n');
  const r = await fetch(`${ctx.svc.url()}/api/billing/rate-cards?currency=USD&effective_from=2025-07-01`, {
    method: 'POST', headers: { ...authHeader('finance'), 'Content-Type': 'text/csv' }, body: card,
  });
  expect(r.status).toBe(201);
}

beforeAll(async () => {
  await truncateAll(ctx.wh);
  const statuses = [
    // promo (tagged, campaign bf), 10 Sep
    // t1 → A: pricing on sent and delivered (one charge), read; A quotes it → replied
    ...send('wamid.t1', A, PROMO, { category: 'marketing' }, [
      { status: 'sent', at: '2025-09-10T10:00:00Z', priced: true },
      { status: 'delivered', at: '2025-09-10T10:00:05Z', priced: true },
      { status: 'read', at: '2025-09-10T10:05:00Z' },
    ]),
    // t2 → B: delivered; B clicks the button (a click, not a reply), then writes STOP (an opt-out, not a reply)
    ...delivered('wamid.t2', B, PROMO, 'marketing', '2025-09-10T10:01:00Z'),
    // t3 → C: a priced sent never delivered → sent, not delivered, not charged
    ...send('wamid.t3', C, PROMO, { category: 'marketing' }, [{ status: 'sent', at: '2025-09-10T10:02:00Z', priced: true }]),
    // t4 → D: refused by Meta with 131049 (no pricing, never sent)
    ...send('wamid.t4', D, PROMO, null, [{ status: 'failed', at: '2025-09-10T10:03:00Z', errorCode: 131049 }]),
    // t5 → E: priced sent, then failed 131050 → failed and sent, not delivered
    ...send('wamid.t5', E, PROMO, { category: 'marketing' }, [
      { status: 'sent', at: '2025-09-10T10:04:00Z', priced: true },
      { status: 'failed', at: '2025-09-10T10:04:30Z', errorCode: 131050 },
    ]),
    // t6 → F: delivered; F stops marketing in WhatsApp 2 h later; F writes 30 h later (outside the reply window)
    ...delivered('wamid.t6', F, PROMO, 'marketing', '2025-09-10T10:05:00Z'),
    // t7 → G (12 Sep), then order_update u2 → G; G quotes t7 → the reply is promo's, not order_update's
    ...delivered('wamid.t7', G, PROMO, 'marketing', '2025-09-12T08:00:00Z'),
    // order_update: untagged, named by the send log; utility
    // u1 → A on 11 Sep; A answers 30 min later without quoting → window reply of u1
    ...delivered('wamid.u1', A, null, 'utility', '2025-09-11T09:00:00Z'),
    ...delivered('wamid.u2', G, null, 'utility', '2025-09-12T09:00:00Z'),
    // news: tagged, recategorised marketing → utility on 15 Sep; each charged at the category of its charge
    ...delivered('wamid.n1', A, TAG('news', 'en_US'), 'marketing', '2025-09-05T12:00:00Z'),
    ...delivered('wamid.n2', A, TAG('news', 'en_US'), 'utility', '2025-09-20T12:00:00Z'),
    // an untagged template (priced marketing), in no send log
    ...delivered('wamid.x1', H, null, 'marketing', '2025-09-13T12:00:00Z'),
    // a free-form reply (service): not a template send
    ...send('wamid.s1', H, null, { category: 'service', type: 'free_customer_service' }, [
      { status: 'sent', at: '2025-09-13T13:00:00Z', priced: true },
      { status: 'delivered', at: '2025-09-13T13:00:02Z', priced: true },
    ]),
  ];
  await postAll(ctx.svc, [
    statusesBody(W, P, statuses),
    customerBody(W, P, A, 'wamid.in1', '2025-09-10T11:00:00Z', text('Quero!', 'wamid.t1')),
    customerBody(W, P, B, 'wamid.in2', '2025-09-10T10:30:00Z', button('wamid.t2')),
    customerBody(W, P, B, 'wamid.in3', '2025-09-10T10:40:00Z', text('stop')),
    preferenceBody(W, P, F, '2025-09-10T12:05:00Z', 'stop'),
    customerBody(W, P, F, 'wamid.in4', '2025-09-11T16:05:06Z', text('oi')),
    customerBody(W, P, A, 'wamid.in5', '2025-09-11T09:30:00Z', text('obrigado')),
    customerBody(W, P, G, 'wamid.in6', '2025-09-12T10:00:00Z', text('sobre a promo', 'wamid.t7')),
    templateEventBody(W, '2025-09-13T00:00:00Z', 'message_template_quality_update', { previous_quality_score: 'GREEN', new_quality_score: 'YELLOW', message_template_id: 501, message_template_name: 'promo', message_template_language: 'pt_BR' }),
    templateEventBody(W, '2025-09-14T00:00:00Z', 'message_template_status_update', { event: 'PAUSED', message_template_id: 501, message_template_name: 'promo', message_template_language: 'pt_BR', reason: 'LOW_QUALITY' }),
    templateEventBody(W, '2025-09-15T00:00:00Z', 'template_category_update', { message_template_id: 502, message_template_name: 'news', message_template_language: 'en_US', previous_category: 'MARKETING', new_category: 'UTILITY' }),
  ]);
  const log = ['wamid,template,language,campaign', 'wamid.u1,order_update,en_US,', 'wamid.u2,order_update,en_US,'].join('\n');
  const imported = await fetch(`${ctx.svc.url()}/api/templates/send-log?waba_id=${W}`, {
    method: 'POST', headers: { ...authHeader('manager'), 'Content-Type': 'text/csv' }, body: log,
  });
  expect(imported.status).toBe(201);
  await refresh(ctx.svc);
  await loadRateCard();
});

type Row = Record<string, unknown>;
const COUNTS = ['sent', 'delivered', 'read', 'replied', 'clicked', 'failed', 'failed_131049', 'failed_131050', 'opted_out', 'sent_not_delivered', 'charged', 'billable', 'unpriced'];
const counts = (r: Row) => Object.fromEntries(COUNTS.map((k) => [k, r[k]]));
const zero = Object.fromEntries(COUNTS.map((k) => [k, 0]));
const key = (r: Row) => `${r.template}/${r.language}/${r.category}`;

describe('GET /api/reports/templates', () => {
  it('gives each template × language × category its funnel, failures, opt-outs, charges and cost', async () => {
    const r = await getJson(ctx.svc, `/api/reports/templates?from=2025-09-01&to=2025-09-30&waba_id=${W}`, 'manager');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const rows = Object.fromEntries(r.body.rows.map((x) => [key(x), x]));
    expect(Object.keys(rows).sort()).toEqual(['//marketing', 'news/en_US/marketing', 'news/en_US/utility', 'order_update/en_US/utility', 'promo/pt_BR/marketing']);

    const promo = rows['promo/pt_BR/marketing']!;
    // sent: t1 t2 t3 t5 t6 t7; delivered: t1 t2 t6 t7; replied: t1 (quoted), t7 (quoted later);
    // failed: t4 (131049), t5 (131050); opted out: B (STOP), F (user_preferences); not delivered: t3, t5
    expect(counts(promo)).toEqual({ ...zero, sent: 6, delivered: 4, read: 1, replied: 2, clicked: 1, failed: 2, failed_131049: 1, failed_131050: 1, opted_out: 2, sent_not_delivered: 2, charged: 4, billable: 4 });
    expect(promo.cost).toBeCloseTo(4 * MARKETING, 10);
    expect(promo).toMatchObject({ currency: 'USD', untagged: 0, from_send_log: 0, delivery_rate: 0.666667 /* 4/6, six decimals */, read_rate: 0.25, reply_rate: 0.5, click_rate: 0.25, optout_rate: 0.5 });

    // u1 replied in the window; u2's quoted answer went to t7
    expect(counts(rows['order_update/en_US/utility']!)).toEqual({ ...zero, sent: 2, delivered: 2, replied: 1, charged: 2, billable: 2 });
    expect(rows['order_update/en_US/utility']!).toMatchObject({ from_send_log: 2, untagged: 0 });
    expect(rows['order_update/en_US/utility']!.cost).toBeCloseTo(2 * UTILITY, 10);

    // the category in force when each was charged
    expect(rows['news/en_US/marketing']!).toMatchObject({ sent: 1, charged: 1, cost: MARKETING });
    expect(rows['news/en_US/utility']!).toMatchObject({ sent: 1, charged: 1, cost: UTILITY });

    // untagged: counted as such, never guessed
    expect(rows['//marketing']!).toMatchObject({ template: '', language: '', sent: 1, charged: 1, untagged: 1, cost: MARKETING });
  });

  it('splits by local day and by campaign', async () => {
    const byDay = await getJson(ctx.svc, `/api/reports/templates?from=2025-09-01&to=2025-09-30&waba_id=${W}&group_by=day`, 'finance');
    expect(byDay.status).toBe(200);
    expect(byDay.body.columns).toContain('day');
    const promo = byDay.body.rows.filter((x) => x.template === 'promo').map((x) => [x.day, x.sent, x.failed, x.replied]);
    expect(promo).toEqual([['2025-09-10', 5, 2, 1], ['2025-09-12', 1, 0, 1]]);

    const byCampaign = await getJson(ctx.svc, `/api/reports/templates?from=2025-09-01&to=2025-09-30&waba_id=${W}&group_by=campaign`, 'finance');
    expect(byCampaign.body.rows.map((x) => [x.campaign, key(x), x.sent])).toEqual(expect.arrayContaining([['bf', 'promo/pt_BR/marketing', 6], ['', 'order_update/en_US/utility', 2]]));
  });

  it('answers manager and finance, refuses privacy (403) and no token (401), checks parameters', async () => {
    const url = `${ctx.svc.url()}/api/reports/templates?from=2025-09-01&to=2025-09-30`;
    expect((await http(url, { headers: authHeader('privacy') })).status).toBe(403);
    expect((await http(url)).status).toBe(401);
    expect((await http(url, { headers: authHeader('admin') })).status).toBe(200);
    const bad = await http(`${url}&group_by=week`, { headers: authHeader('manager') });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('group_by');
    const csv = await http(`${url}&format=csv&waba_id=${W}`, { headers: authHeader('finance') });
    expect(csv.status).toBe(200);
    expect(csv.text.split('\n')[0]).toContain('template');
  });
});

describe('GET /api/reports/templates/history', () => {
  it('lists quality, status and category changes in the order Meta gave them', async () => {
    const r = await getJson(ctx.svc, `/api/reports/templates/history?from=2025-09-01&to=2025-09-30&waba_id=${W}`, 'manager');
    expect(r.status).toBe(200);
    expect(r.body.rows.map((x) => [x.at, x.template, x.field, x.previous, x.value, x.reason])).toEqual([
      ['2025-09-13T00:00:00.000Z', 'promo', 'message_template_quality_update', 'GREEN', 'YELLOW', ''],
      ['2025-09-14T00:00:00.000Z', 'promo', 'message_template_status_update', '', 'PAUSED', 'LOW_QUALITY'],
      ['2025-09-15T00:00:00.000Z', 'news', 'template_category_update', 'MARKETING', 'UTILITY', ''],
    ]);
  });
});

describe('GET /api/reports/templates/risk', () => {
  it('puts the paused template first, with its rates, counts and latest rating; August had nothing', async () => {
    const r = await getJson(ctx.svc, `/api/reports/templates/risk?from=2025-09-01&to=2025-09-30&waba_id=${W}`, 'finance');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.rows.map((x) => [x.template, x.language, x.risk, x.quality, x.status])).toEqual([
      ['promo', 'pt_BR', 'high', 'YELLOW', 'PAUSED'],
      ['news', 'en_US', 'ok', '', ''],
      ['order_update', 'en_US', 'ok', '', ''],
    ]);
    // failures 2 of the 6 whose fate is known (4 delivered + 2 failed); opt-outs 2 of 4 delivered
    expect(r.body.rows[0]).toMatchObject({ failed: 2, failure_rate: 0.333333, opted_out: 2, optout_rate: 0.5, sent_before: 0, failure_rate_before: null, status_since: '2025-09-14T00:00:00.000Z' });
  });
});

describe('POST /api/templates/send-log', () => {
  it('refuses a log with rows at fault, naming each line, and loads nothing', async () => {
    const r = await http(`${ctx.svc.url()}/api/templates/send-log?waba_id=${W}`, {
      method: 'POST', headers: { ...authHeader('manager'), 'Content-Type': 'text/csv' }, body: 'wamid,template\nwamid.z1,\n,promo\n',
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).problems).toEqual(['line 2: no template', 'line 3: no wamid']);
  });
});
