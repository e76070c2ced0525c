// Agent and team performance the agents report must find (credit = who answered, family human):
// per agent and per team, the answered waits by kind, exact p50/p90 of their response times and the
// chats they answered in. A human reply without an agent (an echo from the Business app) is
// `(untagged)`.
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
}

interface Cell {
  first: number;
  next: number;
  reply: number;
  seconds: number[];
  chats: Set<string>;
}

export class AgentTruth {
  private cells = new Map<string, Cell>();

  observeWait(w: WaitRecord): void {
    if (w.family !== 'human' || w.response_at === null) return;
    this.add(`agent|${w.agent ?? '(untagged)'}`, w);
    this.add(`team|${w.team ?? '(untagged)'}`, w);
  }

  private add(key: string, w: WaitRecord): void {
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = { first: 0, next: 0, reply: 0, seconds: [], chats: new Set() }));
    if (w.wait_kind === 'first') c.first++;
    else if (w.wait_kind === 'next') c.next++;
    else c.reply++;
    c.seconds.push(w.response_seconds!);
    c.chats.add(`${w.waba_id}|${w.phone_number_id}|${w.wa_id}`);
  }

  records(): AgentsRecord[] {
    return [...this.cells.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([key, c]) => {
      const [group, name] = key.split('|') as ['agent' | 'team', string];
      const sorted = [...c.seconds].sort((a, b) => a - b);
      return {
        kind: 'agents', group_by: group, name, answered: sorted.length, first_waits: c.first, next_waits: c.next, reply_waits: c.reply,
        p50_seconds: exactQuantile(sorted, 0.5), p90_seconds: exactQuantile(sorted, 0.9), chats: c.chats.size,
      };
    });
  }
}
