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
 * with SIGKILL right after the answers arrive, and a restarted process finds every acknowledged one.
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

describe('durability', () => {
  it('keeps every acknowledged event across SIGKILL', async () => {
    const port = await freePort();
    child = await serve(port);
    const base = `http://127.0.0.1:${port}`;
    const ids = Array.from({ length: 300 }, (_, i) => `wamid.K${i}`);
    const answers = await Promise.all(
      ids.map((id) => postSigned(base, JSON.stringify(statuses({ id, status: 'sent', timestamp: '1760000000', recipient_id: '5511999990000' })))),
    );
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const acked = ids.filter((_, i) => answers[i]!.status === 200);
    expect(acked.length).toBe(ids.length);

    // The restarted service opens the same data and serves again…
    child = await serve(port);
    expect((await http(`${base}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;
    // …and every acknowledged event is there.
    const idsFile = join(dir, 'acked.txt');
    writeFileSync(idsFile, acked.join('\n'));
    const out = execFileSync(process.execPath, ['bin/run-ts.mjs', 'bench/count-stored.ts', dir, idsFile], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ requested: acked.length, found: acked.length });
  });
});
