import { describe, expect, it } from 'vitest';
import { resumeChat, type ResumeInput } from '../../reports/sla/resume.ts';
import { chatWaits, type ChatMessage, type Wait } from '../../reports/sla/waits.ts';
import { Rng } from '../../simulate/prng.ts';
import type { StoredWaitState } from '../../warehouse/queries/sla/follow.ts';

// Resuming a chat's computation at a thread start, checked against computing it whole: on random
// chats (messages over ten days, some idle gaps, tags with and without teams, non-qualifying types),
// new messages and late failures are added; the waits stored from before plus the resumed ones
// must equal the waits of the whole new history. Reads start one idle time before the change and
// go back as `resumeChat` asks, as the follower does.

const H = 3_600_000;
const IDLE = 24 * H;
const T0 = Date.parse('2024-03-01T00:00:00Z');

function randomChat(rng: Rng, n: number, prefix: string): ChatMessage[] {
  const out: ChatMessage[] = [];
  let t = T0 + rng.int(48) * H;
  for (let i = 0; i < n; i++) {
    t += rng.int(5) === 0 ? rng.range(20, 60) * H : rng.range(1, 180) * 60_000;
    if (rng.int(2) === 0) {
      const type = ['text', 'text', 'image', 'reaction', 'system'][rng.int(5)]!;
      out.push({ dir: 'in', wamid: `${prefix}in${i}`, at: t, type, referral: rng.int(8) === 0 });
    } else {
      const sender = (['human', 'bot', 'campaign', 'unknown'] as const)[rng.int(4)]!;
      const team = ['', 'care', 'sales'][rng.int(3)]!;
      out.push({
        dir: 'out', wamid: `${prefix}out${i}`, at: t, sentAt: t, sender, agent: '', team, failed: rng.int(15) === 0, template: false,
        deliveredAt: null, readAt: null, echo: false,
      });
    }
  }
  return out;
}

function stored(waits: readonly Wait[]): StoredWaitState[] {
  return waits.map((w) => ({
    waba_id: 'w', phone_number_id: 'p', wa_id: 'c', wait_id: `${w.family}|${w.startWamid}`, family: w.family, kind: w.kind, seq: w.seq,
    thread_started_at: w.threadStartedAt, initiator: w.initiator, entry_point: w.entryPoint, owner_team: w.ownerTeam,
    start_wamid: w.startWamid, started_at: w.startedAt, last_inbound_at: w.lastInboundAt, responded_at: w.response?.at ?? null,
    response_wamid: w.response?.wamid ?? '', responder: w.response?.sender ?? '', agent: w.response?.agent ?? '', team: w.response?.team ?? '',
    response_template: w.response?.template ?? false, content_hash: '', version: '0',
  }));
}

const view = (w: Wait) => JSON.stringify({ ...w, response: w.response?.wamid ?? null });

/** The follower's loop over one chat, on messages in memory. */
function follow(messages: ChatMessage[], old: StoredWaitState[], changedFrom: number): { waits: Wait[]; at: number; rounds: number } {
  let from = changedFrom - IDLE;
  for (let rounds = 1; ; rounds++) {
    const complete = from <= 0;
    const input: ResumeInput = { messages: messages.filter((m) => complete || m.at >= from), from, complete, changedFrom, stored: old, idleMs: IDLE };
    const r = resumeChat(input);
    if (r.kind === 'waits') return { waits: r.waits, at: r.at, rounds };
    from = r.whole ? 0 : r.exact ? Math.min(r.before, from - 1) : Math.min(r.before, from - 4 * IDLE);
  }
}

describe('resuming a chat at a thread start', () => {
  it('gives, with the stored waits before it, the waits of the whole history (random chats)', () => {
    const rng = new Rng('resume');
    let resumedLater = 0;
    for (let trial = 0; trial < 400; trial++) {
      const before = randomChat(rng, rng.range(3, 40), 'a');
      // New messages anywhere from the chat's start to a day and a half after its end.
      const span = before.at(-1)!.at + 36 * H - before[0]!.at;
      const added = randomChat(rng, rng.range(1, 4), 'b').map((m) => ({ ...m, at: before[0]!.at + Math.floor(rng.next() * span / 60_000) * 60_000 }));
      // A late failure of an earlier business message, now and then.
      const failing = rng.int(3) === 0 ? before.find((m) => m.dir === 'out' && !m.failed && rng.int(3) === 0) : undefined;
      const after = [...before.map((m) => (m === failing ? { ...m, failed: true } : m)), ...added];
      const changedFrom = Math.min(...added.map((m) => m.at), failing?.at ?? Infinity);

      const old = stored(chatWaits(before, IDLE));
      const r = follow(after, old, changedFrom);
      if (r.at > before[0]!.at) resumedLater++;
      const kept = old.filter((w) => w.started_at < r.at && w.responded_at !== null && w.responded_at < r.at).map((w) => `${w.family}|${w.start_wamid}`);
      const whole = chatWaits(after, IDLE);
      const expected = whole.filter((w) => !kept.includes(`${w.family}|${w.startWamid}`)).map(view).sort();
      expect(r.waits.map(view).sort(), `trial ${trial}`).toEqual(expected);
      // The waits kept as stored are those the whole computation still gives, unchanged.
      const wholeByKey = new Map(whole.map((w) => [`${w.family}|${w.startWamid}`, w]));
      for (const w of old.filter((x) => kept.includes(`${x.family}|${x.start_wamid}`))) {
        const now = wholeByKey.get(`${w.family}|${w.start_wamid}`);
        expect(now && { ...stored([now])[0], content_hash: '' }, `trial ${trial}`).toEqual(w);
      }
    }
    // Many changes resume after the chat's first message, not from the start.
    expect(resumedLater).toBeGreaterThan(100);
  });

  it('asks to read further back when the thread start is not among the messages read', () => {
    const m = (at: number): ChatMessage => ({ dir: 'in', wamid: `m${at}`, at, type: 'text', referral: false });
    const messages = [m(T0 + 10 * H), m(T0 + 20 * H), m(T0 + 30 * H)];
    const input = { messages, from: T0 + 5 * H, complete: false, changedFrom: T0 + 40 * H, stored: [], idleMs: IDLE };
    // The thread holding 30 h starts at 10 h, only 5 h after the first time read: an earlier message may join it.
    expect(resumeChat(input)).toEqual({ kind: 'further', before: T0 + 5 * H - IDLE });
    // Read whole, the chat's first message starts it.
    const r = resumeChat({ ...input, from: 0, complete: true });
    expect(r.kind === 'waits' && r.at).toBe(T0 + 10 * H);
  });
});
