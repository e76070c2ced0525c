/**
 * What a rule remembers between evaluations, and the one step that turns the items whose condition
 * holds now into messages: an item is announced once when it starts and once when it stops holding
 * (only if its start was announced); items starting together go out in one message. Cooldown holds
 * new firings until the rule's last firing message is old enough (they then go out together);
 * quiet hours hold every message, and an item that starts and stops inside them is never announced.
 * Pure but for the state it is given, which it moves on in place: a thousand rules over tens of
 * thousands of waits track millions of items, and an item that did not change costs a lookup and
 * nothing allocated. The caller brings the clock and whether it is quiet.
 */

/** One thing a rule's condition holds for: a wait, a WABA's queue, a broken audit chain. */
export interface AlertItem {
  /** Stable identity across evaluations (a wait id, a WABA id). */
  key: string;
  /** The WABA it belongs to ('' for the service as a whole): recipients see only their WABAs' items. */
  waba_id: string;
  /** Larger is worse; a message lists the worst first. */
  rank: number;
  /** What a message shows: pseudonymous ids and figures only. */
  detail: Record<string, string | number | null>;
}

export interface TrackedItem {
  /** The item as last seen (its figures are those of the last evaluation it held in). */
  item: AlertItem;
  /** When the condition was first seen to hold (epoch ms). */
  since: number;
  /** Whether its firing has been sent. */
  notified: boolean;
  /** The evaluation that last saw it hold (the rule's `cycle`). */
  seen: number;
}

export interface RuleState {
  /** By item key (a Map: rules over thousands of waits look each one up every evaluation). */
  items: Map<string, TrackedItem>;
  /** Items that started and are not announced yet (held by the cooldown or the quiet hours). */
  pending: Map<string, TrackedItem>;
  /** Announced items that stopped holding while messages were held. */
  resolving: Map<string, TrackedItem>;
  /** When the rule last sent a firing message (its cooldown). */
  lastFiredAt: number | null;
  /**
   * Keys whose stored row (alert_rule_items_v1) is behind what is tracked: started, stopped,
   * announced, or a resolution held or sent. Figures alone do not count: each evaluation reads them afresh.
   */
  unsaved: Set<string>;
  /** Evaluations so far (what `seen` is compared with). */
  cycle: number;
}

export function emptyState(lastFiredAt: number | null = null): RuleState {
  return { items: new Map(), pending: new Map(), resolving: new Map(), lastFiredAt, unsaved: new Set(), cycle: 0 };
}

/** A row to write for one unsaved item: its tracked state and the item as it stands, or that it was forgotten. */
export interface ItemRow {
  item_key: string;
  since: number;
  notified: 0 | 1;
  resolving: 0 | 1;
  /** The item besides its key and tracked state ('' when forgotten). */
  item_json: string;
  removed: 0 | 1;
}

/** What an item row stores of the item besides its key and tracked state. */
export function itemJson(item: AlertItem): string {
  return JSON.stringify({ waba_id: item.waba_id, rank: item.rank, detail: item.detail });
}

/** The rows the store is behind by, one per unsaved key (a generator: a first cycle over a large backlog has millions). */
export function* unsavedRows(s: RuleState): Generator<ItemRow> {
  for (const key of s.unsaved) {
    const held = s.items.get(key);
    const resolving = held ? undefined : s.resolving.get(key);
    const t = held ?? resolving;
    yield t
      ? { item_key: key, since: t.since, notified: t.notified ? 1 : 0, resolving: resolving ? 1 : 0, item_json: itemJson(t.item), removed: 0 }
      : { item_key: key, since: 0, notified: 0, resolving: 0, item_json: '', removed: 1 };
  }
}

/** A stored item's row → the item (its JSON holds waba_id, rank and detail). */
function trackedOf(row: { item_key: string; since: number; notified: number; item_json: string }): TrackedItem {
  const it = JSON.parse(row.item_json) as Pick<AlertItem, 'waba_id' | 'rank' | 'detail'>;
  return { item: { key: row.item_key, waba_id: it.waba_id, rank: it.rank, detail: it.detail }, since: row.since, notified: row.notified === 1, seen: 0 };
}

/**
 * A state from its stored rows: the items (and the held resolutions) a rule tracks, and its last
 * firing; nothing unsaved. A state stored before items had rows of their own holds them in
 * `legacyJson`: all of them are unsaved.
 */
