import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabelRefresh } from '../../reports/labels/refresh.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { queryDuration } from '../../warehouse/metrics.ts';
import { insertLabelEvents } from '../../warehouse/queries/labels/store.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';

/** How many times the label sets were loaded again (the reload query's observations). */
async function reloads(): Promise<number> {
  const m = await queryDuration.get();
  return m.values.find((v) => v.metricName === 'wa_warehouse_query_seconds_count' && v.labels.query === 'labels.reload_spans' && v.labels.outcome === 'ok')?.value ?? 0;
}

const at = (iso: string) => Date.parse(iso);

describe('label refresh', () => {
  let wh: Warehouse;
  beforeAll(async () => {
    wh = await openTestWarehouse();
    await truncateAll(wh);
  });
  afterAll(async () => wh.close());

  it('takes the changes that come while a round runs into one round after it', async () => {
    const refresh = new LabelRefresh(wh);
    const row = (wa_id: string, label: string) => ({
      waba_id: '', wa_id, label, action: 'add' as const, at: at('2026-11-01T10:00:00Z'), source: 'shop', origin: 'api' as const, ref: '', recorded_at: at('2026-11-01T10:00:00Z'),
    });
    const before = await reloads();
    const stored = [row('5511900000001', 'vip'), ...[2, 3, 4, 5].map((i) => row(`551190000000${i}`, 'order/paid'))];
    await insertLabelEvents(wh, stored);
    // The first call starts a round at once; the four made while it runs go into one round after it.
    const calls = stored.map((r) => refresh.stored([r]));
    await Promise.all(calls);
    expect((await reloads()) - before).toBe(2);
    const held = await rows<{ n: number }>(wh, `SELECT count() AS n FROM {{db}}.label_spans_v1 WHERE has(labels, 'order/paid')`);
    expect(Number(held[0]!.n)).toBe(4);
  });
});
