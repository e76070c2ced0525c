import { tableFromIPC } from 'apache-arrow';
import { beforeEach, describe, expect, it } from 'vitest';
import { BillingReports } from '../../reports/billing/service.ts';
import { authHeader, http, TEST_TOKENS, useTestService } from '../helpers/service.ts';
import { rows, truncateAll } from '../helpers/warehouse.ts';
import { pmpMessage, statusBody, type StatusSpec } from './bodies.ts';
import { PHONE_BR, PHONE_UTC, WABA_BR, WABA_UTC, getJson, postAll, refresh, writeTenantConfig } from './setup.ts';

/** The billing API: access, bad input, formats, the audit, rate-card uploads, reconciliation, the forecast. */

const ctx = useTestService({ CONFIG_FILE: writeTenantConfig() });
beforeEach(async () => {
  await truncateAll(ctx.wh);
});

const CARD = [
  'Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service',
  'Brazil,USD,0.0625,0.0068,0.0315,,0',
  'India,USD,0.0107,0.0014,0.0014,0.0280,0',
].join('\n');

function upload(text: string, query: string, role: keyof typeof TEST_TOKENS = 'finance') {
  return http(`${ctx.svc.url()}/api/billing/rate-cards?${query}`, { method: 'POST', headers: { ...authHeader(role), 'Content-Type': 'text/csv' }, body: text });
}

