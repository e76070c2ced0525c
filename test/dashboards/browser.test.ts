import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { authHeader, http, startTestService } from '../helpers/service.ts';
import { openTestWarehouse } from '../helpers/warehouse.ts';
import { figures, launchChromium, signIn, watchedPage } from './browser.ts';
import { prepareWorld, WORLD, WORLD_NOW, WORLD_RANGE, writeWorldConfig } from './world.ts';
import { WEEKDAYS } from '../../dashboards/charts/managers/hour-of-week.ts';
import { minutes } from '../../dashboards/charts/spec.ts';
import { queryDuration } from '../../warehouse/metrics.ts';

/**
 * After a filter change: the page script marks itself `loading` when the form is submitted, before
 * it fetches, so once the new data's response has arrived, `ready` means it is drawn.
 */
async function redrawn(page: Page): Promise<void> {
  await page.waitForSelector('main[data-state=ready]', { timeout: 15_000 });
}

const SHOTS = resolve('test-results', 'dashboards');
const CHARTS = {
  managers: ['first-response', 'next-response', 'attainment', 'hour-of-week', 'waiting-now', 'window-closing', 'agents', 'teams', 'csat', 'bot-vs-human', 'time-to-read', 'alerts-managers'],
  finance: ['daily-by-category', 'free-tier', 'forecast', 'cost-by-market', 'volume-tier', 'reconciliation', 'alerts-finance'],
  privacy: ['retention', 'rights-requests', 'consent', 'access-audit', 'audit-chain', 'alerts-privacy'],
  templates: ['template-funnel', 'template-quality', 'template-cost', 'ads', 'template-reconciliation'],
} as const;
type DashboardId = keyof typeof CHARTS;

/**
 * Charts the generated week cannot fill, with the reason: those must show their empty state,
 * every other chart must draw marks.
 */
