import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPseudonymizer } from '../../app/pseudonym.ts';
import { ruleSchema } from '../../reports/alerts/config.ts';
import { isSlaRule, liveCache, scopedWaits, slaItems, type PoolMemory } from '../../reports/alerts/conditions/sla.ts';
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

/** How many times a query ran so far (the open waits read whole, by default). */
async function reads(query = 'alerts.open_waits'): Promise<number> {
  const v = (await queryDuration.get()).values.find((x) => x.metricName?.endsWith('_count') && x.labels.query === query && x.labels.outcome === 'ok');
  return v?.value ?? 0;
}

/** Reads of the open waits, whole or of what changed. */
const anyReads = async () => (await reads()) + (await reads('alerts.open_waits_among'));

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

    const r0 = await anyReads();
    expect(await evaluate()).toEqual(['w1', 'w2']);
    expect(await evaluate()).toEqual(['w1', 'w2']);
    expect((await anyReads()) - r0).toBe(1);

    // w1 is answered: a newer version of its row.
    await insertWaits(wh, [wait('w1', '5511900000001', '2', { responded_at: T - 5 * MIN })]);
    expect(await evaluate()).toEqual(['w2']);
    expect((await anyReads()) - r0).toBe(2);

    // A merge changes no wait, but the parts: read again, same answer.
    await wh.writer.command({ query: `OPTIMIZE TABLE ${wh.database}.sla_waits_v1 FINAL` });
    expect(await evaluate()).toEqual(['w2']);
    expect((await anyReads()) - r0).toBe(3);

    // w2's customer is erased (a lightweight delete): the kept read must not outlive it.
    await wh.writer.command({ query: `DELETE FROM ${wh.database}.sla_waits_v1 WHERE wa_id = '5511900000002'` });
    expect(await evaluate()).toEqual([]);
    expect(await evaluate()).toEqual([]);
    expect((await anyReads()) - r0).toBe(4);
  });
});

describe('open waits kept per partition (the day a wait started)', () => {
  it('reads again only the partition whose parts changed, and holds what a whole read holds', async () => {
    await truncateAll(wh);
    const FEB = T - 20 * 24 * 60 * MIN;
    const memory: PoolMemory = {};
    const evaluate = async () => (await slaItems(breached, wh, pseudonyms, T, liveCache([breached], partsOnce(wh), memory))).map((i) => i.key).sort();
    const whole = async () => (await slaItems(breached, wh, pseudonyms, T, liveCache([breached], async () => null))).map((i) => i.key).sort();
    await insertWaits(wh, [wait('f1', '5511900000011', '1', { started_at: FEB, due_at: FEB + 10 * MIN }), wait('m1', '5511900000012', '1')]);
    expect(await evaluate()).toEqual(['f1', 'm1']);
    const days = () => new Map([...(memory.last?.days ?? [])].map(([m, v]) => [m, v.rows]));
    const before = days();
    expect([...before.keys()]).toEqual(['20260210', '20260302']);

    // March gets a new wait and m1 is answered: March is read again, February's rows are kept as they were.
    await insertWaits(wh, [wait('m1', '5511900000012', '2', { responded_at: T - 5 * MIN }), wait('m2', '5511900000013', '1')]);
    const r0 = await reads();
    expect(await evaluate()).toEqual(['f1', 'm2']);
    expect(await evaluate()).toEqual(await whole());
    expect((await reads()) - r0).toBe(2);
    expect(days().get('20260210')).toBe(before.get('20260210'));
    expect(days().get('20260302')).not.toBe(before.get('20260302'));

    // February's wait is answered: February is read again.
    await insertWaits(wh, [wait('f1', '5511900000011', '2', { started_at: FEB, due_at: FEB + 10 * MIN, responded_at: FEB + 60 * MIN })]);
    expect(await evaluate()).toEqual(['m2']);
    expect(await whole()).toEqual(['m2']);
  });
});

