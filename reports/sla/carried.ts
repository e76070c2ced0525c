import { createHash } from 'node:crypto';
import type { ChatMessage, WaitCursor } from './waits.ts';

/**
 * What the SLA follower carries from one call to the next for a chat, so that a call whose new
 * events all come after the chat's last message goes on from there, reading only those events
 * (reports/sla/follow.ts). In memory, least recently used chats first out past a cap: a chat
 * without carried state is read back from its thread start, as on the first call after a start.
 */

/** Messages remembered per chat (the latest by time): enough for the statuses that trail a reply. */
export const RECENT_MESSAGES = 16;

export interface RecentMessage {
  /** What shapes threads and waits (not delivery or read times): equal means nothing to recompute. */
  shape: number;
  at: number;
  /** Start times of the waits it answered (to read those stored waits by their sort key). */
  answered: number[];
}

export interface CarriedChat {
  /** Where the computation stands after the chat's last message (`cursor.lastAt`, the carried point). */
  cursor: WaitCursor & { lastAt: number };
  /** Messages already folded into the cursor, by wamid. */
  recent: Map<string, RecentMessage>;
  /** Content hash of each open wait as stored (`wait_id` and start), to check the store agrees. */
  open: Map<string, string>;
  /** Latest receipt and items seen: the version of rows written from here on. */
  received: number;
  rows: number;
  /**
   * The chat's latest wait as stored (key and content hash): the store must still hold it, else its
   * waits were removed (retention, erasure, a rebuild) and the chat is read back from its thread start.
   */
  latest: { key: string; hash: string; startedAt: number } | null;
}

/** The latest of some wait records (by start), as `CarriedChat.latest` holds it; `prior` when none is later. */
export function latestWait(
  records: ReadonlyArray<{ wait_id: string; started_at: number; content_hash: string }>,
  prior: CarriedChat['latest'] = null,
): CarriedChat['latest'] {
  let out = prior;
  for (const r of records) if (!out || r.started_at >= out.startedAt) out = { key: openWaitKey(r), hash: r.content_hash, startedAt: r.started_at };
  return out;
}

/**
 * What a message is for the wait computation, delivery, read and sent-status times aside: 48 bits of
 * a hash (a few bytes a message in memory; two shapes of one message collide once in 2^48).
 */
export function messageShape(m: ChatMessage): number {
  const what = m.dir === 'in' ? ['in', m.at, m.type, m.referral] : ['out', m.at, m.failed, m.sender, m.agent, m.team, m.template, m.echo];
  return createHash('sha1').update(JSON.stringify(what)).digest().readUIntBE(0, 6);
}

export function openWaitKey(w: { wait_id: string; started_at: number }): string {
  return `${w.wait_id}\0${w.started_at}`;
}

/** The latest `limit` messages by time. */
export function latestRecent(recent: Map<string, RecentMessage>, limit = RECENT_MESSAGES): Map<string, RecentMessage> {
  if (recent.size <= limit) return recent;
  return new Map([...recent].sort((a, b) => b[1].at - a[1].at).slice(0, limit));
}

/** Carried state by chat key, at most `cap` chats (the least recently used go first). */
export class CarriedChats {
  private readonly chats = new Map<string, CarriedChat>();

  constructor(readonly cap: number) {}

  get size(): number {
    return this.chats.size;
  }

  get(key: string): CarriedChat | undefined {
    const c = this.chats.get(key);
    if (c) {
      this.chats.delete(key);
      this.chats.set(key, c);
    }
    return c;
  }

  set(key: string, c: CarriedChat): void {
    this.chats.delete(key);
    this.chats.set(key, c);
    while (this.chats.size > this.cap) this.chats.delete(this.chats.keys().next().value!);
  }

  delete(key: string): void {
    this.chats.delete(key);
  }
}
