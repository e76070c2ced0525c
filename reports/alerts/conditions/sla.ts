import { ALL_WABAS } from '../../../warehouse/scope.ts';
import type { Pseudonymizer } from '../../../app/pseudonym.ts';
import type { Warehouse } from '../../../warehouse/client.ts';
import { liveRows, type StoredWaitRow } from '../../../warehouse/queries/sla/reports.ts';
import { openWaits, openWaitsAmong, waitsInsertedSince, type OpenWait } from '../../../warehouse/queries/alerts/open-waits.ts';
import { partBlocks, type PartsSnapshot } from '../../../warehouse/queries/parts.ts';
import type { AlertRule } from '../config.ts';
import type { AlertItem } from '../state.ts';

/**
 * SLA rules on the report's live lists (everyone waiting now, windows closing), as the managers'
 * dashboard shows them: a wait past X % of its due time, past its due time, a 24-hour window
 * closing unanswered, a WABA's queue too long or too old. Items carry the pseudonymous contact id.
 */

type SlaRule = Extract<AlertRule, { kind: `sla_${string}` }>;

/** More than this many waiting at once is read in part (the worst are listed anyway). */
const MAX_ROWS = 200_000;
const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const minutes = (ms: number) => Math.floor(ms / 60_000);

/** What a rule reads of an unanswered wait (an open-waits row, or a live-list row for label rules). */
export type Wait = Pick<OpenWait, 'wait_id' | 'waba_id' | 'phone_number_id' | 'wa_id' | 'owner_team' | 'team' | 'kind' | 'started_at' | 'window_expires_at'> & { due_at?: number | null };

/**
 * The SLA reads of one evaluation: the unanswered waits of every rule without labels in one read (the
 * union of their families and scopes), each rule keeping its own rows in memory; rules with labels
 * read the live list once per family, scope and window (the label condition is SQL).
 */
export interface LiveCache {
  pooled: ReadonlySet<SlaRule>;
  pool?: Promise<OpenWait[]>;
  /** The last pool read, kept from one evaluation to the next. */
  memory: PoolMemory;
  /** The evaluation's snapshot of the tables' parts. */
  parts: () => Promise<PartsSnapshot | null>;
  labelled: Map<string, Promise<StoredWaitRow[]>>;
  /** The pooled waits of one family and scope: rules that share them filter the pool once. */
  scoped: Map<string, OpenWait[]>;
  /** A wait as an item (the same for every rule that holds for it), built once per evaluation. */
  items: Map<string, WaitItem>;
  /** Windows closing, once per family, scope and window. */
  closing: Map<string, AlertItem[]>;
  /** Waiting now per WABA, once per list of waits (rules of one family and scope share theirs). */
  queues: WeakMap<readonly Wait[], Queue[]>;
}

export const isSlaRule = (rule: AlertRule): rule is SlaRule => rule.kind.startsWith('sla_');

/** One day's open waits as last read, with what the day's partition held then. */
interface DayRead {
  fingerprint: string;
  rows: OpenWait[];
  /** The highest block number among the day's parts then, and the latest mutation that rewrote one. */
  maxBlock: number;
  mutation: number;
  /** Every open wait of the day is in `rows` (no row limit cut the read, the parts' names read as blocks). */
  complete: boolean;
}

/**
 * The open waits as last read, per day of their start (the table's partitions): a day whose
 * parts stand still is not read; a day that only gained inserts (and merges) is read only for the
 * waits those inserts touched and the waits held whose part is gone; anything else (a mutation such
 * as an erasure, a new table) reads the day whole. A wait's day never changes, and FINAL merges
 * partition by partition.
 */
export interface PoolMemory {
  last?: { params: string; definition: string; days: Map<string, DayRead> };
}

export function liveCache(rules: readonly AlertRule[], parts: () => Promise<PartsSnapshot | null>, memory: PoolMemory = {}): LiveCache {
  return { memory, parts, pooled: new Set(rules.filter(isSlaRule).filter((r) => r.scope.labels.length === 0)), labelled: new Map(), scoped: new Map(), items: new Map(), closing: new Map(), queues: new WeakMap() };
}

/** The union of the rules' values of one filter: none (every value) as soon as one rule has none. */
function union(rules: Iterable<SlaRule>, pick: (r: SlaRule) => readonly string[]): string[] {
  const all = new Set<string>();
  for (const r of rules) {
    const v = pick(r);
    if (v.length === 0) return [];
    for (const x of v) all.add(x);
  }
  return [...all].sort();
}