describe('open waits read again only where an insert touched them', () => {
  const human = ruleSchema.parse({ id: 'human', kind: 'sla_breached', family: 'human' });
  if (!isSlaRule(human)) throw new Error('an SLA rule');
  const FEB = T - 20 * 24 * 60 * MIN;
  /** Both families' pooled waits, every column a rule reads (not the part each came from: a merge between two reads moves it). */
  const pooled = async (memory?: PoolMemory) => {
    const cache = liveCache([breached, human], memory ? partsOnce(wh) : async () => null, memory);
    return [...(await scopedWaits(wh, breached, cache)), ...(await scopedWaits(wh, human, cache))].map(({ part: _, ...w }) => w);
  };

  it('answers in a day of many waits: only the answered ones are read again', async () => {
    await truncateAll(wh);
    const memory: PoolMemory = {};
    const ids = Array.from({ length: 12 }, (_, i) => i);
    await insertWaits(wh, ids.map((i) => wait(`f${i}`, `55119000001${i}`, '1', { started_at: FEB + i * MIN, due_at: FEB + 10 * MIN })));
    await insertWaits(wh, ids.map((i) => wait(`m${i}`, `55119000002${i}`, '1', { started_at: T - 60 * MIN + i * MIN })));
    expect((await pooled(memory)).length).toBe(24);
    const [whole0, among0] = [await reads(), await reads('alerts.open_waits_among')];

    // Two February waits answered, one March wait new: no day read whole.
    await insertWaits(wh, [
      wait('f3', '551190000013', '2', { started_at: FEB + 3 * MIN, due_at: FEB + 10 * MIN, responded_at: FEB + 5 * MIN }),
      wait('f7', '551190000017', '2', { started_at: FEB + 7 * MIN, due_at: FEB + 10 * MIN, responded_at: FEB + 9 * MIN }),
    ]);
    await insertWaits(wh, [wait('m20', '5511900000220', '1', { started_at: T - 2 * MIN })]);
    const kept = await pooled(memory);
    expect((await reads()) - whole0).toBe(0);
    expect((await reads('alerts.open_waits_among')) - among0).toBe(2);
    expect(kept.map((w) => w.wait_id).sort()).toEqual([...ids.filter((i) => i !== 3 && i !== 7).map((i) => `f${i}`), ...ids.map((i) => `m${i}`), 'm20'].sort());
    expect(kept).toEqual(await pooled());
  });

  it('hold what a whole read holds through inserts, late and tied versions, deletions, merges and erasures', async () => {
    await truncateAll(wh);
    const memory: PoolMemory = {};
    let seed = 7;
    const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const pick = <X>(xs: readonly X[]) => xs[Math.floor(rnd() * xs.length)]!;
    // Each wait: its day's start, its family, its latest version, whether answered.
    const waits = new Map<string, { start: number; family: string; version: number; waId: string }>();
    let next = 0;
    let version = 10;
    const row = (id: string, v: number, extra: Record<string, unknown> = {}) => {
      const w = waits.get(id)!;
      return wait(id, w.waId, String(v), { family: w.family, started_at: w.start, due_at: w.start + 10 * MIN, ...extra });
    };
    const add = (n: number) => Array.from({ length: n }, () => {
      const id = `w${next++}`;
      waits.set(id, { start: (rnd() < 0.5 ? FEB : T - 60 * MIN) + Math.floor(rnd() * 30) * MIN, family: rnd() < 0.3 ? 'human' : 'any', version: version++, waId: `5511900${String(next).padStart(5, '0')}` });
      return row(id, waits.get(id)!.version);
    });
    await insertWaits(wh, add(30));
    let [whole, among] = [0, 0];
    const done: string[] = [];
    for (let step = 0; step < 30; step++) {
      const id = pick([...waits.keys()]);
      const w = waits.get(id)!;
      const op = pick(['new', 'answer', 'answer', 'tie', 'late', 'delete', 'merge', 'erase'] as const);
      done.push(op);
      if (op === 'new') await insertWaits(wh, add(2));
      // A newer version answers it.
      else if (op === 'answer') await insertWaits(wh, [row(id, (w.version = version++), { responded_at: w.start + 5 * MIN })]);
      // The same version again with another due time: FINAL keeps the last inserted.
      else if (op === 'tie') await insertWaits(wh, [row(id, w.version, { due_at: w.start + 20 * MIN })]);
      // An older version, open, arriving after a newer one: FINAL keeps the newer.
      else if (op === 'late') await insertWaits(wh, [row(id, w.version - 1)]);
      // The wait no longer exists (the chat was recomputed).
      else if (op === 'delete') await insertWaits(wh, [row(id, (w.version = version++), { is_deleted: 1 })]);
      else if (op === 'merge') await wh.writer.command({ query: `OPTIMIZE TABLE ${wh.database}.sla_waits_v1 PARTITION ID '${pick(['20260210', '20260302'])}'${rnd() < 0.5 ? ' FINAL' : ''}` });
      else await wh.writer.command({ query: `DELETE FROM ${wh.database}.sla_waits_v1 WHERE wa_id = '${w.waId}'` });
      const [whole0, among0] = [await reads(), await reads('alerts.open_waits_among')];
      const kept = await pooled(memory);
      whole += (await reads()) - whole0;
      among += (await reads('alerts.open_waits_among')) - among0;
      expect({ step, op, kept }).toEqual({ step, op, kept: await pooled() });
    }
    // Both ways were taken: an erasure (a mutation) reads its day whole, an insert mostly only what
    // it touched (a background merge of its part with older ones can make it read the day whole).
    const erasures = done.filter((op) => op === 'erase').length;
    const inserts = done.filter((op) => op !== 'erase' && op !== 'merge').length;
    expect(erasures).toBeGreaterThan(0);
    expect(whole).toBeGreaterThanOrEqual(erasures);
    expect(whole).toBeLessThan(done.length / 2);
    expect(among).toBeGreaterThan(inserts / 2);
  });
});
