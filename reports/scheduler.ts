import cron from 'node-cron';
import type { Job } from '../app/deps.ts';
import type { Logger } from '../app/logger.ts';

/**
 * Runs jobs on their cron schedules. A job never overlaps itself in one process; jobs are
 * idempotent by period, so the same job running on two instances changes nothing.
 */
export function startScheduler(jobs: Job[], log: Logger, now: () => Date = () => new Date()) {
  const running = new Set<string>();
  const tasks = jobs.map((job) =>
    cron.schedule(job.schedule, () => void runJob(job, running, log, now), { name: job.name, noOverlap: true }),
  );
  return {
    async stop(): Promise<void> {
      await Promise.all(tasks.map((t) => t.stop()));
      while (running.size > 0) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

export async function runJob(job: Job, running: Set<string>, log: Logger, now: () => Date): Promise<boolean> {
  if (running.has(job.name)) return false;
  running.add(job.name);
  const started = Date.now();
  try {
    await job.run(now());
    log.debug({ job: job.name, ms: Date.now() - started }, 'job done');
    return true;
  } catch (e) {
    log.error({ job: job.name, err: e }, 'job failed');
    return false;
  } finally {
    running.delete(job.name);
  }
}

/** Runs every job once, in order (the `jobs run-once` command and the demo). */
export async function runAllOnce(jobs: Job[], log: Logger, now: () => Date = () => new Date()): Promise<{ ok: string[]; failed: string[] }> {
  const running = new Set<string>();
  const result = { ok: [] as string[], failed: [] as string[] };
  for (const job of jobs) ((await runJob(job, running, log, now)) ? result.ok : result.failed).push(job.name);
  return result;
}
