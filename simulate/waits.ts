// The truth about waits, from the facts the generator decided (never from its own output): threads
// split after 24 h idle, waits per family ("any" and "human"), calendar and business seconds.
import type { BusinessCalendar } from './calendar.ts';

export type ResponderClass = 'human' | 'bot' | 'automation' | 'unknown';
export type Family = 'any' | 'human';
export type WaitKind = 'first' | 'next' | 'reply_to_business';

export interface ChatKey {
  waba_id: string;
  phone_number_id: string;
  wa_id: string;
}

/** One decided message of a chat, at its own time (inbound timestamp, or outbound message time). */
export type ChatFact =
  | { dir: 'in'; t: number; seq: number; wamid: string; qualifying: boolean }
  | { dir: 'out'; t: number; seq: number; wamid: string; failed: boolean; responder: ResponderClass | null; agent: string | null; team: string | null };

export interface WaitRecord extends ChatKey {
  kind: 'wait';
  family: Family;
  thread_start: number;
  thread_initiator: 'customer' | 'business';
  wait_kind: WaitKind;
  seq: number;
  start: number;
  response_at: number | null;
  response_wamid: string | null;
  responder_class: ResponderClass | null;
  agent: string | null;
  team: string | null;
  response_seconds: number | null;
  business_response_seconds: number | null;
  /** The last qualifying customer message while the wait was open (up to its response). */
  last_inbound: number;
}

interface OpenWait {
  start: number;
  lastIn: number;
  threadStart: number;
  initiator: 'customer' | 'business';
  seq: number;
}

export const THREAD_IDLE_SECONDS = 86_400;
const FAMILIES: Family[] = ['any', 'human'];

function counts(family: Family, responder: ResponderClass | null): boolean {
  if (responder === null) return false; // campaign and notification sends are never responses
  return family === 'any' || responder === 'human';
}

/** Canonical order inside one second: inbound before outbound, then decision order. */
function order(a: ChatFact, b: ChatFact): number {
  if (a.t !== b.t) return a.t - b.t;
  if (a.dir !== b.dir) return a.dir === 'in' ? -1 : 1;
  return a.seq - b.seq;
}

export class ChatWaits {
  private pending: ChatFact[] = [];
  private lastAt: number | null = null;
  private threadStart = 0;
  private initiator: 'customer' | 'business' = 'customer';
  private threadWaits: Record<Family, number> = { any: 0, human: 0 };
  private open: Record<Family, OpenWait | null> = { any: null, human: null };

  constructor(readonly key: ChatKey, private readonly calendar: BusinessCalendar, private readonly emit: (w: WaitRecord) => void) {}

  /** Facts may arrive slightly out of order; they are applied once nothing earlier than them can come. */
  add(fact: ChatFact, now: number): void {
    this.pending.push(fact);
    this.settle(now);
  }

  /** Applies every pending fact earlier than `now` (the generator never decides anything before now). */
  settle(now: number): void {
    if (this.pending.length === 0 || this.pending.every((f) => f.t >= now)) return;
    this.pending.sort(order);
    let i = 0;
    while (i < this.pending.length && this.pending[i]!.t < now) this.apply(this.pending[i++]!);
    this.pending.splice(0, i);
  }

  /** End of data: applies everything and emits the waits still open, without a response. */
  finish(): void {
    this.settle(Number.POSITIVE_INFINITY);
    for (const family of FAMILIES) {
      const w = this.open[family];
      if (w) this.emit(this.record(family, w, null));
      this.open[family] = null;
    }
  }

  private apply(f: ChatFact): void {
    if (f.dir === 'out' && f.failed) return; // a failed message is no message at all
    if (this.lastAt === null || f.t - this.lastAt >= THREAD_IDLE_SECONDS) {
      this.threadStart = f.t;
      this.initiator = f.dir === 'in' ? 'customer' : 'business';
      this.threadWaits = { any: 0, human: 0 };
    }
    this.lastAt = f.t;
    for (const family of FAMILIES) {
      const w = this.open[family];
      if (f.dir === 'in') {
        if (f.qualifying && w) w.lastIn = f.t;
        if (f.qualifying && !w) {
          this.open[family] = { start: f.t, lastIn: f.t, threadStart: this.threadStart, initiator: this.initiator, seq: ++this.threadWaits[family] };
        }
      } else if (w && counts(family, f.responder) && f.t >= w.start) {
        this.emit(this.record(family, w, f));
        this.open[family] = null;
      }
    }
  }

  private record(family: Family, w: OpenWait, r: Extract<ChatFact, { dir: 'out' }> | null): WaitRecord {
    return {
      kind: 'wait',
      ...this.key,
      family,
      thread_start: w.threadStart,
      thread_initiator: w.initiator,
      wait_kind: w.seq === 1 ? (w.initiator === 'customer' ? 'first' : 'reply_to_business') : 'next',
      seq: w.seq,
      start: w.start,
      response_at: r ? r.t : null,
      response_wamid: r ? r.wamid : null,
      responder_class: r ? r.responder : null,
      agent: r ? r.agent : null,
      team: r ? r.team : null,
      response_seconds: r ? r.t - w.start : null,
      business_response_seconds: r ? this.calendar.businessSeconds(w.start, r.t) : null,
      last_inbound: w.lastIn,
    };
  }
}
