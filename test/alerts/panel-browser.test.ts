import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { postSigned, startTestService } from '../helpers/service.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';
import { figures, launchChromium, signIn, watchedPage } from '../dashboards/browser.ts';
import { templateEventBody } from '../templates/bodies.ts';
import { startHttpReceiver } from './receivers.ts';

// The alerts panel in Chromium. One template paused in A (rule `paused`: managers and finance) and one
// re-categorised (rule `recat`: managers only). The manager's panel lists both, the finance officer's
// only the pause, the privacy officer's is empty (says so), and each page draws without errors.

const T = Date.parse('2026-03-02T12:00:00Z');
const A = '100000000000021';
let clock = T;
let wh: Warehouse;
let svc: Service;
let browser: Browser;
let hooks: Awaited<ReturnType<typeof startHttpReceiver>>;
const tmp = mkdtempSync(join(tmpdir(), 'wa-alerts-panel-'));

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  hooks = await startHttpReceiver();
  writeFileSync(join(tmp, 'config.json'), JSON.stringify({
    tenants: [{ waba_id: A, name: 'Loja A', time_zone: 'UTC' }],
    alerts: {
      recipients: [{ id: 'mgr', role: 'manager', wabas: 'all', webhook: { url: `${hooks.url}/mgr`, secret: 'secret-of-mgr-0123456789' } }],
      rules: [
        { id: 'paused', kind: 'template_paused' },
        { id: 'recat', kind: 'template_recategorised', roles: ['manager'] },
      ],
    },
  }));
  svc = await startTestService(wh, { CONFIG_FILE: join(tmp, 'config.json') }, { now: () => new Date(clock) });
  const tpl = (id: number, name: string) => ({ message_template_id: id, message_template_name: name, message_template_language: 'en_US' });
  const steps = [
    templateEventBody(A, '2026-03-02T11:00:00Z', 'message_template_status_update', { event: 'PAUSED', ...tpl(801, 'news') }),
    templateEventBody(A, '2026-03-02T11:30:00Z', 'template_category_update', { previous_category: 'UTILITY', new_category: 'MARKETING', ...tpl(802, 'otp') }),
  ];
  for (const [i, b] of steps.entries()) {
    clock = T + i * 60_000;
    expect((await postSigned(svc, b)).status).toBe(200);
    await svc.settle();
  }
  await alertEngine(svc.deps).idle();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await hooks?.close();
  await wh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The panel's table as drawn: the body cells' text, row by row (vega's SVG text marks). */
async function panel(role: 'manager' | 'finance' | 'privacy', dashboard: string): Promise<{ rendered: string | null; empty: string; texts: string[] }> {
  const w = await watchedPage(browser);
  try {
    await signIn(w, svc.url(), role);
    const res = await w.page.goto(`${svc.url()}/dashboards/${dashboard}`);
    expect(res?.status()).toBe(200);
    const fig = (await figures(w.page)).find((f) => f.id === `alerts-${dashboard}`)!;
    const texts = await w.page.$$eval(`figure[data-chart=alerts-${dashboard}] svg .role-mark text`, (ts) => ts.map((t) => t.textContent ?? ''));
    expect(w.errors).toEqual([]);
    return { rendered: fig.rendered, empty: fig.empty, texts };
  } finally {
    await w.context.close();
  }
}

describe('the alerts panel on the dashboards', () => {
  it('a manager sees both firings of A', async () => {
    const p = await panel('manager', 'managers');
    expect(p.texts).toEqual(expect.arrayContaining(['recat', 'paused', 'Templates re-categorised', 'Templates paused', '2026-03-02 12:01', '2026-03-02 12:00', A]));
    expect(p.texts.filter((t) => t === 'firing')).toHaveLength(2);
  });

  it('a finance officer sees only the rule meant for finance', async () => {
    const p = await panel('finance', 'finance');
    expect(p.texts).toContain('paused');
    expect(p.texts).not.toContain('recat');
  });

  it('a privacy officer’s panel says there is nothing for them', async () => {
    const p = await panel('privacy', 'privacy');
    expect(p.rendered).toBe('empty');
    expect(p.empty).toContain('No alert for you');
  });
});
