import type { Warehouse } from '../../warehouse/client.ts';
import { chatEventsFrom, storedWaitsFrom, type ChatEventFromRow, type StoredWaitState } from '../../warehouse/queries/sla/follow.ts';
import { latestRecent, latestWait, messageShape, openWaitKey, type CarriedChat, type RecentMessage } from './carried.ts';
import type { Family } from './classify.ts';
import type { SlaSettings } from './config.ts';
import { byChat, chatKey, toChatMessage } from './messages.ts';
import { chatVersion, recordsOf, type WaitRecord } from './records.ts';
import { chatWaitsFrom, type ChatMessage, type OutboundMessage, type Wait, type WaitKind } from './waits.ts';
import type { TouchedChat } from './touched.ts';
import { pauses } from '../../app/yielding.ts';

/**
 * Going on with a chat from the state carried since the last call (reports/sla/carried.ts): when
 * every message the batch brought comes after the chat's carried point P (its last message), the
 * waits open at P and the new messages are all there is to compute, so the call reads only the
 * messages from P on (or from the batch's earliest row, when that is earlier) and the stored waits
 * from the earliest one still open on.
 *
 * A message at or before P that is read again is one already folded in when it looks as it did
 * (`recent`), or when the batch brought only delivered/read statuses of a message with a `sent`
 * status: then only the timing of the reply it was (delivery, read) can have changed, and that
 * wait's stored row is rebuilt with it. Anything else at or before P (an event out of order, a late
 * `sent` or `failed`), a stored wait the carried state does not know as open, or a reply whose
 * stored row says otherwise sends the chat back to the read from its thread start (reports/sla/follow.ts).
 */

export interface Continued {
  records: WaitRecord[];
  /** Stored waits the records replace (deletion markers for those not computed again). */
  scope: StoredWaitState[];
  versions: Map<string, string>;
  states: Map<string, CarriedChat>;
  /** Messages read. */
  events: number;
  /** Chats that cannot go on from their carried state. */
  fallback: TouchedChat[];
}

interface Plan {
  chat: TouchedChat;
  state: CarriedChat;
  fresh: ChatMessage[];
  /** Replies at or before P whose delivery or read may have changed. */
  replies: Map<string, OutboundMessage>;
  recent: Map<string, RecentMessage>;
  received: number;
  rows: number;
  /** Stored waits from this start on are read. */
  lower: number;
}

export async function continueChats(wh: Warehouse, settings: SlaSettings, items: ReadonlyArray<{ chat: TouchedChat; state: CarriedChat }>): Promise<Continued> {
  const out: Continued = { records: [], scope: [], versions: new Map(), states: new Map(), events: 0, fallback: [] };
  if (items.length === 0) return out;
  const read = byChat(await chatEventsFrom(wh, items.map(({ chat, state }) => ({ ...chat, from: Math.min(state.cursor.lastAt + 1, chat.earliest) }))));
  const plans: Plan[] = [];
  const pause = pauses(50);
  for (const item of items) {
    await pause();
    const rows = read.get(chatKey(item.chat)) ?? [];
    out.events += rows.length;
    const plan = planOf(item.chat, item.state, rows);
    if (plan) plans.push(plan);
    else out.fallback.push(item.chat);
  }
  const stored = byChat(await storedWaitsFrom(wh, plans.map((p) => ({ ...p.chat, from: p.lower }))));
  for (const plan of plans) {
    await pause();
    const key = chatKey(plan.chat);
    const done = finish(plan, stored.get(key) ?? [], settings);
    if (!done) {
      out.fallback.push(plan.chat);
      continue;
    }
    out.records.push(...done.records);
    out.scope.push(...done.scope);
    out.versions.set(key, done.version);
    out.states.set(key, done.state);
  }
  return out;
}

