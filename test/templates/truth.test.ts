import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import type { AdRecord, TemplatesRecord, TruthRecord } from '../../simulate/truth.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import type { AdConversionRecord } from '../../simulate/ads.ts';
import { getJson, refresh } from '../billing/setup.ts';
import { authHeader, http, startTestService } from '../helpers/service.ts';
import { loadGenerated } from '../helpers/ingest.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';

/**
 * The templates report against the traffic generator's truth (docs/TRUTH.md): per WABA × template ×
 * language × campaign (untagged template sends under template ''), the funnel, replies, clicks,
 * opt-outs, failures by code, sent-not-delivered and charges match exactly, over four days of
 * per-message pricing; so do the ads (per `source_id`) and the template history (status, quality
 * and category webhooks).
 */

const SIM: SimOptions = { seed: 15, start: '2025-09-29', days: 4, scale: 40 };
const COUNTS = ['sent', 'delivered', 'read', 'replied', 'clicked', 'opted_out', 'failed', 'failed_131049', 'failed_131050', 'sent_not_delivered', 'charged'] as const;
const AD_FIELDS = ['referrals', 'customers', 'answered', 'frt_p50_s', 'frt_p90_s', 'free_entry_point_messages', 'conversions'] as const;
const TEMPLATE_FIELDS = new Set(['message_template_status_update', 'message_template_quality_update', 'template_category_update']);
const RANGE = 'from=2025-09-27&to=2025-10-05&tz=UTC';

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

let all: TruthRecord[] = [];

describe('generator truth', () => {
  beforeAll(async () => {
    await truncateAll(wh);
    all = await load(SIM);
    await refresh(service);
  });

  it('matches every template × language × campaign exactly', async () => {
    const truth = all.filter((r): r is TemplatesRecord => r.kind === 'templates');
    expect(truth.length).toBeGreaterThan(3);
    // The generator's counts, as the test's own sums (not the report's).
    expect(truth.some((t) => t.template === '')).toBe(true);
    expect(truth.some((t) => t.campaign !== '')).toBe(true);
    for (const c of ['failed_131049', 'replied', 'clicked', 'opted_out'] as const) expect(truth.reduce((n, t) => n + t[c], 0), c).toBeGreaterThan(0);

    const ours = new Map<string, Record<string, number>>();
    for (const waba of [...new Set(truth.map((t) => t.waba_id))]) {
      const r = await getJson(service, `/api/reports/templates?${RANGE}&waba_id=${waba}&group_by=campaign`, 'manager');
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

describe('generator truth: ads and history', () => {
  it('matches every ad: referrals, customers, answered, first response time, free-entry-point messages, reported conversions', async () => {
    const conversions = all.filter((r): r is AdConversionRecord => r.kind === 'ad_conversion');
    expect(conversions.some((c) => c.wa_id !== null) && conversions.some((c) => c.ctwa_clid !== null)).toBe(true);
    const items = conversions.map((c) => ({
      waba_id: c.waba_id, event_id: c.event_id, event: c.event, at: c.at,
      ...(c.ctwa_clid !== null ? { ctwa_clid: c.ctwa_clid } : { wa_id: c.wa_id }), ...(c.value !== null ? { value: c.value } : {}),
    }));
    // Posted twice: a repeated event_id is the same conversion.
    for (const batch of [items, items.slice(0, 5)]) {
      const posted = await http(`${service.url()}/api/ads/conversions`, { method: 'POST', headers: { ...authHeader('admin'), 'Content-Type': 'application/json' }, body: JSON.stringify({ conversions: batch }) });
      expect(posted.status, posted.text).toBe(201);
    }
    const truth = all.filter((r): r is AdRecord => r.kind === 'ad');
    expect(truth.some((a) => a.conversions > 0)).toBe(true);
    expect(truth.length).toBeGreaterThan(1);
    expect(truth.some((a) => a.answered > 0 && a.free_entry_point_messages > 0)).toBe(true);
    const pick = (r: Record<string, unknown>) => [`${r.waba_id}|${r.source_id}|${r.source_type}`, Object.fromEntries(AD_FIELDS.map((f) => [f, r[f]]))] as const;
    const r = await getJson(service, `/api/reports/ads?${RANGE}`, 'manager');
    expect(r.status).toBe(200);
    expect(Object.fromEntries(r.body.rows.map(pick))).toEqual(Object.fromEntries(truth.map((a) => pick(a as never))));
  });

  it('lists every template status, quality and category webhook, pauses and disables among them', async () => {
    const truth = all.filter((r) => r.kind === 'management' && TEMPLATE_FIELDS.has(String(r.field))) as Array<Record<string, unknown>>;
    const events = new Set(truth.map((t) => t.event));
    for (const e of ['PAUSED', 'REINSTATED', 'DISABLED', 'RED', 'MARKETING']) expect(events, e).toContain(e);
    const r = await getJson(service, `/api/reports/templates/history?${RANGE}`, 'manager');
    expect(r.status).toBe(200);
    const line = (x: Record<string, unknown>, at: number, value: unknown) => `${x.waba_id}|${at}|${x.field}|${x.template}|${x.language}|${value}`;
    const ours = r.body.rows.map((x) => line(x, Date.parse(String(x.at)) / 1000, x.value)).sort();
    expect(ours).toEqual(truth.map((t) => line(t, Number(t.at), t.event)).sort());
  });
});
