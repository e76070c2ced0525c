import { Counter, type Registry } from 'prom-client';
import type { Follower, LoadedBatch } from '../../app/deps.ts';
import type { Logger } from '../../app/logger.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { chatEventsFrom, storedWaitStates, type ChatEventFromRow, type StoredWaitState } from '../../warehouse/queries/sla/follow.ts';
import { CarriedChats, latestRecent, latestWait, messageShape, openWaitKey, type CarriedChat, type RecentMessage } from './carried.ts';
import type { SlaSettings } from './config.ts';
import { continueChats } from './continue.ts';
import { writeWaitChanges } from './job.ts';
import { byChat, chatKey, toChatMessage } from './messages.ts';
import { chatVersion, recordsOf, type WaitRecord } from './records.ts';
import { resumeChat } from './resume.ts';
import { mergeTouched, touchedChatsOf, type TouchedChat } from './touched.ts';
import type { ChatMessage, Wait } from './waits.ts';
import { pauses } from '../../app/yielding.ts';

/**
 * The SLA follower: after each loaded batch, the waits of the chats it touched.
 *
 * A chat whose open thread's state it carries from the last call (reports/sla/carried.ts) and whose
 * new events all come after that state goes on from there, reading only the new events
 * (reports/sla/continue.ts). Any other chat (new to it, an event out of order, its state lost to
 * the cap or a restart) is recomputed from the thread that holds its earliest new event
 * (reports/sla/resume.ts), not from its whole history: its messages are read from one idle time
 * before that event, and further back only when the thread or what it carries starts earlier (to
 * where that starts when the stored waits say, else ×4 each round; after four rounds the whole chat).
 *
 * A call takes on at most `follow.chats_per_call` chats and stops starting new queries once it has
 * read `follow.events_per_call` messages; the chats left wait for the next call, which the
 * dispatcher makes at once (reports/follow.ts). The `sla.waits` job stays the safety net: it
 * recomputes whole chats stored since its watermark.
 */

export const FOLLOWER_NAME = 'sla.waits';
/** Rounds of reading further back before reading a chat whole. */
const ROUNDS = 4;

export { touchedChatsOf, type TouchedChat };

export interface FollowResult {
  /** Chats followed by the call. */
  chats: number;
  waits: number;
  written: number;
  deleted: number;
  /** Chats that had to be read whole. */
  whole: number;
  /** Chats that went on from their carried state. */
  carried: number;
  /** Messages read (each with all its rows). */
  events: number;
  /** Chats left for the next call. */
  pending: number;
  /** Chats left to the scheduled job: more were waiting than `follow.pending_chats`. */
  dropped: number;
}

/** What the follower keeps between calls. */
export interface SlaFollowState {
  carried: CarriedChats;
  /** Chats touched and not yet followed, oldest first. */
  pending: Map<string, TouchedChat>;
}

export function slaFollowState(settings: SlaSettings): SlaFollowState {
  return { carried: new CarriedChats(settings.follow.carried_chats), pending: new Map() };
}

/**
 * Chats the follower computed, by path: `carried` went on from the state carried since the last
 * call (reads only the new events), `thread` was read back from its thread start (no carried state:
 * the first call after a start, a chat out of the carried cap, or one whose store did not match).
 * A falling share of `carried` under load says the cap (`sla.follow.carried_chats`) is too small.
 */
export const followedChats = new Counter({
  name: 'wa_sla_follow_chats_total', help: 'Chats the SLA follower computed, by path (carried: from carried state; thread: read from the thread start)',
  labelNames: ['path'] as const, registers: [],
});

export function registerSlaMetrics(registry: Registry): void {
  if (!registry.getSingleMetric('wa_sla_follow_chats_total')) registry.registerMetric(followedChats);
}