/** Sorts the messages read into new ones and ones already folded in; undefined when it cannot go on. */
function planOf(chat: TouchedChat, state: CarriedChat, rows: readonly ChatEventFromRow[]): Plan | undefined {
  const P = state.cursor.lastAt;
  const plan: Plan = { chat, state, fresh: [], replies: new Map(), recent: new Map(state.recent), received: state.received, rows: state.rows, lower: P + 1 };
  for (const w of Object.values(state.cursor.open)) plan.lower = Math.min(plan.lower, w.startedAt);
  if (state.latest) plan.lower = Math.min(plan.lower, state.latest.startedAt);
  for (const r of rows) {
    plan.received = Math.max(plan.received, r.received);
    plan.rows += r.rows;
    const m = toChatMessage(r);
    if (!m) continue; // an outbound message that only failed: no time, no part in any wait
    const known = state.recent.get(m.wamid);
    if (m.at > P) {
      // Folded in already and no activity: a failed send (it does not move P). Otherwise new, unless
      // it has rows at or before P (a message that moved past P): nothing is folded twice.
      if (known) {
        if (known.shape === messageShape(m)) continue;
        return undefined;
      }
      if (r.first <= P) return undefined;
      plan.fresh.push(m);
      plan.recent.set(m.wamid, { shape: messageShape(m), at: m.at, answered: [] });
      continue;
    }
    if (known) {
      if (known.shape !== messageShape(m)) return undefined;
      if (m.dir === 'out' && chat.wamids.has(m.wamid)) {
        plan.replies.set(m.wamid, m);
        for (const t of known.answered) plan.lower = Math.min(plan.lower, t);
      }
      continue;
    }
    const receiptsOnly = chat.wamids.has(m.wamid) && !chat.reshaped.has(m.wamid);
    if (!(receiptsOnly && m.dir === 'out' && !m.echo && m.sentAt !== null && !m.failed)) return undefined;
    // Which waits it answered is not carried: read the chat's stored waits whole.
    plan.replies.set(m.wamid, m);
    plan.lower = 0;
  }
  return plan;
}

function finish(plan: Plan, stored: readonly StoredWaitState[], settings: SlaSettings) {
  const { chat, state } = plan;
  const P = state.cursor.lastAt;
  // The store must hold as open exactly the waits the carried state has open.
  const open = stored.filter((s) => s.responded_at === null);
  if (open.length !== state.open.size || open.some((s) => state.open.get(openWaitKey(s)) !== s.content_hash)) return undefined;
  // And still the latest wait it carried (gone: waits removed by retention, erasure or a rebuild).
  const latest = state.latest;
  if (latest && !stored.some((s) => openWaitKey(s) === latest.key && s.content_hash === latest.hash)) return undefined;
  const replied: Wait[] = [];
  const scope: StoredWaitState[] = [];
  for (const s of stored) {
    const reply = plan.replies.get(s.response_wamid);
    if (reply) {
      const same = s.responded_at === reply.at && s.responder === reply.sender && s.agent === reply.agent && s.team === reply.team && s.response_template === reply.template;
      if (!same) return undefined;
      replied.push(storedWait(s, reply));
      const r = plan.recent.get(reply.wamid);
      plan.recent.set(reply.wamid, { shape: messageShape(reply), at: reply.at, answered: [...new Set([...(r?.answered ?? []), s.started_at])] });
      scope.push(s);
    } else if (s.responded_at === null || s.started_at > P) scope.push(s);
  }
  const { waits, cursor } = chatWaitsFrom(plan.fresh, settings.idleMs, state.cursor);
  for (const w of waits) {
    const r = w.response && plan.recent.get(w.response.wamid);
    if (r) r.answered = [...r.answered, w.startedAt];
  }
  const version = chatVersion(plan.received, plan.rows);
  const records = recordsOf(chat, [...waits, ...replied], settings, version);
  const next: CarriedChat = {
    cursor: { ...cursor, lastAt: cursor.lastAt ?? P },
    recent: latestRecent(plan.recent),
    open: new Map(records.filter((r) => r.responded_at === null).map((r) => [openWaitKey(r), r.content_hash])),
    received: plan.received,
    rows: plan.rows,
    latest: latestWait(records, state.latest),
  };
  return { records, scope, version, state: next };
}

/** A closed stored wait as the computation holds it, with its reply as it now reads. */
function storedWait(s: StoredWaitState, reply: OutboundMessage): Wait {
  return {
    family: s.family as Family, kind: s.kind as WaitKind, seq: s.seq, threadStartedAt: s.thread_started_at,
    initiator: s.initiator as Wait['initiator'], entryPoint: s.entry_point as Wait['entryPoint'], ownerTeam: s.owner_team,
    startWamid: s.start_wamid, startedAt: s.started_at, lastInboundAt: s.last_inbound_at, response: reply,
  };
}