const EMPTY_IN_WORLD: Partial<Record<string, string>> = {
  // The week is in the per-message pricing era: there is no free tier to chart.
  'free-tier': 'per-message pricing has no free tier',
  // The world configures no alert rule (test/alerts/panel-browser.test.ts draws the panel with firings).
  'alerts-managers': 'no alert rules in the world',
  'alerts-finance': 'no alert rules in the world',
  'alerts-privacy': 'no alert rules in the world',
};
const ONE_DAY = new Date(Date.parse(`${WORLD.last}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

let wh: Warehouse;
let service: Service;
let browser: Browser;
let base: string;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  wh = await openTestWarehouse();
  service = await startTestService(wh, { CONFIG_FILE: writeWorldConfig() }, { now: () => WORLD_NOW });
  base = service.url();
  await prepareWorld(service);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await wh?.close();
});

describe.each([
  ['manager', ['managers', 'templates']],
  ['finance', ['finance', 'templates']],
  ['privacy', ['privacy']],
  ['admin', ['managers', 'finance', 'privacy', 'templates']],
] as const)('signed in as %s', (role, mine) => {
  it(`sees ${mine.join(', ')} drawn, and no other dashboard`, async () => {
    const w = await watchedPage(browser);
    await signIn(w, base, role);
    const listed = await w.page.$$eval('.cards li', (lis) => lis.map((li) => li.getAttribute('data-dashboard')));
    expect(listed).toEqual(mine);
    for (const d of mine as readonly DashboardId[]) {
      const res = await w.page.goto(`${base}/dashboards/${d}?${WORLD_RANGE}`);
      expect(res?.status()).toBe(200);
      const figs = await figures(w.page);
      expect(figs.map((f) => f.id)).toEqual(CHARTS[d]);
      for (const f of figs) {
        if (EMPTY_IN_WORLD[f.id]) {
          expect([f.id, f.rendered], EMPTY_IN_WORLD[f.id]).toEqual([f.id, 'empty']);
          expect(f.empty.length).toBeGreaterThan(10);
        } else {
          expect([f.id, f.rendered]).toEqual([f.id, 'chart']);
          expect(f.marks, `${d}/${f.id} marks`).toBeGreaterThan(0);
        }
      }
      await w.page.screenshot({ path: join(SHOTS, `${role}-${d}.png`), fullPage: true });
    }
    expect(w.errors).toEqual([]);
    // (Chromium logs the 403 of a refused page as a console error, so errors are checked before.)
    for (const d of Object.keys(CHARTS).filter((x) => !(mine as readonly string[]).includes(x))) {
      const res = await w.page.goto(`${base}/dashboards/${d}`);
      expect([d, res?.status()]).toEqual([d, 403]);
      expect(await w.page.textContent('h1')).toBe('Not allowed');
    }
    await w.context.close();
  });
});

describe('the managers dashboard', () => {
  it('asks for its data once, while its scripts load (the page preloads it)', async () => {
    const w = await watchedPage(browser);
    await signIn(w, base, 'manager');
    const asked: string[] = [];
    w.page.on('request', (r) => {
      if (r.url().includes('/dashboards/managers/data')) asked.push(`${r.url()} ${r.resourceType()}`);
    });
    // The service runs in this process: its warehouse reads are counted here (one live-list read a load).
    const liveReads = async () => (await queryDuration.get()).values.find((x) => x.metricName?.endsWith('_count') && x.labels.query === 'sla.live' && x.labels.outcome === 'ok')?.value ?? 0;
    const before = await liveReads();
    await w.page.goto(`${base}/dashboards/managers?${WORLD_RANGE}`);
    const figs = await figures(w.page);
    expect(figs.filter((f) => f.rendered === 'chart').length).toBeGreaterThan(5);
    // Asked once, by the preload; the script's fetch takes that answer instead of asking again.
    expect(asked).toEqual([`${base}/dashboards/managers/data?${WORLD_RANGE} other`]);
    expect((await liveReads()) - before).toBe(1);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('redraws with fewer marks when the date range narrows, and shows tooltips', async () => {
    const w = await watchedPage(browser);
    await signIn(w, base, 'manager');
    await w.page.goto(`${base}/dashboards/managers?${WORLD_RANGE}`);
    const before = await figures(w.page);
    const bars = (figs: typeof before) => figs.find((f) => f.id === 'bot-vs-human')!.marks;

    await w.page.fill('input[name=from]', ONE_DAY);
    await w.page.fill('input[name=to]', ONE_DAY);
    const reloaded = w.page.waitForResponse((r) => r.url().includes('/dashboards/managers/data?') && r.url().includes(`from=${ONE_DAY}`));
    await w.page.click('#filters button[type=submit]');
    expect((await reloaded).status()).toBe(200);
    await redrawn(w.page);
    expect(await w.page.textContent('#status')).toContain(`${ONE_DAY} to ${ONE_DAY}`);
    const after = await figures(w.page);
    // One day has at most the four responder classes; the week had several days of them.
    expect(bars(after)).toBeGreaterThan(0);
    expect(bars(after)).toBeLessThanOrEqual(4);
    expect(bars(after)).toBeLessThan(bars(before));
    expect(w.page.url()).toContain(`from=${ONE_DAY}`);
    // The picture links follow the filters.
    expect(await w.page.getAttribute('#chart-attainment a[data-picture=png]', 'href')).toBe(`/dashboards/managers/attainment.png?from=${ONE_DAY}&to=${ONE_DAY}`);

    await w.page.hover('#chart-attainment svg .role-mark path');
    await w.page.waitForSelector('#vg-tooltip-element.visible', { timeout: 10_000 });
    expect(await w.page.textContent('#vg-tooltip-element')).toContain('attainment');
    await w.page.screenshot({ path: join(SHOTS, 'manager-managers-one-day.png'), fullPage: true });
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('narrows to one team and still offers the others', async () => {
    const w = await watchedPage(browser);
    await signIn(w, base, 'manager');
    await w.page.goto(`${base}/dashboards/managers?${WORLD_RANGE}`);
    await figures(w.page);
    const teams = await w.page.$$eval('select[name=team] option', (os) => os.map((o) => o.getAttribute('value')));
    expect(teams.length).toBeGreaterThan(2);
    const team = teams[1]!;
    await w.page.selectOption('select[name=team]', team);
    const reloaded = w.page.waitForResponse((r) => r.url().includes('/dashboards/managers/data?') && r.url().includes(`team=${encodeURIComponent(team)}`));
    await w.page.click('#filters button[type=submit]');
    expect((await reloaded).status()).toBe(200);
    await redrawn(w.page);
    expect(await w.page.getAttribute('#chart-teams', 'data-rendered')).toBe('chart');
    // Header and the one team, six columns each; the select still lists every team.
    expect(await w.page.$$eval('#chart-teams svg .role-mark > *', (els) => els.length)).toBe(12);
    expect(await w.page.$$eval('select[name=team] option', (os) => os.map((o) => o.getAttribute('value')))).toEqual(teams);
    expect(await w.page.inputValue('select[name=team]')).toBe(team);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('says clearly when a range has no data', async () => {
    const w = await watchedPage(browser);
    await signIn(w, base, 'manager');
    await w.page.goto(`${base}/dashboards/managers?from=2025-01-01&to=2025-01-31`);
    const figs = await figures(w.page);
    // The live lists are about now, not the range; every chart of the range is empty.
    for (const f of figs.filter((x) => !['waiting-now', 'window-closing'].includes(x.id))) {
      expect([f.id, f.rendered]).toEqual([f.id, 'empty']);
      expect(f.empty).toMatch(/\w+ \w+/);
    }
    expect(await w.page.textContent('#status')).toContain('2025-01-01 to 2025-01-31');
    await w.page.screenshot({ path: join(SHOTS, 'manager-managers-empty.png'), fullPage: true });
    expect(w.errors).toEqual([]);
    await w.context.close();
  });
});

describe('personal data', () => {
  /** The customers on the waiting-now chart, as the data endpoint sends them to a role. */
  async function waitingContacts(role: 'manager' | 'admin'): Promise<string[]> {
    const r = await http(`${base}/dashboards/managers/data?${WORLD_RANGE}`, { headers: authHeader(role) });
    const chart = (JSON.parse(r.text) as { charts: Array<{ id: string; spec: { data?: { values: Array<{ contact: string }> } } }> }).charts.find((c) => c.id === 'waiting-now')!;
    return chart.spec.data!.values.map((v) => v.contact);
  }
  it('managers see pseudonymous contacts, admins the wa_id', async () => {
    const forManager = await waitingContacts('manager');
    const forAdmin = await waitingContacts('admin');
    expect(forManager.length).toBeGreaterThan(0);
    expect(forManager.length).toBe(forAdmin.length);
    for (const c of forManager) expect(c).toMatch(/^c_[0-9a-f]{8,}$/);
    for (const c of forAdmin) expect(c).toMatch(/^\d{8,15}$/);
    // The pseudonym is the keyed hash of that wa_id.
    expect(forManager.sort()).toEqual(forAdmin.map((w) => service.deps.pseudonyms.contact(w)).sort());
  });
});

describe('the managers\' numbers', () => {
  it('the hour-of-week heatmap holds the SLA report of first and next responses, read in the same pass as the other charts', async () => {
    const r = await http(`${base}/dashboards/managers/data?${WORLD_RANGE}`, { headers: authHeader('admin') });
    expect(r.status).toBe(200);
    const chart = (JSON.parse(r.text) as { charts: Array<{ id: string; spec: { data?: { values: Array<Record<string, unknown>> } } }> }).charts.find((c) => c.id === 'hour-of-week')!;
    const report = await http(`${base}/api/reports/sla?${WORLD_RANGE}&period=none&group_by=hour_of_week&kind=first,next&format=json`, { headers: authHeader('admin') });
    expect(report.status).toBe(200);
    const rows = JSON.parse(report.text).rows as Array<{ hour_of_week: number; answered: number; p50_seconds: number | null }>;
    const expected = rows
      .filter((x) => x.answered > 0)
      .map((x) => ({ day: WEEKDAYS[Math.floor(x.hour_of_week / 24)], hour: x.hour_of_week % 24, n: x.answered, p50_minutes: minutes(x.p50_seconds) }));
    const key = (c: Record<string, unknown>) => `${String(c.day)} ${String(c.hour).padStart(2, '0')}`;
    expect(chart.spec.data!.values.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(expected.sort((a, b) => key(a).localeCompare(key(b))));
    expect(expected.length).toBeGreaterThan(3);
  });
});

describe('a snapshot', () => {
  it('opens from a file with the network off and draws every chart', async () => {
    const w = await watchedPage(browser);
    await signIn(w, base, 'admin');
    const res = await w.page.request.get(`${base}/dashboards/managers/snapshot.html`);
    expect(res.status()).toBe(200);
    const file = join(SHOTS, 'managers-snapshot.html');
    writeFileSync(file, await res.body());
    await w.context.close();

    const offline = await watchedPage(browser, { offline: true });
    const requests: string[] = [];
    offline.page.on('request', (r) => requests.push(r.url()));
    await offline.page.goto(pathToFileURL(file).href);
    const figs = await figures(offline.page);
    expect(figs).toHaveLength(CHARTS.managers.length);
    for (const f of figs) expect([f.id, f.rendered, f.marks > 0]).toEqual(EMPTY_IN_WORLD[f.id] ? [f.id, 'empty', false] : [f.id, 'chart', true]);
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    await offline.page.screenshot({ path: join(SHOTS, 'managers-snapshot.png'), fullPage: true });
    expect(offline.errors).toEqual([]);
    await offline.context.close();
  });
});
