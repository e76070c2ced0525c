import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Follower, LoadedBatch } from '../../app/deps.ts';
import { createLogger } from '../../app/logger.ts';
import { createFollowDispatcher } from '../../reports/follow.ts';
import { emptyItemRows, STATUS } from '../../warehouse/tables.ts';

// The dispatcher on its own, with followers that are plain functions recording their calls and
// waiting on gates the test opens: every step waits for a signal, never for time.

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** A batch carrying one status row of a customer (so a log line that leaked rows would show it). */
function batch(n: number): LoadedBatch {
  const rows = emptyItemRows();
  rows.statuses.push({ ...STATUS, wamid: `wamid.${n}`, recipient_id: '5511999990000', status: 'sent', ts: n });
  return { rows, receivedFrom: n, receivedTo: n };
}

/** A follower recording the batch numbers of each call; `step(i)` decides how call i ends. */
function recording(name: string, step: (call: number) => Promise<void> = async () => {}) {
  const calls: number[][] = [];
  const started: Array<ReturnType<typeof gate>> = Array.from({ length: 10 }, gate);
  const follower: Follower = {
    name,
    async follow(batches) {
      const i = calls.push(batches.map((b) => b.receivedFrom)) - 1;
      started[i]!.open();
      await step(i);
    },
  };
  return { follower, calls, started: (i: number) => started[i]!.opened };
}

function logSink() {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  return { log: createLogger('follow-test', 'info', stream), lines };
}

async function metric(registry: Registry, name: string, follower: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return m?.values.find((v) => v.labels.follower === follower)?.value ?? 0;
}

