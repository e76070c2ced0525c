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

/** The stored form of a state (its `lastFiredAt` is a column of its own): items as a JSON object. */
export function stateJson(s: RuleState): string {
  return JSON.stringify({ items: Object.fromEntries(s.items), resolving: s.resolving });
}

/** A state from its stored form. */
export function stateOf(json: string, lastFiredAt: number | null): RuleState {
  const stored = JSON.parse(json) as { items?: Record<string, TrackedItem>; resolving?: TrackedItem[] };
  return { items: new Map(Object.entries(stored.items ?? {})), resolving: stored.resolving ?? [], lastFiredAt };
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
  for (const f of fire) items.set(f.key, { ...f, notified: true });
  return {
    state: { items, resolving: [], lastFiredAt: fire.length > 0 ? now : prev.lastFiredAt },
    fire: fire.map((f) => ({ ...f, notified: true })),
    resolve: [...resolving.values()].sort(worstFirst),
  };
}

/**
 * Whether two states track the same: the same items, each announced or not since the same time, the
 * same resolutions waiting, the same cooldown. Their figures are not compared: each evaluation reads
 * them afresh (a wait's minutes change every cycle), so a state is stored when what is tracked
 * changes, and a restart resolves an item with the figures last stored.
 */
export function sameTracked(a: RuleState, b: RuleState): boolean {
  if (a.lastFiredAt !== b.lastFiredAt || a.resolving.length !== b.resolving.length) return false;
  if (a.items.size !== b.items.size) return false;
  for (const [k, x] of a.items) {
    const y = b.items.get(k);
    if (!y || x.since !== y.since || x.notified !== y.notified) return false;
  }
  const resolving = new Set(a.resolving.map((i) => i.key));
  return b.resolving.every((i) => resolving.has(i.key));
}
