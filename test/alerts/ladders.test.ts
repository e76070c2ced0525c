import { describe, expect, it } from 'vitest';
import { createPseudonymizer } from '../../app/pseudonym.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import type { OpenWait } from '../../warehouse/queries/alerts/open-waits.ts';
import { ruleSchema, type AlertRule } from '../../reports/alerts/config.ts';
import { createLadders, ladderChange, onLadder, type LadderChanges } from '../../reports/alerts/conditions/ladders.ts';
import { liveCache } from '../../reports/alerts/conditions/sla.ts';
import { emptyState, stateOf, step, stepChanges, unsavedRows, type AlertItem, type RuleState } from '../../reports/alerts/state.ts';

// The SLA threshold rules share one tracking of the waits and are told only what changed. What they
// announce must be what each rule announces when given every wait that holds for it, worked out here
// straight from the rules' definitions (at risk: waited ≥ X % of start → due; breached: due ≤ now),
// over generated cycles in which waits start, age, get a new due time, and are answered.

const MIN = 60_000;
const rules = [
  { id: 'risk-50', kind: 'sla_at_risk', percent: 50 },
  { id: 'risk-80', kind: 'sla_at_risk', percent: 80 },
  { id: 'risk-80b', kind: 'sla_at_risk', percent: 80, cooldown_minutes: 30 },
  { id: 'risk-95', kind: 'sla_at_risk', percent: 95, scope: { wabas: ['W2'] } },
  { id: 'breached', kind: 'sla_breached' },
  { id: 'breached-w1', kind: 'sla_breached', scope: { wabas: ['W1'] } },
].map((r) => ruleSchema.parse(r));

function truth(rule: AlertRule, waits: readonly OpenWait[], now: number): string[] {
  return waits
    .filter((w) => rule.scope.wabas.length === 0 || rule.scope.wabas.includes(w.waba_id))
    .filter((w) => rule.kind === 'sla_breached'
      ? w.due_at != null && w.due_at <= now
      : rule.kind === 'sla_at_risk' && w.due_at != null && w.due_at > w.started_at && (now - w.started_at) / (w.due_at - w.started_at) >= rule.percent / 100)
    .map((w) => w.wait_id);
}

