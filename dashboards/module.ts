import { createHash } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { ServiceModule } from '../app/modules.ts';
import type { AppDeps } from '../app/deps.ts';
import { auditWho, signInOf, type Principal } from '../app/auth.ts';
import { assets } from './assets.ts';
import { allowed, signedIn, viewerOf, wantsHtml } from './access.ts';
import { mayView, scopeRefusal, tenantsInScope } from './source.ts';
import { findDashboard } from './catalog.ts';
import { dashboardPayload } from './payload.ts';
import { indexPage } from './pages/index-page.ts';
import { dashboardPage } from './pages/dashboard-page.ts';
import { messagePage } from './pages/html.ts';
import { snapshotHtml } from './pages/snapshot.ts';
import { parseQuery, QueryError, querySchema, type DashboardQuery } from './query.ts';
import { documentRoutes, type ApiRouteDoc } from '../app/openapi.ts';
import { z } from 'zod';
import { pictureSize, renderSvg, svgToPng } from './render.ts';
import { snapshotJob } from './snapshots.ts';
import { scopeAudit } from '../reports/scope.ts';
import type { Dashboard } from './source.ts';

function sha256(b: string | Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function serveAsset(req: Request, res: Response): void {
  const a = assets().get(req.path);
  if (!a) {
    res.status(404).json({ error: 'not found' });
    return;
  }
  res.setHeader('Cache-Control', 'public, max-age=3600');
  res.setHeader('ETag', a.etag);
  if (req.headers['if-none-match'] === a.etag) {
    res.status(304).end();
    return;
  }
  res.type(a.type).send(a.body);
}

/**
 * The dashboard named in the path, once the principal is signed in, allowed and its filters are
 * good; otherwise answered, and a refusal (403, 400) recorded in the access audit as `action`.
 */
async function open(req: Request, res: Response, deps: AppDeps, action: string): Promise<{ d: Dashboard<unknown>; principal: Principal; query: DashboardQuery } | undefined> {
  const principal = await signedIn(req, res, deps);
  if (!principal) return undefined;
  const d = findDashboard(String(req.params.dashboard));
  if (!d) {
    res.status(404).json({ error: `no dashboard ${String(req.params.dashboard).slice(0, 40)}` });
    return undefined;
  }
  if (!mayView(d, principal)) {
    await audit(deps, principal, action, { dashboard: d.id, status: 403 });
    allowed(req, res, principal, d);
    return undefined;
  }
  const opened = await orBadQuery(req, res, deps, principal, action, d, async () => ({ d, principal, query: parseQuery(req.query as Record<string, unknown>, deps.now()) }));
  if (!opened) return undefined;
  const refused = scopeRefusal(d, principal.wabas, opened.query.waba);
  if (refused) {
    await audit(deps, principal, action, { dashboard: d.id, ...opened.query, status: 403, refused });
    if (wantsHtml(req)) res.status(403).type('html').send(messagePage(principal, 'Not allowed', refused));
    else res.status(403).json({ error: refused });
    return undefined;
  }
  return opened;
}

/** A filter the reports refuse (a WABA nobody knows, a year out of bounds) is the caller's error: 400, audited. */
async function orBadQuery<T>(req: Request, res: Response, deps: AppDeps, principal: Principal, action: string, d: Dashboard<unknown>, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (e) {
    if (!(e instanceof QueryError)) throw e;
    await audit(deps, principal, action, { dashboard: d.id, status: 400, parameter: e.parameter, refused: e.message.slice(0, 300) });
    if (wantsHtml(req)) res.status(400).type('html').send(messagePage(principal, 'Bad filter', e.message));
    else res.status(400).json(e.json());
    return undefined;
  }
}

function audit(deps: AppDeps, p: Principal, action: string, params: Record<string, unknown>, exportSha256?: string): Promise<void> {
  return deps.audit.record({ ...auditWho(p), action, params: { ...params, ...scopeAudit(p.wabas), ...signInOf(p) }, ...(exportSha256 ? { exportSha256 } : {}) });
}

function routes(router: Router, deps: AppDeps): void {
  router.get('/assets/vendor/:file', serveAsset);
  router.get('/assets/dashboards/:file', serveAsset);

  router.get('/dashboards', async (req, res) => {
    const principal = await signedIn(req, res, deps);
    if (!principal) return;
    await audit(deps, principal, 'dashboards.index', {});
    res.type('html').send(indexPage(principal));
  });

  router.get('/dashboards/:dashboard', async (req, res) => {
    const o = await open(req, res, deps, 'dashboards.view');
    if (!o) return;
    await audit(deps, o.principal, 'dashboards.view', { dashboard: o.d.id, ...o.query });
    res.type('html').send(dashboardPage(o.d, o.principal, o.query, tenantsInScope(deps.config.file.tenants, o.principal.wabas)));
  });

  router.get('/dashboards/:dashboard/data', async (req, res) => {
    const o = await open(req, res, deps, 'dashboards.data');
    if (!o) return;
    const now = deps.now();
    const payload = await orBadQuery(req, res, deps, o.principal, 'dashboards.data', o.d, () => dashboardPayload(o.d, { deps, query: o.query, viewer: viewerOf(o.principal), now }));
    if (!payload) return;
    await audit(deps, o.principal, 'dashboards.data', { dashboard: o.d.id, ...o.query });
    res.setHeader('Cache-Control', 'no-store');
    res.json(payload);
  });

  router.get('/dashboards/:dashboard/snapshot.html', async (req, res) => {
    const o = await open(req, res, deps, 'dashboards.snapshot');
    if (!o) return;
    const now = deps.now();
    const payload = await orBadQuery(req, res, deps, o.principal, 'dashboards.snapshot', o.d, () => dashboardPayload(o.d, { deps, query: o.query, viewer: viewerOf(o.principal), now }));
    if (!payload) return;
    const { html, csp } = snapshotHtml(payload);
    await audit(deps, o.principal, 'dashboards.snapshot', { dashboard: o.d.id, ...o.query }, sha256(html));
    // The file carries its own CSP (hashes of its inline scripts); the header says the same.
    res.setHeader('Content-Security-Policy', `${csp}; frame-ancestors 'none'`);
    res.setHeader('Content-Disposition', `attachment; filename="${o.d.id}-${o.query.from}-${o.query.to}.html"`);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(html);
  });

  router.get('/dashboards/:dashboard/:picture', async (req, res) => {
    const m = /^([a-z0-9-]+)\.(svg|png)$/.exec(String(req.params.picture));
    const o = await open(req, res, deps, 'dashboards.picture');
    if (!o) return;
    const binding = m ? o.d.charts.find((c) => c.chart.id === m[1]) : undefined;
    if (!m || !binding) {
      res.status(404).json({ error: `no chart ${String(req.params.picture).slice(0, 60)} on the ${o.d.id} dashboard` });
      return;
    }
    const format = m[2] as 'svg' | 'png';
    const { size, scale } = pictureSize(req.query as Record<string, unknown>, binding.chart.size);
    const now = deps.now();
    const payload = await orBadQuery(req, res, deps, o.principal, 'dashboards.picture', o.d, () =>
      dashboardPayload(o.d, { deps, query: o.query, viewer: viewerOf(o.principal), now }, { only: binding.chart.id, size }),
    );
    if (!payload) return;
    const chart = payload.charts[0]!;
    const svg = await renderSvg(chart.spec);
    const body = format === 'svg' ? Buffer.from(svg, 'utf8') : svgToPng(svg, scale);
    await audit(deps, o.principal, 'dashboards.picture', { dashboard: o.d.id, chart: chart.id, format, ...o.query }, sha256(body));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Disposition', `inline; filename="${o.d.id}-${chart.id}.${format}"`);
    res.type(format === 'svg' ? 'image/svg+xml' : 'image/png').send(body);
  });
}

const HTML = 'text/html';
const VIEWERS = { roles: ['manager', 'finance', 'privacy'] } as const;
const pictureQuery = querySchema.extend({
  width: z.string().optional().describe('pixels'), height: z.string().optional().describe('pixels'), scale: z.string().optional().describe('PNG only, 1–4'),
});

/** The routes above as the OpenAPI document lists them (each dashboard: its own role, or admin). */
export const DASHBOARD_ROUTES: readonly ApiRouteDoc[] = [
  { method: 'get', path: '/assets/vendor/:file', summary: 'vendored scripts of the pages', access: 'public', answers: ['application/javascript'] },
  { method: 'get', path: '/assets/dashboards/:file', summary: 'scripts and styles of the pages', access: 'public', answers: ['application/javascript', 'text/css'] },
  { method: 'get', path: '/dashboards', summary: 'the dashboards the viewer may open', access: 'signed-in', answers: [HTML], action: 'dashboards.index' },
  { method: 'get', path: '/dashboards/:dashboard', summary: 'a dashboard page (managers, finance, privacy)', access: VIEWERS, query: querySchema, answers: [HTML], action: 'dashboards.view' },
  { method: 'get', path: '/dashboards/:dashboard/data', summary: "a dashboard's chart specs and filter choices", access: VIEWERS, query: querySchema, answers: ['application/json'], action: 'dashboards.data' },
  { method: 'get', path: '/dashboards/:dashboard/snapshot.html', summary: 'a self-contained HTML snapshot of a dashboard', access: VIEWERS, query: querySchema, answers: [HTML], action: 'dashboards.snapshot' },
  { method: 'get', path: '/dashboards/:dashboard/:picture', summary: 'one chart as `<chart>.svg` or `<chart>.png`', access: VIEWERS, query: pictureQuery, answers: ['image/svg+xml', 'image/png'], action: 'dashboards.picture' },
];

export default {
  name: 'dashboards',
  routes: (router, deps) => {
    routes(router, deps);
    documentRoutes(router, DASHBOARD_ROUTES);
  },
  jobs: (deps) => [snapshotJob(deps)],
} satisfies ServiceModule;
