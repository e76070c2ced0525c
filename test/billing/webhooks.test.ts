import { beforeEach, describe, expect, it } from 'vitest';
import { rows, truncateAll } from '../helpers/warehouse.ts';
import { useTestService } from '../helpers/service.ts';
import { billingEnv } from '../../reports/billing/facts-job.ts';
import { backfillLedger } from '../../reports/billing/ledger.ts';
import { pmpMessage, statusBody, tierEventBody, type StatusSpec } from './bodies.ts';
import { PHONE_BR, PHONE_UTC, WABA_BR, WABA_UTC, getJson, postAll, refresh, writeTenantConfig } from './setup.ts';

/**
 * Hand-built signed webhooks through the real ctx.svc, each case's answer computed by hand from
 * the definitions in docs/BILLING.md (never from the code's own output).
 */

const ctx = useTestService({ CONFIG_FILE: writeTenantConfig() });
beforeEach(async () => {
  await truncateAll(ctx.wh);
});

type Row = Record<string, unknown>;
const pick = (r: Row) => ({ category: r.category, market: r.market, type: r.type, count: r.count, billable_count: r.billable_count, free_count: r.free_count });

describe('per-message pricing (PMP)', () => {
  const august: StatusSpec[] = [
    // duplicate statuses: the same delivered twice, read without pricing → one charged marketing message
    ...pmpMessage('wamid.m1', '5511987650001', '2025-08-04T12:00:00Z', { category: 'marketing', type: 'regular', billable: true }, [
      { status: 'delivered', at: '2025-08-04T12:00:05Z', priced: true },
      { status: 'delivered', at: '2025-08-04T12:00:05Z', priced: true },
      { status: 'read', at: '2025-08-04T12:30:00Z' },
    ]),
    // pricing on sent and read, delivered skipped → one utility message
    ...pmpMessage('wamid.m2', '919876500002', '2025-08-05T09:00:00Z', { category: 'utility', type: 'regular', billable: true }, [
      { status: 'read', at: '2025-08-05T09:10:00Z', priced: true },
    ]),
    // failed template refused by Meta: only a `failed` status, no pricing → no charge
    { wamid: 'wamid.m3', status: 'failed', at: '2025-08-06T10:00:00Z', recipient: '447700900003', errorCode: 131026 },
    // failed after a priced `sent`: never delivered, so never charged (Meta charges on delivery)
    ...pmpMessage('wamid.m3b', '447700900033', '2025-08-06T11:00:00Z', { category: 'marketing', type: 'regular', billable: true }, [
      { status: 'failed', at: '2025-08-06T11:05:00Z' },
    ]),
    // priced `sent` never followed by delivered/read (the phone is gone): not delivered, not charged
    ...pmpMessage('wamid.m3d', '447700900035', '2025-08-06T11:30:00Z', { category: 'marketing', type: 'regular', billable: true }, []),
    // delivered to a market the rate card below has no price for: charged, reported as unpriced
    ...pmpMessage('wamid.m3c', '447700900034', '2025-08-06T12:00:00Z', { category: 'marketing', type: 'regular', billable: true }, [
      { status: 'delivered', at: '2025-08-06T12:00:03Z', priced: true },
    ]),
    // utility inside the customer-service window: counted, free
    ...pmpMessage('wamid.m4', '4915100000004', '2025-08-07T10:00:00Z', { category: 'utility', type: 'free_customer_service', billable: false }, [
      { status: 'delivered', at: '2025-08-07T10:00:02Z', priced: true },
    ]),
    // +1 809 is Rest of Latin America; +1 415 North America
    ...pmpMessage('wamid.m6', '18095550106', '2025-08-08T10:00:00Z', { category: 'authentication', type: 'regular', billable: true }, [
      { status: 'delivered', at: '2025-08-08T10:00:01Z', priced: true },
    ]),
    ...pmpMessage('wamid.m7', '14155550107', '2025-08-08T11:00:00Z', { category: 'authentication', type: 'regular', billable: true }, [
      { status: 'delivered', at: '2025-08-08T11:00:01Z', priced: true },
    ]),
    // pricing without billable (deprecated field dropped): type decides
    ...pmpMessage('wamid.m8', '5215500000008', '2025-08-09T10:00:00Z', { category: 'marketing', type: 'regular' }, [
      { status: 'delivered', at: '2025-08-09T10:00:01Z', priced: true },
    ]),
    // sent on 31 Aug, delivered on 1 Sep (UTC WABA): charged in September
    ...pmpMessage('wamid.m10', '5511987650010', '2025-08-31T23:50:00Z', { category: 'marketing', type: 'regular', billable: true }, [
      { status: 'delivered', at: '2025-09-01T00:10:00Z', priced: true },
    ]),
  ];
  // free entry point: the window's conversation id, free
  const fep: StatusSpec[] = [
    { wamid: 'wamid.m5', status: 'sent', at: '2025-08-10T10:00:00Z', recipient: '5511987650005', conversation: { id: 'fep-1', origin: 'referral_conversion' }, pricing: { billable: false, pricing_model: 'PMP', category: 'referral_conversion', type: 'free_entry_point' } },
    { wamid: 'wamid.m5', status: 'delivered', at: '2025-08-10T10:00:02Z', recipient: '5511987650005', conversation: { id: 'fep-1', origin: 'referral_conversion' }, pricing: { billable: false, pricing_model: 'PMP', category: 'referral_conversion', type: 'free_entry_point' } },
  ];

  it('counts each charged message once, by category × market × type', async () => {
    await postAll(ctx.svc, [statusBody(WABA_UTC, PHONE_UTC, august), statusBody(WABA_UTC, PHONE_UTC, fep), statusBody(WABA_UTC, PHONE_UTC, august.slice(0, 3))]);
    await refresh(ctx.svc);
    const r = await getJson(ctx.svc, `/api/reports/conversations?month=2025-08&waba_id=${WABA_UTC}`);
    expect(r.status).toBe(200);
    expect(r.body.rows.map(pick)).toEqual([
      { category: 'authentication', market: 'North America', type: 'regular', count: 1, billable_count: 1, free_count: 0 },
      { category: 'authentication', market: 'Rest of Latin America', type: 'regular', count: 1, billable_count: 1, free_count: 0 },
      { category: 'marketing', market: 'Brazil', type: 'regular', count: 1, billable_count: 1, free_count: 0 },
      { category: 'marketing', market: 'Mexico', type: 'regular', count: 1, billable_count: 1, free_count: 0 },
      { category: 'marketing', market: 'United Kingdom', type: 'regular', count: 1, billable_count: 1, free_count: 0 },
      { category: 'referral_conversion', market: 'Brazil', type: 'free_entry_point', count: 1, billable_count: 0, free_count: 1 },
      { category: 'utility', market: 'Germany', type: 'free_customer_service', count: 1, billable_count: 0, free_count: 1 },
      { category: 'utility', market: 'India', type: 'regular', count: 1, billable_count: 1, free_count: 0 },
    ]);
    for (const row of r.body.rows) {
      expect(row).toMatchObject({ waba_id: WABA_UTC, month: '2025-08', pricing_model: 'PMP', free_tier_limit: null, free_tier_used: null });
    }
    const sep = await getJson(ctx.svc, `/api/reports/conversations?month=2025-09&waba_id=${WABA_UTC}`);
    expect(sep.body.rows.map(pick)).toEqual([{ category: 'marketing', market: 'Brazil', type: 'regular', count: 1, billable_count: 1, free_count: 0 }]);
  });

  it('charges from the rate card in force, at the volume tier in force when charged', async () => {
    await postAll(ctx.svc, [
      statusBody(WABA_UTC, PHONE_UTC, august),
      tierEventBody(WABA_UTC, { at: '2025-08-05T00:00:00Z', category: 'UTILITY', tier: '1000001:5000000', month: '2025-08', region: 'India' }),
    ]);
    await refresh(ctx.svc);
    const card = [
      'Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service',
      'Brazil,USD,0.0625,0.0068,0.0315,,0',
      'India,USD,0.0107,0.0014,0.0014,0.0280,0',
      'Mexico,USD,0.0436,0.0100,0.0239,,0',
      'North America,USD,0.0250,0.0040,0.0135,,0',
      'Rest of Latin America,USD,0.0740,0.0113,0.0278,,0',
      'Germany,USD,0.1365,0.0550,0.0768,,0',
    ].join('\n');
    const tiers = ['Market,Currency,Category,Tier,Rate', 'India,USD,Utility,0:1000000,0.0014', 'India,USD,Utility,1000001:5000000,0.0012'].join('\n');
    for (const [text, kind] of [[card, 'rates'], [tiers, 'tiers']] as const) {
      const r = await fetch(`${ctx.svc.url()}/api/billing/rate-cards?currency=USD&effective_from=2025-07-01`, {
        method: 'POST', headers: { Authorization: 'Bearer finance-token-123', 'Content-Type': 'text/csv' }, body: text,
      });
      expect(r.status, kind).toBe(201);
    }
    const r = await getJson(ctx.svc, `/api/reports/charges?month=2025-08&waba_id=${WABA_UTC}&group_by=category,market,tier`);
    expect(r.status).toBe(200);
    const byKey = Object.fromEntries(r.body.rows.map((x) => [`${x.category}/${x.market}/${x.tier}`, x.amount]));
    expect(byKey).toEqual({
      'authentication/North America/': 0.0135,
      'authentication/Rest of Latin America/': 0.0278,
      'marketing/Brazil/': 0.0625,
      'marketing/Mexico/': 0.0436,
      'marketing/United Kingdom/': 0,
      'utility/Germany/': 0,
      'utility/India/1000001:5000000': 0.0012,
    });
    const total = await getJson(ctx.svc, `/api/reports/charges?month=2025-08&waba_id=${WABA_UTC}&group_by=`);
    expect(total.body.rows).toHaveLength(1);
    expect(total.body.rows[0]).toMatchObject({ billable_count: 6, unpriced_count: 1 });
    expect(total.body.rows[0]!.amount).toBeCloseTo(0.0135 + 0.0278 + 0.0625 + 0.0436 + 0.0012, 10);
  });
});

