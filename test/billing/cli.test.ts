import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The CLI in a child process with its own data directory (chDB binds one directory per process). */

const dir = mkdtempSync(join(tmpdir(), 'wa-billing-cli-'));
const env = { ...process.env, DATA_DIR: join(dir, 'data'), PII_KEY: 'cli-test', LOG_LEVEL: 'silent', JOBS: 'off' };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/wa-analytics.mjs', ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('wa-analytics rate-card and report', () => {
  it('loads a card, refuses a bad one naming its lines, and runs a report', () => {
    const ok = cli('rate-card', 'load', 'reports/billing/rate-cards/EXAMPLE-rates-USD-2025-07-01.csv', '--currency', 'USD', '--effective-from', '2025-07-01');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^loaded rates card USD from 2025-07-01: 137 prices, 32 markets$/m);

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'Market,Marketing,Utility\nBrazil,0.06,-0.01\nBrazil,0.06,0.01\n');
    const refused = cli('rate-card', 'load', bad, '--currency', 'USD', '--effective-from', '2025-10-01');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('line 2: utility: negative price -0.01');
    expect(refused.stderr).toContain('line 3: duplicate row for market Brazil (first on line 2)');

    const report = cli('report', 'conversations', '--month', '2025-08', '--format', 'csv');
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout.trim()).toBe('waba_id,month,pricing_model,category,market,type,count,billable_count,free_count,free_tier_limit,free_tier_used,free_tier_remaining,volume_tier');

    const month = cli('report', 'charges', '--month', '2025-13');
    expect(month.status).toBe(2);
    expect(month.stderr).toContain('error: month must be YYYY-MM, got "2025-13"');
  });
});
