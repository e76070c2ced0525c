import { answersFor, isQualifyingInbound, FAMILIES, type Family, type SenderClass } from './classify.ts';

/**
 * Threads and waits of one chat (waba, phone number, customer), from its messages in time order.
 * Pure: the job feeds it a chat's events and stores what it returns.
 *
 * - Thread: starts at any message (either direction; failed sends do not count) when the chat has
 *   no earlier message or the previous one is at least `idleMs` earlier. Its initiator is the
 *   customer when that first message is inbound, else the business.
 * - Wait (per family): opens at a qualifying inbound message when none is open (later inbound
 *   messages do not move it) and closes at the first answering outbound message at or after its
 *   start (same second = 0 s). It belongs to the thread it started in, even if a later message
 *   splits the chat into a new thread while it is still open.
 * - Kind: the first wait started in a customer thread is `first`, in a business thread
 *   `reply_to_business`; later waits are `next`.
 * Messages at the same instant are taken inbound first, so a same-second reply answers.
 */

export interface InboundMessage {
  dir: 'in';
  wamid: string;
  at: number;
  type: string;
  /** Came from a click-to-WhatsApp ad or page call-to-action (a `referral`). */
  referral: boolean;
}

export interface OutboundMessage {
  dir: 'out';
  wamid: string;
  /** When it was sent: the `sent` status, else the earliest delivered/read; an echo's own time. */
  at: number;
  /** The `sent` status time (an echo's own time); null when only delivered/read arrived. */
  sentAt: number | null;
  sender: SenderClass;
  agent: string;
  team: string;
  /** A `failed` status exists: not a response and not chat activity. */
  failed: boolean;
  template: boolean;
  deliveredAt: number | null;
  readAt: number | null;
  echo: boolean;
}

export type ChatMessage = InboundMessage | OutboundMessage;

export type WaitKind = 'first' | 'next' | 'reply_to_business';

export interface Thread {
  startedAt: number;
  initiator: 'customer' | 'business';
  entryPoint: 'ctwa' | 'direct';
  waitsStarted: Record<Family, number>;
}

export interface Wait {
  family: Family;
  kind: WaitKind;
  /** Number of the wait among those started in its thread (1 = the thread's first). */
  seq: number;
  threadStartedAt: number;
  initiator: Thread['initiator'];
  entryPoint: Thread['entryPoint'];
  /** Team of the chat's latest tagged business message before the wait (for policy rules). */
  ownerTeam: string;
  startWamid: string;
  startedAt: number;
  /** Last qualifying inbound message up to the response (or up to now while open). */
  lastInboundAt: number;
  response: OutboundMessage | null;
}

export function byTime(a: ChatMessage, b: ChatMessage): number {
  return a.at - b.at || (a.dir === b.dir ? 0 : a.dir === 'in' ? -1 : 1) || (a.wamid < b.wamid ? -1 : a.wamid > b.wamid ? 1 : 0);
}

/**
 * Where a computation starts when it does not start at the chat's first message: at a thread start,
 * with the team of the latest tagged business message before it and the waits still open there
 * (they are returned too, first, as the messages leave them).
 */
export interface ChatWaitsStart {
  ownerTeam: string;
  open: Wait[];
}

/**
 * Where a computation stands after its last message: enough to go on with later messages alone
 * (the follower carries it from one call to the next, reports/sla/carried.ts).
 */
export interface WaitCursor {
  /** The thread of the last message; undefined before the first. */
  thread: Thread | undefined;
  /** Time of the last message (chat activity). */
  lastAt: number | undefined;
  ownerTeam: string;
  open: Partial<Record<Family, Wait>>;
}

export function chatWaits(messages: readonly ChatMessage[], idleMs: number, start?: ChatWaitsStart): Wait[] {
  return chatWaitsFrom(messages, idleMs, startCursor(start)).waits;
}

export function startCursor(start?: ChatWaitsStart): WaitCursor {
  const open: Partial<Record<Family, Wait>> = {};
  for (const w of start?.open ?? []) open[w.family] = w;
  return { thread: undefined, lastAt: undefined, ownerTeam: start?.ownerTeam ?? '', open };
}

/**
 * The waits of `messages` (all after the cursor's last one) continuing from `cursor`: the waits open
 * at the cursor first, then those the messages open. Returns the cursor after the last message; the
 * one passed in is left as it was.
 */
export function chatWaitsFrom(messages: readonly ChatMessage[], idleMs: number, from: WaitCursor): { waits: Wait[]; cursor: WaitCursor } {
  const ordered = messages.filter((m) => m.dir === 'in' || !m.failed).sort(byTime);
  const open: Partial<Record<Family, Wait>> = {};
  const waits: Wait[] = [];
  for (const family of FAMILIES) {
    const w = from.open[family];
    if (w) waits.push((open[family] = { ...w }));
  }
  let thread = from.thread && { ...from.thread, waitsStarted: { ...from.thread.waitsStarted } };
  let lastAt = from.lastAt;
  let ownerTeam = from.ownerTeam;
  for (const m of ordered) {
    if (!thread || lastAt === undefined || m.at - lastAt >= idleMs) {
      thread = { startedAt: m.at, initiator: m.dir === 'in' ? 'customer' : 'business', entryPoint: 'direct', waitsStarted: { human: 0, any: 0 } };
    }
    lastAt = m.at;
    if (m.dir === 'in') {
      if (m.referral) thread.entryPoint = 'ctwa';
      if (!isQualifyingInbound(m.type)) continue;
      for (const family of FAMILIES) {
        const w = open[family];
        if (w) {
          w.lastInboundAt = m.at;
          continue;
        }
        const seq = ++thread.waitsStarted[family];
        const kind: WaitKind = seq > 1 ? 'next' : thread.initiator === 'customer' ? 'first' : 'reply_to_business';
        const opened: Wait = {
          family, kind, seq, threadStartedAt: thread.startedAt, initiator: thread.initiator, entryPoint: thread.entryPoint,
          ownerTeam, startWamid: m.wamid, startedAt: m.at, lastInboundAt: m.at, response: null,
        };
        open[family] = opened;
        waits.push(opened);
      }
    } else {
      for (const family of FAMILIES) {
        const w = open[family];
        if (w && m.at >= w.startedAt && answersFor(family, m.sender)) {
          w.response = m;
          open[family] = undefined;
        }
      }
      if (m.team) ownerTeam = m.team;
    }
  }
  // The cursor holds copies: the waits returned are the caller's to keep.
  const still: Partial<Record<Family, Wait>> = {};
  for (const family of FAMILIES) if (open[family]) still[family] = { ...open[family] };
  return { waits, cursor: { thread: thread && { ...thread, waitsStarted: { ...thread.waitsStarted } }, lastAt, ownerTeam, open: still } };
}
