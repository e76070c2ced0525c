import express from 'express';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../../app/http.ts';
import { MODULES } from '../../app/modules.ts';
import { openApiPath } from '../../app/openapi.ts';
import { authHeader, http, useTestService } from '../helpers/service.ts';

/** `/api/openapi.json` lists every route the service registers, with its parameters, roles and formats. */

const ctx = useTestService();

type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };
type Operation = {
  'x-roles': string[] | string;
  'x-waba-scope': string;
  parameters: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, unknown> }>;
};

async function document(): Promise<Doc> {
  const r = await http(`${ctx.svc.url()}/api/openapi.json`, { headers: authHeader('manager') });
  expect(r.status).toBe(200);
  return JSON.parse(r.text) as Doc;
}

/** Every (method, path) express has registered, walking the app's router and the routers in it. */
function registered(stack: unknown[]): Array<[string, string]> {
  return (stack as Array<{ route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }>).flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods).map((m) => [m, layer.route!.path] as [string, string])
      : layer.handle?.stack ? registered(layer.handle.stack) : [],
  );
}

describe('GET /api/openapi.json', () => {
  it('needs a credential', async () => {
    expect((await http(`${ctx.svc.url()}/api/openapi.json`)).status).toBe(401);
  });

  it('lists every route the service registers, and none it does not', async () => {
    const doc = await document();
    expect(doc.openapi).toBe('3.1.0');
    // The same app the service builds; metrics and ingest are used only while answering.
    const app = createHttpApp(ctx.svc.deps, [...MODULES], {} as never, {} as never) as express.Express & { router: { stack: unknown[] } };
    const routes = registered(app.router.stack);
    expect(routes.length).toBeGreaterThan(40);
    const missing = routes.filter(([m, p]) => !doc.paths[openApiPath(p)]?.[m]).map(([m, p]) => `${m} ${p}`);
    expect(missing).toEqual([]);
    const listed = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    const known = new Set([...routes.map(([m, p]) => `${m} ${openApiPath(p)}`), 'get /webhook', 'post /webhook']);
    expect(listed.filter((x) => !known.has(x))).toEqual([]);
  });

  it('says who may call a route, what it takes and what it answers', async () => {
    const { paths } = await document();
    const sla = paths['/api/reports/sla']!.get!;
    expect(sla['x-roles']).toEqual(['admin', 'manager']);
    expect(sla['x-waba-scope']).toBe('caller');
    expect(sla.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['format', 'from', 'to', 'waba_id', 'group_by', 'period']));
    expect(Object.keys(sla.responses['200']!.content!)).toEqual(expect.arrayContaining(['application/json', 'text/csv']));
    expect(Object.keys(sla.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));

    const accuracy = paths['/api/reports/forecast/accuracy']!.get!;
    expect(accuracy['x-roles']).toEqual(['admin', 'finance']);
    expect(accuracy.parameters.find((p) => p.name === 'month')?.required).toBe(true);
    expect(accuracy.parameters.find((p) => p.name === 'waba_id')?.required).toBe(false);

    const erasure = paths['/api/compliance/erasure']!.post!;
    expect(erasure['x-roles']).toEqual(['admin', 'privacy']);
    expect(erasure['x-waba-scope']).toBe('all');
    expect(Object.keys(erasure.requestBody!.content)).toEqual(['application/json']);
    expect(JSON.stringify(erasure.requestBody)).toContain('legal_ground');

    expect(Object.keys(paths['/api/compliance/dsar']!.post!.responses['200']!.content!)).toEqual(['application/zip']);
    expect(paths['/dashboards/{dashboard}/{picture}']!.get!.parameters.map((p) => [p.name, p.in])).toEqual(expect.arrayContaining([['dashboard', 'path'], ['picture', 'path'], ['waba', 'query']]));
    expect(paths['/webhook']!.post!['x-roles']).toBe('meta-signature');
    expect(paths['/api/billing/rate-cards']!.post!.responses['201']).toBeDefined();
  });
});
