import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { createHttpApp } from '../../app/http.ts';
import { buildDeps } from '../../app/server.ts';
import { createLogger } from '../../app/logger.ts';
import { createIngestMetrics } from '../../ingest/metrics.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';
import { http, startTestService, testConfig, TEST_TOKENS } from '../helpers/service.ts';

/**
 * The access matrix, generated from the router itself: every route the service mounts is called with
 * every role and with none. A route that is not classified below fails the test, so a new route
 * cannot ship without a decision about who may call it.
 */

type Role = keyof typeof TEST_TOKENS;
const ROLES: Role[] = ['admin', 'manager', 'finance', 'privacy'];

/** Who may call a route (admin always may). `public` needs no token; `any` needs any valid token. */
function allowed(path: string): Role[] | 'public' | 'any' {
  if (['/healthz', '/metrics', '/login', '/logout', '/'].includes(path) || path.startsWith('/assets/')) return 'public';
  if (path.startsWith('/api/reports/sla')) return ['manager'];
  if (/^\/api\/reports\/(conversations|charges|forecast|reconciliation)/.test(path) || path.startsWith('/api/billing/')) return ['finance'];
  if (path.startsWith('/api/compliance/')) return ['privacy'];
  if (path.startsWith('/api/alerts/')) return [];
  // Ad conversions: service tokens and admins (these API tokens are not service tokens).
  if (path === '/api/ads/conversions' || path === '/api/templates/catalog' || path === '/api/templates/analytics') return [];
  if (path === '/api/reports/alerts') return ['manager', 'finance', 'privacy'];
  if (path === '/api/labels' || path.startsWith('/api/reports/csat') || path.startsWith('/api/reports/agents')) return ['manager'];
  if (path.startsWith('/api/reports/labels/billing')) return ['finance'];
  if (path.startsWith('/api/reports/labels/')) return ['manager'];
  if (path === '/dashboards' || path === '/api/openapi.json' || path === '/api/me') return 'any';
  if (path.startsWith('/api/users') || path.startsWith('/api/service-tokens')) return [];
  if (/^\/api\/(reports\/(templates|ads)|templates\/)/.test(path) || path.startsWith('/dashboards/templates')) return ['manager', 'finance'];
  if (path.startsWith('/dashboards/managers')) return ['manager'];
  if (path.startsWith('/dashboards/finance')) return ['finance'];
  if (path.startsWith('/dashboards/privacy')) return ['privacy'];
  throw new Error(`route ${path} has no access rule in this test`);
}

interface Route { method: string; path: string }

/** Walks express's router stacks for every concrete route. */
function listRoutes(stack: unknown[], prefix = ''): Route[] {
  const out: Route[] = [];
  for (const layer of stack as Array<{ route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }>) {
    if (layer.route) {
      for (const m of Object.keys(layer.route.methods)) if (m !== '_all') out.push({ method: m.toUpperCase(), path: prefix + layer.route.path });
    } else if (layer.handle?.stack) {
      out.push(...listRoutes(layer.handle.stack, prefix));
    }
  }
  return out;
}

/** Concrete paths for a route pattern: each dashboard name for `:dashboard`, a placeholder otherwise. */
function concrete(path: string): string[] {
  const withDash = path.includes(':dashboard') ? ['managers', 'finance', 'privacy'].map((d) => path.replace(':dashboard', d)) : [path];
  return withDash.map((p) => p.replace(':picture', 'chart.svg').replace(/:[a-z_]+/g, 'x'));
}

let wh: Warehouse;
let svc: Service;
let routes: Route[];
beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  svc = await startTestService(wh);
  const config = testConfig();
  const { deps, modules } = await buildDeps(config, wh, createLogger('access', 'silent'));
  const app = createHttpApp(deps, modules, createIngestMetrics(), svc.ingest);
  routes = listRoutes((app as unknown as { router: { stack: unknown[] } }).router.stack);
});
afterAll(async () => {
  await svc?.stop();
  await wh?.close();
});

