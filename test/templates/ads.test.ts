import { beforeAll, describe, expect, it } from 'vitest';
import { PHONE_UTC, WABA_UTC, getJson, postAll, writeTenantConfig } from '../billing/setup.ts';
import { useTestService } from '../helpers/service.ts';
import { truncateAll } from '../helpers/warehouse.ts';
import { customerBody, send, statusesBody, text } from './bodies.ts';

/** Click-to-WhatsApp ads from hand-built referrals; each expected number is counted by hand below. */

const ctx = useTestService({ CONFIG_FILE: writeTenantConfig() });
const W = WABA_UTC;
const P = PHONE_UTC;
const [A, B, C, D, E] = ['5511900000001', '5511900000002', '5511900000003', '5511900000004', '5511900000005'];

const referral = (sourceId: string, sourceType: string, headline: string, clid: string) => ({
  ...text('Olá, vi o anúncio'),
  referral: { source_url: 'https://fb.me/x', source_id: sourceId, source_type: sourceType, headline, body: 'Oferta', media_type: 'image', ctwa_clid: clid },
});
const fep = { category: 'referral_conversion', type: 'free_entry_point' };
const answer = (wamid: string, to: string, at: string, pricing = fep) => send(wamid, to, null, pricing, [{ status: 'sent', at, priced: true }]);

beforeAll(async () => {
  await truncateAll(ctx.wh);
  await postAll(ctx.svc, [
    // ad 1: A answered after 60 s (and a second free-entry-point message), B after 120 s, C after 600 s
    customerBody(W, P, A, 'wamid.r1', '2025-09-10T10:00:00Z', referral('120200001', 'ad', 'Black Friday', 'clid-1')),
    customerBody(W, P, B, 'wamid.r2', '2025-09-10T11:00:00Z', referral('120200001', 'ad', 'Black Friday', 'clid-2')),
    customerBody(W, P, C, 'wamid.r3', '2025-09-10T12:00:00Z', referral('120200001', 'ad', 'Black Friday', 'clid-3')),
    // A clicks the same ad again; the answer comes after 25 h: not answered (window 24 h), and priced regular
    customerBody(W, P, A, 'wamid.r4', '2025-09-11T09:00:00Z', referral('120200001', 'ad', 'Black Friday', 'clid-4')),
    // ad 2 (a post): never answered
    customerBody(W, P, D, 'wamid.r5', '2025-09-12T09:00:00Z', referral('120200002', 'post', 'Novidades', 'clid-5')),
    // not from an ad
    customerBody(W, P, E, 'wamid.e1', '2025-09-12T09:30:00Z', text('oi')),
    statusesBody(W, P, [
      ...answer('wamid.o1', A, '2025-09-10T10:01:00Z'),
      ...answer('wamid.o2', A, '2025-09-10T10:30:00Z'),
      ...answer('wamid.o3', B, '2025-09-10T11:02:00Z'),
      ...answer('wamid.o4', C, '2025-09-10T12:10:00Z'),
      ...answer('wamid.o5', A, '2025-09-12T10:00:00Z', { category: 'marketing', type: 'regular' }),
      ...answer('wamid.o6', E, '2025-09-12T09:31:00Z', { category: 'service', type: 'free_customer_service' }),
    ]),
  ]);
});

describe('GET /api/reports/ads', () => {
  it('gives per ad its referrals, customers, answers, first response time and free-entry-point messages', async () => {
    const r = await getJson(ctx.svc, `/api/reports/ads?from=2025-09-01&to=2025-09-30&waba_id=${W}`, 'manager');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.rows).toEqual([
      // gaps 60, 120, 600 s: median 120, p90 the largest; free-entry-point: o1, o2, o3, o4
      { waba_id: W, source_id: '120200001', source_type: 'ad', headline: 'Black Friday', referrals: 4, customers: 3, answered: 3, answer_rate: 0.75, frt_p50_s: 120, frt_p90_s: 600, free_entry_point_messages: 4, conversions: 0 },
      { waba_id: W, source_id: '120200002', source_type: 'post', headline: 'Novidades', referrals: 1, customers: 1, answered: 0, answer_rate: 0, frt_p50_s: null, frt_p90_s: null, free_entry_point_messages: 0, conversions: 0 },
    ]);
  });
});
