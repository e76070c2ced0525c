import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The CLI in a child process with its own data directory (chDB binds one directory per process). */

const dir = mkdtempSync(join(tmpdir(), 'wa-labels-cli-'));
const env = { ...process.env, DATA_DIR: join(dir, 'data'), PII_KEY: 'cli-test', LOG_LEVEL: 'silent', JOBS: 'off' };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/wa-analytics.mjs', ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('wa-analytics labels import', () => {
  it('stores a file of events, and refuses a bad one whole, naming its line', () => {
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'wa_id,label,action,at,source\n5511900000101,order/new,add,2024-03-04T09:00:00Z,erp\n5511900000101,order/new,remove,2024-03-04T10:00:00Z,\n5511900000102,vip,add,2024-03-04T08:00:00-03:00,crm\n');
    const ok = cli('labels', 'import', good, '--source', 'nightly');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe('stored 3 label events (2 added, 1 removed)');

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'wa_id,label,action,at\n5511900000101,vip,add,2024-03-04T09:00:00Z\n5511900000101,vip//x,add,2024-03-04T09:00:00Z\n');
    const refused = cli('labels', 'import', bad);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^labels import: csv: line 3: label: /);
  });
});
