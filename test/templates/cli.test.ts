import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The CLI in a child process with its own data directory (chDB binds one directory per process). */

const dir = mkdtempSync(join(tmpdir(), 'wa-templates-cli-'));
const env = { ...process.env, DATA_DIR: join(dir, 'data'), PII_KEY: 'cli-test', LOG_LEVEL: 'silent', JOBS: 'off' };

/** Each run blocks this worker: yield first, so vitest's own messages get through between runs. */
async function cli(...args: string[]) {
  await new Promise<void>((resolve) => setImmediate(resolve));
  const r = spawnSync(process.execPath, ['bin/wa-analytics.mjs', ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('wa-analytics templates and report templates', () => {
  it('loads a send log, refuses a bad one naming its lines, and runs the reports', async () => {
    const log = join(dir, 'log.csv');
    writeFileSync(log, 'wamid,template,language,campaign\nwamid.1,order_update,en_US,\nwamid.2,promo,pt_BR,bf\n');
    const ok = await cli('templates', 'import-send-log', log, '--waba-id', '111');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^loaded 2 send-log rows \(import [0-9a-f]{12}\)$/m);

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'wamid,template\nwamid.3,\n');
    const refused = await cli('templates', 'import-send-log', bad, '--waba-id', '111');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('line 2: no template');

    const catalogue = join(dir, 'catalogue.json');
    writeFileSync(catalogue, JSON.stringify({ data: [{ name: 'promo', language: 'pt_BR', status: 'APPROVED', category: 'MARKETING', id: '9', quality_score: { score: 'GREEN' } }] }));
    const loaded = await cli('templates', 'import-catalog', catalogue, '--waba-id', '111');
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(loaded.stdout).toMatch(/^loaded 1 templates \(import [0-9a-f]{12}\)$/m);
    const history = await cli('report', 'template-history');
    expect(history.status, history.stderr).toBe(0);
    // columns: waba_id,at,field,template_id,template,language,event,previous,value,reason
    const rows = history.stdout.split('\n').filter((l) => l.includes(',catalogue,')).map((l) => l.split(','));
    expect(rows.map((c) => [c[4], c[6], c[8]])).toEqual([['promo', 'category', 'MARKETING'], ['promo', 'quality', 'GREEN'], ['promo', 'status', 'APPROVED']]);

    const report = await cli('report', 'templates', '--from', '2025-09-01', '--to', '2025-09-30', '--group-by', 'campaign');
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout.split('\n')[0]).toBe(
      'waba_id,campaign,template,language,category,sent,delivered,read,replied,clicked,failed,failed_131049,failed_131050,opted_out,sent_not_delivered,charged,billable,unpriced,cost,currency,untagged,from_send_log,delivery_rate,read_rate,reply_rate,click_rate,optout_rate',
    );
    const badRange = await cli('report', 'ads', '--from', '2025-09-31');
    expect(badRange.status).toBe(2);
    expect(badRange.stderr).toContain('from:');
  }, 480_000);
});
