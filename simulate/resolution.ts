// Resolution and idle close the agents report must find (family human, docs/LABELS.md): a thread is
// closed once silent for the idle time (no customer message, no answer) at the end of the data;
// resolved when its last wait was answered, else closed with the customer still waiting. Customers
// who stop writing and answers that never come make both kinds.
import { exactQuantile } from './labels.ts';
import { THREAD_IDLE_SECONDS, type WaitRecord } from './waits.ts';

export interface ResolutionRecord {
  kind: 'resolution';
  family: 'human';
  idle_hours: number;
  /** The instant the report is read at: the end of the simulated days. */
  now: string;
  period: string;
  threads: number;
  open_threads: number;
  resolved: number;
  closed_waiting: number;
  p50_resolution_seconds: number | null;
  p90_resolution_seconds: number | null;
}

interface Thread {
  start: number;
  lastStart: number;
  lastAnswer: number | null;
  lastActivity: number;
}

interface Day {
  threads: number;
  open: number;
  waiting: number;
  seconds: number[];
}

export const RESOLUTION_IDLE_SECONDS = THREAD_IDLE_SECONDS;

export class ResolutionTruth {
  /** The thread each chat is in: a chat's waits of one family come in the order they started. */
  private current = new Map<string, Thread>();
  private days = new Map<string, Day>();
  /** End of the data (seconds), set before the first wait. */
  now = Number.POSITIVE_INFINITY;

  observeWait(w: WaitRecord): void {
    if (w.family !== 'human') return;
    const key = `${w.waba_id}|${w.phone_number_id}|${w.wa_id}`;
    let t = this.current.get(key);
    if (t && t.start !== w.thread_start) {
      this.close(t);
      t = undefined;
    }
    if (!t) this.current.set(key, (t = { start: w.thread_start, lastStart: -Infinity, lastAnswer: null, lastActivity: -Infinity }));
    if (w.start >= t.lastStart) {
      t.lastStart = w.start;
      t.lastAnswer = w.response_at;
    }
    t.lastActivity = Math.max(t.lastActivity, w.last_inbound, w.response_at ?? w.last_inbound);
  }

  private close(t: Thread): void {
    const period = new Date(t.start * 1000).toISOString().slice(0, 10);
    let d = this.days.get(period);
    if (!d) this.days.set(period, (d = { threads: 0, open: 0, waiting: 0, seconds: [] }));
    d.threads++;
    if (t.lastActivity + RESOLUTION_IDLE_SECONDS > this.now) d.open++;
    else if (t.lastAnswer === null) d.waiting++;
    else d.seconds.push(t.lastAnswer - t.start);
  }

  records(): ResolutionRecord[] {
    for (const t of this.current.values()) this.close(t);
    this.current.clear();
    return [...this.days.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([period, d]) => {
      const sorted = [...d.seconds].sort((a, b) => a - b);
      return {
        kind: 'resolution', family: 'human', idle_hours: RESOLUTION_IDLE_SECONDS / 3600, now: new Date(this.now * 1000).toISOString(), period,
        threads: d.threads, open_threads: d.open, resolved: sorted.length, closed_waiting: d.waiting,
        p50_resolution_seconds: exactQuantile(sorted, 0.5), p90_resolution_seconds: exactQuantile(sorted, 0.9),
      };
    });
  }
}
