import { tableFromIPC } from 'apache-arrow';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../app/http.ts';
import { createLogger } from '../../app/logger.ts';
import { buildDeps } from '../../app/server.ts';
import { createIngestMetrics } from '../../ingest/metrics.ts';
import type { IngestPipeline } from '../../ingest/pipeline.ts';
import { openTestIngest } from '../helpers/ingest.ts';
import { openWarehouse, type Warehouse } from '../../warehouse/client.ts';
import { statuses } from '../fixtures/meta.ts';
import { authHeader, freePort, http, postSigned, testConfig, useTestService } from '../helpers/service.ts';
import { rows, truncateAll } from '../helpers/warehouse.ts';

/**
 * The one report endpoint, against the defects it was made to fix: every range parameter bounded
 * and refused with 400 naming it (and the refusal audited), empty Arrow and Parquet exports, an
 * error code beyond Int32 not stored wrapped, and 503 with Retry-After when the warehouse is gone.
 */

const NOW = new Date('2026-11-10T12:00:00Z');
const ctx = useTestService({}, { now: () => NOW });
beforeEach(() => truncateAll(ctx.wh));

type Role = 'admin' | 'manager' | 'finance' | 'privacy';
const get = (path: string, role: Role = 'admin') => http(`${ctx.svc.url()}${path}`, { headers: authHeader(role) });
const post = (path: string, body: unknown, role: Role = 'privacy') =>
  http(`${ctx.svc.url()}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...authHeader(role) }, body: JSON.stringify(body) });
const audit = (action: string) =>
  rows<{ role: string; params_json: string; export_sha256: string }>(ctx.wh, `SELECT role, params_json, export_sha256 FROM {{db}}.access_audit_v1 WHERE action = {action:String} ORDER BY seq`, { action });

describe('range parameters: bounded, 400 naming the parameter', () => {
  it('refuses the dashboards year 9999 at once instead of listing months to year ~99990, and audits it', async () => {
    const r = await get('/dashboards/finance/data?from=9999-01-01&to=9999-12-31', 'finance');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ parameter: 'from' });
    expect((await get('/dashboards/finance/data?from=2025-01-01&to=2101-01-01', 'finance')).status).toBe(400);
    const refused = await audit('dashboards.data');
    expect(refused.map((a) => JSON.parse(a.params_json))).toEqual([
      { dashboard: 'finance', status: 400, parameter: 'from', refused: 'from: must be between 2000-01-01 and 2100-12-31' },
      { dashboard: 'finance', status: 400, parameter: 'to', refused: 'to: must be between 2000-01-01 and 2100-12-31' },
    ]);
  });

  it.each([
    ['/api/compliance/requests?to=%2B275760-09-13T00:00:00Z', 'to'],
    ['/api/compliance/erasures?from=-000001-01-01T00:00:00Z', 'from'],
    ['/api/compliance/audit?from=1', 'from'],
    ['/api/compliance/consent?from=2025-02-30', 'from'],
    ['/api/compliance/marketing?view=summary&to=1999-12-31', 'to'],
    ['/api/reports/sla/waits?from=0001-01-01&to=2025-03-02', 'from'],
    ['/api/reports/sla/waits?to=9999-12-31', 'to'],
  ])('%s → 400 naming %s', async (path, parameter) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).parameter).toBe(parameter);
  });

  it('reads from=2025-03-01 as that day, and records a refused listing with its status', async () => {
    expect((await get('/api/compliance/requests?from=2025-03-01&to=2025-03-02T00:00:00Z')).status).toBe(200);
    expect((await get('/api/compliance/requests?from=1', 'privacy')).status).toBe(400);
    const entries = (await audit('compliance.rights_requests')).map((a) => JSON.parse(a.params_json));
    expect(entries).toEqual([
      { from: '2025-03-01T00:00:00.000Z', to: '2025-03-02T00:00:00.000Z', format: 'json', status: 200 },
      { from: '1', status: 400, parameter: 'from', refused: expect.stringMatching(/^from: expected an ISO date/) },
    ]);
  });

  it('keeps a number typed into any parameter out of the audit of the refusal', async () => {
    const r = await get('/api/reports/sla/waits?wa_id=5511987654321&5511987654322=x', 'manager');
    expect(r.status).toBe(400);
    const [entry] = await audit('sla.waits');
    expect(JSON.parse(entry!.params_json)).toMatchObject({ status: 400, wa_id: '…' });
    expect(entry!.params_json).not.toMatch(/5511987654321|5511987654322/);
  });

  it('refuses billing months outside the years 2000–2100', async () => {
    const r = await get('/api/reports/charges?month=9999-12', 'finance');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toBe('month must be between 2000-01-01 and 2100-12-31, got "9999-12"');
    expect(JSON.parse((await audit('billing.charges'))[0]!.params_json)).toMatchObject({ month: '9999-12', status: 400 });
  });

  it('refuses consent captured in year 0001 or 9999 and a request received in 1900, storing nothing', async () => {
    const consent = (captured_at: string) => post('/api/compliance/consent', { wa_id: '5511922220001', action: 'opt_in', captured_at });
    for (const captured_at of ['0001-01-01T00:00:00Z', '9999-12-31T00:00:00Z']) {
      const r = await consent(captured_at);
      expect([captured_at, r.status]).toEqual([captured_at, 400]);
      expect(JSON.parse(r.text).parameter).toBe('captured_at');
    }
    const request = await post('/api/compliance/requests', { wa_id: '5511922220001', type: 'access', received_at: '1900-01-01T00:00:00Z' });
    expect(request.status).toBe(400);
    expect(JSON.parse(request.text).parameter).toBe('received_at');
    expect(await rows(ctx.wh, 'SELECT * FROM {{db}}.consent_events_v1')).toEqual([]);
    expect(await rows(ctx.wh, 'SELECT * FROM {{db}}.rights_requests_v1')).toEqual([]);
    // Refusals audited, without the subject's number.
    const refused = [...(await audit('compliance.consent_record')), ...(await audit('compliance.rights_request_open'))];
    expect(refused.map((a) => JSON.parse(a.params_json).status)).toEqual([400, 400, 400]);
    for (const a of refused) expect(a.params_json).not.toContain('5511922220001');
    // In bounds, accepted as before.
    expect((await consent('2026-10-01T00:00:00Z')).status).toBe(201);
  });
});

describe('an empty report as Arrow or Parquet', () => {
  it.each([
    ['/api/reports/sla/breaches?from=2025-03-01&to=2025-03-02', 'manager', 'overdue_seconds'],
    ['/api/compliance/holds', 'privacy', 'hold_id'],
    ['/api/compliance/erasures', 'privacy', 'receipt_sha256'],
    ['/api/reports/charges?month=2025-08', 'finance', 'amount'],
  ] as const)('%s is a valid file with the columns and no rows', async (path, role, column) => {
    const arrow = await get(`${path}${path.includes('?') ? '&' : '?'}format=arrow`, role);
    expect(arrow.status).toBe(200);
    const table = tableFromIPC(arrow.body);
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => f.name)).toContain(column);
    const parquet = await get(`${path}${path.includes('?') ? '&' : '?'}format=parquet`, role);
    expect(parquet.status).toBe(200);
    expect(parquet.body.subarray(0, 4).toString()).toBe('PAR1');
    expect(parquet.body.subarray(-4).toString()).toBe('PAR1');
  });
});

describe('a status error code beyond Int32', () => {
  it('is not stored wrapped: the typed column stays empty, the exact code stays in errors_json', async () => {
    const body = statuses({ id: 'wamid.E1', status: 'failed', timestamp: '1760000000', recipient_id: '5511900000001', errors: [{ code: 99999999999, title: 'odd' }] });
    expect((await postSigned(ctx.svc, JSON.stringify(body))).status).toBe(200);
    const [row] = await rows<{ error_code: number | null; errors_json: string }>(ctx.wh, `SELECT error_code, errors_json FROM {{db}}.statuses_v1 WHERE wamid = 'wamid.E1'`);
    expect(row!.error_code).toBeNull();
    expect(row!.errors_json).toContain('99999999999');
  });
});

describe('when the warehouse cannot be reached', () => {
  let down: Warehouse;
  let server: Server;
  let base: string;
  let ingest: IngestPipeline;
  beforeAll(async () => {
    // A real connection refused: a ClickHouse server address nothing listens on.
    const config = testConfig({ CLICKHOUSE_URL: `http://127.0.0.1:${await freePort()}`, CLICKHOUSE_DATABASE: 'wa_down' });
    down = await openWarehouse(config);
    const { deps, modules } = await buildDeps(config, down, createLogger('down', 'silent'), () => NOW);
    ingest = await openTestIngest(down);
    server = createServer(createHttpApp(deps, modules, createIngestMetrics(), ingest));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await ingest?.close();
    await down?.close();
  });

  it.each([
    '/api/reports/sla/waits?from=2025-03-01&to=2025-03-02',
    '/api/reports/conversations?month=2025-08',
    '/api/compliance/inventory',
    '/dashboards/finance/data?from=2025-03-01&to=2025-03-12',
  ])('%s answers 503 with Retry-After', async (path) => {
    const r = await http(`${base}${path}`, { headers: authHeader('admin') });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(JSON.parse(r.text).error).toMatch(/retry later/);
  });
});