type PoolParams = Omit<Parameters<typeof openWaits>[1], 'partitions'>;

/** Earlier start first, then wait id: the order of one read. */
const byStart = (a: OpenWait, b: OpenWait) => a.started_at - b.started_at || (a.wait_id < b.wait_id ? -1 : a.wait_id > b.wait_id ? 1 : 0);
const waitKey = (w: { family: string; wait_id: string }) => `${w.family}\u0000${w.wait_id}`;

/** A day's parts read by their names (each part's highest block), with their rows; null when a name does not read as blocks. */
function dayParts(day: string, list: ReadonlyArray<{ name: string; rows: number }>) {
  const maxOf = new Map<string, number>();
  let maxBlock = 0, mutation = 0, rows = 0;
  for (const p of list) {
    const b = partBlocks(p.name, day);
    if (!b) return null;
    maxOf.set(p.name, b.max);
    maxBlock = Math.max(maxBlock, b.max);
    mutation = Math.max(mutation, b.mutation);
    rows += p.rows;
  }
  return { list, maxOf, maxBlock, mutation, rows };
}

/**
 * What to read again of a day since `before`: the waits with a row in blocks inserted since (read
 * from the parts holding them at read time, whatever merged them since the snapshot) and the waits
 * held whose part is gone (merged, or emptied by a TTL); null when the day must be read whole (a
 * mutation rewrote parts, or the change is over half the day's waits).
 */
function changeOf(before: DayRead, now: NonNullable<ReturnType<typeof dayParts>>) {
  if (!before.complete || now.mutation > before.mutation) return null;
  // A part holding a block above the last read's highest came since (an insert, or a merge of one).
  const inserted = now.list.filter((p) => now.maxOf.get(p.name)! > before.maxBlock);
  const recheck = before.rows.filter((r) => !now.maxOf.has(r.part));
  if (inserted.reduce((n, p) => n + p.rows, 0) + recheck.length > now.rows / 2) return null;
  return { inserted: inserted.length > 0, recheck };
}

/**
 * The day's open waits after a change: the waits it touched read with FINAL, the others kept; null
 * when the inserts touched more waits than `limit` (read the day whole).
 */
async function readChange(wh: Warehouse, params: PoolParams, day: string, before: DayRead, change: NonNullable<ReturnType<typeof changeOf>>, limit: number): Promise<OpenWait[] | null> {
  if (!change.inserted && change.recheck.length === 0) return before.rows;
  // The touched waits first, then FINAL over exactly those: a merge between the two reads moves rows, not the answer.
  const touched = change.inserted ? await waitsInsertedSince(wh, { partition: day, after_block: before.maxBlock, families: params.families, row_limit: limit + 1 }) : [];
  if (touched.length > limit) return null;
  const keys = [...touched, ...change.recheck];
  const found = await openWaitsAmong(wh, {
    ...params, partition: day,
    key_wabas: keys.map((w) => w.waba_id), key_families: keys.map((w) => w.family), key_starts: keys.map((w) => w.started_at), key_phones: keys.map((w) => w.phone_number_id), key_ids: keys.map((w) => w.wait_id),
  });
  const drop = new Set(keys.map(waitKey));
  return before.rows.filter((w) => !drop.has(waitKey(w))).concat(found).sort(byStart);
}