describe('follow dispatcher', () => {
  it('says, per follower, what is queued and whether a call is under way (for diagnosing a stuck one)', async () => {
    const first = gate();
    const f = recording('a', (i) => (i === 0 ? first.opened : Promise.resolve()));
    const d = createFollowDispatcher([f.follower], logSink().log);
    expect(d.state()).toEqual([{ follower: 'a', notified: 0, done: 0, queued: 0, call_ms: null }]);
    d.notify(batch(1));
    await f.started(0);
    d.notify(batch(2));
    const during = d.state()[0]!;
    expect(during).toMatchObject({ follower: 'a', notified: 2, done: 0, queued: 1 });
    expect(during.call_ms).toEqual(expect.any(Number));
    first.open();
    await d.settled();
    expect(d.state()).toEqual([{ follower: 'a', notified: 2, done: 2, queued: 0, call_ms: null }]);
  });

  it('hands batches notified during a call to the next call together', async () => {
    const first = gate();
    const f = recording('a', (i) => (i === 0 ? first.opened : Promise.resolve()));
    const registry = new Registry();
    const d = createFollowDispatcher([f.follower], logSink().log, { registry });
    d.notify(batch(1));
    await f.started(0);
    d.notify(batch(2));
    d.notify(batch(3));
    first.open();
    await d.settled();
    expect(f.calls).toEqual([[1], [2, 3]]);
    expect(await metric(registry, 'wa_follow_batches_coalesced_total', 'a')).toBe(1);
    expect(await metric(registry, 'wa_follow_batches_total', 'a')).toBe(3);
  });

  it('keeps a bounded queue while a follower is behind: the oldest batches are left to the scheduled job', async () => {
    const first = gate();
    const f = recording('behind', (i) => (i === 0 ? first.opened : Promise.resolve()));
    const registry = new Registry();
    const sink = logSink();
    // Each batch holds one row: a queue of at most two rows while the first call runs.
    const d = createFollowDispatcher([f.follower], sink.log, { registry, maxQueuedRows: 2 });
    d.notify(batch(1));
    await f.started(0);
    for (const n of [2, 3, 4, 5]) d.notify(batch(n));
    first.open();
    await d.settled();
    expect(f.calls).toEqual([[1], [4, 5]]);
    expect(await metric(registry, 'wa_follow_batches_abandoned_total', 'behind')).toBe(2);
    expect(sink.lines.join('')).toContain('left to the scheduled job');
    expect(sink.lines.join('')).not.toContain('5511999990000');
  });

  it('runs followers independently: a slow one holds back only itself', async () => {
    const slow = gate();
    const a = recording('slow', () => slow.opened);
    const b = recording('fast');
    const d = createFollowDispatcher([a.follower, b.follower], logSink().log);
    d.notify(batch(1));
    await a.started(0);
    d.notify(batch(2));
    await b.started(1); // the fast one has finished batch 1 and taken batch 2 while the slow one waits
    expect(b.calls).toEqual([[1], [2]]);
    expect(a.calls).toEqual([[1]]);
    slow.open();
    await d.settled();
    expect(a.calls).toEqual([[1], [2]]);
  });

  it('settled() waits for the batches notified before it, not for later ones', async () => {
    const gates = [gate(), gate()];
    const f = recording('a', (i) => gates[i]!.opened);
    const d = createFollowDispatcher([f.follower], logSink().log);
    d.notify(batch(1));
    const settled = d.settled();
    let done = false;
    void settled.then(() => (done = true));
    await f.started(0);
    d.notify(batch(2));
    gates[0]!.open();
    await settled;
    await f.started(1);
    expect(done).toBe(true);
    expect(f.calls).toEqual([[1], [2]]);
    gates[1]!.open();
    await d.settled();
  });

  it('logs and counts a failure without row data, and hands the batch again with the next call', async () => {
    const f = recording('a', async (i) => {
      if (i === 0) throw new Error('warehouse says: 5511999990000 is bad');
    });
    const registry = new Registry();
    const sink = logSink();
    const d = createFollowDispatcher([f.follower], sink.log, { registry });
    d.notify(batch(1));
    await d.settled(); // a failed call settles too
    expect(await metric(registry, 'wa_follow_failures_total', 'a')).toBe(1);
    d.notify(batch(2));
    await d.settled();
    expect(f.calls).toEqual([[1], [1, 2]]);
    const lines = sink.lines.join('');
    expect(lines).toContain('"follower":"a"');
    expect(lines).toContain('"batches":1');
    expect(lines).not.toContain('5511999990000');
    expect(lines).not.toContain('wamid.1');
  });

  it('gives a batch up to the scheduled job after maxAttempts failed calls', async () => {
    const f = recording('a', async (i) => {
      if (i < 2) throw new Error('down');
    });
    const registry = new Registry();
    const d = createFollowDispatcher([f.follower], logSink().log, { registry, maxAttempts: 2 });
    d.notify(batch(1));
    await d.settled();
    d.notify(batch(2));
    await d.settled();
    d.notify(batch(3));
    await d.settled();
    expect(f.calls).toEqual([[1], [1, 2], [3]]);
    expect(await metric(registry, 'wa_follow_batches_abandoned_total', 'a')).toBe(2);
  });

  it('a second dispatcher on the same registry shares its metrics', async () => {
    const registry = new Registry();
    for (const n of [1, 2]) {
      const d = createFollowDispatcher([recording('a').follower], logSink().log, { registry });
      d.notify(batch(n));
      await d.stop();
    }
    expect(await metric(registry, 'wa_follow_batches_total', 'a')).toBe(2);
  });

  it('stop() follows what is queued, then takes no more batches', async () => {
    const first = gate();
    const f = recording('a', (i) => (i === 0 ? first.opened : Promise.resolve()));
    const d = createFollowDispatcher([f.follower], logSink().log);
    d.notify(batch(1));
    await f.started(0);
    d.notify(batch(2));
    const stopped = d.stop();
    d.notify(batch(3));
    first.open();
    await stopped;
    expect(f.calls).toEqual([[1], [2]]);
  });

  it('tells a follower which batches it will not follow: dropped while behind, and given up on', async () => {
    const first = gate();
    const dropped: number[] = [];
    const f = recording('d', async (i) => {
      if (i === 0) await first.opened;
      if (i >= 2) throw new Error('down');
    });
    f.follower.dropped = (batches) => dropped.push(...batches.map((b) => b.receivedFrom));
    const d = createFollowDispatcher([f.follower], logSink().log, { maxQueuedRows: 2, maxAttempts: 1 });
    d.notify(batch(1));
    await f.started(0);
    for (const n of [2, 3, 4]) d.notify(batch(n));
    first.open();
    await d.settled();
    expect(dropped).toEqual([2]);
    d.notify(batch(5));
    await d.settled();
    expect(f.calls).toEqual([[1], [3, 4], [5]]);
    expect(dropped).toEqual([2, 5]);
  });

  it('calls a follower again while it says work is left, and only then counts its batches followed', async () => {
    const calls: number[][] = [];
    let left = 2;
    const follower: Follower = {
      name: 'bounded',
      async follow(batches) {
        calls.push(batches.map((b) => b.receivedFrom));
        return { more: left-- > 0 };
      },
    };
    const registry = new Registry();
    const d = createFollowDispatcher([follower], logSink().log, { registry });
    d.notify(batch(1));
    await d.settled();
    expect(calls).toEqual([[1], [], []]);
    // Its lag (stored → followed) is observed once, when the last call finished it.
    const lag = (await registry.getMetricsAsJSON()).find((m) => m.name === 'wa_follow_lag_seconds');
    expect(lag?.values.find((v) => (v as { metricName?: string }).metricName === 'wa_follow_lag_seconds_count' && v.labels.follower === 'bounded')?.value).toBe(1);
  });
});
