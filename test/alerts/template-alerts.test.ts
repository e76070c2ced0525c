import { queryDuration } from '../../warehouse/metrics.ts';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { recordLabels } from '../../reports/labels/record.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import { DISPLAY, PHONE_ID, WABA } from '../fixtures/meta.ts';
import { postSigned } from '../helpers/service.ts';
import { templateEventBody } from '../templates/bodies.ts';
import { startHttpReceiver } from './receivers.ts';
import { saidTo, startAlertService } from './service.ts';

// Template rules and a rule scoped by label, at an injected clock T = 2026-03-02 12:00 UTC. Template
// events arrive as signed webhooks and the alert is handed to its channel in the follower cycle of
// that webhook (no scheduled evaluation in between):
//   promo (501) rated YELLOW at T−2h, news (502) PAUSED at T−1h, otp (503) UTILITY → MARKETING at T−30m
//   → mgr (every WABA) hears of each once; mgr-b (another WABA) of none.
//   news REINSTATED and promo back to GREEN → one resolution each; at T+24h the category change is
//   older than the rule's 24 hours and resolves.
// Label scope (at T+24h): two customers wait 20 minutes against a 10-minute FRT; only v1 holds the label
// vip/gold (added before the wait): the rule scoped to `vip` lists v1 alone, the unscoped one both.

const T = Date.parse('2026-03-02T12:00:00Z');
const OTHER_WABA = '200000000000009';
let clock = T;
let svc: Service;
let hooks: Awaited<ReturnType<typeof startHttpReceiver>>;
const iso = (minutes: number) => new Date(T + minutes * 60_000).toISOString();

let stop: () => Promise<void>;

beforeAll(async () => {
  ({ svc, hooks, stop } = await startAlertService((hook) => ({
    sla: { policies: [{ effective_from: '2026-01-01', rules: [{ name: 'standard', frt: { minutes: 10 } }] }] },
    alerts: {
      recipients: [
        { id: 'mgr', role: 'manager', wabas: 'all', webhook: hook('mgr') },
        { id: 'mgr-b', role: 'manager', wabas: [OTHER_WABA], webhook: hook('mgr-b') },
      ],
      rules: [
        { id: 'paused', kind: 'template_paused' },
        { id: 'quality', kind: 'template_quality', quality: 'YELLOW' },
        { id: 'recat', kind: 'template_recategorised', within_hours: 24 },
        { id: 'vip-breached', kind: 'sla_breached', scope: { labels: ['vip'] } },
        { id: 'all-breached', kind: 'sla_breached' },
      ],
    },
  }), () => clock));
});

afterAll(() => stop?.());

interface Payload {
  rule_id: string;
  state: string;
  items: Array<Record<string, unknown>>;
}
const said = (path: string) => saidTo<Payload>(hooks, path);
/** How many times the template history has been read. */
const historyReads = async () =>
  (await queryDuration.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.query === 'templates.history.changes' && v.labels.outcome === 'ok')?.value ?? 0;
/** Posts signed bodies; resolves once they are loaded, followed (alerts included) and delivered. */
async function post(...bodies: string[]): Promise<void> {
  for (const b of bodies) expect((await postSigned(svc, b)).status).toBe(200);
  await svc.settle();
  await alertEngine(svc.deps).idle();
}
const tpl = (minutes: number, field: string, value: Record<string, unknown>) => templateEventBody(WABA, iso(minutes), field, value);
const promo = { message_template_id: 501, message_template_name: 'promo', message_template_language: 'pt_BR' };
const news = { message_template_id: 502, message_template_name: 'news', message_template_language: 'en_US' };
const otp = { message_template_id: 503, message_template_name: 'otp', message_template_language: 'en_US' };

