import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSync, simulationConfig } from '../../simulate/engine.ts';
import { http, postSigned, TEST_SECRET, TEST_TOKENS, freePort } from '../helpers/service.ts';

/**
 * No personal data in logs: a real `serve` process at debug level takes a generated workload (plus
 * bad signatures, quarantined bodies and report calls), the jobs run, and every line either process
 * printed is searched for the generator's phone numbers, names and message texts.
 */

const dir = mkdtempSync(join(tmpdir(), 'wa-logscan-'));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Phone numbers, names and texts found anywhere in the bodies. */
function personalData(bodies: string[]): Set<string> {
  const found = new Set<string>();
  const walk = (v: unknown, key = ''): void => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, key));
    if (v && typeof v === 'object') return Object.entries(v).forEach(([k, x]) => walk(x, k));
    if (typeof v !== 'string') return;
    if (['wa_id', 'from', 'recipient_id', 'to'].includes(key) && /^\d{8,}$/.test(v)) found.add(v);
    if (key === 'name' && v.length >= 5) found.add(v);
    if (key === 'body' && v.length >= 12) found.add(v);
  };
  for (const b of bodies) walk(JSON.parse(b));
  return found;
}

describe('logs', () => {
  it('hold none of the personal data of a generated workload', async () => {
    const opts = { seed: 'log-scan', start: '2025-07-07', days: 2, scale: 8 };
    const bodies = [...generateSync(opts)].map((p) => p.body);
    const secrets = personalData(bodies);
    expect(secrets.size).toBeGreaterThan(20);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(simulationConfig(opts)));
    const port = await freePort();
    const env = {
      ...process.env, DATA_DIR: dir, PORT: String(port), WHATSAPP_APP_SECRET: TEST_SECRET, LOG_LEVEL: 'debug', JOBS: 'off',
      API_TOKENS: Object.entries(TEST_TOKENS).map(([r, t]) => `${r}:${t}`).join(','), CONFIG_FILE: join(dir, 'config.json'),
    };
    let output = '';
    child = spawn(process.execPath, ['bin/wa-analytics.mjs', 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    // The service logs `listening` once its port is open: wait for that line, or for an early exit.
    const listening = new Promise<void>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`the service exited (${code}) before listening:\n${output}`));
      child!.once('exit', exited);
      child!.stdout!.on('data', () => {
        if (!output.includes('"msg":"listening"')) return;
        child!.off('exit', exited);
        resolve();
      });
    });
    await listening;
    const base = `http://127.0.0.1:${port}`;
    expect((await http(`${base}/healthz`)).status).toBe(200);
    for (let i = 0; i < bodies.length; i += 20) await Promise.all(bodies.slice(i, i + 20).map((b) => postSigned(base, b)));
    // Refused and quarantined bodies full of personal data.
    await postSigned(base, bodies[0]!, 'wrong-secret');
    await postSigned(base, bodies[1]!.slice(0, -7));
    for (const path of ['/api/reports/sla/waits?from=2025-07-01&to=2025-07-31', '/api/reports/conversations?month=2025-07', '/dashboards/managers']) {
      await http(`${base}${path}`, { headers: { Authorization: `Bearer ${TEST_TOKENS.admin}` } });
    }
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;
    // The jobs, once the server has let go of the data directory (one process per directory).
    const jobs = spawnSync(process.execPath, ['bin/wa-analytics.mjs', 'jobs', 'run-once'], { env, encoding: 'utf8' });
    expect(jobs.status).toBe(0);
    output += jobs.stdout + jobs.stderr;
    expect(output.length).toBeGreaterThan(0);
    const leaked = [...secrets].filter((s) => output.includes(s));
    expect(leaked).toEqual([]);
  });
});
