import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Service } from '../../app/server.ts';
import { generateSync, simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import { postSigned, TEST_SECRET } from '../helpers/service.ts';
import { TEST_DATA_DIR } from '../helpers/warehouse.ts';

/**
 * A small generated world for the dashboard tests: a week of two WABAs' traffic from the traffic
 * generator, SLA policies so attainment has something to measure, and "now" on the last afternoon
 * so the live lists have people in them.
 */
export const WORLD: SimOptions = { seed: 'dashboards', start: '2025-08-04', days: 7, scale: 6 };
export const WORLD_NOW = new Date('2025-08-10T15:00:00Z');

export const SLA_POLICIES = {
  policies: [
    {
      effective_from: '2024-01-01',
      rules: [{ name: 'standard', frt: { minutes: 15, mode: 'calendar' }, nrt: { minutes: 30, mode: 'calendar' } }],
    },
  ],
};

/** Writes the CONFIG_FILE for the world (tenants and calendars from the generator) and returns its path. */
export function writeWorldConfig(o: SimOptions = WORLD, extra: Record<string, unknown> = {}): string {
  const dir = join(TEST_DATA_DIR, 'dashboards-world');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ...simulationConfig(o), sla: SLA_POLICIES, ...extra }, null, 2));
  return file;
}

/** Posts every generated body to the service, signed, a few at a time in posting order. */
export async function postWorld(service: Service, o: SimOptions = WORLD, concurrency = 8): Promise<number> {
  let posted = 0;
  let batch: Promise<unknown>[] = [];
  for (const p of generateSync({ ...o, secret: TEST_SECRET })) {
    batch.push(
      postSigned(service, p.body).then((r) => {
        if (r.status !== 200) throw new Error(`webhook answered ${r.status}`);
      }),
    );
    posted++;
    if (batch.length >= concurrency) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  await service.writer.drain();
  return posted;
}

/** Runs every module's jobs once at `now` (the SLA waits, billing facts, compliance checks, snapshots). */
export async function runJobs(service: Service, now: Date): Promise<string[]> {
  const ran: string[] = [];
  for (const job of service.jobs) {
    await job.run(now);
    ran.push(job.name);
  }
  return ran;
}