describe('conversation-based pricing (CBP)', () => {
  const service1001 = (): StatusSpec[] =>
    Array.from({ length: 1001 }, (_, i) => ({
      wamid: `wamid.s${i}`,
      status: 'sent' as const,
      at: new Date(Date.parse('2024-03-02T12:00:00Z') + i * 60_000).toISOString(),
      recipient: '5511900000000',
      conversation: { id: `svc-${i}`, origin: 'service' },
      pricing: { billable: i === 1000, pricing_model: 'CBP', category: 'service' },
    }));

  it('counts distinct conversations; the 1,001st service conversation is billable', async () => {
    const all = service1001();
    const other: StatusSpec[] = [
      // two messages of one marketing conversation, with a duplicate delivery
      { wamid: 'wamid.k1', status: 'sent', at: '2024-03-05T10:00:00Z', recipient: '5511911110000', conversation: { id: 'mkt-1', origin: 'marketing' }, pricing: { billable: true, pricing_model: 'CBP', category: 'marketing' } },
      { wamid: 'wamid.k1', status: 'delivered', at: '2024-03-05T10:00:02Z', recipient: '5511911110000', conversation: { id: 'mkt-1', origin: 'marketing' }, pricing: { billable: true, pricing_model: 'CBP', category: 'marketing' } },
      { wamid: 'wamid.k2', status: 'sent', at: '2024-03-05T11:00:00Z', recipient: '5511911110000', conversation: { id: 'mkt-1', origin: 'marketing' }, pricing: { billable: true, pricing_model: 'CBP', category: 'marketing' } },
      // free entry point: free, not drawn from the free tier
      { wamid: 'wamid.k3', status: 'sent', at: '2024-03-06T10:00:00Z', recipient: '5511922220000', conversation: { id: 'fep-9', origin: 'referral_conversion' }, pricing: { billable: false, pricing_model: 'CBP', category: 'referral_conversion' } },
      // both spellings of authentication-international are one category
      { wamid: 'wamid.k4', status: 'sent', at: '2024-03-07T10:00:00Z', recipient: '919000000001', conversation: { id: 'ai-1', origin: 'authentication_international' }, pricing: { billable: true, pricing_model: 'CBP', category: 'authentication-international' } },
      { wamid: 'wamid.k5', status: 'sent', at: '2024-03-07T11:00:00Z', recipient: '919000000002', conversation: { id: 'ai-2', origin: 'authentication_international' }, pricing: { billable: true, pricing_model: 'CBP', category: 'authentication_international' } },
    ];
    await postAll(ctx.svc, [statusBody(WABA_BR, PHONE_BR, all.slice(0, 600)), statusBody(WABA_BR, PHONE_BR, all.slice(600)), statusBody(WABA_BR, PHONE_BR, other), statusBody(WABA_BR, PHONE_BR, other)]);
    await refresh(ctx.svc);
    const r = await getJson(ctx.svc, `/api/reports/conversations?month=2024-03&waba_id=${WABA_BR}`);
    expect(r.status).toBe(200);
    const rowsOut = r.body.rows.map((x) => ({ category: x.category, count: x.count, billable_count: x.billable_count, free_count: x.free_count, free_tier_used: x.free_tier_used }));
    expect(rowsOut).toEqual([
      { category: 'authentication-international', count: 2, billable_count: 2, free_count: 0, free_tier_used: 0 },
      { category: 'marketing', count: 1, billable_count: 1, free_count: 0, free_tier_used: 0 },
      { category: 'referral_conversion', count: 1, billable_count: 0, free_count: 1, free_tier_used: 0 },
      { category: 'service', count: 1001, billable_count: 1, free_count: 1000, free_tier_used: 1000 },
    ]);
    for (const row of r.body.rows) expect(row).toMatchObject({ pricing_model: 'CBP', month: '2024-03', free_tier_limit: 1000, free_tier_remaining: 0, market: '', type: '' });
  });

  it('puts a status at 2024-03-01T02:00Z into February for America/Sao_Paulo, and fills in a silent billable from the free tier', async () => {
    await postAll(ctx.svc, [
      statusBody(WABA_BR, PHONE_BR, [
        { wamid: 'wamid.f1', status: 'sent', at: '2024-03-01T02:00:00Z', recipient: '5511933330000', conversation: { id: 'ut-1', origin: 'utility' }, pricing: { billable: true, pricing_model: 'CBP', category: 'utility' } },
        { wamid: 'wamid.f1', status: 'delivered', at: '2024-03-01T03:30:00Z', recipient: '5511933330000', conversation: { id: 'ut-1', origin: 'utility' }, pricing: { billable: true, pricing_model: 'CBP', category: 'utility' } },
        // pricing without billable: service draws on February's free tier, which has room
        { wamid: 'wamid.f2', status: 'sent', at: '2024-02-20T15:00:00Z', recipient: '5511944440000', conversation: { id: 'sv-x', origin: 'service' }, pricing: { pricing_model: 'CBP', category: 'service' } },
      ]),
      statusBody(WABA_UTC, PHONE_UTC, [
        { wamid: 'wamid.u1', status: 'sent', at: '2024-03-01T02:00:00Z', recipient: '5511955550000', conversation: { id: 'ut-2', origin: 'utility' }, pricing: { billable: true, pricing_model: 'CBP', category: 'utility' } },
      ]),
    ]);
    await refresh(ctx.svc);
    const feb = await getJson(ctx.svc, `/api/reports/conversations?month=2024-02&waba_id=${WABA_BR}`);
    expect(feb.body.rows.map((x) => [x.category, x.count, x.billable_count, x.free_count, x.free_tier_used])).toEqual([
      ['service', 1, 0, 1, 1],
      ['utility', 1, 1, 0, 0],
    ]);
    expect(feb.body.rows[0]).toMatchObject({ free_tier_limit: 1000, free_tier_remaining: 999 });
    const mar = await getJson(ctx.svc, `/api/reports/conversations?month=2024-03&waba_id=${WABA_BR}`);
    expect(mar.body.rows).toEqual([]);
    const utc = await getJson(ctx.svc, `/api/reports/conversations?month=2024-03&waba_id=${WABA_UTC}`);
    expect(utc.body.rows.map((x) => [x.category, x.count])).toEqual([['utility', 1]]);
  });
});