export function stateOf(rows: ReadonlyArray<{ item_key: string; since: number; notified: number; resolving: number; item_json: string }>, lastFiredAt: number | null, legacyJson = '{}'): RuleState {
  const s = emptyState(lastFiredAt);
  const track = (t: TrackedItem, resolving: boolean) => {
    if (resolving) s.resolving.set(t.item.key, t);
    else {
      s.items.set(t.item.key, t);
      if (!t.notified) s.pending.set(t.item.key, t);
    }
  };
  if (rows.length === 0) {
    type Legacy = AlertItem & { since: number; notified: boolean };
    const legacy = JSON.parse(legacyJson) as { items?: Record<string, Legacy>; resolving?: Legacy[] };
    const tracked = (l: Legacy): TrackedItem => ({ item: { key: l.key, waba_id: l.waba_id, rank: l.rank, detail: l.detail }, since: l.since, notified: l.notified, seen: 0 });
    for (const l of Object.values(legacy.items ?? {})) track(tracked(l), false);
    for (const l of legacy.resolving ?? []) track(tracked(l), true);
    for (const key of [...s.items.keys(), ...s.resolving.keys()]) s.unsaved.add(key);
    return s;
  }
  for (const r of rows) track(trackedOf(r), r.resolving === 1);
  return s;
}

export interface StepResult {
  state: RuleState;
  /** Items to announce as started, worst first. */
  fire: AlertItem[];
  /** Items to announce as resolved, worst first. */
  resolve: AlertItem[];
}

const worstFirst = (a: AlertItem, b: AlertItem) => b.rank - a.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
type StepOptions = { quiet: boolean; cooldownMs: number };

/** An item that holds now: tracked again if its resolution was held, else tracked as new. */
function start(s: RuleState, it: AlertItem, now: number): TrackedItem {
  let t = s.resolving.get(it.key);
  if (t !== undefined) {
    // Back before its resolution went out: it was announced and is still announced.
    s.resolving.delete(it.key);
    t.item = it;
  } else {
    t = { item: it, since: now, notified: false, seen: 0 };
    s.pending.set(it.key, t);
  }
  s.items.set(it.key, t);
  s.unsaved.add(it.key);
  return t;
}

/** An item that no longer holds: its resolution is due if it was announced, else it is forgotten. */
function stop(s: RuleState, key: string, t: TrackedItem): void {
  s.items.delete(key);
  s.unsaved.add(key);
  if (t.notified) s.resolving.set(key, t);
  else s.pending.delete(key);
}

/** Moves a rule's state on to the items holding `now` (in place) and answers what to announce. */
export function step(s: RuleState, current: readonly AlertItem[], now: number, opts: StepOptions): StepResult {
  const cycle = ++s.cycle;
  const before = s.items.size;
  let kept = 0;
  for (const it of current) {
    let t = s.items.get(it.key);
    if (t === undefined) t = start(s, it, now);
    else if (t.seen !== cycle) kept++;
    // Its figures as they stand now (the item, not a copy).
    t.item = it;
    t.seen = cycle;
  }
  // Every item tracked before was seen again: none stopped, and the sweep is skipped.
  if (kept < before) for (const [key, t] of s.items) if (t.seen !== cycle) stop(s, key, t);
  return announce(s, now, opts);
}

/**
 * The same move from what changed alone: the items that started holding since the last evaluation
 * and the keys of those that stopped (what a rule's shared tracking of the waits tells it, so the
 * items that hold still cost nothing). The items it tracks are those it was told of: their figures
 * move on with them.
 */
export function stepChanges(s: RuleState, started: readonly AlertItem[], stopped: readonly string[], now: number, opts: StepOptions): StepResult {
  ++s.cycle;
  for (const it of started) {
    const t = s.items.get(it.key);
    if (t === undefined) start(s, it, now);
    else t.item = it;
  }
  for (const key of stopped) {
    const t = s.items.get(key);
    if (t !== undefined) stop(s, key, t);
  }
  return announce(s, now, opts);
}

/** What goes out now: new items unless the cooldown or quiet hours hold them, and held resolutions unless quiet. */
function announce(s: RuleState, now: number, opts: StepOptions): StepResult {
  if (opts.quiet) return { state: s, fire: [], resolve: [] };
  const fire: AlertItem[] = [];
  if (s.pending.size > 0 && (s.lastFiredAt === null || now - s.lastFiredAt >= opts.cooldownMs)) {
    for (const [key, t] of s.pending) {
      t.notified = true;
      s.unsaved.add(key);
      fire.push(t.item);
    }
    s.pending.clear();
    fire.sort(worstFirst);
    s.lastFiredAt = now;
  }
  const resolve: AlertItem[] = [];
  for (const [key, t] of s.resolving) {
    s.unsaved.add(key);
    resolve.push(t.item);
  }
  s.resolving.clear();
  return { state: s, fire, resolve: resolve.sort(worstFirst) };
}