describe('when the store has no room to write', () => {
  it('answers reports 503 with Retry-After: the access audit cannot be written, so nothing is handed out', async () => {
    // The engine's own disk-full refusal (NOT_ENOUGH_SPACE): no insert into the audit table while
    // less than 10^18 bytes are free.
    const audit = `${ctx.wh.database}.access_audit_v1`;
    await ctx.wh.writer.command({ query: `ALTER TABLE ${audit} MODIFY SETTING min_free_disk_bytes_to_perform_insert = 1000000000000000000` });
    try {
      for (const [path, role] of [['/api/compliance/inventory?format=csv', 'privacy'], ['/api/reports/charges?month=2025-08', 'finance'], ['/api/reports/sla?from=2025-03-01&to=2025-03-02', 'manager']] as const) {
        const r = await get(path, role);
        expect([path, r.status, r.headers['retry-after']]).toEqual([path, 503, '5']);
        expect(JSON.parse(r.text)).toEqual({ error: 'the warehouse cannot serve this now; retry later' });
      }
    } finally {
      await ctx.wh.writer.command({ query: `ALTER TABLE ${audit} RESET SETTING min_free_disk_bytes_to_perform_insert` });
    }
    expect((await get('/api/compliance/inventory?format=csv', 'privacy')).status).toBe(200);
  });
});
