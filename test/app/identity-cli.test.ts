import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** `wa-analytics users …` and `tokens …` in a child process with its own data directory. */

const dir = mkdtempSync(join(tmpdir(), 'wa-identity-cli-'));
const env = { ...process.env, DATA_DIR: join(dir, 'data'), PII_KEY: 'cli-test', LOG_LEVEL: 'silent', JOBS: 'off' };

/** Asynchronous, so the test worker keeps answering vitest while the child runs. */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/wa-analytics.mjs', ...args], { env, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('wa-analytics users and tokens', () => {
  it('creates the first admin with one command, issues a token once, lists and disables', async () => {
    const add = await cli('users', 'add', 'Ana@Example.com', '--role', 'admin', '--name', 'Ana Lima');
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^added u_[A-Za-z0-9_-]{12} <ana@example.com> roles admin$/m);
    expect(add.stdout).toMatch(/^initial password \(shown once; sign in at \/login and set up TOTP\): [A-Za-z0-9_-]{20}$/m);
    expect((await cli('users', 'add', 'bo@example.com', '--role', 'boss')).status).toBe(2);

    const token = await cli('tokens', 'add', 'prometheus', '--role', 'scraper', '--days', '30');
    expect(token.status, token.stderr).toBe(0);
    expect(token.stdout).toMatch(/^token \(shown once\): wat_[A-Za-z0-9_-]{43}$/m);

    const bo = await cli('users', 'add', 'bo@example.com', '--role', 'manager,finance', '--wabas', '1001,1002');
    expect(bo.status, bo.stderr).toBe(0);
    expect((await cli('users', 'disable', 'bo@example.com')).stdout).toMatch(/: disabled$/m);
    const users = await cli('users', 'list');
    expect(users.stdout.trim().split('\n').map((l) => l.split('\t').slice(1))).toEqual([
      ['ana@example.com', 'Ana Lima', 'admin', 'all', 'active', 'local (TOTP not enrolled yet)'],
      ['bo@example.com', 'bo@example.com', 'manager,finance', '1001,1002', 'disabled', 'local (TOTP not enrolled yet)'],
    ]);
  }, 400_000);
});