describe('template rules', () => {
  it('a template paused, rated YELLOW or re-categorised is told in the cycle of its webhook', async () => {
    await post(
      tpl(-120, 'message_template_quality_update', { previous_quality_score: 'GREEN', new_quality_score: 'YELLOW', ...promo }),
      tpl(-60, 'message_template_status_update', { event: 'PAUSED', reason: 'LOW_QUALITY', ...news }),
      tpl(-30, 'template_category_update', { previous_category: 'UTILITY', new_category: 'MARKETING', ...otp }),
    );
    const got = said('mgr').map((p) => [p.rule_id, p.state, p.items.map((i) => [i.template, i.status ?? i.quality ?? `${String(i.previous_category)}>${String(i.category)}`])]);
    expect(got.sort()).toEqual([
      ['paused', 'firing', [['news', 'PAUSED']]],
      ['quality', 'firing', [['promo', 'YELLOW']]],
      ['recat', 'firing', [['otp', 'UTILITY>MARKETING']]],
    ]);
    expect(said('mgr-b')).toEqual([]);
  });

  it('reinstated and back to GREEN: one resolution each; a second load says nothing new', async () => {
    await post(
      tpl(-10, 'message_template_status_update', { event: 'REINSTATED', ...news }),
      tpl(-5, 'message_template_quality_update', { previous_quality_score: 'YELLOW', new_quality_score: 'GREEN', ...promo }),
    );
    expect(said('mgr').slice(3).map((p) => [p.rule_id, p.state, p.items.map((i) => i.template)]).sort()).toEqual([
      ['paused', 'resolved', ['news']],
      ['quality', 'resolved', ['promo']],
    ]);
    await post(tpl(-4, 'message_template_status_update', { event: 'APPROVED', ...promo }));
    expect(said('mgr')).toHaveLength(5);
  });

  it('a category change older than the rule’s hours resolves', async () => {
    // The template tables merged to one part each (so no background merge changes them below), and
    // a cycle that takes that in.
    for (const t of ['management_events_v1', 'template_catalog_v1']) await svc.deps.warehouse.writer.command({ query: `OPTIMIZE TABLE ${svc.deps.warehouse.database}.${t} FINAL` });
    await alertEngine(svc.deps).evaluate();
    await alertEngine(svc.deps).idle();
    expect(said('mgr')).toHaveLength(5);
    clock = T + 24 * 3_600_000;
    // No template event since the last cycle: the history kept then is cut to the rule's hours, not read again.
    const before = await historyReads();
    await alertEngine(svc.deps).evaluate();
    await alertEngine(svc.deps).idle();
    expect(await historyReads()).toBe(before);
    expect(said('mgr').slice(5).map((p) => [p.rule_id, p.state, p.items.map((i) => i.template)])).toEqual([['recat', 'resolved', ['otp']]]);
    expect(said('mgr-b')).toEqual([]);
  });
});

describe('a rule scoped by label', () => {
  const V1 = '5511900000101';
  const V2 = '5511900000102';
  const contact = (waId: string) => 'c_' + createHmac('sha256', 'test-pii-key').update('contact\0' + waId).digest('hex').slice(0, 16);
  const ask = (waId: string, minutes: number) => ({
    field: 'messages',
    value: {
      messaging_product: 'whatsapp', metadata: { display_phone_number: DISPLAY, phone_number_id: PHONE_ID },
      contacts: [{ profile: { name: 'Cliente' }, wa_id: waId }],
      messages: [{ from: waId, id: `wamid.vip.${waId}`, timestamp: String((clock + minutes * 60_000) / 1000), type: 'text', text: { body: 'Olá' } }],
    },
  });

  it('lists only the waits of customers holding the label when the wait started', async () => {
    await recordLabels(svc.deps, [{ wa_id: V1, waba_id: WABA, label: 'vip/gold', action: 'add', at: new Date(clock - 3_600_000).toISOString(), source: 'crm' }], 'api');
    const before = said('mgr').length;
    await post(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: WABA, changes: [ask(V1, -20), ask(V2, -20)] }] }));
    const got = said('mgr').slice(before).map((p) => [p.rule_id, p.state, p.items.map((i) => i.contact).sort()]);
    expect(got.sort()).toEqual([
      ['all-breached', 'firing', [contact(V1), contact(V2)].sort()],
      ['vip-breached', 'firing', [contact(V1)]],
    ]);
  });
});
