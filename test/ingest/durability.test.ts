import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, postSigned, freePort } from '../helpers/service.ts';
import { statuses } from '../fixtures/meta.ts';

/**
 * Acknowledged means durable: a real `wa-analytics serve` process takes signed events, is killed
 * with SIGKILL while requests are in flight, and a restarted process loads every acknowledged one once.
 * Runs in child processes, so this test's worker never opens the data directory itself.
 */

const dir = mkdtempSync(join(tmpdir(), 'wa-durable-'));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function serve(port: number): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['bin/wa-analytics.mjs', 'serve'], {
    env: { ...process.env, DATA_DIR: dir, PORT: String(port), WHATSAPP_APP_SECRET: 'test-app-secret', API_TOKENS: 'admin:admin-token-123', LOG_LEVEL: 'warn', JOBS: 'off' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    const up = await http(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
    if (up) return p;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('service did not start');
}

/** Polls the restarted service's health until its ingest log is loaded (a state it reports). */
async function loaded(base: string): Promise<void> {
  for (;;) {
    const h = await http(`${base}/healthz`).then((r) => JSON.parse(r.text) as { ingest?: { backlog_bytes: number } }, () => ({}) as { ingest?: { backlog_bytes: number } });
    if (h.ingest?.backlog_bytes === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('durability', () => {
  it('keeps every acknowledged event across SIGKILL under load, and loads each once after the restart', async () => {
    const port = await freePort();
    child = await serve(port);
    const base = `http://127.0.0.1:${port}`;
    const ids = Array.from({ length: 3000 }, (_, i) => `wamid.K${i}`);
    const acked: string[] = [];
    let next = 0;
    let killed = false;
    // 32 connections posting; the process is killed once 500 are acknowledged, requests in flight.
    const poster = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const r = await postSigned(base, JSON.stringify(statuses({ id, status: 'sent', timestamp: '1760000000', recipient_id: '5511999990000' }))).catch(() => undefined);
        if (r?.status !== 200) continue;
        acked.push(id);
        if (acked.length >= 500 && !killed) {
          killed = true;
          child!.kill('SIGKILL');
        }
      }
    };
    const exited = new Promise((r) => child!.once('exit', r));
    await Promise.all(Array.from({ length: 32 }, poster));
    await exited;
    expect(acked.length).toBeGreaterThanOrEqual(500);
    expect(acked.length).toBeLessThan(ids.length);

    // The restarted service opens the same log and loads what the killed one had not…
    child = await serve(port);
    await loaded(base);
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;
    // …and every acknowledged event is there, once.
    const idsFile = join(dir, 'acked.txt');
    writeFileSync(idsFile, acked.join('\n'));
    const out = execFileSync(process.execPath, ['bin/run-ts.mjs', 'bench/count-stored.ts', dir, idsFile], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ requested: acked.length, found: acked.length, rows: acked.length });
  });
});