export function slaFollower(wh: Warehouse, settings: SlaSettings, log?: Logger): Follower {
  const state = slaFollowState(settings);
  return {
    name: FOLLOWER_NAME,
    async follow(batches) {
      const r = await followWaits(wh, settings, batches, state);
      followedChats.inc({ path: 'carried' }, r.carried);
      followedChats.inc({ path: 'thread' }, r.chats - r.carried);
      if (r.dropped) log?.warn({ follower: FOLLOWER_NAME, chats: r.dropped }, 'follower behind; chats left to the scheduled job');
      return { more: r.pending > 0 };
    },
    dropped(batches) {
      // Their events may lie before a carried point: those chats start again from their thread.
      for (const c of touchedChatsOf(batches)) state.carried.delete(chatKey(c));
    },
  };
}

/**
 * Follows the batches, plus the chats earlier calls left. Without a `state` (nothing carried from
 * an earlier call) it follows every chat before it returns.
 */
export async function followWaits(wh: Warehouse, settings: SlaSettings, batches: readonly LoadedBatch[], state?: SlaFollowState): Promise<FollowResult> {
  const own = state ?? slaFollowState(settings);
  const total = await followOnce(wh, settings, batches, own);
  while (!state && own.pending.size > 0) add(total, await followOnce(wh, settings, [], own));
  return total;
}

async function followOnce(wh: Warehouse, settings: SlaSettings, batches: readonly LoadedBatch[], state: SlaFollowState): Promise<FollowResult> {
  const { pending, carried } = state;
  const limits = settings.follow;
  const result: FollowResult = { chats: 0, waits: 0, written: 0, deleted: 0, whole: 0, carried: 0, events: 0, pending: 0, dropped: 0 };
  for (const c of touchedChatsOf(batches)) {
    const key = chatKey(c);
    const waiting = pending.get(key);
    if (waiting) mergeTouched(waiting, c);
    else pending.set(key, c);
  }
  // Past the bound the oldest are the job's: it finds them by when their rows were stored.
  for (const key of pending.keys()) {
    if (pending.size <= limits.pending_chats) break;
    pending.delete(key);
    carried.delete(key);
    result.dropped++;
  }
  const take: TouchedChat[] = [];
  for (const c of pending.values()) {
    if (take.length >= limits.chats_per_call) break;
    take.push(c);
  }
  for (let i = 0; i < take.length && result.events < limits.events_per_call; i += limits.chats_per_query) {
    const chunk = take.slice(i, i + limits.chats_per_query);
    let r: FollowResult;
    try {
      r = await followChats(wh, settings, chunk, carried);
    } catch (e) {
      // What was carried may no longer match the store (a write half done).
      for (const c of chunk) carried.delete(chatKey(c));
      throw e;
    }
    for (const c of chunk) pending.delete(chatKey(c));
    add(result, r);
  }
  result.pending = pending.size;
  return result;
}

function add(into: FollowResult, r: FollowResult): void {
  for (const k of ['chats', 'waits', 'written', 'deleted', 'whole', 'carried', 'events', 'dropped'] as const) into[k] += r[k];
  into.pending = r.pending;
}

async function followChats(wh: Warehouse, settings: SlaSettings, chats: readonly TouchedChat[], carried: CarriedChats): Promise<FollowResult> {
  const fast: Array<{ chat: TouchedChat; state: CarriedChat }> = [];
  const slow: TouchedChat[] = [];
  for (const chat of chats) {
    const state = carried.get(chatKey(chat));
    if (state) fast.push({ chat, state });
    else slow.push(chat);
  }
  const on = await continueChats(wh, settings, fast);
  for (const c of on.fallback) carried.delete(chatKey(c));
  const back = await resumeChats(wh, settings, [...slow, ...on.fallback]);
  const records = [...on.records, ...back.records];
  const versions = new Map([...on.versions, ...back.versions]);
  const { written, deleted } = await writeWaitChanges(wh, records, [...on.scope, ...back.scope], versions);
  for (const [key, state] of [...on.states, ...back.states]) carried.set(key, state);
  return {
    chats: chats.length, waits: records.length, written, deleted, whole: back.whole, carried: on.states.size,
    events: on.events + back.events, pending: 0, dropped: 0,
  };
}

interface Reading {
  chat: TouchedChat;
  from: number;
  step: number;
}