function pool(wh: Warehouse, cache: LiveCache): Promise<OpenWait[]> {
  cache.pool ??= (async () => {
    const rules = [...cache.pooled];
    const params: PoolParams = {
      families: [...new Set(rules.map((r) => r.family))].sort(), waba_ids: union(rules, (r) => r.scope.wabas),
      phone_number_ids: union(rules, (r) => r.scope.phone_numbers), teams: union(rules, (r) => r.scope.teams), row_limit: MAX_ROWS, ...ALL_WABAS,
    };
    const key = JSON.stringify(params);
    // What each day holds, taken before the read: a write that lands during the read changes it, and the next evaluation reads again.
    const snapshot = await cache.parts();
    if (!snapshot) {
      cache.memory.last = undefined;
      return openWaits(wh, params);
    }
    const definition = snapshot.definition('sla_waits_v1');
    const last = cache.memory.last?.params === key && cache.memory.last.definition === definition ? cache.memory.last.days : undefined;
    const kept = new Map<string, DayRead>();
    const whole: Array<[string, Omit<DayRead, 'rows'>]> = [];
    const changed: Array<Promise<unknown>> = [];
    /** Days read whole in one read. A read cut by its limit holds some days in part: those are read whole next time. */
    const readWhole = async (days: typeof whole) => {
      const read = await openWaits(wh, { ...params, partitions: days.map(([m]) => m) });
      const byDay = new Map<string, OpenWait[]>(days.map(([m]) => [m, []]));
      for (const w of read) byDay.get(w.partition)?.push(w);
      for (const [m, shape] of days) kept.set(m, { ...shape, rows: byDay.get(m)!, complete: shape.complete && read.length < MAX_ROWS });
    };
    for (const [day, { fingerprint, parts }] of snapshot.partitions('sla_waits_v1')) {
      const before = last?.get(day);
      if (before?.fingerprint === fingerprint) {
        kept.set(day, before);
        continue;
      }
      const now = dayParts(day, parts);
      const shape = { fingerprint, maxBlock: now?.maxBlock ?? 0, mutation: now?.mutation ?? 0, complete: now !== null };
      const change = before && now ? changeOf(before, now) : null;
      if (!change) {
        whole.push([day, shape]);
        continue;
      }
      changed.push(readChange(wh, params, day, before!, change, Math.floor(now!.rows / 2)).then(async (rows) => {
        if (rows) kept.set(day, { ...shape, rows, complete: rows.length < MAX_ROWS });
        else await readWhole([[day, shape]]);
      }));
    }
    if (whole.length > 0) changed.push(readWhole(whole));
    await Promise.all(changed);
    cache.memory.last = { params: key, definition, days: kept };
    // Days in order, each in the read's order (by start): the same rows and order as one read, up to its limit.
    return [...kept].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([, m]) => m.rows).slice(0, MAX_ROWS);
  })();
  return cache.pool;
}

const within = (values: readonly string[], v: string) => values.length === 0 || values.includes(v);

/** The pooled waits of a rule without labels: everyone waiting now in its family and scope. */
export async function scopedWaits(wh: Warehouse, rule: SlaRule, cache: LiveCache): Promise<OpenWait[]> {
  const s = rule.scope;
  const all = await pool(wh, cache);
  const key = JSON.stringify([rule.family, s.wabas, s.phone_numbers, s.teams]);
  let waiting = cache.scoped.get(key);
  if (!waiting) {
    waiting = all.filter((w) => w.family === rule.family && within(s.wabas, w.waba_id) && within(s.phone_numbers, w.phone_number_id) && within(s.teams, w.owner_team));
    cache.scoped.set(key, waiting);
  }
  return waiting;
}

/** A rule's own rows: everyone waiting now in its scope, and (when asked) those whose window closes within its minutes. */
async function live(wh: Warehouse, rule: SlaRule, now: number, cache: LiveCache): Promise<{ waiting: Wait[]; closing: () => Wait[] }> {
  const closingMs = rule.kind === 'sla_window_closing' ? Math.round(rule.within_minutes * 60_000) : 0;
  if (cache.pooled.has(rule)) {
    const waiting = await scopedWaits(wh, rule, cache);
    return { waiting, closing: () => waiting.filter((w) => w.window_expires_at > now && w.window_expires_at <= now + closingMs) };
  }
  const key = JSON.stringify([rule.family, rule.scope, closingMs]);
  let rows = cache.labelled.get(key);
  if (!rows) {
    rows = liveRows(wh, {
      family: rule.family, from: 0, to: now, now, tz: 'UTC', waba_ids: rule.scope.wabas, phone_number_ids: rule.scope.phone_numbers,
      teams: rule.scope.teams, agents: [], responders: [], kinds: [], labels: rule.scope.labels, label_match: rule.scope.label_match, ...ALL_WABAS,
    }, closingMs, MAX_ROWS);
    cache.labelled.set(key, rows);
  }
  const read = await rows;
  return { waiting: read.filter((r) => r.list === 'waiting_now'), closing: () => read.filter((r) => r.list === 'window_closing') };
}

/** What a message shows of a wait, as of `now`. */
function waitDetail(r: Wait, now: number, contact: string): AlertItem['detail'] {
  const due = r.due_at ?? null;
  const share = due !== null && due > r.started_at ? Math.floor((100 * (now - r.started_at)) / (due - r.started_at)) : null;
  return {
    contact, waba_id: r.waba_id, phone_number_id: r.phone_number_id, team: r.owner_team || r.team, kind: r.kind,
    started_at: iso(r.started_at), due_at: iso(due), waited_minutes: minutes(now - r.started_at), percent_of_due: share,
  };
}

