import type { Follower, LoadedBatch } from '../../app/deps.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import type { ChatId } from '../../warehouse/queries/sla/events.ts';
import { chatEventsFrom, storedWaitStates, type ChatEventFromRow, type StoredWaitState } from '../../warehouse/queries/sla/follow.ts';
import type { SlaSettings } from './config.ts';
import { writeWaitChanges } from './job.ts';
import { chatKey, toChatMessage } from './messages.ts';
import { chatVersion, recordsOf, type WaitRecord } from './records.ts';
import { resumeChat } from './resume.ts';
import type { ChatMessage } from './waits.ts';

/**
 * The SLA follower: after each loaded batch, the waits of the chats it touched, each recomputed
 * from the thread that holds its earliest new event (reports/sla/resume.ts), not from its whole
 * history. It reads a chat's messages from one idle time before that event, and further back only
 * when the thread or what it carries starts earlier (to where that starts when the stored waits
 * say, else ×4 each round; after four rounds the whole chat). The
 * `sla.waits` job stays the safety net: it recomputes whole chats received since its watermark.
 */

export const FOLLOWER_NAME = 'sla.waits';
/** Rounds of reading further back before reading a chat whole. */
const ROUNDS = 4;

export interface TouchedChat extends ChatId {
  /** Earliest event time of the batch's rows in the chat (epoch ms). */
  earliest: number;
  /** Messages the batch's rows belong to. */
  wamids: Set<string>;
}

/** The chats a batch's message, status and echo rows touch (the SLA job's scope: no group chats). */
export function touchedChatsOf(batches: readonly LoadedBatch[]): TouchedChat[] {
  const chats = new Map<string, TouchedChat>();
  const touch = (waba_id: string, phone_number_id: string, wa_id: string, wamid: string, ts: number) => {
    const key = chatKey({ waba_id, phone_number_id, wa_id });
    let c = chats.get(key);
    if (!c) chats.set(key, (c = { waba_id, phone_number_id, wa_id, earliest: ts, wamids: new Set() }));
    c.earliest = Math.min(c.earliest, ts);
    c.wamids.add(wamid);
  };
  for (const { rows } of batches) {
    for (const m of rows.messages) if (m.wa_id) touch(m.waba_id, m.phone_number_id, m.wa_id, m.wamid, m.ts);
    for (const s of rows.statuses) if (s.recipient_id && s.recipient_type !== 'group') touch(s.waba_id, s.phone_number_id, s.recipient_id, s.wamid, s.ts);
    for (const e of rows.echoes) if (e.to_wa_id) touch(e.waba_id, e.phone_number_id, e.to_wa_id, e.wamid, e.ts);
  }
  return [...chats.values()];
}

export interface FollowResult {
  chats: number;
  waits: number;
  written: number;
  deleted: number;
  /** Chats that had to be read whole. */
  whole: number;
}

export function slaFollower(wh: Warehouse, settings: SlaSettings): Follower {
  return {
    name: FOLLOWER_NAME,
    async follow(batches) {
      await followWaits(wh, settings, batches);
    },
  };
}

export async function followWaits(wh: Warehouse, settings: SlaSettings, batches: readonly LoadedBatch[]): Promise<FollowResult> {
  const touched = touchedChatsOf(batches);
  const result: FollowResult = { chats: touched.length, waits: 0, written: 0, deleted: 0, whole: 0 };
  for (let i = 0; i < touched.length; i += settings.job.batch_chats) {
    const r = await followChats(wh, settings, touched.slice(i, i + settings.job.batch_chats));
    result.waits += r.waits;
    result.written += r.written;
    result.deleted += r.deleted;
    result.whole += r.whole;
  }
  return result;
}

interface Reading {
  chat: TouchedChat;
  from: number;
  step: number;
}

async function followChats(wh: Warehouse, settings: SlaSettings, chats: TouchedChat[]): Promise<Omit<FollowResult, 'chats'>> {
  const idle = settings.idleMs;
  const stored = byChat(await storedWaitStates(wh, chats));
  const records: WaitRecord[] = [];
  const scope: StoredWaitState[] = [];
  const versions = new Map<string, string>();
  let whole = 0;
  let pending: Reading[] = chats.map((chat) => ({ chat, from: chat.earliest - idle, step: idle }));
  for (let round = 0; pending.length > 0; round++) {
    const rows = byChat(await chatEventsFrom(wh, pending.map((p) => ({ ...p.chat, from: p.from }))));
    const next: Reading[] = [];
    for (const p of pending) {
      const key = chatKey(p.chat);
      const read = rows.get(key) ?? [];
      const complete = p.from <= 0;
      if (complete) whole++;
      const mine = stored.get(key) ?? [];
      const r = resumeChat({ messages: messagesOf(read), from: p.from, complete, changedFrom: changedFrom(p.chat, read), stored: mine, idleMs: idle });
      if (r.kind === 'further') {
        if (complete) throw new Error('SLA follower: a chat read whole still asked for more');
        const step = p.step * 4;
        const from = r.whole || round + 1 >= ROUNDS ? 0 : r.exact ? r.before : Math.min(r.before, p.from - step);
        next.push({ chat: p.chat, from: Math.max(0, Math.min(from, p.from - 1)), step });
        continue;
      }
      const version = chatVersion(read.reduce((t, e) => Math.max(t, e.received), 0), read.reduce((n, e) => n + e.rows, 0));
      versions.set(key, version);
      records.push(...recordsOf(p.chat, r.waits, settings, version));
      // The stored waits this computation covers: those from its thread start on, and those it carried.
      scope.push(...mine.filter((w) => w.started_at >= r.at || w.responded_at === null || w.responded_at >= r.at));
    }
    pending = next;
  }
  const { written, deleted } = await writeWaitChanges(wh, records, scope, versions);
  return { waits: records.length, written, deleted, whole };
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

function byChat<T extends ChatId>(rows: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const key = chatKey(r);
    const list = out.get(key);
    if (list) list.push(r);
    else out.set(key, [r]);
  }
  return out;
}