interface Resumed {
  records: WaitRecord[];
  scope: StoredWaitState[];
  versions: Map<string, string>;
  states: Map<string, CarriedChat>;
  events: number;
  whole: number;
}

/** Recomputes chats from the thread that holds their earliest new event. */
async function resumeChats(wh: Warehouse, settings: SlaSettings, chats: readonly TouchedChat[]): Promise<Resumed> {
  const out: Resumed = { records: [], scope: [], versions: new Map(), states: new Map(), events: 0, whole: 0 };
  if (chats.length === 0) return out;
  const idle = settings.idleMs;
  const stored = byChat(await storedWaitStates(wh, chats));
  let pending: Reading[] = chats.map((chat) => ({ chat, from: chat.earliest - idle, step: idle }));
  for (let round = 0; pending.length > 0; round++) {
    const rows = byChat(await chatEventsFrom(wh, pending.map((p) => ({ ...p.chat, from: p.from }))));
    const next: Reading[] = [];
    const pause = pauses(50);
    for (const p of pending) {
      await pause();
      const key = chatKey(p.chat);
      const read = rows.get(key) ?? [];
      out.events += read.length;
      const complete = p.from <= 0;
      if (complete) out.whole++;
      const mine = stored.get(key) ?? [];
      const r = resumeChat({ messages: messagesOf(read), from: p.from, complete, changedFrom: changedFrom(p.chat, read), stored: mine, idleMs: idle });
      if (r.kind === 'further') {
        if (complete) throw new Error('SLA follower: a chat read whole still asked for more');
        const step = p.step * 4;
        const from = r.whole || round + 1 >= ROUNDS ? 0 : r.exact ? r.before : Math.min(r.before, p.from - step);
        next.push({ chat: p.chat, from: Math.max(0, Math.min(from, p.from - 1)), step });
        continue;
      }
      const received = read.reduce((t, e) => Math.max(t, e.received), 0);
      const items = read.reduce((n, e) => n + e.rows, 0);
      const version = chatVersion(received, items);
      out.versions.set(key, version);
      const records = recordsOf(p.chat, r.waits, settings, version);
      out.records.push(...records);
      // The stored waits this computation covers: those from its thread start on, and those it carried.
      out.scope.push(...mine.filter((w) => w.started_at >= r.at || w.responded_at === null || w.responded_at >= r.at));
      if (r.cursor && r.cursor.lastAt !== undefined) out.states.set(key, carriedOf({ ...r.cursor, lastAt: r.cursor.lastAt }, r.at, read, r.waits, records, received, items));
    }
    pending = next;
  }
  return out;
}

/**
 * The state a computation from thread start `at` leaves: the messages from `at` on count as folded
 * in (the waits they answered are all among the computed ones; an earlier message touched again
 * sends the chat back to this path).
 */
function carriedOf(
  cursor: CarriedChat['cursor'], at: number, read: readonly ChatEventFromRow[], waits: readonly Wait[], records: readonly WaitRecord[], received: number, rows: number,
): CarriedChat {
  const recent = new Map<string, RecentMessage>();
  for (const m of messagesOf(read)) if (m.at >= at) recent.set(m.wamid, { shape: messageShape(m), at: m.at, answered: [] });
  for (const w of waits) if (w.response) recent.get(w.response.wamid)?.answered.push(w.startedAt);
  return {
    cursor,
    recent: latestRecent(recent),
    open: new Map(records.filter((r) => r.responded_at === null).map((r) => [openWaitKey(r), r.content_hash])),
    received,
    rows,
    latest: latestWait(records),
  };
}

/**
 * The earliest time the batch can have changed the chat: its earliest row, or the earliest row of a
 * message it added to (a late `sent` or `failed` moves or removes a message sent earlier).
 */
function changedFrom(chat: TouchedChat, read: readonly ChatEventFromRow[]): number {
  let t = chat.earliest;
  for (const e of read) if (chat.wamids.has(e.wamid)) t = Math.min(t, e.first);
  return t;
}

function messagesOf(rows: readonly ChatEventFromRow[]): ChatMessage[] {
  return rows.flatMap((r) => toChatMessage(r) ?? []);
}

