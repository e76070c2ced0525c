import { beforeAll, describe, expect, it } from 'vitest';
import { authHeader, http, useTestService } from '../helpers/service.ts';
import { truncateAll } from '../helpers/warehouse.ts';
import { billingEnv } from '../../reports/billing/facts-job.ts';
import { rekeyBillingRecords } from '../../reports/billing/rekey.ts';
import { queryDuration } from '../../warehouse/metrics.ts';
import { pmpMessage, statusBody, type StatusSpec } from '../billing/bodies.ts';
import { PHONE_UTC, WABA_UTC, getJson, postAll, refresh, writeTenantConfig } from '../billing/setup.ts';
import { billingCli } from '../../reports/billing/cli.ts';
import { runReportCli } from './run-cli.ts';

// The conversations and charges reports by label, worked out by hand. August 2025 (per-message
// pricing, UTC months), WABA_UTC, the card below (USD):
//   A (Brazil): order/paid from 10 Aug to 20 Aug; vip from 14 Aug on.   B (India): vip all month.
//   a1  5 Aug A marketing  0.0625   ''                 a2 12 Aug A marketing 0.0625  order/paid
//   a3 15 Aug A utility    0.0068   order/paid, vip    a4 15 Aug A service   free    order/paid, vip
//   a5 25 Aug A marketing  0.0625   vip                b1 12 Aug B marketing 0.0107  vip
//   b2 15 Aug B utility    0.0014   vip
// March 2024 (conversation pricing): 1,001 service conversations the payloads do not mark billable
// or free, a minute apart; X has the first 995, Y (labelled order/paid) the last 6. The WABA's free
// tier (1,000) goes to the first 1,000 by time, so Y has 5 free and 1 paid.

const ctx = useTestService({ CONFIG_FILE: writeTenantConfig(), LOG_LEVEL: 'error' });

const A = '5511987650001';
const B = '919876500002';
const X = '5511900000201';
const Y = '5511900000202';

const CARD = [
  'Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service',
  'Brazil,USD,0.0625,0.0068,0.0315,,0',
  'India,USD,0.0107,0.0014,0.0014,0.0280,0',
].join('\n');

async function post(path: string, body: string, type: string, role: 'manager' | 'finance') {
  const r = await http(ctx.svc.url() + path, { method: 'POST', headers: { ...authHeader(role), 'Content-Type': type }, body });
  expect(r.status, r.text).toBe(201);
}

const day = (d: string, hm = '12:00') => `2025-08-${d}T${hm}:00Z`;
const msg = (id: string, to: string, d: string, category: string, billable: boolean): StatusSpec[] =>
  pmpMessage(id, to, day(d), { category, type: billable ? 'regular' : 'free_customer_service', billable }, [{ status: 'delivered', at: day(d, '12:01'), priced: true }]);

beforeAll(async () => {
  await truncateAll(ctx.wh);
  await post('/api/billing/rate-cards?currency=USD&effective_from=2025-07-01', CARD, 'text/csv', 'finance');
  await post('/api/labels', JSON.stringify([
    { wa_id: A, label: 'order/paid', action: 'add', at: day('10', '00:00'), waba_id: WABA_UTC },
    { wa_id: A, label: 'order/paid', action: 'remove', at: day('20', '00:00'), waba_id: WABA_UTC },
    { wa_id: A, label: 'vip', action: 'add', at: day('14', '00:00'), waba_id: WABA_UTC },
    { wa_id: B, label: 'vip', action: 'add', at: day('01', '00:00'), waba_id: WABA_UTC },
    { wa_id: Y, label: 'order/paid', action: 'add', at: '2024-02-01T00:00:00Z', waba_id: WABA_UTC },
  ]), 'application/json', 'manager');
  const august = [
    ...msg('wamid.a1', A, '05', 'marketing', true), ...msg('wamid.a2', A, '12', 'marketing', true), ...msg('wamid.a3', A, '15', 'utility', true),
    ...msg('wamid.a4', A, '15', 'service', false), ...msg('wamid.a5', A, '25', 'marketing', true), ...msg('wamid.b1', B, '12', 'marketing', true),
    ...msg('wamid.b2', B, '15', 'utility', true),
  ];
  const march: StatusSpec[] = Array.from({ length: 1001 }, (_, i) => ({
    wamid: `wamid.s${i}`, status: 'sent' as const, at: new Date(Date.parse('2024-03-02T10:00:00Z') + i * 60_000).toISOString(),
    recipient: i < 995 ? X : Y, conversation: { id: `svc-${i}`, origin: 'service' }, pricing: { pricing_model: 'CBP', category: 'service' },
  }));
  await postAll(ctx.svc, [statusBody(WABA_UTC, PHONE_UTC, august), statusBody(WABA_UTC, PHONE_UTC, march.slice(0, 500)), statusBody(WABA_UTC, PHONE_UTC, march.slice(500))]);
  await refresh(ctx.svc);
});

