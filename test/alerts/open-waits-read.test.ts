import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPseudonymizer } from '../../app/pseudonym.ts';
import { ruleSchema } from '../../reports/alerts/config.ts';
import { isSlaRule, liveCache, slaItems, type PoolMemory } from '../../reports/alerts/conditions/sla.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { queryDuration } from '../../warehouse/metrics.ts';
import { partsOnce } from '../../warehouse/queries/parts.ts';
import { insertWaits } from '../../warehouse/queries/sla/store.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';

// The SLA rules' open waits are a pass over every wait (FINAL): an evaluation reads them again only
// when the waits table changed since the last read (new waits, answers, merges, an erasure), and
// otherwise uses what it read. What each evaluation holds must be what the table holds then.

const T = Date.parse('2026-03-02T12:00:00Z');
const MIN = 60_000;
const rule = ruleSchema.parse({ id: 'breached', kind: 'sla_breached' });
if (!isSlaRule(rule)) throw new Error('an SLA rule');
const breached = rule;
const pseudonyms = createPseudonymizer('k');
let wh: Warehouse;

const wait = (id: string, waId: string, version: string, extra: Record<string, unknown> = {}) => ({
  wait_id: id, waba_id: 'W1', family: 'any', started_at: T - 30 * MIN, phone_number_id: 'P1', wa_id: waId, version, is_deleted: 0, due_at: T - 20 * MIN, ...extra,
});

/** How many times the open waits were read so far. */
async function reads(): Promise<number> {
  const v = (await queryDuration.get()).values.find((x) => x.metricName?.endsWith('_count') && x.labels.query === 'alerts.open_waits' && x.labels.outcome === 'ok');
  return v?.value ?? 0;
}

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
});
afterAll(async () => {
  await wh?.close();
});

describe('open waits kept between evaluations', () => {
  it('are read again after a write, a merge or an erasure, and not while the table stands still', async () => {
    const memory: PoolMemory = {};
    const evaluate = async () => (await slaItems(breached, wh, pseudonyms, T, liveCache([breached], partsOnce(wh), memory))).map((i) => i.key).sort();
    await insertWaits(wh, [wait('w1', '5511900000001', '1'), wait('w2', '5511900000002', '1')]);

    const r0 = await reads();
    expect(await evaluate()).toEqual(['w1', 'w2']);
    expect(await evaluate()).toEqual(['w1', 'w2']);
    expect((await reads()) - r0).toBe(1);

    // w1 is answered: a newer version of its row.
    await insertWaits(wh, [wait('w1', '5511900000001', '2', { responded_at: T - 5 * MIN })]);
    expect(await evaluate()).toEqual(['w2']);
    expect((await reads()) - r0).toBe(2);

    // A merge changes no wait, but the parts: read again, same answer.
    await wh.writer.command({ query: `OPTIMIZE TABLE ${wh.database}.sla_waits_v1 FINAL` });
    expect(await evaluate()).toEqual(['w2']);
    expect((await reads()) - r0).toBe(3);

    // w2's customer is erased (a lightweight delete): the kept read must not outlive it.
    await wh.writer.command({ query: `DELETE FROM ${wh.database}.sla_waits_v1 WHERE wa_id = '5511900000002'` });
    expect(await evaluate()).toEqual([]);
    expect(await evaluate()).toEqual([]);
    expect((await reads()) - r0).toBe(4);
  });
});

describe('open waits kept per month', () => {
  it('reads again only the month whose parts changed, and holds what a whole read holds', async () => {
    await truncateAll(wh);
    const FEB = T - 20 * 24 * 60 * MIN;
    const memory: PoolMemory = {};
    const evaluate = async () => (await slaItems(breached, wh, pseudonyms, T, liveCache([breached], partsOnce(wh), memory))).map((i) => i.key).sort();
    const whole = async () => (await slaItems(breached, wh, pseudonyms, T, liveCache([breached], async () => null))).map((i) => i.key).sort();
    await insertWaits(wh, [wait('f1', '5511900000011', '1', { started_at: FEB, due_at: FEB + 10 * MIN }), wait('m1', '5511900000012', '1')]);
    expect(await evaluate()).toEqual(['f1', 'm1']);
    const months = () => new Map([...(memory.last?.months ?? [])].map(([m, v]) => [m, v.rows]));
    const before = months();
    expect([...before.keys()]).toEqual(['202602', '202603']);

    // March gets a new wait and m1 is answered: March is read again, February's rows are kept as they were.
    await insertWaits(wh, [wait('m1', '5511900000012', '2', { responded_at: T - 5 * MIN }), wait('m2', '5511900000013', '1')]);
    const r0 = await reads();
    expect(await evaluate()).toEqual(['f1', 'm2']);
    expect(await evaluate()).toEqual(await whole());
    expect((await reads()) - r0).toBe(2);
    expect(months().get('202602')).toBe(before.get('202602'));
    expect(months().get('202603')).not.toBe(before.get('202603'));

    // February's wait is answered: February is read again.
    await insertWaits(wh, [wait('f1', '5511900000011', '2', { started_at: FEB, due_at: FEB + 10 * MIN, responded_at: FEB + 60 * MIN })]);
    expect(await evaluate()).toEqual(['m2']);
    expect(await whole()).toEqual(['m2']);
  });
});
