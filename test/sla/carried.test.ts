import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fileConfigSchema } from '../../app/config.ts';
import { createLogger } from '../../app/logger.ts';
import { createFollowDispatcher } from '../../reports/follow.ts';
import { loadSlaSettings, type SlaSettings } from '../../reports/sla/config.ts';
import { followedChats, followWaits, slaFollower, slaFollowState, type SlaFollowState } from '../../reports/sla/follow.ts';
import { refreshWaits } from '../../reports/sla/job.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { storeBatch } from '../helpers/batches.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { customerMessage, messageStatus } from './bodies.ts';

// The SLA follower going on from the state it carries between calls, on hand-computed timelines
// (idle time 24 h, no calendars). The counts of messages read are checked against the number of
// messages each batch brings, which the test knows by construction.

// The carried state, said explicitly (it is on by default).
const settings = loadSlaSettings(fileConfigSchema.parse({ sla: { follow: { carried_chats: 10_000 } } }));
const human = (ag: string) => `v1;src=h;ag=${ag};tm=care`;
const MIN = 60_000;
const T0 = Date.parse('2024-03-04T09:00:00Z');
let wh: Warehouse;
let received = Date.parse('2024-03-10T00:00:00Z');
let state: SlaFollowState;

beforeAll(async () => {
  wh = await openTestWarehouse();
});
afterAll(async () => {
  await wh?.close();
});
beforeEach(async () => {
  await truncateAll(wh);
  state = slaFollowState(settings);
});

const iso = (ms: number) => new Date(ms).toISOString();
const ts = (ms: number) => iso(ms).replace('T', ' ').replace('Z', '');

async function store(bodies: string[]) {
  received += 60_000;
  return storeBatch(wh, bodies, received);
}

async function follow(bodies: string[], s: SlaSettings = settings, st: SlaFollowState = state) {
  return followWaits(wh, s, [await store(bodies)], st);
}

interface WaitRow {
  family: string;
  kind: string;
  seq: number;
  thread_started_at: string;
  started_at: string;
  last_inbound_at: string;
  responded_at: string | null;
  response_seconds: number | null;
  time_to_deliver_seconds: number | null;
}

async function waits(waId: string, family = 'human'): Promise<WaitRow[]> {
  return rows<WaitRow>(
    wh,
    `SELECT family, kind, seq, thread_started_at, started_at, last_inbound_at, responded_at, response_seconds, time_to_deliver_seconds
     FROM {{db}}.sla_waits_v1 FINAL WHERE wa_id = {w:String} AND family = {f:String} ORDER BY started_at`,
    { w: waId, f: family },
  );
}

const SNAPSHOT = `SELECT * EXCEPT (version) FROM {{db}}.sla_waits_v1 FINAL ORDER BY waba_id, phone_number_id, wa_id, family, started_at, wait_id`;

async function expectEqualsFull(s: SlaSettings = settings) {
  const incremental = await rows(wh, SNAPSHOT);
  await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.sla_waits_v1` });
  await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.sla_job_state_v1` });
  const r = await refreshWaits(wh, s, undefined, () => Date.parse('2100-01-01T00:00:00Z'));
  expect(r.mode).toBe('full');
  expect(incremental).toEqual(await rows(wh, SNAPSHOT));
}

/**
 * Wait i of a long thread: the customer writes at 09:00 + i h, a person answers i + 1 minutes later
 * (message ids unique per chat: statuses are keyed by message id, not by chat).
 */
const asked = (i: number) => T0 + i * 60 * MIN;
const answered = (i: number) => asked(i) + (i + 1) * MIN;
const ask = (waId: string, i: number) => customerMessage(waId, `wamid.${waId}.c${i}`, iso(asked(i)));
const answer = (waId: string, i: number) => messageStatus(waId, `wamid.${waId}.r${i}`, 'sent', iso(answered(i)), { tag: human('ana') });
const delivered = (waId: string, i: number) => messageStatus(waId, `wamid.${waId}.r${i}`, 'delivered', iso(answered(i) + 2000), { tag: human('ana') });

/** The hand-computed waits of the thread after `n` questions, the last one answered or not. */
function expected(n: number, lastAnswered: boolean, deliveredUpTo: number): unknown[] {
  return Array.from({ length: n }, (_, i) => {
    const open = i === n - 1 && !lastAnswered;
    return [
      i === 0 ? 'first' : 'next', i + 1, ts(T0), ts(asked(i)), ts(asked(i)),
      open ? null : ts(answered(i)), open ? null : (i + 1) * 60, !open && i < deliveredUpTo ? 2 : null,
    ];
  });
}

const view = (w: WaitRow) => [w.kind, w.seq, w.thread_started_at, w.started_at, w.last_inbound_at, w.responded_at, w.response_seconds, w.time_to_deliver_seconds];

