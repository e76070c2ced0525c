import type { LoadedBatch } from '../../app/deps.ts';
import type { ChatId } from '../../warehouse/queries/sla/events.ts';
import { chatKey } from './messages.ts';

/** The chats loaded batches touch, as the SLA follower takes them on (reports/sla/follow.ts). */

export interface TouchedChat extends ChatId {
  /** Earliest event time of the batch's rows in the chat (epoch ms). */
  earliest: number;
  /** Messages the batch's rows belong to. */
  wamids: Set<string>;
  /**
   * Those of them the batch brought more than a delivered or read status for (the message itself,
   * an echo, a `sent` or `failed` status): they can move or remove a message, the others only
   * change when a reply was delivered or read.
   */
  reshaped: Set<string>;
}

/** The chats a batch's message, status and echo rows touch (the SLA job's scope: no group chats). */
export function touchedChatsOf(batches: readonly LoadedBatch[]): TouchedChat[] {
  const chats = new Map<string, TouchedChat>();
  const touch = (waba_id: string, phone_number_id: string, wa_id: string, wamid: string, ts: number, receipt: boolean) => {
    const key = chatKey({ waba_id, phone_number_id, wa_id });
    let c = chats.get(key);
    if (!c) chats.set(key, (c = { waba_id, phone_number_id, wa_id, earliest: ts, wamids: new Set(), reshaped: new Set() }));
    c.earliest = Math.min(c.earliest, ts);
    c.wamids.add(wamid);
    if (!receipt) c.reshaped.add(wamid);
  };
  for (const { rows } of batches) {
    for (const m of rows.messages) if (m.wa_id) touch(m.waba_id, m.phone_number_id, m.wa_id, m.wamid, m.ts, false);
    for (const s of rows.statuses) {
      if (s.recipient_id && s.recipient_type !== 'group') touch(s.waba_id, s.phone_number_id, s.recipient_id, s.wamid, s.ts, s.status === 'delivered' || s.status === 'read');
    }
    for (const e of rows.echoes) if (e.to_wa_id) touch(e.waba_id, e.phone_number_id, e.to_wa_id, e.wamid, e.ts, false);
  }
  return [...chats.values()];
}

/** Adds a chat touched again to the one waiting (earliest time, messages and what they brought). */
export function mergeTouched(into: TouchedChat, more: TouchedChat): void {
  into.earliest = Math.min(into.earliest, more.earliest);
  for (const w of more.wamids) into.wamids.add(w);
  for (const w of more.reshaped) into.reshaped.add(w);
}
