import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import type { TemplatesRecord, TruthRecord } from '../../simulate/truth.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { getJson, refresh } from '../billing/setup.ts';
import { loadGenerated } from '../helpers/ingest.ts';
import { startTestService } from '../helpers/service.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';

/**
 * The templates report against the traffic generator's truth (docs/TRUTH.md): per WABA × template ×
 * language × campaign (untagged template sends under template ''), the funnel, failures by code,
 * sent-not-delivered and charges match exactly, over four days of per-message pricing.
 */

const SIM: SimOptions = { seed: 15, start: '2025-09-29', days: 4, scale: 40 };
const COUNTS = ['sent', 'delivered', 'read', 'failed', 'failed_131049', 'failed_131050', 'sent_not_delivered', 'charged'] as const;

let wh: Warehouse;
let service: Service;

beforeAll(async () => {
  wh = await openTestWarehouse();
  const config = join(mkdtempSync(join(tmpdir(), 'wa-templates-truth-')), 'config.json');
  writeFileSync(config, JSON.stringify(simulationConfig(SIM)));
  service = await startTestService(wh, { CONFIG_FILE: config });
});
afterAll(async () => {
  await service?.stop();
  await wh?.close();
});

const load = (sim: SimOptions): Promise<TruthRecord[]> => loadGenerated(service, sim);

const key = (r: { waba_id: unknown; template: unknown; language: unknown; campaign: unknown }) => `${r.waba_id}|${r.template}|${r.language}|${r.campaign}`;

describe('generator truth', () => {
  it('matches every template × language × campaign exactly', async () => {
    await truncateAll(wh);
    const truth = (await load(SIM)).filter((r): r is TemplatesRecord => r.kind === 'templates');
    await refresh(service);
    expect(truth.length).toBeGreaterThan(3);
    // The generator's counts, as the test's own sums (not the report's).
    expect(truth.some((t) => t.template === '')).toBe(true);
    expect(truth.some((t) => t.campaign !== '')).toBe(true);
    expect(truth.reduce((n, t) => n + t.failed_131049, 0)).toBeGreaterThan(0);

    const ours = new Map<string, Record<string, number>>();
    for (const waba of [...new Set(truth.map((t) => t.waba_id))]) {
      const r = await getJson(service, `/api/reports/templates?from=2025-09-27&to=2025-10-05&tz=UTC&waba_id=${waba}&group_by=campaign`, 'manager');
      expect(r.status).toBe(200);
      for (const row of r.body.rows) {
        const acc = ours.get(key(row as never)) ?? Object.fromEntries(COUNTS.map((c) => [c, 0]));
        for (const c of COUNTS) acc[c]! += row[c] as number;
        ours.set(key(row as never), acc);
      }
    }
    const expected = new Map(truth.map((t) => [key(t), Object.fromEntries(COUNTS.map((c) => [c, t[c]]))]));
    expect(Object.fromEntries([...ours].sort())).toEqual(Object.fromEntries([...expected].sort()));
  });
});
