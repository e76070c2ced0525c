import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabelRefresh } from '../../reports/labels/refresh.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { queryDuration } from '../../warehouse/metrics.ts';
import { insertLabelEvents } from '../../warehouse/queries/labels/store.ts';
import { insertWaits } from '../../warehouse/queries/sla/store.ts';
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

  it('writes each live wait again at its latest version with the new set, and brings no removed wait back', async () => {
    await truncateAll(wh);
    const refresh = new LabelRefresh(wh);
    const C = '5511900000042';
    const start = at('2026-11-10T10:00:00Z');
    const wait = (id: string, version: string, extra: Record<string, unknown> = {}) => ({
      wait_id: id, waba_id: 'W1', family: 'human', kind: 'first', started_at: start, phone_number_id: 'P1', wa_id: C, version, is_deleted: 0, ...extra,
    });
    // w1: an older and a newer computation (answered by ana); w2: stored, then removed by a later one.
    await insertWaits(wh, [wait('w1', '2', { agent: 'ana' }), wait('w2', '1')]);
    await insertWaits(wh, [wait('w1', '1', { agent: 'old' }), wait('w2', '3', { is_deleted: 1 })]);
    const read = () =>
      rows<{ wait_id: string; agent: string; version: string; label_set: string }>(
        wh, `SELECT wait_id, agent, toString(version) AS version, toString(label_set) AS label_set FROM {{db}}.sla_waits_v1 FINAL WHERE wa_id = {c:String} ORDER BY wait_id`, { c: C });
    expect(await read()).toEqual([{ wait_id: 'w1', agent: 'ana', version: '2', label_set: '0' }]);

    // A label added before the wait started, stored after it.
    const label = { waba_id: '', wa_id: C, label: 'vip', action: 'add' as const, at: start - 60_000, source: 'crm', origin: 'api' as const, ref: '', recorded_at: Date.now() };
    await insertLabelEvents(wh, [label]);
    await refresh.stored([label]);
    const vip = await rows<{ set_id: string }>(wh, `SELECT DISTINCT toString(set_id) AS set_id FROM {{db}}.label_spans_v1 WHERE labels = ['vip']`);
    expect(vip).toHaveLength(1);
    expect(await read()).toEqual([{ wait_id: 'w1', agent: 'ana', version: '2', label_set: vip[0]!.set_id }]);
  });
});