type Row = Record<string, unknown>;
const report = async (path: string): Promise<{ columns: string[]; rows: Row[] }> => {
  const r = await getJson(ctx.svc, `${path}&waba_id=${WABA_UTC}&format=json`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { columns: (r.body.columns as unknown as Array<{ name: string } | string>).map((c) => (typeof c === 'string' ? c : c.name)), rows: r.body.rows };
};
/** label|count|billable|free|amount of each row (group_by=none: one row per label). */
const charges = async (q: string) =>
  (await report(`/api/reports/charges?month=2025-08&${q}`)).rows.map((r) => `${'label' in r ? r.label : '-'}|${r.count}|${r.billable_count}|${r.free_count}|${r.amount}`);

describe('charges by label', () => {
  it('counts and prices only what was charged while its customer had the label', async () => {
    expect(await charges('group_by=none&label=order/paid')).toEqual(['-|3|2|1|0.0693']);
    expect(await charges('group_by=none&label=order')).toEqual(['-|3|2|1|0.0693']);
    expect(await charges('group_by=none&label=order/paid,vip&label_match=all')).toEqual(['-|2|1|1|0.0068']);
    // Any of two labels: a fact under both counts once.
    expect(await charges('group_by=none&label=order/paid,vip')).toEqual(['-|6|5|1|0.1439']);
    expect(await charges('group_by=none&label=nobody')).toEqual([]);
  });

  it('groups by label: a fact under two labels counts in both, rows without a label under ""', async () => {
    expect(await charges('group_by=label')).toEqual(['|1|1|0|0.0625', 'order/paid|3|2|1|0.0693', 'vip|5|4|1|0.0814']);
    // One asked label: its rows add up to the filtered total.
    expect(await charges('group_by=label&label=order')).toEqual(['order/paid|3|2|1|0.0693']);
    const byCategory = (await report('/api/reports/charges?month=2025-08&group_by=label,category&label=vip')).rows.map((r) => `${r.label}|${r.category}|${r.count}|${r.amount}`);
    expect(byCategory).toEqual(['vip|marketing|2|0.0732', 'vip|service|1|0', 'vip|utility|2|0.0082']);
  });

  it('leaves the unfiltered report as it was: every fact once, no label column', async () => {
    const all = await report('/api/reports/charges?month=2025-08&group_by=none');
    expect(all.columns).not.toContain('label');
    expect(all.rows.map((r) => `${r.count}|${r.billable_count}|${r.free_count}|${r.amount}`)).toEqual(['7|6|1|0.2064']);
  });
});

describe('conversations by label', () => {
  it('counts charged messages of the labelled customers by category', async () => {
    const { rows, columns } = await report('/api/reports/conversations?month=2025-08&label=order/paid');
    expect(columns).not.toContain('label');
    expect(rows.map((r) => `${r.category}|${r.type}|${r.count}|${r.billable_count}|${r.free_count}`)).toEqual([
      'marketing|regular|1|1|0', 'service|free_customer_service|1|0|1', 'utility|regular|1|1|0',
    ]);
  });

  it('keeps the free tier as decided for the whole WABA in a conversation-priced month', async () => {
    const { rows, columns } = await report('/api/reports/conversations?month=2024-03&label=order/paid&group_by=label');
    expect(columns[0]).toBe('label');
    expect(rows.map((r) => [r.label, r.category, r.count, r.billable_count, r.free_count, r.free_tier_limit, r.free_tier_used, r.free_tier_remaining])).toEqual([
      ['order/paid', 'service', 6, 1, 5, 1000, 5, 0],
    ]);
    const whole = await report('/api/reports/conversations?month=2024-03');
    expect(whole.rows.map((r) => [r.category, r.count, r.billable_count, r.free_count, r.free_tier_used, r.free_tier_remaining])).toEqual([['service', 1001, 1, 1000, 1000, 0]]);
  });

  it('refuses a grouping it does not have', async () => {
    const r = await getJson(ctx.svc, '/api/reports/conversations?month=2024-03&group_by=category');
    expect(r.status).toBe(400);
  });
});

describe('report charges|conversations --label', () => {
  const cli = (...args: string[]) => runReportCli(billingCli, ctx.svc.deps, [...args, '--waba-id', WABA_UTC, '--format', 'json']);
  const rowsOf = async (...args: string[]) => {
    const r = await cli(...args);
    expect(r.exitCode, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { rows: Row[] }).rows;
  };

  it('filters and groups the charges as the route does (the same figures as above)', async () => {
    const one = (rows: Row[]) => rows.map((r) => `${'label' in r ? r.label : '-'}|${r.count}|${r.billable_count}|${r.free_count}|${r.amount}`);
    expect(one(await rowsOf('charges', '--month', '2025-08', '--group-by', 'none', '--label', 'order/paid', '--label', 'vip'))).toEqual(['-|6|5|1|0.1439']);
    expect(one(await rowsOf('charges', '--month', '2025-08', '--group-by', 'none', '--label', 'order/paid', '--label', 'vip', '--label-match', 'all'))).toEqual(['-|2|1|1|0.0068']);
    expect((await rowsOf('charges', '--month', '2025-08', '--group-by', 'label,category', '--label', 'vip')).map((r) => `${r.label}|${r.category}|${r.count}|${r.amount}`))
      .toEqual(['vip|marketing|2|0.0732', 'vip|service|1|0', 'vip|utility|2|0.0082']);
  });

  it('counts conversations by label and refuses a malformed label or grouping with exit code 2', async () => {
    expect((await rowsOf('conversations', '--month', '2024-03', '--label', 'order/paid', '--group-by', 'label')).map((r) => [r.label, r.count, r.billable_count, r.free_count, r.free_tier_used]))
      .toEqual([['order/paid', 6, 1, 5, 5]]);
    const bad = await cli('charges', '--month', '2025-08', '--label', 'a//b');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: label: /);
    const grouping = await cli('conversations', '--month', '2024-03', '--group-by', 'category');
    expect(grouping.exitCode).toBe(2);
  });
});

