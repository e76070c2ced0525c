import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import { MARKET_NAMES, type MarketKey } from '../../simulate/markets.ts';
import type { ChargesRecord, ConversationsRecord, TruthRecord } from '../../simulate/truth.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { loadGenerated } from '../helpers/ingest.ts';
import { startTestService } from '../helpers/service.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';
import { getJson, refresh } from './setup.ts';

/**
 * The report against the traffic generator's truth (docs/TRUTH.md): per WABA, local month,
 * pricing model and category (and market × type under PMP) the counts match exactly. Runs cross a
 * month boundary in both tenants' zones, the free tier running out (a small generator tier), the
 * free-service switch of 2024-11-01 and the per-message era with volume-tier events.
 */

let wh: Warehouse;
let service: Service;

const RUNS: Array<{ name: string; sim: SimOptions }> = [
  { name: 'CBP, four categories, free tier used up, Feb→Mar', sim: { seed: 11, start: '2024-02-27', days: 4, scale: 8, freeTier: 10 } },
  { name: 'CBP, service free from 2024-11-01', sim: { seed: 12, start: '2024-10-30', days: 4, scale: 8, freeTier: 10 } },
  { name: 'PMP, Sep→Oct with volume tiers', sim: { seed: 13, start: '2025-09-29', days: 4, scale: 8 } },
];

beforeAll(async () => {
  wh = await openTestWarehouse();
  const dir = mkdtempSync(join(tmpdir(), 'wa-billing-truth-'));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify(simulationConfig(RUNS[0]!.sim)));
  service = await startTestService(wh, { CONFIG_FILE: config });
});
afterAll(async () => {
  await service?.stop();
  await wh?.close();
});

const load = (sim: SimOptions): Promise<TruthRecord[]> => loadGenerated(service, sim);

type Row = Record<string, unknown>;

describe.each(RUNS)('generator truth: $name', ({ sim }) => {
  it('matches counts per WABA, month, category and type exactly', async () => {
    await truncateAll(wh);
    const truth = await load(sim);
    await refresh(service);
    const conv = truth.filter((r): r is ConversationsRecord => r.kind === 'conversations');
    const charges = truth.filter((r): r is ChargesRecord => r.kind === 'charges');
    expect(conv.length).toBeGreaterThan(0);
    const periods = [...new Set(conv.map((r) => `${r.waba_id}|${r.month}`))];
    const ours: Row[] = [];
    for (const p of periods) {
      const [waba, month] = p.split('|');
      const r = await getJson(service, `/api/reports/conversations?month=${month}&waba_id=${waba}`);
      expect(r.status).toBe(200);
      ours.push(...r.body.rows);
    }
    // CBP: one row per category, as the truth has them.
    const key = (r: { waba_id: unknown; month: unknown; pricing_model: unknown; category: unknown }) => `${r.waba_id}|${r.month}|${r.pricing_model}|${r.category}`;
    const byCategory = new Map<string, { count: number; billable_count: number; free_count: number; free_tier_used?: number }>();
    for (const r of ours) {
      const k = key(r as never);
      const acc = byCategory.get(k) ?? { count: 0, billable_count: 0, free_count: 0, ...(r.pricing_model === 'CBP' ? { free_tier_used: 0 } : {}) };
      acc.count += r.count as number;
      acc.billable_count += r.billable_count as number;
      acc.free_count += r.free_count as number;
      if (acc.free_tier_used !== undefined) acc.free_tier_used += r.free_tier_used as number;
      byCategory.set(k, acc);
    }
    const expected = new Map(conv.map((r) => [key(r), { count: r.count, billable_count: r.billable_count, free_count: r.free_count, ...(r.free_tier_used !== undefined ? { free_tier_used: r.free_tier_used } : {}) }]));
    expect(Object.fromEntries([...byCategory].sort())).toEqual(Object.fromEntries([...expected].sort()));
    // PMP: category × market × type.
    const pmp = (rows: Array<{ waba_id: unknown; month: unknown; category: unknown; market: unknown; type: unknown; count: unknown; billable_count: unknown }>) =>
      Object.fromEntries(rows.map((r) => [`${r.waba_id}|${r.month}|${r.category}|${r.market}|${r.type}`, [r.count, r.billable_count]]).sort());
    expect(pmp(ours.filter((r) => r.pricing_model === 'PMP') as never)).toEqual(
      pmp(charges.map((c) => ({ ...c, market: MARKET_NAMES[c.market as MarketKey] }))),
    );
  });
});
