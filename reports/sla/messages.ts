import type { ChatEventRow, ChatId } from '../../warehouse/queries/sla/events.ts';
import { isTemplateCategory, parseSenderTag } from './classify.ts';
import { chatVersion } from './records.ts';
import type { ChatMessage } from './waits.ts';

/**
 * From the job's event rows to each chat's messages: an outbound message's time is its `sent`
 * status, else the earliest of delivered/read (one that only ever failed has no time and is
 * dropped); an echo is a human reply at its own time.
 */
export function toChatMessage(row: ChatEventRow): ChatMessage | null {
  if (row.dir === 'in') return { dir: 'in', wamid: row.wamid, at: row.at ?? 0, type: row.type, referral: row.referral };
  if (row.dir === 'echo') {
    const at = row.at ?? 0;
    return {
      dir: 'out', wamid: row.wamid, at, sentAt: at, sender: 'human', agent: '', team: '', failed: false, template: false,
      deliveredAt: null, readAt: null, echo: true,
    };
  }
  const later = [row.delivered, row.read].filter((t): t is number => t !== null);
  const at = row.sent ?? (later.length ? Math.min(...later) : null);
  if (at === null) return null;
  const tag = parseSenderTag(row.tag);
  return {
    dir: 'out', wamid: row.wamid, at, sentAt: row.sent, sender: tag.sender, agent: tag.agent, team: tag.team, failed: row.failed,
    template: isTemplateCategory(row.category), deliveredAt: row.delivered, readAt: row.read, echo: false,
  };
}

export interface ChatInput {
  chat: ChatId;
  messages: ChatMessage[];
  version: string;
}

/** Groups event rows by chat; the version covers every row read for the chat, kept or not. */
export function groupByChat(rows: readonly ChatEventRow[]): ChatInput[] {
  const chats = new Map<string, { chat: ChatId; messages: ChatMessage[]; received: number; rows: number }>();
  for (const r of rows) {
    const key = chatKey(r);
    let c = chats.get(key);
    if (!c) {
      c = { chat: { waba_id: r.waba_id, phone_number_id: r.phone_number_id, wa_id: r.wa_id }, messages: [], received: 0, rows: 0 };
      chats.set(key, c);
    }
    c.received = Math.max(c.received, r.received);
    c.rows += r.rows;
    const m = toChatMessage(r);
    if (m) c.messages.push(m);
  }
  return [...chats.values()].map((c) => ({ chat: c.chat, messages: c.messages, version: chatVersion(c.received, c.rows) }));
}

export function chatKey(c: ChatId): string {
  return `${c.waba_id}\0${c.phone_number_id}\0${c.wa_id}`;
}

/** Rows grouped by their chat. */
export function byChat<T extends ChatId>(rows: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const key = chatKey(r);
    const list = out.get(key);
    if (list) list.push(r);
    else out.set(key, [r]);
  }
  return out;
}
