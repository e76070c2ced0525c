import type { Pseudonymizer } from '../../../app/pseudonym.ts';
import type { Warehouse } from '../../../warehouse/client.ts';
import type { OpenWait } from '../../../warehouse/queries/alerts/open-waits.ts';
import type { AlertRule } from '../config.ts';
import type { AlertItem, RuleState } from '../state.ts';
import { scopedWaits, WaitItem, type LiveCache } from './sla.ts';

/**
 * One tracking of the waits for the SLA threshold rules of a family and scope (a ladder): the rules
 * at risk from X % of the due time, sorted by X, and those past due. A wait holds for a prefix of
 * a ladder (every rule up to the highest threshold it has passed), so each wait keeps one number,
 * its rung, and an evaluation tells each rule only the waits that climbed past it or left it. A
 * thousand rules over tens of thousands of open waits then cost a lookup per wait, not one per rule
 * and wait. A rule whose state the ladder did not see move on last time (the first evaluation, a
 * rule taken over from another instance, a ladder whose rules changed) is told everything instead.
 */

type LadderRule = Extract<AlertRule, { kind: 'sla_at_risk' | 'sla_breached' }>;

/** What a rule is told by its ladder: every item holding now, or what started and stopped since it was last told. */
export type RuleChange = { all: AlertItem[] } | { started: AlertItem[]; stopped: string[] };

export const onLadder = (rule: AlertRule, cache: LiveCache): rule is LadderRule =>
  (rule.kind === 'sla_at_risk' || rule.kind === 'sla_breached') && cache.pooled.has(rule);

/** Whether a wait has passed a rule's threshold at `now` (the rules' own definitions, in whole milliseconds). */
function holds(rule: LadderRule, w: OpenWait, now: number): boolean {
  if (rule.kind === 'sla_breached') return w.due_at != null && w.due_at <= now;
  // From X % of the time between start and due on, until answered (a breach keeps it at risk).
  return w.due_at != null && w.due_at > w.started_at && (now - w.started_at) * 100 >= rule.percent * (w.due_at - w.started_at);
}

const threshold = (r: LadderRule) => (r.kind === 'sla_at_risk' ? r.percent : 0);
const ladderKey = (r: LadderRule) => JSON.stringify([r.kind, r.family, r.scope.wabas, r.scope.phone_numbers, r.scope.teams]);

interface Rung {
  item: WaitItem;
  /** How many of the ladder's rules (lowest threshold first) the wait holds for. */
  level: number;
  seen: number;
}

interface Ladder {
  /** The rules' ids and thresholds in order: another set of rules is another ladder. */
  signature: string;
  waits: Map<string, Rung>;
  cycle: number;
  /** Per rule, the state it was told about and the cycle that state will be at once it has taken it in. */
  told: Map<string, { state: RuleState; cycle: number }>;
}

/** The ladders of one engine, kept from one evaluation to the next. */
export interface Ladders {
  byKey: Map<string, Ladder>;
}

export const createLadders = (): Ladders => ({ byKey: new Map() });

/** One evaluation's changes per ladder (its rules told once each). */
export type LadderChanges = Map<string, Promise<Map<string, RuleChange>>>;

/** The rung of a wait: how many rules of the ladder (sorted by threshold) it holds for. */
function levelOf(rules: readonly LadderRule[], w: OpenWait, now: number): number {
  let lo = 0;
  let hi = rules.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (holds(rules[mid]!, w, now)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * What one rule of a ladder is told this evaluation. `stateOf` gives the rule's state as the engine
 * holds it, which must take in the answer (`step` or `stepChanges`) before the next evaluation.
 */
export async function ladderChange(
  rule: LadderRule, rules: readonly AlertRule[], ladders: Ladders, changes: LadderChanges,
  ctx: { wh: Warehouse; pseudonyms: Pseudonymizer; now: number; live: LiveCache; stateOf: (ruleId: string) => RuleState },
): Promise<RuleChange> {
  const key = ladderKey(rule);
  let told = changes.get(key);
  if (!told) {
    const members = rules.filter((r): r is LadderRule => onLadder(r, ctx.live) && ladderKey(r) === key)
      .sort((a, b) => threshold(a) - threshold(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    told = scopedWaits(ctx.wh, rule, ctx.live).then((waiting) => climb(ladders, key, members, waiting, ctx));
    changes.set(key, told);
  }
  return (await told).get(rule.id)!;
}

function climb(ladders: Ladders, key: string, rules: readonly LadderRule[], waiting: readonly OpenWait[], ctx: { pseudonyms: Pseudonymizer; now: number; stateOf: (ruleId: string) => RuleState }): Map<string, RuleChange> {
  const { now } = ctx;
  const signature = JSON.stringify(rules.map((r) => [r.id, r.kind, threshold(r)]));
  let ladder = ladders.byKey.get(key);
  if (!ladder || ladder.signature !== signature) ladders.byKey.set(key, (ladder = { signature, waits: new Map(), cycle: 0, told: new Map() }));
  const cycle = ++ladder.cycle;
  const started: AlertItem[][] = rules.map(() => []);
  const stopped: string[][] = rules.map(() => []);
  for (const w of waiting) {
    let rung = ladder.waits.get(w.wait_id);
    if (rung === undefined) ladder.waits.set(w.wait_id, (rung = { item: new WaitItem(w, now, ctx.pseudonyms), level: 0, seen: cycle }));
    else rung.item.seen(w, now);
    rung.seen = cycle;
    const level = levelOf(rules, w, now);
    for (let i = rung.level; i < level; i++) started[i]!.push(rung.item);
    for (let i = level; i < rung.level; i++) stopped[i]!.push(w.wait_id);
    rung.level = level;
  }
  // Answered (or out of the scope) since: it stops for every rule it held for.
  for (const [id, rung] of ladder.waits) {
    if (rung.seen === cycle) continue;
    for (let i = 0; i < rung.level; i++) stopped[i]!.push(id);
    ladder.waits.delete(id);
  }
  const out = new Map<string, RuleChange>();
  rules.forEach((r, i) => {
    const state = ctx.stateOf(r.id);
    const had = ladder.told.get(r.id);
    if (had && had.state === state && had.cycle === state.cycle) out.set(r.id, { started: started[i]!, stopped: stopped[i]! });
    else {
      const all: AlertItem[] = [];
      for (const rung of ladder.waits.values()) if (rung.level > i) all.push(rung.item);
      out.set(r.id, { all });
    }
    ladder.told.set(r.id, { state, cycle: state.cycle + 1 });
  });
  return out;
}
