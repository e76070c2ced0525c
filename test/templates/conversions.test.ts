import { beforeAll, describe, expect, it } from 'vitest';
import { PHONE_UTC, WABA_UTC, getJson, postAll, writeTenantConfig } from '../billing/setup.ts';
import { authHeader, http, useTestService } from '../helpers/service.ts';
import { truncateAll } from '../helpers/warehouse.ts';
import { customerBody, text } from './bodies.ts';

/** Reported ad conversions: who may post them, all-or-nothing checks, and the count per ad (by hand). */

const ctx = useTestService({ CONFIG_FILE: writeTenantConfig() });
const W = WABA_UTC;
const P = PHONE_UTC;
const [A, B, C] = ['5511900000001', '5511900000002', '5511900000003'];
const ADS = `/api/reports/ads?from=2025-09-01&to=2025-09-30&waba_id=${W}`;

const referral = (sourceId: string, clid: string) => ({
  ...text('Olá, vi o anúncio'),
  referral: { source_url: 'https://fb.me/x', source_id: sourceId, source_type: 'ad', headline: 'Oferta', body: 'Oferta', media_type: 'image', ctwa_clid: clid },
});

let service = '';

const post = (body: unknown, token = service, query = '') =>
  http(`${ctx.svc.url()}/api/ads/conversions${query}`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const conversionsPerAd = async () => Object.fromEntries((await getJson(ctx.svc, ADS, 'manager')).body.rows.map((r) => [r.source_id, r.conversions]));

beforeAll(async () => {
  await truncateAll(ctx.wh);
  await postAll(ctx.svc, [
    customerBody(W, P, A, 'wamid.r1', '2025-09-10T10:00:00Z', referral('120200001', 'clid-1')),
    customerBody(W, P, B, 'wamid.r2', '2025-09-10T11:00:00Z', referral('120200001', 'clid-2')),
    // B comes back through another ad the next day
    customerBody(W, P, B, 'wamid.r3', '2025-09-11T11:00:00Z', referral('120200002', 'clid-3')),
    customerBody(W, P, C, 'wamid.c1', '2025-09-11T12:00:00Z', text('oi')),
  ]);
  const r = await http(`${ctx.svc.url()}/api/service-tokens`, {
    method: 'POST', headers: { ...authHeader('admin'), 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'crm', roles: ['manager'], expires_in_days: 1 }),
  });
  expect(r.status, r.text).toBe(201);
  service = (JSON.parse(r.text) as { token: string }).token;
});

describe('POST /api/ads/conversions', () => {
  it('refuses bad input with every problem named, and stores nothing', async () => {
    const bad = await post({ conversions: [
      { waba_id: W, ctwa_clid: 'clid-1', event: 'purchase', at: '2025-09-10T12:00:00Z', value: 120, currency: 'BRL' }, // fine alone
      { waba_id: W, event: 'lead', at: '2025-09-10T12:00:00Z' }, // neither click id nor contact
      { waba_id: W, ctwa_clid: 'clid-2', wa_id: B, event: 'lead', at: '2025-09-10T12:00:00Z' }, // both
      { waba_id: W, ctwa_clid: 'clid-2', event: 'lead', at: 'yesterday' },
      { waba_id: W, ctwa_clid: 'clid-2', event: 'lead', at: '2025-09-10T12:00:00Z', value: -1 },
      { ctwa_clid: 'clid-2', event: 'lead', at: '2025-09-10T12:00:00Z' }, // no WABA
    ] });
    expect(bad.status, bad.text).toBe(400);
    const problems = (JSON.parse(bad.text) as { problems: string[] }).problems;
    expect(problems.map((p) => p.slice(0, 6))).toEqual(['item 2', 'item 3', 'item 4', 'item 5', 'item 6']);
    expect((await post('{not json')).status).toBe(400);
    expect((await post({ conversions: [] })).status).toBe(400);
    // a contact with no referral before the outcome: the whole request is refused
    const early = await post([{ waba_id: W, wa_id: A, event: 'lead', at: '2025-09-09T00:00:00Z' }, { waba_id: W, ctwa_clid: 'clid-1', event: 'lead', at: '2025-09-10T12:00:00Z' }]);
    expect(early.status, early.text).toBe(400);
    expect(await conversionsPerAd()).toEqual({ '120200001': 0, '120200002': 0 });
  });

  it('takes service tokens and admins only; people with the manager role are refused', async () => {
    const one = { waba_id: W, ctwa_clid: 'clid-1', event: 'lead', at: '2025-09-10T12:00:00Z' };
    expect((await post(one, 'manager-token-123')).status).toBe(403);
    expect((await post(one, 'finance-token-123')).status).toBe(403);
    expect((await post(one, 'privacy-token-123')).status).toBe(403);
    expect(await conversionsPerAd()).toEqual({ '120200001': 0, '120200002': 0 });
  });

  it('counts each outcome once per ad: by click id, or by the contact\'s latest referral before it', async () => {
    const first = await post({ conversions: [
      { event_id: 'o-1', ctwa_clid: 'clid-1', event: 'purchase', at: '2025-09-10T12:00:00Z', value: 120, currency: 'BRL' },
      // B's outcome on the 10th belongs to ad 1 (clid-2); on the 12th to ad 2 (clid-3, the later referral)
      { event_id: 'o-2', wa_id: B, event: 'lead', at: 1757505600 /* 2025-09-10T12:00:00Z */ },
      { event_id: 'o-3', wa_id: B, event: 'purchase', at: '2025-09-12T09:00:00Z', value: 40 },
    ] }, service, `?waba_id=${W}`);
    expect(first.status, first.text).toBe(201);
    expect(JSON.parse(first.text)).toEqual({ stored: 3, by_click: 1, by_contact: 2 });
    // the same outcome posted again (o-1), and one by an admin
    expect((await post([{ waba_id: W, event_id: 'o-1', ctwa_clid: 'clid-1', event: 'purchase', at: '2025-09-10T12:00:00Z', value: 120 }])).status).toBe(201);
    expect((await post({ waba_id: W, ctwa_clid: 'clid-3', event: 'lead', at: '2025-09-11T12:00:00Z' }, 'admin-token-123')).status).toBe(201);
    expect(await conversionsPerAd()).toEqual({ '120200001': 2, '120200002': 2 });
  });
});
