import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { generateSync, simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import { authHeader, http, postSigned, startTestService } from '../helpers/service.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';

/**
 * Duplicate and out-of-order storms: the same generated traffic, once in Meta's order and once
 * shuffled with many bodies delivered two or three times, must leave the same stored items and the
 * same derived state (every SLA wait, every month's conversation and charge counts).
 */

const OPTIONS: SimOptions = { seed: 'storm', start: '2025-06-24', days: 12, scale: 6 };
const dir = mkdtempSync(join(tmpdir(), 'wa-storm-'));
let wh: Warehouse;
let service: Service;
let bodies: string[] = [];

beforeAll(async () => {
  wh = await openTestWarehouse();
  const config = { ...simulationConfig(OPTIONS), sla: { job: { settle_seconds: 0 } } };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  service = await startTestService(wh, { CONFIG_FILE: join(dir, 'config.json') });
  bodies = [...generateSync(OPTIONS)].map((p) => p.body);
});
afterAll(async () => {
  await service?.stop();
  await wh?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A seeded shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function deliver(list: string[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < list.length) {
        const r = await postSigned(service.url(), list[next++]!);
        expect(r.status).toBe(200);
      }
    }),
  );
  await service.settle();
}

/** Everything that must not depend on delivery order: stored items and the reports derived from them. */
async function state() {
  const later = new Date(Date.now() + 60_000);
  for (const name of ['sla.waits', 'billing.facts']) await service.jobs.find((j) => j.name === name)!.run(later);
  const api = async (path: string) => JSON.parse((await http(`${service.url()}${path}`, { headers: authHeader('admin') })).text);
  const waits = [];
  for (const family of ['any', 'human']) {
    const r = await api(`/api/reports/sla/waits?from=2025-06-20&to=2025-07-10&tz=UTC&family=${family}`);
    waits.push(...r.rows.map((w: Record<string, unknown>) => JSON.stringify(w)));
  }
  const months = [];
  for (const month of ['2025-06', '2025-07']) months.push((await api(`/api/reports/conversations?month=${month}`)).rows);
  const stored = await rows(
    wh,
    `SELECT (SELECT count() FROM {{db}}.messages_v1 FINAL) AS messages, (SELECT count() FROM {{db}}.statuses_v1 FINAL) AS statuses,
            (SELECT count() FROM {{db}}.message_echoes_v1 FINAL) AS echoes, (SELECT count() FROM {{db}}.raw_webhooks_v1 FINAL) AS raw,
            (SELECT sum(cityHash64(wamid, status, ts)) FROM {{db}}.statuses_v1 FINAL) AS statuses_digest`,
  );
  return { waits: waits.sort(), months, stored };
}

describe('duplicate and out-of-order storms', () => {
  it('leave the same stored items and the same reports as orderly delivery', async () => {
    await truncateAll(wh);
    await deliver(bodies, 1);
    const orderly = await state();
    expect(orderly.waits.length).toBeGreaterThan(50);
    expect(orderly.months.flat().length).toBeGreaterThan(3);

    // A fresh service for the second delivery: the SLA follower's carried state describes the store
    // it followed, and tables truncated under a running service are not an operation it supports.
    await service.stop();
    await truncateAll(wh);
    service = await startTestService(wh, { CONFIG_FILE: join(dir, 'config.json') });
    const storm = shuffled([...bodies, ...bodies.filter((_, i) => i % 3 === 0), ...bodies.filter((_, i) => i % 7 === 0)], 20251122);
    await deliver(storm, 16);
    expect(await state()).toEqual(orderly);
  });
});