describe('access matrix', () => {
  it('finds the routes of every module', () => {
    const paths = routes.map((r) => r.path);
    expect(paths.some((p) => p.startsWith('/api/reports/sla'))).toBe(true);
    expect(paths.some((p) => p.startsWith('/api/reports/conversations'))).toBe(true);
    expect(paths.some((p) => p.startsWith('/api/compliance/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('/dashboards'))).toBe(true);
  });

  it('answers every route with every role exactly as its rule says', async () => {
    const failures: string[] = [];
    let calls = 0;
    for (const route of routes) {
      for (const path of concrete(route.path)) {
        const effective = allowed(path);
        for (const role of [undefined, ...ROLES]) {
          const headers: Record<string, string> = { 'Content-Type': 'application/json' };
          if (role) headers.Authorization = `Bearer ${TEST_TOKENS[role]}`;
          const r = await http(`${svc.url()}${path}`, { method: route.method, headers, ...(route.method === 'GET' ? {} : { body: '{}' }) });
          calls++;
          const who = role ?? 'none';
          if (effective === 'public') {
            // POST /login with no token in its form is refused as bad credentials, which is right.
            const badLogin = route.method === 'POST' && path === '/login' && r.status === 401;
            if ((r.status === 401 || r.status === 403) && !badLogin) failures.push(`${route.method} ${path} as ${who}: ${r.status} on a public route`);
          } else if (!role) {
            if (!(r.status === 401 || (r.status === 302 && String(r.headers.location).startsWith('/login')))) failures.push(`${route.method} ${path} without a token: ${r.status}`);
          } else if (role === 'admin' || effective === 'any' || effective.includes(role)) {
            if (r.status === 401 || r.status === 403) failures.push(`${route.method} ${path} as ${who}: ${r.status}, expected access`);
          } else if (r.status !== 403) {
            failures.push(`${route.method} ${path} as ${who}: ${r.status}, expected 403`);
          }
          if (r.status >= 500) failures.push(`${route.method} ${path} as ${who}: ${r.status}`);
        }
      }
    }
    console.log(`access matrix: ${routes.length} routes, ${calls} calls`);
    expect(failures).toEqual([]);
  });

  it('survives SQL injection attempts in every parameter of every GET route', async () => {
    const payloads = ["' OR 1=1 --", "1'); DROP TABLE raw_webhooks_v1; --", '{x:String}', '2025-01-01\' UNION SELECT body FROM raw_webhooks_v1 --', '../../../etc/passwd'];
    const params = ['from', 'to', 'tz', 'month', 'waba_id', 'phone_number_id', 'team', 'agent', 'kind', 'family', 'format', 'wa_id', 'table', 'responder', 'currency', 'category'];
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.method === 'GET')) {
      for (const path of concrete(route.path).filter((p) => allowed(p) !== 'public')) {
        for (const payload of payloads) {
          const qs = params.map((p) => `${p}=${encodeURIComponent(payload)}`).join('&');
          const r = await http(`${svc.url()}${path}?${qs}`, { headers: { Authorization: `Bearer ${TEST_TOKENS.admin}` } });
          if (r.status >= 500) failures.push(`${path} with ${payload}: ${r.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
    const stillThere = await http(`${svc.url()}/healthz`);
    expect(stillThere.status).toBe(200);
    const tables = await wh.reader.query({ query: `SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = 'raw_webhooks_v1'`, query_params: { db: wh.database }, format: 'JSONEachRow' });
    expect(Number((await tables.json<{ n: number }>())[0]!.n)).toBe(1);
  });

  it('serves no file outside what it means to serve (path traversal)', async () => {
    const attempts = [
      '/assets/vendor/..%2F..%2Fpackage.json',
      '/assets/vendor/%2e%2e%2f%2e%2e%2fpackage.json',
      '/assets/dashboards/..%2F..%2F.ci%2Frun',
      '/assets/vendor/....//....//etc/passwd',
      '/dashboards/managers/..%2F..%2Fetc%2Fpasswd.svg',
      '/dashboards/..%2Fprivacy',
    ];
    for (const path of attempts) {
      const r = await http(`${svc.url()}${path}`, { headers: { Authorization: `Bearer ${TEST_TOKENS.admin}` } });
      expect([400, 403, 404], path).toContain(r.status);
      expect(r.text, path).not.toMatch(/"name": "wa-analytics"|root:x:0:0|apt-get/);
    }
  });
});
