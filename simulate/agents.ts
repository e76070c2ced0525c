// Agent and team performance the agents report must find (credit = who answered, family human):
// per agent and per team, the answered waits by kind, exact p50/p90 of their response times and the
// chats they answered in. A human reply without an agent (an echo from the Business app) is
// `(untagged)`. A handoff is a human-answered wait during which the bot answered the customer (an
// `any` wait ended by the bot, at or after the start); the customer waited after it from the bot's
// last such answer to the person's (docs/SLA.md).
import { exactQuantile } from './labels.ts';
import type { WaitRecord } from './waits.ts';

export interface AgentsRecord {
  kind: 'agents';
  group_by: 'agent' | 'team';
  name: string;
  answered: number;
  first_waits: number;
  next_waits: number;
  reply_waits: number;
  p50_seconds: number | null;
  p90_seconds: number | null;
  chats: number;
  handoffs: number;
  p50_after_handoff_seconds: number | null;
  p90_after_handoff_seconds: number | null;
}

interface Cell {
  first: number;
  next: number;
  reply: number;
  seconds: number[];
  chats: Set<string>;
  afterHandoff: number[];
}

export class AgentTruth {
  private cells = new Map<string, Cell>();
  /** Per chat, the bot's latest answer (a chat's waits come in time order, `any` before `human`). */
  private lastBot = new Map<string, number>();

  observeWait(w: WaitRecord): void {
    const chat = `${w.waba_id}|${w.phone_number_id}|${w.wa_id}`;
    if (w.family === 'any' && w.responder_class === 'bot') this.lastBot.set(chat, w.response_at!);
    if (w.family !== 'human' || w.response_at === null) return;
    const bot = this.lastBot.get(chat);
    const handoff = bot !== undefined && bot >= w.start && bot < w.response_at ? w.response_at - bot : null;
    this.add(`agent|${w.agent ?? '(untagged)'}`, w, chat, handoff);
    this.add(`team|${w.team ?? '(untagged)'}`, w, chat, handoff);
  }

  private add(key: string, w: WaitRecord, chat: string, afterHandoff: number | null): void {
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = { first: 0, next: 0, reply: 0, seconds: [], chats: new Set(), afterHandoff: [] }));
    if (afterHandoff !== null) c.afterHandoff.push(afterHandoff);
    if (w.wait_kind === 'first') c.first++;
    else if (w.wait_kind === 'next') c.next++;
    else c.reply++;
    c.seconds.push(w.response_seconds!);
    c.chats.add(chat);
  }

  records(): AgentsRecord[] {
    return [...this.cells.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([key, c]) => {
      const [group, name] = key.split('|') as ['agent' | 'team', string];
      const sorted = [...c.seconds].sort((a, b) => a - b);
      const after = [...c.afterHandoff].sort((a, b) => a - b);
      return {
        kind: 'agents', group_by: group, name, answered: sorted.length, first_waits: c.first, next_waits: c.next, reply_waits: c.reply,
        p50_seconds: exactQuantile(sorted, 0.5), p90_seconds: exactQuantile(sorted, 0.9), chats: c.chats.size,
        handoffs: after.length, p50_after_handoff_seconds: exactQuantile(after, 0.5), p90_after_handoff_seconds: exactQuantile(after, 0.9),
      };
    });
  }
}