describe('finance dashboard by label', () => {
  const charts = async (q: string) => {
    const r = await getJson<{ charts: Array<{ id: string; spec: { data?: { values?: Array<Record<string, unknown>> } } }> }>(ctx.svc, `/dashboards/finance/data?from=2025-08-01&to=2025-08-31&waba=${WABA_UTC}${q}`);
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    return Object.fromEntries(r.body.charts.map((c) => [c.id, c.spec.data?.values ?? []]));
  };

  const daily = (rows: Array<Record<string, unknown>> | undefined) => (rows ?? []).map((r) => `${r.day}|${r.category}|${r.count}|${r.billable}`);

  it('narrows the daily and market charts to what was charged under the label', async () => {
    expect(daily((await charts(''))['daily-by-category'])).toEqual([
      '2025-08-05|marketing|1|1', '2025-08-12|marketing|2|2', '2025-08-15|service|1|0', '2025-08-15|utility|2|2', '2025-08-25|marketing|1|1',
    ]);
    const paid = await charts('&label=order/paid');
    expect(daily(paid['daily-by-category'])).toEqual(['2025-08-12|marketing|1|1', '2025-08-15|service|1|0', '2025-08-15|utility|1|1']);
    // Cents: 0.0625 and 0.0068 (a2, a3), as the chart rounds.
    expect((paid['cost-by-market'] ?? []).map((r) => `${r.market}|${r.category}|${r.count}|${r.cost}`)).toEqual(['Brazil|marketing|1|0.06', 'Brazil|utility|1|0.01']);
  });
});

