import { beforeAll, describe, expect, it } from 'vitest';
import { PHONE_UTC, WABA_UTC, getJson, postAll, writeTenantConfig } from '../billing/setup.ts';
import { authHeader, http, useTestService } from '../helpers/service.ts';
import { truncateAll } from '../helpers/warehouse.ts';
import { send, statusesBody, TAG, templateEventBody } from './bodies.ts';

/**
 * The template catalogue from a saved `message_templates` response: loaded by admins, all or nothing,
 * and shown in the history and the report only where the webhooks said nothing (expected by hand).
 */

const NOW = new Date('2025-09-20T00:00:00Z');
const ctx = useTestService({ CONFIG_FILE: writeTenantConfig() }, { now: () => NOW });
const W = WABA_UTC;
const P = PHONE_UTC;
const RANGE = `from=2025-09-01&to=2025-09-25&waba_id=${W}`;

// As Graph API answers GET /<WABA_ID>/message_templates (components left out).
const CATALOGUE = {
  data: [
    { name: 'promo', language: 'pt_BR', status: 'APPROVED', category: 'MARKETING', id: '501', quality_score: { score: 'GREEN', date: 1757000000 } },
    { name: 'welcome', language: 'en_US', status: 'APPROVED', category: 'UTILITY', id: '502', quality_score: { score: 'UNKNOWN', date: 1757000000 } },
    { name: 'old_offer', language: 'es', status: 'REJECTED', category: 'MARKETING', id: '503', rejected_reason: 'INVALID_FORMAT' },
  ],
  paging: { cursors: { before: 'MAZDZD', after: 'MgZDZD' } },
};

const post = (body: unknown, role: 'admin' | 'manager' = 'admin', query = `?waba_id=${W}`) =>
  http(`${ctx.svc.url()}/api/templates/catalog${query}`, { method: 'POST', headers: { ...authHeader(role), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  await truncateAll(ctx.wh);
  await postAll(ctx.svc, [
    // promo's quality came by webhook; welcome was refused outright (no pricing, so no category of its own)
    templateEventBody(W, '2025-09-10T00:00:00Z', 'message_template_quality_update', { previous_quality_score: 'GREEN', new_quality_score: 'YELLOW', message_template_id: 501, message_template_name: 'promo', message_template_language: 'pt_BR' }),
    statusesBody(W, P, send('wamid.w1', '5511900000001', TAG('welcome', 'en_US'), null, [{ status: 'failed', at: '2025-09-12T10:00:00Z', errorCode: 131026 }])),
  ]);
});

describe('POST /api/templates/catalog', () => {
  it('refuses a response with a bad item (nothing loaded), no WABA, or a caller who is not an admin', async () => {
    const bad = await post({ data: [...CATALOGUE.data, { language: 'en_US', status: 'APPROVED' }] });
    expect(bad.status, bad.text).toBe(400);
    expect((JSON.parse(bad.text) as { problems: string[] }).problems).toEqual(['item 4: no name']);
    expect((await post({ templates: [] })).status).toBe(400);
    expect((await post(CATALOGUE, 'admin', '')).status).toBe(400);
    expect((await post(CATALOGUE, 'manager')).status).toBe(403);
    const history = await getJson(ctx.svc, `/api/reports/templates/history?${RANGE}`, 'manager');
    expect(history.body.rows.map((r) => r.field)).toEqual(['message_template_quality_update']);
    const report = await getJson(ctx.svc, `/api/reports/templates?${RANGE}`, 'manager');
    expect(report.body.rows.map((r) => [r.template, r.category])).toEqual([['welcome', '']]);
  });

  it('fills the history and the report where the webhooks gave nothing', async () => {
    const ok = await post(CATALOGUE);
    expect(ok.status, ok.text).toBe(201);
    expect(JSON.parse(ok.text)).toMatchObject({ templates: 3 });
    const history = await getJson(ctx.svc, `/api/reports/templates/history?${RANGE}`, 'manager');
    const at = '2025-09-20T00:00:00.000Z';
    expect(history.body.rows.map((r) => [r.at, r.field, r.template, r.event, r.value, r.reason])).toEqual([
      ['2025-09-10T00:00:00.000Z', 'message_template_quality_update', 'promo', '', 'YELLOW', ''],
      // by template id; promo: status and category from the catalogue (its quality came by webhook)
      [at, 'catalogue', 'promo', 'category', 'MARKETING', ''],
      [at, 'catalogue', 'promo', 'status', 'APPROVED', ''],
      [at, 'catalogue', 'welcome', 'category', 'UTILITY', ''],
      [at, 'catalogue', 'welcome', 'quality', 'UNKNOWN', ''],
      [at, 'catalogue', 'welcome', 'status', 'APPROVED', ''],
      [at, 'catalogue', 'old_offer', 'category', 'MARKETING', ''],
      [at, 'catalogue', 'old_offer', 'status', 'REJECTED', 'INVALID_FORMAT'],
    ]);
    const report = await getJson(ctx.svc, `/api/reports/templates?${RANGE}`, 'manager');
    expect(report.body.rows.map((r) => [r.template, r.language, r.category, r.sent, r.failed])).toEqual([['welcome', 'en_US', 'utility', 0, 1]]);
    // the risk report takes welcome's status and rating from the catalogue
    const risk = await getJson(ctx.svc, `/api/reports/templates/risk?${RANGE}`, 'manager');
    expect(risk.body.rows.map((r) => [r.template, r.status, r.quality])).toEqual([['welcome', 'APPROVED', 'UNKNOWN']]);
  });
});