describe('SLA follower, carried state', () => {
  it('a long open thread fed in small batches: each call reads only what the batch brings', async () => {
    const A = '5511900000201';
    // The first call meets a new chat: it reads it (whole) and carries its state from then on.
    const first = await follow([ask(A, 0)]);
    expect(first.carried).toBe(0);
    expect((await waits(A)).map(view)).toEqual(expected(1, false, 0));
    for (let i = 0; i < 12; i++) {
      // The answer alone: one message read.
      const a = await follow([answer(A, i)]);
      expect(a).toMatchObject({ chats: 1, carried: 1, events: 1, whole: 0 });
      expect((await waits(A)).map(view)).toEqual(expected(i + 1, true, i));
      // The answer's delivery and the next question: two messages read (the answer again, for its
      // delivery time), none of the thread's earlier ones.
      const b = await follow([delivered(A, i), ask(A, i + 1)]);
      expect(b).toMatchObject({ chats: 1, carried: 1, events: 2, whole: 0 });
      for (const family of ['human', 'any']) expect((await waits(A, family)).map(view)).toEqual(expected(i + 2, false, i + 1));
    }
    await expectEqualsFull();
  });

  it('a chat with N earlier events in its open thread: a call reads the new events only', async () => {
    const B = '5511900000202';
    const N = 30;
    const earlier: string[] = [];
    for (let i = 0; i < N / 2; i++) earlier.push(ask(B, i), answer(B, i));
    const first = await follow(earlier);
    expect(first.events).toBeGreaterThanOrEqual(N); // read back in rounds: a new chat
    // Three new events: a question, its answer, and the next question (left open).
    const r = await follow([ask(B, N / 2), answer(B, N / 2), ask(B, N / 2 + 1)]);
    expect(r).toMatchObject({ carried: 1, events: 3, whole: 0 });
    expect((await waits(B)).map(view)).toEqual(expected(N / 2 + 2, false, 0));
    await expectEqualsFull();
  });

  it('an event before the carried point goes back to the thread start, then carries on', async () => {
    const C = '5511900000203';
    await follow([ask(C, 0)]);
    await follow([answer(C, 0)]);
    await follow([ask(C, 1)]);
    await follow([answer(C, 1)]);
    // 09:30 falls between the first answer (09:01) and the second question (10:00): it opens the
    // second wait instead, which 10:00 only extends and 10:02 answers (32 min); the 10:00 wait goes.
    const late = await follow([customerMessage(C, 'wamid.late', iso(T0 + 30 * MIN))]);
    expect(late.carried).toBe(0);
    expect(late.deleted).toBe(2); // the 10:00 wait, per family
    const hand = [
      ['first', 1, ts(T0), ts(T0), ts(T0), ts(answered(0)), 60, null],
      ['next', 2, ts(T0), ts(T0 + 30 * MIN), ts(asked(1)), ts(answered(1)), 32 * 60, null],
    ];
    for (const family of ['human', 'any']) expect((await waits(C, family)).map(view)).toEqual(hand);
    // The state it left is exact: the next question goes on from it.
    const next = await follow([ask(C, 2)]);
    expect(next).toMatchObject({ carried: 1, events: 1 });
    expect((await waits(C)).map(view)).toEqual([...hand, ['next', 3, ts(T0), ts(asked(2)), ts(asked(2)), null, null, null]]);
    await expectEqualsFull();
  });

  it('a restart loses the carried state and stays exact', async () => {
    const D = '5511900000204';
    await follow([ask(D, 0)]);
    await follow([answer(D, 0)]);
    await follow([ask(D, 1)]);
    // A new process: nothing carried. The answer recomputes the chat from its thread start.
    state = slaFollowState(settings);
    const after = await follow([answer(D, 1)]);
    expect(after.carried).toBe(0);
    expect((await waits(D)).map(view)).toEqual(expected(2, true, 0));
    const next = await follow([ask(D, 2)]);
    expect(next).toMatchObject({ carried: 1, events: 1 });
    expect((await waits(D)).map(view)).toEqual(expected(3, false, 0));
    await expectEqualsFull();
  });

  it('waits removed from the store (retention, erasure, a rebuild) send the chat back to its thread start', async () => {
    const D = '5511900000207';
    await follow([ask(D, 0)]);
    await follow([answer(D, 0)]);
    // The store is emptied and the same events are loaded again, as a rebuild or replay does.
    await truncateAll(wh);
    const again = await follow([ask(D, 0), answer(D, 0)]);
    expect(again.carried).toBe(0);
    expect((await waits(D)).map(view)).toEqual(expected(1, true, 0));
    await expectEqualsFull();
  });

  it('a failed send after the carried point is folded in once, and read again changes nothing', async () => {
    const F = '5511900000206';
    await follow([ask(F, 0)]);
    // A reply that failed: no activity, not an answer; the wait stays open.
    const failed = await follow([
      messageStatus(F, 'wamid.F.x', 'sent', iso(T0 + 2 * MIN), { tag: human('ana') }),
      messageStatus(F, 'wamid.F.x', 'failed', iso(T0 + 3 * MIN)),
    ]);
    expect(failed).toMatchObject({ carried: 1, events: 1 });
    expect((await waits(F)).map(view)).toEqual(expected(1, false, 0));
    // The answer at 09:05: the failed send is read again (it has rows after the carried point) and
    // is known; the chat goes on from its state.
    const r = await follow([messageStatus(F, 'wamid.F.r', 'sent', iso(T0 + 5 * MIN), { tag: human('ana') })]);
    expect(r).toMatchObject({ carried: 1, events: 2 });
    for (const family of ['human', 'any']) expect((await waits(F, family)).map(view)).toEqual([['first', 1, ts(T0), ts(T0), ts(T0), ts(T0 + 5 * MIN), 300, null]]);
    await expectEqualsFull();
  });

  it('a carried state the store no longer agrees with (another process followed the chat) is not used', async () => {
    const E = '5511900000205';
    await follow([ask(E, 0)]);
    // A second process (its own state) loads an earlier message of the chat: the open wait now starts at 08:30.
    const other = slaFollowState(settings);
    await follow([customerMessage(E, 'wamid.E.early', iso(T0 - 30 * MIN))], settings, other);
    // This process's state still holds the 09:00 wait open; the store holds the 08:30 one.
    const r = await follow([answer(E, 0)]);
    expect(r.carried).toBe(0);
    for (const family of ['human', 'any']) {
      expect((await waits(E, family)).map(view)).toEqual([
        ['first', 1, ts(T0 - 30 * MIN), ts(T0 - 30 * MIN), ts(T0), ts(answered(0)), 31 * 60, null],
      ]);
    }
    await expectEqualsFull();
  });

  it('keeps at most carried_chats chats, and more chats than that stay exact', async () => {
    const small = loadSlaSettings(fileConfigSchema.parse({ sla: { follow: { carried_chats: 2 } } }));
    const st = slaFollowState(small);
    const chats = ['5511900000211', '5511900000212', '5511900000213', '5511900000214', '5511900000215'];
    for (let i = 0; i < 4; i++) {
      for (const c of chats) {
        await follow([ask(c, i)], small, st);
        expect(st.carried.size).toBeLessThanOrEqual(2);
        await follow([answer(c, i)], small, st);
        expect(st.carried.size).toBeLessThanOrEqual(2);
      }
      // All five in one batch: two carried at most, the others read from their thread start.
      const r = await follow(chats.map((c) => delivered(c, i)), small, st);
      expect(r.chats).toBe(5);
      expect(r.carried).toBeLessThanOrEqual(2);
      expect(st.carried.size).toBeLessThanOrEqual(2);
    }
    for (const c of chats) expect((await waits(c)).map(view)).toEqual(expected(4, true, 4));
    await expectEqualsFull(small);
  });

  it('a bounded call leaves the rest to the next call, and the dispatcher makes it', async () => {
    const bounded = loadSlaSettings(fileConfigSchema.parse({ sla: { follow: { carried_chats: 10_000, chats_per_call: 2, chats_per_query: 1, events_per_call: 1 } } }));
    const chats = ['5511900000221', '5511900000222', '5511900000223', '5511900000224', '5511900000225'];
    // One call takes one query (its first already reads the 1 message allowed): four chats left.
    const st = slaFollowState(bounded);
    const one = await followWaits(wh, bounded, [await store(chats.map((c) => ask(c, 0)))], st);
    expect(one).toMatchObject({ chats: 1, pending: 4 });
    // Through the dispatcher, the batch counts as followed once no chat is left.
    const follower = slaFollower(wh, bounded);
    const dispatcher = createFollowDispatcher([follower], createLogger('test', 'silent'));
    dispatcher.notify(await store(chats.map((c) => answer(c, 0))));
    await dispatcher.settled();
    for (const c of chats) expect((await waits(c)).map(view)).toEqual(expected(1, true, 0));
    await dispatcher.stop();
    await expectEqualsFull(bounded);
  });
});

