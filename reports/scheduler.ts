import cron from 'node-cron';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Job } from '../app/deps.ts';
import type { Logger } from '../app/logger.ts';

/** Per-job duration, failures and the time of the last success, on the registry `/metrics` serves. */
export function createJobMetrics(registry: Registry) {
  return {
    seconds: new Histogram({
      name: 'wa_job_duration_seconds', help: 'Time one run of a scheduled job took, by job and outcome', labelNames: ['job', 'outcome'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900], registers: [registry],
    }),
    failures: new Counter({ name: 'wa_job_failures_total', help: 'Runs of a scheduled job that failed', labelNames: ['job'] as const, registers: [registry] }),
    lastSuccess: new Gauge({ name: 'wa_job_last_success_timestamp_seconds', help: 'When a scheduled job last finished without error (Unix time)', labelNames: ['job'] as const, registers: [registry] }),
  };
}

export type JobMetrics = ReturnType<typeof createJobMetrics>;

/** The runs in flight in one process, by job name: a job never overlaps itself. */
type Running = Map<string, Promise<boolean>>;

/**
 * Runs jobs on their cron schedules. A job never overlaps itself in one process; jobs are
 * idempotent by period, so the same job running on two instances changes nothing.
 */
export function startScheduler(jobs: Job[], log: Logger, now: () => Date = () => new Date(), metrics?: JobMetrics) {
  const running: Running = new Map();
  const tasks = jobs.map((job) =>
    cron.schedule(job.schedule, () => void runJob(job, running, log, now, metrics), { name: job.name, noOverlap: true }),
  );
  return {
    async stop(): Promise<void> {
      await Promise.all(tasks.map((t) => t.stop()));
      await Promise.all(running.values());
    },
  };
}

export function runJob(job: Job, running: Running, log: Logger, now: () => Date, metrics?: JobMetrics): Promise<boolean> {
  if (running.has(job.name)) return Promise.resolve(false);
  // The body starts after the run is registered, so even a job that throws at once is unregistered.
  const run = Promise.resolve().then(async () => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      await job.run(now());
      log.debug({ job: job.name, ms: Math.round(seconds() * 1000) }, 'job done');
      metrics?.seconds.observe({ job: job.name, outcome: 'ok' }, seconds());
      metrics?.lastSuccess.set({ job: job.name }, Date.now() / 1000);
      return true;
    } catch (e) {
      log.error({ job: job.name, err: e }, 'job failed');
      metrics?.seconds.observe({ job: job.name, outcome: 'failed' }, seconds());
      metrics?.failures.inc({ job: job.name });
      return false;
    } finally {
      running.delete(job.name);
    }
  });
  running.set(job.name, run);
  return run;
}

/** Runs every job once, in order (the `jobs run-once` command and the demo). */
export async function runAllOnce(jobs: Job[], log: Logger, now: () => Date = () => new Date(), metrics?: JobMetrics): Promise<{ ok: string[]; failed: string[] }> {
  const running: Running = new Map();
  const result = { ok: [] as string[], failed: [] as string[] };
  for (const job of jobs) ((await runJob(job, running, log, now, metrics)) ? result.ok : result.failed).push(job.name);
  return result;
}