/**
 * A wait as an item, kept from one evaluation to the next and moved on in place (`seen`): the rules
 * tracking it hold this one object. Its detail (with the keyed contact id) is built when read: of
 * the millions of items a thousand rules track, few are ever shown or written.
 */
export class WaitItem implements AlertItem {
  readonly key: string;
  waba_id: string;
  rank: number;
  #row: Wait;
  #now: number;
  #contact: string | undefined;
  #detail: AlertItem['detail'] | undefined;

  constructor(row: Wait, now: number, private readonly pseudonyms: Pseudonymizer) {
    this.key = row.wait_id;
    this.#row = row;
    this.#now = now;
    this.waba_id = row.waba_id;
    this.rank = now - row.started_at;
  }

  /** The wait as read at `now`. */
  seen(row: Wait, now: number): void {
    this.#row = row;
    this.#now = now;
    this.waba_id = row.waba_id;
    this.rank = now - row.started_at;
    this.#detail = undefined;
  }

  get detail(): AlertItem['detail'] {
    this.#contact ??= this.pseudonyms.contact(this.#row.wa_id);
    return (this.#detail ??= waitDetail(this.#row, this.#now, this.#contact));
  }
}

/** A wait whose 24-hour window closes soon, as an item: the wait's detail and the time left, built when read. */
class WindowItem implements AlertItem {
  readonly key: string;
  readonly waba_id: string;
  readonly rank: number;

  constructor(private readonly wait: WaitItem, private readonly expiresAt: number, private readonly now: number) {
    this.key = wait.key;
    this.waba_id = wait.waba_id;
    this.rank = now - expiresAt;
  }

  get detail(): AlertItem['detail'] {
    return { ...this.wait.detail, window_expires_at: iso(this.expiresAt), minutes_left: minutes(this.expiresAt - this.now) };
  }
}

export async function slaItems(rule: SlaRule, wh: Warehouse, pseudonyms: Pseudonymizer, now: number, cache: LiveCache): Promise<AlertItem[]> {
  const { waiting, closing } = await live(wh, rule, now, cache);
  const item = (r: Wait) => {
    let i = cache.items.get(r.wait_id);
    if (i === undefined) cache.items.set(r.wait_id, (i = new WaitItem(r, now, pseudonyms)));
    return i;
  };
  switch (rule.kind) {
    case 'sla_at_risk':
      // From X % of the time between start and due on, until answered (a breach keeps it at risk).
      return waiting
        .filter((r) => r.due_at != null && r.due_at > r.started_at && (now - r.started_at) * 100 >= rule.percent * (r.due_at - r.started_at))
        .map(item);
    case 'sla_breached':
      return waiting.filter((r) => r.due_at != null && r.due_at <= now).map(item);
    case 'sla_window_closing': {
      // Rules of one scope and window share their items (built once, their detail when read).
      const key = JSON.stringify([rule.family, rule.scope, rule.within_minutes]);
      let items = cache.closing.get(key);
      if (!items) cache.closing.set(key, (items = closing().map((r) => new WindowItem(item(r), r.window_expires_at, now))));
      return items;
    }
    case 'sla_waiting_now':
      return queuesOf(waiting, now, cache).filter((q) =>
        (rule.max_count !== undefined && q.waiting > rule.max_count) || (rule.max_oldest_minutes !== undefined && q.oldest_ms > rule.max_oldest_minutes * 60_000));
  }
}

interface Queue extends AlertItem {
  waiting: number;
  oldest_ms: number;
}

/** Waiting now per WABA (one item each, so a recipient sees only the queues of its WABAs). */
function queuesOf(waiting: readonly Wait[], now: number, cache: LiveCache): Queue[] {
  let q = cache.queues.get(waiting);
  if (!q) cache.queues.set(waiting, (q = queues(waiting, now)));
  return q;
}

function queues(waiting: readonly Wait[], now: number): Queue[] {
  const by = new Map<string, { n: number; oldest: number }>();
  for (const r of waiting) {
    const q = by.get(r.waba_id) ?? { n: 0, oldest: now };
    q.n++;
    q.oldest = Math.min(q.oldest, r.started_at);
    by.set(r.waba_id, q);
  }
  return [...by].map(([waba, q]) => ({
    key: waba, waba_id: waba, rank: now - q.oldest, waiting: q.n, oldest_ms: now - q.oldest,
    detail: { waba_id: waba, waiting: q.n, oldest_wait_minutes: minutes(now - q.oldest) },
  }));
}