describe('the facts job', () => {
  it('is idempotent: a second run and a rebuild change nothing', async () => {
    await postAll(ctx.svc, [
      statusBody(WABA_UTC, PHONE_UTC, pmpMessage('wamid.i1', '5511987650001', '2025-08-04T12:00:00Z', { category: 'marketing', type: 'regular', billable: true }, [{ status: 'delivered', at: '2025-08-04T12:00:05Z', priced: true }])),
    ]);
    await refresh(ctx.svc);
    const first = await getJson(ctx.svc, `/api/reports/conversations?month=2025-08`);
    // Within the overlap window the same statuses are read again: nothing changed, nothing is written.
    expect(await refresh(ctx.svc)).toMatchObject({ messages: 0, conversations: 0, periods: [] });
    await Promise.all([refresh(ctx.svc), refresh(ctx.svc)]);
    const { runFacts, billingEnv } = await import('../../reports/billing/facts-job.ts');
    await runFacts(billingEnv(ctx.svc.deps), new Date(Date.now() + 60_000), { rebuild: true });
    const again = await getJson(ctx.svc, `/api/reports/conversations?month=2025-08`);
    expect(again.body.rows).toEqual(first.body.rows);
    const facts = await rows<{ n: number }>(ctx.wh, `SELECT count() AS n FROM {{db}}.billing_messages_v1 FINAL`);
    expect(Number(facts[0]!.n)).toBe(1);
  });

  it('copies every stored status into an empty ledger, a few rows a page, across WABAs, numbers and messages', async () => {
    // Two numbers under one WABA and a second WABA, several statuses per message: pages of 2 rows
    // end inside a message, between numbers and between WABAs.
    const br = (wamid: string, to: string, at: string) =>
      pmpMessage(wamid, to, at, { category: 'marketing', type: 'regular', billable: true }, [{ status: 'delivered', at: at.replace(':00Z', ':05Z'), priced: true }, { status: 'read', at: at.replace(':00Z', ':30Z') }]);
    await postAll(ctx.svc, [
      statusBody(WABA_BR, PHONE_BR, [...br('wamid.p1', '5511987650001', '2025-08-04T12:00:00Z'), ...br('wamid.p2', '5511987650002', '2025-08-04T13:00:00Z')]),
      statusBody(WABA_BR, '399', br('wamid.p3', '5511987650003', '2025-08-05T12:00:00Z')),
      statusBody(WABA_UTC, PHONE_UTC, [...br('wamid.p4', '447700900004', '2025-08-06T12:00:00Z'), ...br('wamid.p1', '447700900001', '2025-08-06T14:00:00Z')]),
    ]);
    // A store from before the ledger: its statuses are there, the accounting copy is not.
    for (const t of ['billing_statuses_v1', 'billing_message_customers_v1']) await ctx.wh.writer.command({ query: `TRUNCATE TABLE ${ctx.wh.database}.${t}` });
    // 5 messages × sent, delivered, read.
    expect(await backfillLedger(billingEnv(ctx.svc.deps), 0, Date.now() + 60_000, 2)).toBe(15);
    const ledger = await rows<{ waba_id: string; phone_number_id: string; status: string; n: string }>(ctx.wh,
      `SELECT waba_id, phone_number_id, status, count() AS n FROM {{db}}.billing_statuses_v1 FINAL GROUP BY ALL ORDER BY ALL`);
    expect(ledger.map((r) => [r.waba_id, r.phone_number_id, r.status, Number(r.n)])).toEqual([
      [WABA_BR, PHONE_BR, 'delivered', 2], [WABA_BR, PHONE_BR, 'read', 2], [WABA_BR, PHONE_BR, 'sent', 2],
      [WABA_BR, '399', 'delivered', 1], [WABA_BR, '399', 'read', 1], [WABA_BR, '399', 'sent', 1],
      [WABA_UTC, PHONE_UTC, 'delivered', 2], [WABA_UTC, PHONE_UTC, 'read', 2], [WABA_UTC, PHONE_UTC, 'sent', 2],
    ]);
    const customers = await rows<{ n: string }>(ctx.wh, `SELECT count() AS n FROM {{db}}.billing_message_customers_v1 FINAL`);
    expect(Number(customers[0]!.n)).toBe(5);
  });

  it('charges a message only once its delivery arrives, in the month of the delivery', async () => {
    const sent = pmpMessage('wamid.late', '5511987650001', '2025-08-31T23:50:00Z', { category: 'marketing', type: 'regular', billable: true }, []);
    await postAll(ctx.svc, [statusBody(WABA_UTC, PHONE_UTC, sent)]);
    await refresh(ctx.svc);
    // a priced `sent` alone is not a charge (not delivered)
    expect((await getJson(ctx.svc, `/api/reports/conversations?month=2025-08&waba_id=${WABA_UTC}`)).body.rows).toEqual([]);
    await postAll(ctx.svc, [statusBody(WABA_UTC, PHONE_UTC, [{ wamid: 'wamid.late', status: 'delivered', at: '2025-09-01T00:05:00Z', recipient: '5511987650001', pricing: { pricing_model: 'PMP', category: 'marketing', type: 'regular', billable: true } }])]);
    await refresh(ctx.svc);
    expect((await getJson(ctx.svc, `/api/reports/conversations?month=2025-08&waba_id=${WABA_UTC}`)).body.rows).toEqual([]);
    expect((await getJson(ctx.svc, `/api/reports/conversations?month=2025-09&waba_id=${WABA_UTC}`)).body.rows.map((x) => x.count)).toEqual([1]);
  });
});
