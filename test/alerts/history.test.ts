import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { firingsFor } from '../../reports/alerts/history.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import { authHeader, http, postSigned, type TEST_TOKENS } from '../helpers/service.ts';
import { templateEventBody } from '../templates/bodies.ts';
import { startHttpReceiver } from './receivers.ts';
import { startAlertService } from './service.ts';

// The firing history for non-admins. Rules: `paused` (templates; audience manager and finance by
// default), `recat` (templates re-categorised; managers only), `chain` (privacy). Recipients: a
// manager of A, a manager of B, finance with every WABA. At T, T+1m, T+2m (one load each):
// news_a paused in A, news_b paused in B, otp_a re-categorised in A. Each announcement reaches two
// recipients at most and is listed once. Expected, newest first:
//   manager (every WABA): recat otp_a, paused news_b, paused news_a
//   finance:              paused news_b, paused news_a          (recat is not for finance)
//   privacy:              nothing
//   manager of A only:    recat otp_a, paused news_a;   of B only: paused news_b

const T = Date.parse('2026-03-02T12:00:00Z');
const A = '100000000000011';
const B = '100000000000012';
let clock = T;
let svc: Service;
let hooks: Awaited<ReturnType<typeof startHttpReceiver>>;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ svc, hooks, stop } = await startAlertService((hook) => ({
    alerts: {
      recipients: [
        { id: 'mgr-a', role: 'manager', wabas: [A], webhook: hook('mgr-a') },
        { id: 'mgr-b', role: 'manager', wabas: [B], webhook: hook('mgr-b') },
        { id: 'fin', role: 'finance', wabas: 'all', webhook: hook('fin') },
      ],
      rules: [
        { id: 'paused', kind: 'template_paused' },
        { id: 'recat', kind: 'template_recategorised', roles: ['manager'] },
        { id: 'chain', kind: 'audit_chain_broken' },
      ],
    },
  }), () => clock));
  const tpl = (waba: string, id: number, name: string) => ({ message_template_id: id, message_template_name: name, message_template_language: 'en_US' });
  const steps = [
    templateEventBody(A, '2026-03-02T11:00:00Z', 'message_template_status_update', { event: 'PAUSED', ...tpl(A, 701, 'news_a') }),
    templateEventBody(B, '2026-03-02T11:01:00Z', 'message_template_status_update', { event: 'PAUSED', ...tpl(B, 702, 'news_b') }),
    templateEventBody(A, '2026-03-02T11:02:00Z', 'template_category_update', { previous_category: 'UTILITY', new_category: 'MARKETING', ...tpl(A, 703, 'otp_a') }),
  ];
  for (const [i, b] of steps.entries()) {
    clock = T + i * 60_000;
    expect((await postSigned(svc, b)).status).toBe(200);
    await svc.settle();
  }
  await alertEngine(svc.deps).idle();
});

afterAll(() => stop?.());

type Listed = Array<[string, string, unknown[]]>;
const brief = (firings: Array<{ rule_id: string; state: string; items: Array<Record<string, unknown>> }>): Listed => firings.map((f) => [f.rule_id, f.state, f.items.map((i) => i.template)]);
async function historyAs(role: keyof typeof TEST_TOKENS, query = ''): Promise<{ status: number; listed: Listed }> {
  const r = await http(`${svc.url()}/api/reports/alerts${query}`, { headers: authHeader(role) });
  return { status: r.status, listed: r.status === 200 ? brief((JSON.parse(r.text) as { firings: Parameters<typeof brief>[0] }).firings) : [] };
}

describe('the firing history for managers, finance and privacy', () => {
  it('lists the rules of the viewer’s role, each announcement once, newest first', async () => {
    expect(hooks.all).toHaveLength(5);
    expect(await historyAs('manager')).toEqual({ status: 200, listed: [['recat', 'firing', ['otp_a']], ['paused', 'firing', ['news_b']], ['paused', 'firing', ['news_a']]] });
    expect(await historyAs('finance')).toEqual({ status: 200, listed: [['paused', 'firing', ['news_b']], ['paused', 'firing', ['news_a']]] });
    expect(await historyAs('privacy')).toEqual({ status: 200, listed: [] });
    expect((await historyAs('admin')).listed).toHaveLength(3);
    expect(await historyAs('manager', `?waba_id=${B}`)).toEqual({ status: 200, listed: [['paused', 'firing', ['news_b']]] });
  });

  it('a viewer scoped to one WABA sees only that WABA’s firings', async () => {
    const rules = (await alertEngine(svc.deps).rules()).map((l) => l.rule);
    const asOf = (wabas: string[]) => firingsFor(svc.deps, rules, { roles: ['manager'], wabas }, { sinceMs: 0, limit: 100 }).then(brief);
    expect(await asOf([A])).toEqual([['recat', 'firing', ['otp_a']], ['paused', 'firing', ['news_a']]]);
    expect(await asOf([B])).toEqual([['paused', 'firing', ['news_b']]]);
    expect(await asOf(['999'])).toEqual([]);
  });

  it('refuses a bad range', async () => {
    expect((await http(`${svc.url()}/api/reports/alerts?days=0`, { headers: authHeader('manager') })).status).toBe(400);
  });
});
