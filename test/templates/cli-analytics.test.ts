import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `wa-analytics templates import-analytics` and `report template-reconciliation`, in a child process
 * with its own data directory (chDB binds one directory per process). No sends are stored, so every
 * day Meta reports is ours at zero: `only_meta`, with Meta's numbers as given.
 */

const dir = mkdtempSync(join(tmpdir(), 'wa-templates-cli-analytics-'));
const env = { ...process.env, DATA_DIR: join(dir, 'data'), PII_KEY: 'cli-test', LOG_LEVEL: 'silent', JOBS: 'off' };

async function cli(...args: string[]) {
  await new Promise<void>((resolve) => setImmediate(resolve));
  const r = spawnSync(process.execPath, ['bin/wa-analytics.mjs', ...args], { env, encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;
const point = (id: string, d: string, sent: number, delivered: number, read: number) => ({
  template_id: id, start: day(d), end: day(d) + 86_400, sent, delivered, read, clicked: [], cost: [{ type: 'amount_spent', value: 0.12 }],
});

describe('wa-analytics templates import-analytics', () => {
  it('loads a saved template_analytics response, refuses a bad one naming the point, and reconciles it', async () => {
    const catalogue = join(dir, 'catalogue.json');
    writeFileSync(catalogue, JSON.stringify({ data: [{ name: 'promo', language: 'pt_BR', status: 'APPROVED', category: 'MARKETING', id: '9' }] }));
    expect((await cli('templates', 'import-catalog', catalogue, '--waba-id', '111')).status).toBe(0);

    const analytics = join(dir, 'analytics.json');
    writeFileSync(analytics, JSON.stringify({ data: [{ granularity: 'DAILY', data_points: [point('9', '2025-09-10', 3, 2, 1), point('9', '2025-09-11', 1, 1, 0)] }] }));
    const ok = await cli('templates', 'import-analytics', analytics, '--waba-id', '111');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^loaded 2 data points \(import [0-9a-f]{12}\)$/m);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ data: [{ data_points: [{ template_id: 'x', start: day('2025-09-12'), sent: 1 }] }] }));
    const refused = await cli('templates', 'import-analytics', bad, '--waba-id', '111');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("data point 1: template_id must be Meta's numeric id");

    const report = await cli('report', 'template-reconciliation', '--from', '2025-09-01', '--to', '2025-09-30');
    expect(report.status, report.stderr).toBe(0);
    const [header, ...lines] = report.stdout.trim().split('\n');
    const cols = header!.split(',');
    const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
    expect(rows.map((r) => [r.day, r.template_id, r.template, r.meta_sent, r.sent, r.meta_delivered, r.meta_read, r.status])).toEqual([
      ['2025-09-10', '9', 'promo', '3', '0', '2', '1', 'only_meta'],
      ['2025-09-11', '9', 'promo', '1', '0', '1', '0', 'only_meta'],
    ]);
  }, 600_000);
});
