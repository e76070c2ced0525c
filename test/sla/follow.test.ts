import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fileConfigSchema } from '../../app/config.ts';
import { loadSlaSettings } from '../../reports/sla/config.ts';
import { followWaits, slaFollowState, type SlaFollowState } from '../../reports/sla/follow.ts';
import { refreshWaits } from '../../reports/sla/job.ts';
import { chatEventsFrom } from '../../warehouse/queries/sla/follow.ts';
import { PHONE_ID, WABA } from '../fixtures/meta.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { storeBatch } from '../helpers/batches.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { businessAppEcho, customerMessage, messageStatus } from './bodies.ts';

// The SLA follower on hand-computed timelines (idle time 24 h, no calendars: business seconds equal
// calendar seconds). Each step stores one batch as the loader does and follows it; after each, the
// waits equal the values worked out below, and equal a full recompute of the same events.

const settings = loadSlaSettings(fileConfigSchema.parse({}));
const human = (ag: string) => `v1;src=h;ag=${ag};tm=care`;
let wh: Warehouse;
let received = Date.parse('2024-03-10T00:00:00Z');
/** What the follower carries between calls, as one running service does; new for each test. */
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

async function follow(bodies: string[]) {
  received += 60_000;
  return followWaits(wh, settings, [await storeBatch(wh, bodies, received)], state);
}

interface WaitRow {
  wa_id: string;
  family: string;
  kind: string;
  seq: number;
  thread_started_at: string;
  started_at: string;
  last_inbound_at: string;
  responded_at: string | null;
  response_seconds: number | null;
  responder: string;
}

async function waits(waId: string): Promise<WaitRow[]> {
  return rows<WaitRow>(
    wh,
    `SELECT wa_id, family, kind, seq, thread_started_at, started_at, last_inbound_at, responded_at, response_seconds, responder
     FROM {{db}}.sla_waits_v1 FINAL WHERE wa_id = {w:String} ORDER BY family, started_at`,
    { w: waId },
  );
}

const SNAPSHOT = `SELECT * EXCEPT (version) FROM {{db}}.sla_waits_v1 FINAL ORDER BY waba_id, phone_number_id, wa_id, family, started_at, wait_id`;

/** The waits as they stand, then as a full recompute of the same events writes them. */
async function incrementalAndFull(w: Warehouse, s = settings): Promise<{ incremental: unknown[]; full: unknown[] }> {
  const incremental = await rows(w, SNAPSHOT);
  await w.writer.command({ query: `TRUNCATE TABLE ${w.database}.sla_waits_v1` });
  await w.writer.command({ query: `TRUNCATE TABLE ${w.database}.sla_job_state_v1` });
  const r = await refreshWaits(w, s, undefined, () => Date.parse('2100-01-01T00:00:00Z'));
  expect(r.mode).toBe('full');
  return { incremental, full: await rows(w, SNAPSHOT) };
}

const ts = (iso: string) => iso.replace('T', ' ').replace('Z', '.000');

