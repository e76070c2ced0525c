import { beforeAll, describe, expect, it } from 'vitest';
import { PHONE_UTC, WABA_UTC, getJson, postAll, refresh, writeTenantConfig } from '../billing/setup.ts';
import { authHeader, http, useTestService } from '../helpers/service.ts';
import { truncateAll } from '../helpers/warehouse.ts';
import { runReportCli } from '../labels/run-cli.ts';
import { templatesCli } from '../../reports/templates/cli.ts';
import { customerBody, delivered, statusesBody, TAG, text } from './bodies.ts';

/**
 * The templates report by the labels in force on the customer at send time, hand-built (September
 * 2025, a UTC WABA, one tagged marketing template `promo`, every send delivered and priced):
 *
 *   A  order/paid from 1 Sep on; vip from 12 Sep until removed on 20 Sep
 *      a1 10 Sep (order/paid)   a2 14 Sep (order/paid, vip; A quotes it: replied)   a3 22 Sep (order/paid)
 *   B  order/new from 15 Sep on
 *      b1 10 Sep (no label)     b2 16 Sep (order/new)
 */

const ctx = useTestService({ CONFIG_FILE: writeTenantConfig() });
const [A, B] = ['5511900000301', '5511900000302'];
const PROMO = TAG('promo', 'pt_BR');
const RANGE = 'from=2025-09-01&to=2025-09-30&tz=UTC';

beforeAll(async () => {
  await truncateAll(ctx.wh);
  const labels = await http(`${ctx.svc.url()}/api/labels`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...authHeader('manager') },
    body: JSON.stringify([
      { wa_id: A, label: 'order/paid', action: 'add', at: '2025-09-01T00:00:00Z', source: 'shop' },
      { wa_id: A, label: 'vip', action: 'add', at: '2025-09-12T00:00:00Z', source: 'crm' },
      { wa_id: A, label: 'vip', action: 'remove', at: '2025-09-20T00:00:00Z', source: 'crm' },
      { wa_id: B, label: 'order/new', action: 'add', at: '2025-09-15T00:00:00Z', source: 'shop' },
    ]),
  });
  expect(labels.status, labels.text).toBe(201);
  await postAll(ctx.svc, [
    statusesBody(WABA_UTC, PHONE_UTC, [
      ...delivered('wamid.a1', A, PROMO, 'marketing', '2025-09-10T10:00:00Z'),
      ...delivered('wamid.a2', A, PROMO, 'marketing', '2025-09-14T10:00:00Z'),
      ...delivered('wamid.a3', A, PROMO, 'marketing', '2025-09-22T10:00:00Z'),
      ...delivered('wamid.b1', B, PROMO, 'marketing', '2025-09-10T11:00:00Z'),
      ...delivered('wamid.b2', B, PROMO, 'marketing', '2025-09-16T11:00:00Z'),
    ]),
    customerBody(WABA_UTC, PHONE_UTC, A, 'wamid.in.a2', '2025-09-14T10:30:00Z', text('Quero', 'wamid.a2')),
  ]);
  await refresh(ctx.svc);
});

async function report(q: string): Promise<Array<Record<string, unknown>>> {
  const r = await getJson(ctx.svc, `/api/reports/templates?${RANGE}${q}`, 'manager');
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.rows;
}

const totals = (rows: Array<Record<string, unknown>>) => {
  const sum = (c: string) => rows.reduce((n, r) => n + Number(r[c]), 0);
  return { sent: sum('sent'), delivered: sum('delivered'), replied: sum('replied'), charged: sum('charged') };
};

describe('templates report by label', () => {
  it('without labels counts every send', async () => {
    expect(totals(await report(''))).toEqual({ sent: 5, delivered: 5, replied: 1, charged: 5 });
  });

  it('label= keeps the sends whose customer had the label at send time', async () => {
    // vip: only a2 (a1 before it was added, a3 after it was removed).
    expect(totals(await report('&label=vip'))).toEqual({ sent: 1, delivered: 1, replied: 1, charged: 1 });
    // order covers order/paid and order/new: a1, a2, a3, b2 (b1 before B's label).
    expect(totals(await report('&label=order'))).toEqual({ sent: 4, delivered: 4, replied: 1, charged: 4 });
    // Any of vip, order/new: a2, b2.
    expect(totals(await report('&label=vip,order/new'))).toEqual({ sent: 2, delivered: 2, replied: 1, charged: 2 });
    // All of vip and order/paid: a2 only.
    expect(totals(await report('&label=vip,order/paid&label_match=all'))).toEqual({ sent: 1, delivered: 1, replied: 1, charged: 1 });
  });

  it('group_by=label repeats a send under each of its labels, and puts unlabelled sends under ""', async () => {
    const rows = await report('&group_by=label');
    const by = Object.fromEntries(rows.map((r) => [r.label as string, [r.sent, r.replied, r.charged]]));
    expect(by).toEqual({ 'order/paid': [3, 1, 3], vip: [1, 1, 1], 'order/new': [1, 0, 1], '': [1, 0, 1] });
    expect(rows.every((r) => r.template === 'promo')).toBe(true);
  });

  it('the templates dashboard filters its funnel by label', async () => {
    const funnel = async (q: string) => {
      const r = await http(`${ctx.svc.url()}/dashboards/templates/data?from=2025-09-01&to=2025-09-30${q}`, { headers: authHeader('manager') });
      expect(r.status, r.text).toBe(200);
      const chart = (JSON.parse(r.text) as { charts: Array<{ id: string; spec: { data?: { values: Array<Record<string, unknown>> } } }> }).charts.find((c) => c.id === 'template-funnel')!;
      return chart.spec.data!.values;
    };
    const sentOf = (values: Array<Record<string, unknown>>) => values.filter((v) => v.step === 'sent').reduce((n, v) => n + Number(v.count), 0);
    expect(sentOf(await funnel(''))).toBe(5);
    expect(sentOf(await funnel('&label=vip'))).toBe(1);
    expect(sentOf(await funnel('&label=order/new,vip'))).toBe(2);
  });

  it('report templates --label on the CLI gives the same sends', async () => {
    const cli = (...args: string[]) => runReportCli(templatesCli, ctx.svc.deps, ['templates', '--from', '2025-09-01', '--to', '2025-09-30', '--tz', 'UTC', '--format', 'json', ...args]);
    const run = await cli('--label', 'vip', '--label', 'order/new');
    expect(run.exitCode, run.stderr).toBe(0);
    // Any of vip, order/new: a2, b2 (as the route above).
    expect(totals(JSON.parse(run.stdout).rows)).toEqual({ sent: 2, delivered: 2, replied: 1, charged: 2 });
    const bad = await cli('--label', 'a//b');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/label/);
  });

  it('refuses a malformed label and an unknown label_match', async () => {
    expect((await getJson(ctx.svc, `/api/reports/templates?${RANGE}&label=${'y'.repeat(300)}`, 'manager')).status).toBe(400);
    expect((await getJson(ctx.svc, `/api/reports/templates?${RANGE}&label=vip&label_match=some`, 'manager')).status).toBe(400);
  });
});