function postJson(path: string, body: unknown, role: keyof typeof TEST_TOKENS = 'finance') {
  return http(ctx.svc.url() + path, { method: 'POST', headers: { ...authHeader(role), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** 2025-08-04 one marketing message to Brazil, a free service reply; 2025-08-05 one utility to India. */
async function augustTraffic() {
  const s: StatusSpec[] = [
    ...pmpMessage('wamid.a1', '5511987650001', '2025-08-04T12:00:00Z', { category: 'marketing', type: 'regular', billable: true }, [{ status: 'delivered', at: '2025-08-04T12:00:05Z', priced: true }]),
    ...pmpMessage('wamid.a2', '5511987650001', '2025-08-04T13:00:00Z', { category: 'service', type: 'free_customer_service', billable: false }, [{ status: 'delivered', at: '2025-08-04T13:00:05Z', priced: true }]),
    ...pmpMessage('wamid.a3', '919876500002', '2025-08-05T09:00:00Z', { category: 'utility', type: 'regular', billable: true }, [{ status: 'read', at: '2025-08-05T09:10:00Z', priced: true }]),
  ];
  await postAll(ctx.svc, [statusBody(WABA_UTC, PHONE_UTC, s)]);
  await refresh(ctx.svc);
}

describe('access', () => {
  const routes = [
    '/api/reports/conversations?month=2025-08',
    '/api/reports/charges?month=2025-08',
    '/api/reports/forecast?month=2025-08&as_of=2025-08-10',
    '/api/reports/forecast/accuracy?month=2025-08',
    '/api/reports/reconciliation?month=2025-08',
    '/api/billing/rate-cards',
  ];
  it.each(routes)('%s: finance and admin 200, manager and privacy 403, no token 401', async (path) => {
    for (const [role, status] of [['finance', 200], ['admin', 200], ['manager', 403], ['privacy', 403]] as const) {
      expect((await http(ctx.svc.url() + path, { headers: authHeader(role) })).status, role).toBe(status);
    }
    expect((await http(ctx.svc.url() + path)).status).toBe(401);
  });

  it('uploads need finance or admin too', async () => {
    expect((await upload(CARD, 'currency=USD&effective_from=2025-07-01', 'manager')).status).toBe(403);
    expect((await http(`${ctx.svc.url()}/api/billing/rate-cards?currency=USD&effective_from=2025-07-01`, { method: 'POST', body: CARD })).status).toBe(401);
    expect((await postJson('/api/reports/reconciliation', {}, 'privacy')).status).toBe(403);
  });
});

describe('bad input', () => {
  it.each([
    ['month=2024-13', 'month must be YYYY-MM, got "2024-13"'],
    ['month=March', 'month must be YYYY-MM, got "March"'],
    ['month=2024-3', 'month must be YYYY-MM, got "2024-3"'],
    ['month=2024-03&format=xlsx', 'format must be one of json|csv|arrow|parquet'],
  ])('/conversations?%s → 400 naming the parameter', async (q, error) => {
    const r = await getJson(ctx.svc, `/api/reports/conversations?${q}`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error });
  });

  it.each([
    ['/api/reports/charges?month=2024-03&group_by=country', 400, 'group_by takes category,market,phone_number_id,tier,day; unknown: country'],
    ['/api/reports/forecast?as_of=2024-02-30', 400, 'as_of must be a date YYYY-MM-DD, got "2024-02-30"'],
    ['/api/reports/reconciliation', 400, 'month is required (YYYY-MM)'],
    ['/api/reports/conversations?month=2024-03&waba_id=999999', 404, 'waba_id 999999 is unknown: it is not configured and no webhook data names it'],
    ['/api/reports/forecast?waba_id=999999', 404, 'waba_id 999999 is unknown: it is not configured and no webhook data names it'],
  ])('%s → %i', async (path, status, error) => {
    const r = await getJson(ctx.svc, path);
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error });
  });

  it('a WABA seen only in webhooks (no configuration) is known, with UTC months', async () => {
    await postAll(ctx.svc, [statusBody('777', 'pn7', pmpMessage('wamid.x', '5511987650001', '2025-08-31T23:30:00Z', { category: 'marketing', type: 'regular' }, [{ status: 'delivered', at: '2025-08-31T23:30:02Z', priced: true }]))]);
    await refresh(ctx.svc);
    const r = await getJson(ctx.svc, '/api/reports/conversations?month=2025-08&waba_id=777');
    expect(r.status).toBe(200);
    expect(r.body.rows.map((x) => [x.month, x.count])).toEqual([['2025-08', 1]]);
  });
});

describe('formats and the access audit', () => {
  it('serves csv, arrow and parquet, and records every call (refused ones too) without personal data', async () => {
    await augustTraffic();
    const csv = await http(`${ctx.svc.url()}/api/reports/conversations?month=2025-08&format=csv`, { headers: authHeader('finance') });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('waba_id,month,pricing_model,category,market,type,count,billable_count,free_count,free_tier_limit,free_tier_used,free_tier_remaining,volume_tier');
    expect(lines).toHaveLength(4);
    const arrow = await http(`${ctx.svc.url()}/api/reports/charges?month=2025-08&format=arrow`, { headers: authHeader('finance') });
    const table = tableFromIPC(arrow.body);
    expect(table.numRows).toBe(3);
    expect(table.schema.fields.map((f) => f.name)).toContain('amount');
    const parquet = await http(`${ctx.svc.url()}/api/reports/forecast?month=2025-08&as_of=2025-08-10&format=parquet`, { headers: authHeader('finance') });
    expect(parquet.body.subarray(0, 4).toString()).toBe('PAR1');
    await getJson(ctx.svc, '/api/reports/conversations?month=2025-13');

    const audit = await rows<{ actor: string; role: string; action: string; params_json: string; rows_returned: number | null; export_sha256: string }>(
      ctx.wh, `SELECT actor, role, action, params_json, rows_returned, export_sha256 FROM {{db}}.access_audit_v1 WHERE action LIKE 'billing.%' ORDER BY seq`,
    );
    expect(audit.map((a) => [a.action, a.role, Number(a.rows_returned ?? -1)])).toEqual([
      ['billing.conversations', 'finance', 3],
      ['billing.charges', 'finance', 3],
      ['billing.forecast', 'finance', 5], // three categories and the total of one WABA, the (empty) total of the other
      ['billing.conversations', 'finance', -1],
    ]);
    expect(JSON.parse(audit[0]!.params_json)).toEqual({ month: '2025-08', format: 'csv', status: 200 });
    expect(audit[0]!.export_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(audit[3]!.params_json)).toMatchObject({ month: '2025-13', status: 400 });
    for (const a of audit) expect(a.params_json).not.toMatch(/5511987650001|919876500002/);
  });
});

describe('rate cards', () => {
  it('a refused card changes nothing: the card before stays in force', async () => {
    await augustTraffic();
    expect((await upload(CARD, 'currency=USD&effective_from=2025-07-01&name=usd.csv')).status).toBe(201);
    const before = await getJson(ctx.svc, '/api/reports/charges?month=2025-08&group_by=');
    expect(before.body.rows[0]!.amount).toBe(0.0639);
    const bad = CARD.replace('0.0625', '-0.0625') + '\nBrazil,USD,0.07,0.007,0.03,,0\n';
    const r = await upload(bad, 'currency=USD&effective_from=2025-08-01');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toEqual({
      error: 'line 2: marketing: negative price -0.0625; line 4: duplicate row for market Brazil (first on line 2)',
      problems: ['line 2: marketing: negative price -0.0625', 'line 4: duplicate row for market Brazil (first on line 2)'],
    });
    const missing = await upload('Market,Currency\nBrazil,USD\n', 'currency=USD&effective_from=2025-08-01');
    expect(JSON.parse(missing.text).problems).toEqual(['line 1: missing category columns (Marketing, Utility, Authentication, Service …)']);
    const after = await getJson(ctx.svc, '/api/reports/charges?month=2025-08&group_by=');
    expect(after.body.rows[0]!.amount).toBe(0.0639);
    const list = await getJson<{ rows: Array<Record<string, unknown>> }>(ctx.svc, '/api/billing/rate-cards');
    expect(list.body.rows.map((c) => [c.currency, c.kind, c.effective_from, c.entries, c.source_name])).toEqual([['USD', 'rates', '2025-07-01', 9, 'usd.csv']]);
  });

  it('a card effective from a later date applies from that local date on', async () => {
    await augustTraffic();
    await upload(CARD, 'currency=USD&effective_from=2025-07-01');
    await upload(CARD.replace('0.0014,0.0014,0.0280', '0.0020,0.0014,0.0280'), 'currency=USD&effective_from=2025-08-05');
    const r = await getJson(ctx.svc, '/api/reports/charges?month=2025-08&group_by=category');
    expect(Object.fromEntries(r.body.rows.map((x) => [x.category, [x.amount, x.rate_cards]]))).toEqual({
      marketing: [0.0625, 'USD 2025-07-01'],
      service: [0, ''],
      utility: [0.002, 'USD 2025-08-05'],
    });
  });

  it.each([
    ['currency=usd&effective_from=2025-07-01', 'currency must be a three-letter code such as USD'],
    ['currency=USD', 'effective_from is required (YYYY-MM-DD)'],
  ])('upload %s → 400', async (q, error) => {
    const r = await upload(CARD, q);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toBe(error);
  });
});

describe('reconciliation with Meta analytics', () => {
  const day = (d: string) => Math.floor(Date.parse(`${d}T00:00:00Z`) / 1000);
  it('shows per day and category where Meta and we differ', async () => {
    await augustTraffic();
    await upload(CARD, 'currency=USD&effective_from=2025-07-01');
    const saved = {
      pricing_analytics: {
        data: [{
          data_points: [
            { start: day('2025-08-04'), end: day('2025-08-05'), country: 'BR', pricing_type: 'REGULAR', pricing_category: 'MARKETING', volume: 1, cost: 0.0625, tier: '0:MAX' },
            { start: day('2025-08-05'), end: day('2025-08-06'), country: 'IN', pricing_type: 'REGULAR', pricing_category: 'UTILITY', volume: 2, cost: 0.0028 },
            { start: day('2025-08-06'), end: day('2025-08-07'), country: 'IN', pricing_type: 'REGULAR', pricing_category: 'AUTHENTICATION', volume: 1, cost: 0.0014 },
          ],
        }],
      },
      id: WABA_UTC,
    };
    const r = await postJson('/api/reports/reconciliation', saved);
    expect(r.status).toBe(201);
    const body = JSON.parse(r.text);
    expect(body.import).toMatchObject({ waba_id: WABA_UTC, source: 'pricing_analytics', points: 3, first_day: '2025-08-04', last_day: '2025-08-06' });
    const got = await getJson(ctx.svc, `/api/reports/reconciliation?month=2025-08&waba_id=${WABA_UTC}`);
    expect(got.body.rows.map((x) => [x.day, x.category, x.meta_count, x.our_count, x.count_difference, x.meta_cost, x.our_amount, x.status])).toEqual([
      ['2025-08-04', 'marketing', 1, 1, 0, 0.0625, 0.0625, 'match'],
      ['2025-08-04', 'service', 0, 1, 1, null, 0, 'only_ours'],
      ['2025-08-05', 'utility', 2, 1, -1, 0.0028, 0.0014, 'differs'],
      ['2025-08-06', 'authentication', 1, 0, -1, 0.0014, 0, 'only_meta'],
    ]);
    const only = await getJson(ctx.svc, `/api/reports/reconciliation?month=2025-08&only_differences=true`);
    expect(only.body.rows).toHaveLength(3);
  });

  it('reads conversation_analytics for CBP months, with the WABA taken from the query', async () => {
    await postAll(ctx.svc, [statusBody(WABA_BR, PHONE_BR, [
      { wamid: 'wamid.c1', status: 'sent', at: '2024-03-02T12:00:00Z', recipient: '5511900000001', conversation: { id: 'c-1', origin: 'service' }, pricing: { billable: false, pricing_model: 'CBP', category: 'service' } },
      { wamid: 'wamid.c2', status: 'sent', at: '2024-03-02T13:00:00Z', recipient: '5511900000002', conversation: { id: 'c-2', origin: 'marketing' }, pricing: { billable: true, pricing_model: 'CBP', category: 'marketing' } },
    ])]);
    await refresh(ctx.svc);
    const localMidnight = Math.floor(Date.parse('2024-03-02T03:00:00Z') / 1000);
    const saved = {
      conversation_analytics: {
        data: [{
          data_points: [
            { start: localMidnight, end: localMidnight + 86400, conversation: 1, conversation_type: 'FREE_TIER', conversation_direction: 'USER_INITIATED', conversation_category: 'SERVICE', cost: 0 },
            { start: localMidnight, end: localMidnight + 86400, conversation: 1, conversation_type: 'REGULAR', conversation_direction: 'BUSINESS_INITIATED', conversation_category: 'MARKETING', cost: 0.0625 },
          ],
        }],
      },
    };
    const r = await postJson(`/api/reports/reconciliation?waba_id=${WABA_BR}`, saved);
    expect(r.status).toBe(201);
    expect(JSON.parse(r.text).rows.map((x: Record<string, unknown>) => [x.day, x.category, x.meta_count, x.our_count, x.status])).toEqual([
      ['2024-03-02', 'marketing', 1, 1, 'differs'],
      ['2024-03-02', 'service', 1, 1, 'match'],
    ]);
  });

  it('refuses what is not an analytics response', async () => {
    const r = await postJson(`/api/reports/reconciliation?waba_id=${WABA_BR}`, { hello: 'world' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatch(/no data\[\]\.data_points\[\] found/);
  });
});

describe('forecast', () => {
  /** 1,001 service conversations a minute apart from 2024-03-02T10:00Z: the 1,000th at 02:39Z on 3 March, still 2 March in São Paulo. */
  async function cbpMarch() {
    const s: StatusSpec[] = Array.from({ length: 1001 }, (_, i) => ({
      wamid: `wamid.s${i}`,
      status: 'sent' as const,
      at: new Date(Date.parse('2024-03-02T10:00:00Z') + i * 60_000).toISOString(),
      recipient: '5511900000000',
      conversation: { id: `svc-${i}`, origin: 'service' },
      pricing: { billable: i === 1000, pricing_model: 'CBP', category: 'service' },
    }));
    await postAll(ctx.svc, [statusBody(WABA_BR, PHONE_BR, s.slice(0, 500)), statusBody(WABA_BR, PHONE_BR, s.slice(500))]);
    await refresh(ctx.svc);
  }

  it('gives the local date the free tier ran out, the month so far and an interval', async () => {
    await cbpMarch();
    const r = await getJson(ctx.svc, `/api/reports/forecast?month=2024-03&as_of=2024-03-10&waba_id=${WABA_BR}`);
    expect(r.status).toBe(200);
    const total = r.body.rows.find((x) => x.category === '*')!;
    expect(total).toMatchObject({
      waba_id: WABA_BR, month: '2024-03', as_of: '2024-03-10', pricing_model: 'CBP', elapsed_days: 9, remaining_days: 22,
      actual_to_date: 1001, free_tier_limit: 1000, free_tier_used: 1000, free_tier_runs_out: '2024-03-02', free_tier_runs_out_projected: false,
    });
    expect(total.low as number).toBeGreaterThanOrEqual(1001);
    expect(total.high as number).toBeGreaterThanOrEqual(total.forecast as number);
  });

  it('snapshots the forecast per local date and shows its accuracy against the month', async () => {
    await cbpMarch();
    const reports = new BillingReports(ctx.svc.deps);
    await reports.snapshotForecasts(new Date('2024-03-05T12:00:00Z'));
    await reports.snapshotForecasts(new Date('2024-03-05T18:00:00Z'));
    await reports.snapshotForecasts(new Date('2024-03-20T12:00:00Z'));
    const r = await getJson(ctx.svc, `/api/reports/forecast/accuracy?month=2024-03&waba_id=${WABA_BR}`);
    const totals = r.body.rows.filter((x) => x.category === '*');
    expect(totals.map((x) => [x.snapshot_date, x.actual_to_date, x.actual, x.month_complete])).toEqual([
      ['2024-03-05', 1001, 1001, true],
      ['2024-03-20', 1001, 1001, true],
    ]);
  });
});