describe('SLA follower, hand-computed', () => {
  it('a new message in the idle gap merges two threads', async () => {
    const A = '5511900000101';
    await follow([
      // An earlier thread: the follower starts from the merged thread and carries its team on.
      customerMessage(A, 'wamid.m0', '2024-03-01T09:00:00Z'),
      messageStatus(A, 'wamid.r0', 'sent', '2024-03-01T09:01:00Z', { tag: human('ana') }),
      customerMessage(A, 'wamid.m1', '2024-03-04T00:00:00Z'),
      messageStatus(A, 'wamid.r1', 'sent', '2024-03-04T00:05:00Z', { tag: human('ana') }),
      customerMessage(A, 'wamid.m2', '2024-03-05T02:00:00Z'),
      messageStatus(A, 'wamid.r2', 'sent', '2024-03-05T02:10:00Z', { tag: human('ana') }),
    ]);
    // 00:05 → next day 02:00 is 25 h 55 min idle: two customer threads, each with a first wait.
    const before = (await waits(A)).filter((w) => w.family === 'human').slice(1);
    expect(before.map((w) => [w.kind, w.thread_started_at, w.started_at, w.response_seconds])).toEqual([
      ['first', ts('2024-03-04T00:00:00Z'), ts('2024-03-04T00:00:00Z'), 300],
      ['first', ts('2024-03-05T02:00:00Z'), ts('2024-03-05T02:00:00Z'), 600],
    ]);

    // 12:00 is 11 h 55 min after 00:05 and 14 h before 02:00: one thread. It opens the second wait
    // of that thread, which the 02:00 message only extends and 02:10 answers: 14 h 10 min.
    const r = await follow([customerMessage(A, 'wamid.m3', '2024-03-04T12:00:00Z')]);
    expect(r.whole).toBe(0);
    for (const family of ['human', 'any']) {
      const after = (await waits(A)).filter((w) => w.family === family).slice(1);
      expect(after.map((w) => [w.kind, w.seq, w.thread_started_at, w.started_at, w.last_inbound_at, w.responded_at, w.response_seconds])).toEqual([
        ['first', 1, ts('2024-03-04T00:00:00Z'), ts('2024-03-04T00:00:00Z'), ts('2024-03-04T00:00:00Z'), ts('2024-03-04T00:05:00Z'), 300],
        ['next', 2, ts('2024-03-04T00:00:00Z'), ts('2024-03-04T12:00:00Z'), ts('2024-03-05T02:00:00Z'), ts('2024-03-05T02:10:00Z'), 51_000],
      ]);
    }
    const { incremental, full } = await incrementalAndFull(wh);
    expect(incremental).toEqual(full);
  });

  it('a late failed status re-opens a wait, in its thread and across a thread boundary', async () => {
    const B = '5511900000102';
    const C = '5511900000103';
    await follow([
      customerMessage(B, 'wamid.b1', '2024-03-04T10:00:00Z'),
      messageStatus(B, 'wamid.p1', 'sent', '2024-03-04T10:05:00Z', { tag: human('bo') }),
      // C is answered 25 h later, in a thread the business starts: a bot at 11:00 (closes "any"),
      // a person at 11:05 (closes "human"). Both waits stay in the customer's thread.
      customerMessage(C, 'wamid.c1', '2024-03-04T10:00:00Z'),
      messageStatus(C, 'wamid.q1', 'sent', '2024-03-05T11:00:00Z', { tag: 'v1;src=b;tm=care' }),
      messageStatus(C, 'wamid.q2', 'sent', '2024-03-05T11:05:00Z', { tag: human('bo') }),
    ]);
    expect((await waits(B)).map((w) => [w.family, w.response_seconds])).toEqual([['any', 300], ['human', 300]]);
    expect((await waits(C)).map((w) => [w.family, w.thread_started_at, w.response_seconds])).toEqual([
      ['any', ts('2024-03-04T10:00:00Z'), 90_000],
      ['human', ts('2024-03-04T10:00:00Z'), 90_300],
    ]);

    // C is recomputed from the 11:00 thread on, carrying both waits of the earlier thread: the bot
    // still answers "any"; "human" is open again.
    await follow([
      messageStatus(B, 'wamid.p1', 'failed', '2024-03-04T10:06:00Z'),
      messageStatus(C, 'wamid.q2', 'failed', '2024-03-05T11:06:00Z'),
    ]);
    expect((await waits(B)).map((w) => [w.kind, w.responded_at, w.response_seconds, w.responder])).toEqual([
      ['first', null, null, ''],
      ['first', null, null, ''],
    ]);
    expect((await waits(C)).map((w) => [w.family, w.kind, w.last_inbound_at, w.response_seconds, w.responder])).toEqual([
      ['any', 'first', ts('2024-03-04T10:00:00Z'), 90_000, 'bot'],
      ['human', 'first', ts('2024-03-04T10:00:00Z'), null, ''],
    ]);

    // Answers typed in the Business app then close them: B's after 1 h, C's human wait after 26 h.
    await follow([businessAppEcho(B, 'wamid.e1', '2024-03-04T11:00:00Z'), businessAppEcho(C, 'wamid.e2', '2024-03-05T12:00:00Z')]);
    expect((await waits(B)).map((w) => [w.family, w.responded_at, w.response_seconds, w.responder])).toEqual([
      ['any', ts('2024-03-04T11:00:00Z'), 3600, 'human'],
      ['human', ts('2024-03-04T11:00:00Z'), 3600, 'human'],
    ]);
    expect((await waits(C)).map((w) => [w.family, w.response_seconds, w.responder])).toEqual([
      ['any', 90_000, 'bot'],
      ['human', 93_600, 'human'],
    ]);
    const { incremental, full } = await incrementalAndFull(wh);
    expect(incremental).toEqual(full);
  });

  it('a duplicate batch changes nothing', async () => {
    const D = '5511900000104';
    const bodies = [
      customerMessage(D, 'wamid.d1', '2024-03-04T09:00:00Z'),
      messageStatus(D, 'wamid.s1', 'sent', '2024-03-04T09:02:00Z', { tag: human('cy') }),
      messageStatus(D, 'wamid.s1', 'delivered', '2024-03-04T09:02:03Z', { tag: human('cy') }),
      customerMessage(D, 'wamid.d2', '2024-03-04T09:30:00Z'),
    ];
    const first = await follow(bodies);
    expect(first.written).toBe(4); // one answered and one open wait, per family
    const stored = await rows(wh, SNAPSHOT);
    const again = await follow(bodies);
    expect({ written: again.written, deleted: again.deleted }).toEqual({ written: 0, deleted: 0 });
    expect(await rows(wh, SNAPSHOT)).toEqual(stored);
  });

  it('reads each chat from its own time on, a message with all its rows', async () => {
    const E = '5511900000105';
    const F = '5511900000106';
    await storeBatch(wh, [
      customerMessage(E, 'wamid.e1', '2024-03-01T09:00:00Z'),
      messageStatus(E, 'wamid.o1', 'sent', '2024-03-01T10:00:00Z', { tag: human('ana') }),
      messageStatus(E, 'wamid.o1', 'read', '2024-03-03T08:00:00Z', { tag: human('ana') }),
      customerMessage(E, 'wamid.e2', '2024-03-04T09:00:00Z'),
      customerMessage(F, 'wamid.f1', '2024-03-01T09:00:00Z'),
    ], received);
    const read = await chatEventsFrom(wh, [
      { waba_id: WABA, phone_number_id: PHONE_ID, wa_id: E, from: Date.parse('2024-03-02T00:00:00Z') },
      { waba_id: WABA, phone_number_id: PHONE_ID, wa_id: F, from: 0 },
    ]);
    const at = (iso: string) => Date.parse(iso);
    expect(read.map((r) => [r.wa_id, r.wamid, r.dir, r.at ?? r.sent, r.read, r.first]).sort()).toEqual([
      [E, 'wamid.e2', 'in', at('2024-03-04T09:00:00Z'), null, at('2024-03-04T09:00:00Z')],
      // Its read receipt is after the chat's time: the message comes with its earlier `sent` too.
      [E, 'wamid.o1', 'out', at('2024-03-01T10:00:00Z'), at('2024-03-03T08:00:00Z'), at('2024-03-01T10:00:00Z')],
      [F, 'wamid.f1', 'in', at('2024-03-01T09:00:00Z'), null, at('2024-03-01T09:00:00Z')],
    ].sort());
  });
});
