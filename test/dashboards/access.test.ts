import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { authHeader, http, startTestService, TEST_TOKENS } from '../helpers/service.ts';
import { openTestWarehouse, rows, TEST_DATA_DIR, truncateAll } from '../helpers/warehouse.ts';
import { pngSize } from './png.ts';

const NOW = new Date('2025-03-12T12:00:00Z');
let wh: Warehouse;
let service: Service;
const html = { Accept: 'text/html,application/xhtml+xml' };

beforeAll(async () => {
  wh = await openTestWarehouse();
  service = await startTestService(wh, {}, { now: () => NOW });
});
afterAll(async () => {
  await service?.stop();
  await wh?.close();
});
beforeEach(() => truncateAll(wh));

const get = (path: string, headers: Record<string, string> = {}) => http(`${service.url()}${path}`, { headers });

async function audited(action: string) {
  return rows<{ actor: string; role: string; params_json: string; export_sha256: string }>(
    wh,
    `SELECT actor, role, params_json, export_sha256 FROM {{db}}.access_audit_v1 WHERE action = {action:String} ORDER BY seq`,
    { action },
  );
}

describe('who may see what', () => {
  it('sends a browser without a session to the login page, a script gets 401', async () => {
    for (const path of ['/dashboards', '/dashboards/managers']) {
      const r = await get(path, html);
      expect(r.status).toBe(303);
      expect(r.headers.location).toBe('/login');
    }
    expect((await get('/dashboards/managers/data')).status).toBe(401);
    expect((await get('/dashboards/managers/first-response.svg')).status).toBe(401);
    expect((await get('/dashboards/managers', { ...html, Authorization: 'Bearer not-a-token' })).status).toBe(303);
  });

  it.each([
    ['manager', ['managers', 'templates']],
    ['finance', ['finance', 'templates']],
    ['privacy', ['privacy']],
    ['admin', ['managers', 'finance', 'privacy', 'templates']],
  ] as const)('%s: the index lists %j and the other dashboards answer 403', async (role, mine) => {
    const index = await get('/dashboards', { ...html, ...authHeader(role) });
    expect(index.status).toBe(200);
    const listed = [...index.text.matchAll(/<li data-dashboard="(\w+)"/g)].map((m) => m[1]);
    expect(listed).toEqual(mine);
    for (const d of ['managers', 'finance', 'privacy', 'templates']) {
      const page = await get(`/dashboards/${d}`, { ...html, ...authHeader(role) });
      const data = await get(`/dashboards/${d}/data`, authHeader(role));
      const expected = (mine as readonly string[]).includes(d) ? 200 : 403;
      expect([d, page.status, data.status]).toEqual([d, expected, expected]);
    }
  });

  it('signs in through the login form with an HttpOnly SameSite cookie', async () => {
    const login = await http(`${service.url()}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(TEST_TOKENS.finance)}`,
    });
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const session = cookie.split(';')[0]!;
    expect((await get('/dashboards/finance', { ...html, Cookie: session })).status).toBe(200);
    expect((await get('/dashboards/privacy', { ...html, Cookie: session })).status).toBe(403);
  });

  it('records every dashboard view in the access audit', async () => {
    await get('/dashboards/finance?from=2025-03-01&to=2025-03-12&waba=W1', { ...html, ...authHeader('finance') });
    await get('/dashboards/finance/data?from=2025-03-01&to=2025-03-12', authHeader('finance'));
    const views = await audited('dashboards.view');
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ actor: 'finance#3', role: 'finance' });
    expect(JSON.parse(views[0]!.params_json)).toEqual({ dashboard: 'finance', from: '2025-03-01', to: '2025-03-12', waba: 'W1' });
    expect(await audited('dashboards.data')).toHaveLength(1);
    // A refused view is recorded as the refusal it is, not as a view.
    await get('/dashboards/privacy', { ...html, ...authHeader('finance') });
    const after = await audited('dashboards.view');
    expect(after).toHaveLength(2);
    expect(JSON.parse(after[1]!.params_json)).toEqual({ dashboard: 'privacy', status: 403 });
  });
});

