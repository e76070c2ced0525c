import { describe, expect, it } from 'vitest';
import { ERA_RUNS, records, run } from './fixture.ts';
import { parseBodies, recomputeCbp, recomputePmp } from './independent.ts';

describe('conversation and charge truth agrees with the bodies', () => {
  for (const [name, opts] of Object.entries(ERA_RUNS)) {
    it(`CBP conversations of the ${name} run (distinct conversation.id)`, () => {
      const r = run(opts);
      const mine = recomputeCbp(parseBodies(r.bodies), r.zones);
      const truth = records(r, 'conversations').filter((c) => c.pricing_model === 'CBP');
      expect(truth.length).toBe(mine.size);
      for (const c of truth) {
        const m = mine.get(`${c.waba_id}|${c.month}|${c.category}`);
        expect({ key: `${c.waba_id}|${c.month}|${c.category}`, ...m }).toEqual({
          key: `${c.waba_id}|${c.month}|${c.category}`, count: c.count, billable: c.billable_count, free: c.free_count, freeTier: c.free_tier_used,
        });
      }
    });

    it(`PMP charged messages of the ${name} run (distinct wamid with pricing)`, () => {
      const r = run(opts);
      const mine = recomputePmp(parseBodies(r.bodies), r.zones);
      const truth = records(r, 'charges');
      expect(truth.length).toBe(mine.size);
      for (const c of truth) {
        const key = `${c.waba_id}|${c.month}|${c.market}|${c.category}|${c.type}`;
        expect({ key, ...mine.get(key) }).toEqual({ key, count: c.count, billable: c.billable_count });
      }
      // The per-category message totals add up to the charges.
      for (const c of records(r, 'conversations').filter((x) => x.pricing_model === 'PMP')) {
        const parts = truth.filter((x) => x.waba_id === c.waba_id && x.month === c.month && x.category === c.category);
        expect(parts.reduce((s, x) => s + x.count, 0)).toBe(c.count);
      }
    });
  }

  it('each era shows its own categories and switches on the right local date', () => {
    const cats = (name: keyof typeof ERA_RUNS, model: string) =>
      new Set(records(run(ERA_RUNS[name]), 'conversations').filter((c) => c.pricing_model === model).map((c) => c.category));
    expect(cats('cbp2022', 'CBP')).toEqual(new Set(['user_initiated', 'business_initiated', 'referral_conversion', 'marketing', 'utility', 'authentication', 'service']));
    expect(cats('cbp2023', 'CBP')).toContain('authentication-international');
    expect(cats('pmp', 'CBP').size).toBeGreaterThan(0);
    expect(cats('pmp', 'PMP')).toEqual(new Set(['marketing', 'utility', 'authentication', 'authentication-international', 'service', 'referral_conversion']));
  });

  it('the free tier runs out, and service is free from 2024-11-01', () => {
    const early = records(run(ERA_RUNS.cbp2022), 'conversations');
    const may = early.filter((c) => c.month === '2023-05');
    const used = may.reduce((s, c) => s + (c.free_tier_used ?? 0), 0);
    expect(used).toBe(2 * ERA_RUNS.cbp2022.freeTier); // both WABAs used the whole tier
    expect(may.some((c) => c.billable_count > 0)).toBe(true);
    const late = records(run(ERA_RUNS.cbp2023), 'conversations').filter((c) => c.category === 'service' && c.month === '2024-11');
    expect(late.every((c) => c.billable_count === 0 && c.free_tier_used === 0)).toBe(true);
  });

  it('pricing is on sent and on exactly one of delivered/read', () => {
    const r = run(ERA_RUNS.pmp);
    const priced = new Map<string, string[]>();
    for (const body of r.bodies) {
      for (const e of JSON.parse(body).entry) for (const c of e.changes) for (const s of c.value.statuses ?? []) {
        if (s.pricing) priced.set(s.id, [...(priced.get(s.id) ?? []), s.status]);
      }
    }
    for (const statuses of priced.values()) {
      expect(statuses.filter((s) => s === 'delivered' || s === 'read').length).toBeLessThanOrEqual(1);
      expect(statuses.filter((s) => s === 'sent').length).toBeLessThanOrEqual(1);
    }
  });
});
