import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createLogger } from '../../app/logger.ts';
import { MODULES } from '../../app/modules.ts';
import { startService } from '../../app/server.ts';
import { createJobMetrics, runAllOnce, runJob } from '../../reports/scheduler.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { http, testConfig } from '../helpers/service.ts';
import { openTestWarehouse } from '../helpers/warehouse.ts';

const silent = createLogger('test', 'silent');

/** One sample of a metric (or of its `_count`/`_sum` series), by its labels, from the registry's JSON. */
async function sample(registry: Registry, name: string, labels: Record<string, string>, series = name): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  return values.find((v) => (v.metricName ?? name) === series && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('scheduler metrics', () => {
  it('count each job\'s runs and failures by outcome and keep the time of its last success', async () => {
    const registry = new Registry();
    const metrics = createJobMetrics(registry);
    const jobs = [
      { name: 'good', schedule: '* * * * *', run: async () => undefined },
      { name: 'bad', schedule: '* * * * *', run: async () => { throw new Error('no'); } },
      // Throws before returning a promise: still counted, and not left marked as running.
      { name: 'sync-bad', schedule: '* * * * *', run: () => { throw new Error('at once'); } },
    ];
    const before = Date.now() / 1000;
    expect(await runAllOnce(jobs, silent, () => new Date(), metrics)).toEqual({ ok: ['good'], failed: ['bad', 'sync-bad'] });
    expect(await runAllOnce(jobs, silent, () => new Date(), metrics)).toEqual({ ok: ['good'], failed: ['bad', 'sync-bad'] });
    const after = Date.now() / 1000;

    expect(await sample(registry, 'wa_job_failures_total', { job: 'bad' })).toBe(2);
    expect(await sample(registry, 'wa_job_failures_total', { job: 'sync-bad' })).toBe(2);
    expect(await sample(registry, 'wa_job_failures_total', { job: 'good' })).toBeUndefined();
    const last = await sample(registry, 'wa_job_last_success_timestamp_seconds', { job: 'good' });
    expect(last).toBeGreaterThanOrEqual(before);
    expect(last).toBeLessThanOrEqual(after);
    expect(await sample(registry, 'wa_job_last_success_timestamp_seconds', { job: 'bad' })).toBeUndefined();
    expect(await sample(registry, 'wa_job_duration_seconds', { job: 'good', outcome: 'ok' }, 'wa_job_duration_seconds_count')).toBe(2);
    expect(await sample(registry, 'wa_job_duration_seconds', { job: 'bad', outcome: 'failed' }, 'wa_job_duration_seconds_count')).toBe(2);
    expect(await sample(registry, 'wa_job_duration_seconds', { job: 'bad', outcome: 'ok' }, 'wa_job_duration_seconds_count')).toBeUndefined();

    const running = new Map<string, Promise<boolean>>();
    expect(await runJob(jobs[2]!, running, silent, () => new Date(), metrics)).toBe(false);
    expect(running.size).toBe(0);
  });
});

describe('the service', () => {
  let wh: Warehouse;
  beforeAll(async () => {
    wh = await openTestWarehouse();
  });
  afterAll(async () => {
    await wh?.close();
  });

  it('serves the job metrics on /metrics when it runs the scheduler', async () => {
    const svc = await startService(testConfig(), { warehouse: wh, log: silent, scheduler: true });
    try {
      const m = await http(`${svc.url()}/metrics`);
      expect(m.status).toBe(200);
      for (const line of ['# TYPE wa_job_duration_seconds histogram', '# TYPE wa_job_failures_total counter', '# TYPE wa_job_last_success_timestamp_seconds gauge']) {
        expect(m.text).toContain(line);
      }
    } finally {
      await svc.stop();
    }
  });
});

describe('the module list', () => {
  it('names every module folder (a module left out of it would silently not run)', () => {
    const folders = readdirSync('reports', { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join('reports', d.name, 'module.ts')))
      .map((d) => d.name);
    expect(MODULES.map((m) => m.name).sort()).toEqual([...folders, 'dashboards', 'api-docs'].sort());
  });
});