/** How many times a query ran (and succeeded) so far. */
async function runs(query: string): Promise<number> {
  return (await queryDuration.get()).values.find((v) => v.metricName === 'wa_warehouse_query_seconds_count' && v.labels.query === query && v.labels.outcome === 'ok')?.value ?? 0;
}

describe('the label set stored with each charge', () => {
  const LATE = 'late/flag';
  const vip = () => charges('group_by=none&label=vip');

  it('follows a label posted after the charges that reaches back over them', async () => {
    expect(await charges(`group_by=none&label=${LATE}`)).toEqual([]);
    // B from 13 Aug: b2 (15 Aug, utility 0.0014) only; b1 (12 Aug) was charged before.
    await post('/api/labels', JSON.stringify({ wa_id: B, label: LATE, action: 'add', at: day('13', '00:00'), waba_id: WABA_UTC }), 'application/json', 'manager');
    expect(await charges(`group_by=none&label=${LATE}`)).toEqual(['-|1|1|0|0.0014']);
  });

  it('is filled once for facts stored before it, and left alone after', async () => {
    const before = await vip();
    // Facts as a store from before migration 0603 holds them: no set, and no mark of the fill.
    await ctx.wh.writer.command({ query: `INSERT INTO ${ctx.wh.database}.billing_messages_v1 SELECT * REPLACE (toUInt64(0) AS label_set) FROM ${ctx.wh.database}.billing_messages_v1 FINAL` });
    await ctx.wh.writer.command({ query: `ALTER TABLE ${ctx.wh.database}.billing_job_state_v1 DELETE WHERE job = 'billing.charge_label_sets' SETTINGS mutations_sync = 2` });
    expect(await vip()).toEqual([]);
    const fills = await runs('labels.fill_charge_sets');
    await rekeyBillingRecords(billingEnv(ctx.svc.deps), ctx.svc.deps.log);
    expect(await vip()).toEqual(before);
    expect(await charges(`group_by=none&label=${LATE}`)).toEqual(['-|1|1|0|0.0014']);
    // Done once: the next start does not read every fact again.
    await rekeyBillingRecords(billingEnv(ctx.svc.deps), ctx.svc.deps.log);
    expect(await runs('labels.fill_charge_sets')).toBe(fills + 1);
  });

  it('no longer counts an erased customer\'s charges under their labels; the charges stay', async () => {
    // vip: a3, a4, a5 (A from 14 Aug) and b1, b2 (B all month).
    expect(await vip()).toEqual(['-|5|4|1|0.0814']);
    const total = await charges('group_by=none');
    const r = await http(`${ctx.svc.url()}/api/compliance/erasure`, {
      method: 'POST', headers: { ...authHeader('privacy'), 'Content-Type': 'application/json' }, body: JSON.stringify({ wa_id: B, legal_ground: 'GDPR 17(1)(a)' }),
    });
    expect(r.status, r.text).toBe(200);
    expect(await vip()).toEqual(['-|3|2|1|0.0693']);
    expect(await charges(`group_by=none&label=${LATE}`)).toEqual([]);
    expect(await charges('group_by=none')).toEqual(total);
  });
});
