/**
 * What a rule remembers between evaluations, and the one step that turns the items whose condition
 * holds now into messages: an item is announced once when it starts and once when it stops holding
 * (only if its start was announced); items starting together go out in one message. Cooldown holds
 * new firings until the rule's last firing message is old enough (they then go out together);
 * quiet hours hold every message, and an item that starts and stops inside them is never announced.
 * Pure: the caller brings the clock and whether it is quiet.
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

export interface TrackedItem extends AlertItem {
  /** When the condition was first seen to hold (epoch ms). */
  since: number;
  /** Whether its firing has been sent. */
  notified: boolean;
}

export interface RuleState {
  /** By item key (a Map: rules over thousands of waits look each one up every evaluation). */
  items: Map<string, TrackedItem>;
  /** Announced items that stopped holding while messages were held. */
  resolving: TrackedItem[];
  /** When the rule last sent a firing message (its cooldown). */
  lastFiredAt: number | null;
}

export const EMPTY_STATE: RuleState = { items: new Map(), resolving: [], lastFiredAt: null };

/**
 * What the store holds of each tracked item (alert_rule_items_v1): enough to tell whether an item
 * changed in what is tracked. Its figures are not compared: each evaluation reads them afresh.
 */
export interface StoredMark {
  since: number;
  notified: boolean;
  resolving: boolean;
}

/** A row to write for one item: its tracked state and the item as it stands, or that it was forgotten. */
export interface ItemChange {
  item: TrackedItem;
  resolving: boolean;
  removed: boolean;
}

/**
 * The item rows a state needs written over what the store holds (`stored`), and what the store holds
 * once they are: items new or changed in since, announcement or held resolution, and items gone.
 */
export function itemChanges(s: RuleState, stored: ReadonlyMap<string, StoredMark>): { changes: ItemChange[]; marks: Map<string, StoredMark> } {
  const marks = new Map<string, StoredMark>();
  const changes: ItemChange[] = [];
  const note = (item: TrackedItem, resolving: boolean) => {
    const mark = { since: item.since, notified: item.notified, resolving };
    marks.set(item.key, mark);
    const had = stored.get(item.key);
    if (!had || had.since !== mark.since || had.notified !== mark.notified || had.resolving !== resolving) changes.push({ item, resolving, removed: false });
  };
  for (const item of s.items.values()) note(item, false);
  for (const item of s.resolving) note(item, true);
  for (const [key, had] of stored) {
    if (!marks.has(key)) changes.push({ item: { key, waba_id: '', rank: 0, detail: {}, since: had.since, notified: had.notified }, resolving: false, removed: true });
  }
  return { changes, marks };
}

/** A stored item's row → the item (its JSON holds waba_id, rank and detail). */
function trackedOf(row: { item_key: string; since: number; notified: number; item_json: string }): TrackedItem {
  const it = JSON.parse(row.item_json) as Pick<AlertItem, 'waba_id' | 'rank' | 'detail'>;
  return { key: row.item_key, waba_id: it.waba_id, rank: it.rank, detail: it.detail, since: row.since, notified: row.notified === 1 };
}

/** What an item row stores of the item besides its key and tracked state. */
export function itemJson(item: AlertItem): string {
  return JSON.stringify({ waba_id: item.waba_id, rank: item.rank, detail: item.detail });
}

/**
 * A state from its stored rows: the items (and the held resolutions) a rule tracks, and its last
 * firing. A state stored before items had rows of their own holds them in `legacyJson`.
 */
export function stateOf(rows: ReadonlyArray<{ item_key: string; since: number; notified: number; resolving: number; item_json: string }>, lastFiredAt: number | null, legacyJson = '{}'): RuleState {
  if (rows.length === 0) {
    const legacy = JSON.parse(legacyJson) as { items?: Record<string, TrackedItem>; resolving?: TrackedItem[] };
    return { items: new Map(Object.entries(legacy.items ?? {})), resolving: legacy.resolving ?? [], lastFiredAt };
  }
  const items = new Map<string, TrackedItem>();
  const resolving: TrackedItem[] = [];
  for (const r of rows) {
    const item = trackedOf(r);
    if (r.resolving === 1) resolving.push(item);
    else items.set(item.key, item);
  }
  return { items, resolving, lastFiredAt };
}

/** The marks of a state loaded from rows (a legacy state has none: all its items are written at its next store). */
export function marksOf(rows: ReadonlyArray<{ item_key: string; since: number; notified: number; resolving: number }>): Map<string, StoredMark> {
  return new Map(rows.map((r) => [r.item_key, { since: r.since, notified: r.notified === 1, resolving: r.resolving === 1 }]));
}

export interface StepResult {
  state: RuleState;
  /** Items to announce as started, worst first. */
  fire: TrackedItem[];
  /** Items to announce as resolved, worst first. */
  resolve: TrackedItem[];
}

const worstFirst = (a: AlertItem, b: AlertItem) => b.rank - a.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export function step(prev: RuleState, current: readonly AlertItem[], now: number, opts: { quiet: boolean; cooldownMs: number }): StepResult {
  const items = new Map<string, TrackedItem>();
  const resolving = new Map(prev.resolving.map((i) => [i.key, i]));
  for (const it of current) {
    const old = prev.items.get(it.key) ?? (resolving.size > 0 ? resolving.get(it.key) : undefined);
    // Back before its resolution went out: it was announced and is still announced.
    if (resolving.size > 0) resolving.delete(it.key);
    // A literal, not a spread: rules over thousands of waits build one per wait each evaluation.
    items.set(it.key, { key: it.key, waba_id: it.waba_id, rank: it.rank, detail: it.detail, since: old?.since ?? now, notified: old?.notified ?? false });
  }
  for (const [key, old] of prev.items) if (old.notified && !items.has(key)) resolving.set(key, old);
  if (opts.quiet) return { state: { items, resolving: [...resolving.values()], lastFiredAt: prev.lastFiredAt }, fire: [], resolve: [] };
  const cooled = prev.lastFiredAt === null || now - prev.lastFiredAt >= opts.cooldownMs;
  const fire: TrackedItem[] = [];
  if (cooled) {
    for (const i of items.values()) if (!i.notified) fire.push(i);
    fire.sort(worstFirst);
  }
  // The announced copy serves both the state and the message: a first cycle over a large backlog fires millions.
  for (let k = 0; k < fire.length; k++) {
    const f = fire[k]!;
    const announced = { key: f.key, waba_id: f.waba_id, rank: f.rank, detail: f.detail, since: f.since, notified: true };
    items.set(f.key, announced);
    fire[k] = announced;
  }
  return {
    state: { items, resolving: [], lastFiredAt: fire.length > 0 ? now : prev.lastFiredAt },
    fire,
    resolve: [...resolving.values()].sort(worstFirst),
  };
}