describe('pages', () => {
  it('load only same-origin scripts and styles, nothing inline', async () => {
    const r = await get('/dashboards/managers', { ...html, ...authHeader('manager') });
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    const scripts = [...r.text.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.map((s) => /src="([^"]+)"/.exec(s)?.[1])).toEqual([
      '/assets/vendor/vega.min.js',
      '/assets/vendor/vega-lite.min.js',
      '/assets/vendor/vega-embed.min.js',
      '/assets/dashboards/dashboard.js',
    ]);
    expect(r.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    for (const chart of ['first-response', 'attainment', 'waiting-now', 'time-to-read']) expect(r.text).toContain(`id="chart-${chart}"`);
  });

  it('serves the vendor builds from the installed packages', async () => {
    const r = await get('/assets/vendor/vega-lite.min.js');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/javascript/);
    expect(r.text).toContain('6.5.0');
    expect((await get('/assets/vendor/vega-lite.min.js', { 'If-None-Match': String(r.headers.etag) })).status).toBe(304);
    expect((await get('/assets/dashboards/dashboard.css')).headers['content-type']).toMatch(/^text\/css/);
    expect((await get('/assets/vendor/nope.js')).status).toBe(404);
  });

  it('answers a bad filter with 400 naming it, unknown dashboards and charts with 404', async () => {
    const bad = await get('/dashboards/finance/data?from=2025-03-10&to=2025-03-01', authHeader('finance'));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).parameter).toBe('from');
    expect((await get('/dashboards/nope', authHeader('admin'))).status).toBe(404);
    expect((await get('/dashboards/finance/nope.svg', authHeader('finance'))).status).toBe(404);
    expect((await get('/dashboards/finance/forecast.gif', authHeader('finance'))).status).toBe(404);
  });

  it('says what each chart waits for when there is no data yet', async () => {
    const r = await get('/dashboards/managers/data', authHeader('manager'));
    const payload = JSON.parse(r.text) as { charts: Array<{ id: string; empty: boolean; message: string }> };
    // Eleven SLA charts and the alerts panel.
    expect(payload.charts).toHaveLength(12);
    expect(payload.charts.every((c) => c.empty && c.message.length > 10)).toBe(true);
  });
});

describe('pictures', () => {
  it('renders a chart to SVG and PNG at the asked size', async () => {
    const svg = await get('/dashboards/finance/forecast.svg?width=500&height=250', authHeader('finance'));
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.text).toMatch(/^<svg[^>]* width="500" height="250"/);
    const png = await get('/dashboards/finance/forecast.png?width=500&height=250&scale=2', authHeader('finance'));
    expect(png.headers['content-type']).toBe('image/png');
    expect(pngSize(png.body)).toEqual({ width: 1000, height: 500 });
    const own = await get('/dashboards/managers/attainment.png', authHeader('admin'));
    expect(pngSize(own.body)).toEqual({ width: 640, height: 260 });
    const pictures = await audited('dashboards.picture');
    expect(pictures).toHaveLength(3);
    expect(pictures[1]!.export_sha256).toBe(createHash('sha256').update(png.body).digest('hex'));
  });
});

describe('snapshots', () => {
  it('is one self-contained file whose CSP allows exactly its inline scripts', async () => {
    const r = await get('/dashboards/privacy/snapshot.html?from=2025-03-01&to=2025-03-12', authHeader('privacy'));
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toMatch(/attachment; filename="privacy-2025-03-01-2025-03-12.html"/);
    const scripts = [...r.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(4);
    expect(r.text).not.toMatch(/<script[^>]+src=|<link[^>]+href="\//);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(r.text)![1]!.replaceAll('&#39;', "'");
    for (const s of scripts) expect(csp).toContain(`'sha256-${createHash('sha256').update(s).digest('base64')}'`);
    const data = JSON.parse(/<script type="application\/json" id="snapshot-data">([\s\S]*?)<\/script>/.exec(r.text)![1]!);
    expect(data.query).toEqual({ from: '2025-03-01', to: '2025-03-12' });
    // Five privacy charts and the alerts panel.
    expect(data.charts).toHaveLength(6);
    expect(await audited('dashboards.snapshot')).toHaveLength(1);
  });

  it('the nightly job writes every dashboard to DATA_DIR/snapshots/<day>/', async () => {
    const job = service.jobs.find((j) => j.name === 'dashboards.snapshots')!;
    await job.run(NOW);
    for (const d of ['managers', 'finance', 'privacy', 'templates']) {
      const file = join(TEST_DATA_DIR, 'snapshots', '2025-03-12', `${d}.html`);
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file, 'utf8')).toContain('id="snapshot-data"');
    }
    const entries = await audited('dashboards.snapshot');
    expect(entries.map((e) => [e.role, JSON.parse(e.params_json).dashboard])).toEqual([
      ['system', 'managers'],
      ['system', 'finance'],
      ['system', 'privacy'],
      ['system', 'templates'],
    ]);
  });
});