describe('the follower counts the chats it computed, by path', () => {
  const count = async (path: string) => (await followedChats.get()).values.find((v) => v.labels.path === path)?.value ?? 0;

  it('a chat new to the follower is read from its thread start, the same chat next time goes on from its carried state, and a cap of 0 carries none', async () => {
    const [carried, thread] = [await count('carried'), await count('thread')];
    const follower = slaFollower(wh, settings);
    await follower.follow([await store([customerMessage('5511900000301', 'wamid.cnt1', iso(T0)), customerMessage('5511900000302', 'wamid.cnt2', iso(T0))])]);
    expect([(await count('carried')) - carried, (await count('thread')) - thread]).toEqual([0, 2]);
    await follower.follow([await store([customerMessage('5511900000301', 'wamid.cnt3', iso(T0 + MIN))])]);
    expect([(await count('carried')) - carried, (await count('thread')) - thread]).toEqual([1, 2]);
    const none = slaFollower(wh, loadSlaSettings(fileConfigSchema.parse({ sla: { follow: { carried_chats: 0 } } })));
    await none.follow([await store([customerMessage('5511900000302', 'wamid.cnt4', iso(T0 + MIN))])]);
    await none.follow([await store([customerMessage('5511900000302', 'wamid.cnt5', iso(T0 + 2 * MIN))])]);
    expect([(await count('carried')) - carried, (await count('thread')) - thread]).toEqual([1, 4]);
  });
});