/** A small deterministic generator (the same cycles every run). */
function random(seed: number) {
  let x = seed;
  return () => ((x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
}

describe('SLA threshold rules on a shared ladder', () => {
  it('announce exactly what each rule announces when told every wait that holds for it, across restarts of a rule', async () => {
    const rnd = random(7);
    const pseudonyms = createPseudonymizer('k');
    const ladders = createLadders();
    const known = new Map<string, RuleState>();
    const expected = new Map<string, RuleState>(rules.map((r) => [r.id, emptyState()]));
    const stateOf_ = (id: string) => known.get(id) ?? (known.set(id, emptyState()), known.get(id)!);
    let waits: OpenWait[] = [];
    let n = 0;
    let now = Date.parse('2026-11-02T09:00:00Z');
    const wait = (): OpenWait => {
      const started_at = now - Math.floor(rnd() * 40 * MIN);
      const due = rnd() < 0.1 ? null : rnd() < 0.05 ? started_at : started_at + Math.floor((5 + rnd() * 30) * MIN);
      return { wait_id: `w${n++}`, family: 'any', waba_id: rnd() < 0.5 ? 'W1' : 'W2', phone_number_id: 'P', wa_id: `55${n}`, owner_team: '', team: '', kind: 'first', started_at, due_at: due, window_expires_at: started_at + 1440 * MIN, partition: '202611', part: '202611_1_1_0' };
    };
    const told = { all: 0, changes: 0 };
    let fired = 0;
    let resolved = 0;
    for (let cycle = 0; cycle < 40; cycle++) {
      // Answered waits leave, new ones arrive, one wait is given a later due time, and the clock moves on.
      waits = waits.filter(() => rnd() > 0.15);
      for (let k = Math.floor(rnd() * 8); k > 0; k--) waits.push(wait());
      if (waits.length > 3 && cycle % 5 === 2) waits[1] = { ...waits[1]!, due_at: now + 60 * MIN };
      now += Math.floor(rnd() * 6 * MIN);
      // A rule taken over from another instance at cycle 20: its state comes back from its stored rows.
      if (cycle === 20) {
        const s = known.get('risk-80')!;
        known.set('risk-80', stateOf([...unsavedRows({ ...s, unsaved: new Set([...s.items.keys(), ...s.resolving.keys()]) })], s.lastFiredAt));
      }
      const live = liveCache(rules, async () => null);
      live.pool = Promise.resolve(waits);
      const changes: LadderChanges = new Map();
      for (const rule of rules) {
        expect(onLadder(rule, live)).toBe(true);
        const opts = { quiet: cycle % 11 === 5, cooldownMs: rule.cooldown_minutes * MIN };
        const change = await ladderChange(rule as never, rules, ladders, changes, { wh: {} as Warehouse, pseudonyms, now, live, stateOf: stateOf_ });
        const got = 'all' in change ? step(stateOf_(rule.id), change.all, now, opts) : stepChanges(stateOf_(rule.id), change.started, change.stopped, now, opts);
        if ('all' in change) told.all++;
        else told.changes++;
        const byId = new Map(waits.map((w) => [w.wait_id, w]));
        const items = truth(rule, waits, now).map((id): AlertItem => ({ key: id, waba_id: byId.get(id)!.waba_id, rank: now - byId.get(id)!.started_at, detail: {} }));
        const want = step(expected.get(rule.id)!, items, now, opts);
        const keys = (xs: readonly AlertItem[]) => xs.map((x) => x.key);
        expect([rule.id, cycle, keys(got.fire), keys(got.resolve)]).toEqual([rule.id, cycle, keys(want.fire), keys(want.resolve)]);
        expect([...got.state.items.keys()].sort()).toEqual([...want.state.items.keys()].sort());
        fired += got.fire.length;
        resolved += got.resolve.length;
      }
    }
    // Told everything on the first evaluation (6 rules) and after the take-over (1); changes otherwise.
    expect(told).toEqual({ all: 7, changes: 40 * 6 - 7 });
    // The generated cycles exercised both announcements.
    expect(fired).toBeGreaterThan(50);
    expect(resolved).toBeGreaterThan(20);
  });

  it('a rule added to a ladder starts it over: every rule is told everything once', async () => {
    const pseudonyms = createPseudonymizer('k');
    const ladders = createLadders();
    const known = new Map<string, RuleState>();
    const stateOf_ = (id: string) => known.get(id) ?? (known.set(id, emptyState()), known.get(id)!);
    const now = Date.parse('2026-11-02T09:00:00Z');
    const waits: OpenWait[] = [{ wait_id: 'a', family: 'any', waba_id: 'W1', phone_number_id: 'P', wa_id: '551', owner_team: '', team: '', kind: 'first', started_at: now - 9 * MIN, due_at: now + MIN, window_expires_at: now + 1000 * MIN, partition: '202611', part: '202611_1_1_0' }];
    const evaluate = async (set: AlertRule[]) => {
      const live = liveCache(set, async () => null);
      live.pool = Promise.resolve(waits);
      const changes: LadderChanges = new Map();
      const out: Record<string, string> = {};
      for (const rule of set) {
        const change = await ladderChange(rule as never, set, ladders, changes, { wh: {} as Warehouse, pseudonyms, now, live, stateOf: stateOf_ });
        out[rule.id] = 'all' in change ? `all:${change.all.map((i) => i.key).join()}` : `changes:${change.started.length}/${change.stopped.length}`;
        if ('all' in change) step(stateOf_(rule.id), change.all, now, { quiet: false, cooldownMs: 0 });
        else stepChanges(stateOf_(rule.id), change.started, change.stopped, now, { quiet: false, cooldownMs: 0 });
      }
      return out;
    };
    const two = rules.slice(0, 2);
    expect(await evaluate(two)).toEqual({ 'risk-50': 'all:a', 'risk-80': 'all:a' });
    expect(await evaluate(two)).toEqual({ 'risk-50': 'changes:0/0', 'risk-80': 'changes:0/0' });
    const three = [...two, ruleSchema.parse({ id: 'risk-90', kind: 'sla_at_risk', percent: 90 })];
    expect(await evaluate(three)).toEqual({ 'risk-50': 'all:a', 'risk-80': 'all:a', 'risk-90': 'all:a' });
  });
});
