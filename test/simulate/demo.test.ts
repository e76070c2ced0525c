import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The full demo starts the service and loads a month (about a minute and a half on two cores), so it
// runs only when asked: DEMO_TEST=1 npx vitest run test/simulate/demo.test.ts
// The child runs asynchronously: a worker blocked for over a minute (a busy machine) loses its link to
// the test runner.
function run(args: string[], timeout: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe.skipIf(!process.env.DEMO_TEST)('npm run demo', () => {
  it('loads a month through the signed webhook and stops with --exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-'));
    try {
      const r = await run(['bin/run-ts.mjs', 'simulate/demo.ts', '--exit', '--data-dir', dir, '--port', '0'], 180_000);
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/bodies posted/);
      expect(existsSync(join(dir, 'config.json'))).toBe(true);
      const summary = JSON.parse(readFileSync(join(dir, 'truth.ndjson'), 'utf8').trimEnd().split('\n').at(-1)!);
      expect(summary.kind).toBe('summary');
      expect(summary.postings).toBeGreaterThan(10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 200_000);
});
