import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../simulate/cli.ts';
import { verifySignature } from '../../ingest/signature.ts';

const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

/**
 * A webhook that checks signatures and answers 503 (Retry-After: 0) to the first delivery of every
 * third distinct body (per body, not per request: a shared counter could refuse the same body's
 * every retry when concurrent posters fall into step).
 */
function fakeWebhook(secret: string, status = 200): Promise<{ server: Server; url: string; bodies: string[]; refused: number; bad: number }> {
  const state = { bodies: [] as string[], refused: 0, bad: 0 };
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.headers['content-type'] !== 'application/json' || !verifySignature([secret], body, req.headers['x-hub-signature-256'] as string)) state.bad++;
      if (status !== 200) return void res.writeHead(status).end('no');
      const text = body.toString('utf8');
      const first = !seen.has(text);
      seen.add(text);
      if (first && seen.size % 3 === 0) {
        state.refused++;
        return void res.writeHead(503, { 'Retry-After': '0' }).end();
      }
      state.bodies.push(text);
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    resolve(Object.assign(state, { server, url: `http://127.0.0.1:${port}/webhook` }));
  }));
}

describe('simulate CLI', () => {
  let hook: Awaited<ReturnType<typeof fakeWebhook>>;
  beforeAll(async () => {
    hook = await fakeWebhook('cli-secret');
  });
  afterAll(() => hook.server.close());

  it('writes bodies, truth and config, and posts the same bodies signed, retrying 503s', async () => {
    const out = join(dir, 'bodies.ndjson');
    const truth = join(dir, 'truth.ndjson');
    const config = join(dir, 'config.json');
    const args = ['--seed', '7', '--start', '2025-07-10', '--days', '2', '--scale', '10', '--no-progress'];
    await main([...args, '--out', out, '--truth', truth, '--config', config]);
    expect(process.exitCode ?? 0).toBe(0);
    await main([...args, '--url', hook.url, '--secret', 'cli-secret', '--concurrency', '4']);
    expect(process.exitCode ?? 0).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(100);
    expect(hook.bad).toBe(0);
    expect(hook.refused).toBeGreaterThan(0);
    expect([...hook.bodies].sort()).toEqual([...lines].sort());
    const records = readFileSync(truth, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records[0].kind).toBe('config');
    expect(records.at(-1).kind).toBe('summary');
    expect(records.at(-1).postings).toBe(lines.length);
    const file = JSON.parse(readFileSync(config, 'utf8'));
    expect(file.tenants).toHaveLength(2);
    expect(file).toEqual(records[0].config);
  });

  it('stops with a non-zero exit when the endpoint keeps refusing', async () => {
    const refusing = await fakeWebhook('cli-secret', 401);
    try {
      await main(['--days', '1', '--scale', '3', '--no-progress', '--url', refusing.url, '--secret', 'cli-secret']);
      expect(process.exitCode).toBe(1);
    } finally {
      refusing.server.close();
    }
  });

  it('reports usage errors with exit code 2', async () => {
    await main(['--days', 'many']);
    expect(process.exitCode).toBe(2);
  });
});
