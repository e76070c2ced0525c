import { afterAll, beforeAll } from 'vitest';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../app/config.ts';
import { createLogger } from '../../app/logger.ts';
import { startService, type Service } from '../../app/server.ts';
import { signBody } from '../../ingest/signature.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { TEST_DATA_DIR, openTestWarehouse } from './warehouse.ts';

export const TEST_SECRET = 'test-app-secret';
export const TEST_TOKENS = {
  admin: 'admin-token-123',
  manager: 'manager-token-123',
  finance: 'finance-token-123',
  privacy: 'privacy-token-123',
} as const;

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    DATA_DIR: TEST_DATA_DIR,
    PORT: '0',
    WHATSAPP_APP_SECRET: TEST_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'test-verify-token',
    API_TOKENS: Object.entries(TEST_TOKENS).map(([r, t]) => `${r}:${t}`).join(','),
    PII_KEY: 'test-pii-key',
    LOG_LEVEL: 'silent',
    JOBS: 'off',
    // The suite reads /metrics without a token; test/app/identity-*.test.ts checks the default (token).
    METRICS_ACCESS: 'open',
    ...env,
  });
}

/** Starts the real service (HTTP on a free port) over the worker's warehouse. */
export async function startTestService(wh: Warehouse, env: Record<string, string> = {}, opts: { now?: () => Date; log?: boolean } = {}): Promise<Service> {
  const config = testConfig(env);
  // Each service its own ingest log (one loader per log): a file may run two services at once.
  config.ingest.logDir = mkdtempSync(join(TEST_DATA_DIR, 'ingest-log-'));
  // And its own audit anchor file: tests empty the tables, which a shared file would call a truncation.
  if (!env.AUDIT_ANCHOR_FILE) config.audit.anchorFile = join(mkdtempSync(join(TEST_DATA_DIR, 'audit-anchors-')), 'anchors.jsonl');
  const log = createLogger('test', opts.log ? 'warn' : 'silent', opts.log ? process.stderr : undefined);
  return startService(config, { warehouse: wh, log, scheduler: false, ...(opts.now ? { now: opts.now } : {}) });
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** A raw HTTP call (no client-side re-encoding of the body). */
export function http(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/**
 * POSTs a body to /webhook signed exactly as Meta signs it. Given a service of this process, it then
 * waits until everything that service acknowledged is loaded into the warehouse and its reports
 * derived (a 200 means the body is in the ingest log; loading follows), so the test can read the
 * tables. Given a URL, it returns as soon as the answer arrives.
 */
export async function postSigned(service: Service | string, body: string | Buffer, secret = TEST_SECRET): Promise<HttpResult> {
  const base = typeof service === 'string' ? service : service.url();
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const answer = await http(`${base}/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signBody(secret, bytes) },
    body: bytes,
  });
  if (typeof service !== 'string') await service.settle();
  return answer;
}

export function authHeader(role: keyof typeof TEST_TOKENS): Record<string, string> {
  return { Authorization: `Bearer ${TEST_TOKENS[role]}` };
}

/** A port nothing listens on right now, for a service started in a child process. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The usual lifecycle of a test file: the worker's warehouse and a running service, opened before
 * its tests and closed after them. Read `ctx.wh` and `ctx.svc` inside tests and hooks.
 */
export function useTestService(env: Record<string, string> = {}, opts: { now?: () => Date; log?: boolean } = {}): { wh: Warehouse; svc: Service } {
  const ctx = {} as { wh: Warehouse; svc: Service };
  beforeAll(async () => {
    ctx.wh = await openTestWarehouse();
    ctx.svc = await startTestService(ctx.wh, env, opts);
  });
  afterAll(async () => {
    await ctx.svc?.stop();
    await ctx.wh?.close();
  });
  return ctx;
}
