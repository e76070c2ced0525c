import { beforeAll, describe, expect, it } from 'vitest';
import { PHONE_UTC, WABA_UTC, getJson, postAll, writeTenantConfig } from '../billing/setup.ts';
import { authHeader, http, useTestService } from '../helpers/service.ts';
import { truncateAll } from '../helpers/warehouse.ts';
import { delivered, send, statusesBody, TAG, templateEventBody } from './bodies.ts';

/** Meta's template_analytics against ours, per template id and UTC day; every expected number by hand. */

const ctx = useTestService({ CONFIG_FILE: writeTenantConfig() }, { now: () => new Date('2025-09-20T00:00:00Z') });
const W = WABA_UTC;
const P = PHONE_UTC;
const [A, B, C] = ['5511900000001', '5511900000002', '5511900000003'];
const PROMO = TAG('promo', 'pt_BR');
const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;
const point = (id: string, d: string, sent: number, deliveredN: number, read: number, clicks = 0) => ({
  template_id: id, start: day(d), end: day(d) + 86_400, sent, delivered: deliveredN, read,
  clicked: clicks ? [{ type: 'quick_reply_button', button_content: 'Quero', count: clicks }] : [], cost: [{ type: 'amount_spent', value: 0 }],
});
// As Graph API answers GET /<WABA_ID>/template_analytics?granularity=DAILY&metric_types=[…]
const ANALYTICS = {
  data: [{
    granularity: 'DAILY', product_type: 'cloud_api',
    data_points: [point('501', '2025-09-10', 2, 2, 1), point('501', '2025-09-11', 1, 0, 0), point('501', '2025-09-12', 1, 1, 0), point('999', '2025-09-10', 5, 5, 5)],
  }],
  paging: { cursors: { before: 'MAZDZD', after: 'MjQZD' } },
};
const post = (body: unknown, role: 'admin' | 'finance' = 'admin') =>
  http(`${ctx.svc.url()}/api/templates/analytics?waba_id=${W}`, { method: 'POST', headers: { ...authHeader(role), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  await truncateAll(ctx.wh);
  await postAll(ctx.svc, [
    // names template 501 (the webhooks carry its id)
    templateEventBody(W, '2025-09-01T00:00:00Z', 'message_template_quality_update', { previous_quality_score: 'GREEN', new_quality_score: 'YELLOW', message_template_id: 501, message_template_name: 'promo', message_template_language: 'pt_BR' }),
    statusesBody(W, P, [
      // 10th: two delivered, one of them read (as Meta says)
      ...delivered('wamid.p1', A, PROMO, 'marketing', '2025-09-10T10:00:00Z'),
      ...send('wamid.p2', B, PROMO, { category: 'marketing' }, [
        { status: 'sent', at: '2025-09-10T11:00:00Z', priced: true }, { status: 'delivered', at: '2025-09-10T11:00:05Z', priced: true }, { status: 'read', at: '2025-09-10T11:10:00Z' },
      ]),
      // 11th: delivered here, not in Meta's numbers
      ...delivered('wamid.p3', C, PROMO, 'marketing', '2025-09-11T10:00:00Z'),
      // 13th: only ours
      ...delivered('wamid.p4', A, PROMO, 'marketing', '2025-09-13T10:00:00Z'),
    ]),
  ]);
});

describe('template reconciliation', () => {
  it('refuses a bad response (nothing loaded) and a caller who is not an admin', async () => {
    const bad = await post({ data: [{ data_points: [{ template_id: 'x', start: 'monday', sent: -1 }] }] });
    expect(bad.status, bad.text).toBe(400);
    expect((JSON.parse(bad.text) as { problems: string[] }).problems).toEqual([
      "data point 1: template_id must be Meta's numeric id", 'data point 1: start must be Unix seconds', 'data point 1: sent must be a count',
    ]);
    expect((await post(ANALYTICS, 'finance')).status).toBe(403);
    const r = await getJson(ctx.svc, `/api/reports/templates/reconciliation?from=2025-09-01&to=2025-09-30&waba_id=${W}`, 'finance');
    expect(r.body.rows).toEqual([]);
  });

  it('shows per template and day where Meta and we agree and differ', async () => {
    const ok = await post(ANALYTICS);
    expect(ok.status, ok.text).toBe(201);
    expect(JSON.parse(ok.text)).toMatchObject({ data_points: 4 });
    const r = await getJson(ctx.svc, `/api/reports/templates/reconciliation?from=2025-09-01&to=2025-09-30&waba_id=${W}`, 'finance');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const pick = (x: Record<string, unknown>) => [x.template_id, x.day, x.template, x.meta_sent, x.sent, x.meta_delivered, x.delivered, x.delivered_diff, x.meta_read, x.read, x.status];
    expect(r.body.rows.map(pick)).toEqual([
      ['501', '2025-09-10', 'promo', 2, 2, 2, 2, 0, 1, 1, 'match'],
      ['501', '2025-09-11', 'promo', 1, 1, 0, 1, 1, 0, 0, 'differs'],
      ['501', '2025-09-12', 'promo', 1, 0, 1, 0, -1, 0, 0, 'only_meta'],
      ['501', '2025-09-13', 'promo', 0, 1, 0, 1, 1, 0, 0, 'only_ours'],
      ['999', '2025-09-10', '', 5, 0, 5, 0, -5, 5, 0, 'unknown_template'],
    ]);
    const diffs = await getJson(ctx.svc, `/api/reports/templates/reconciliation?from=2025-09-01&to=2025-09-30&waba_id=${W}&only_differences=true`, 'manager');
    expect(diffs.body.rows.map((x) => x.status)).toEqual(['differs', 'only_meta', 'only_ours', 'unknown_template']);
    expect((await getJson(ctx.svc, `/api/reports/templates/reconciliation?only_differences=maybe`, 'manager')).status).toBe(400);
  });
});
