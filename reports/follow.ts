import { Counter, Histogram, Registry } from 'prom-client';
import type { Follower, LoadedBatch } from '../app/deps.ts';
import type { Logger } from '../app/logger.ts';

/**
 * Hands each loaded ingest batch to the derivations that follow the loads (SLA waits, billing
 * facts). Per follower, batches notified while it runs are handed together to its next call, so a
 * busy second costs one derivation per follower, not one per batch; followers run independently, so
 * a slow one delays only itself.
 *
 * A follower whose calls are bounded says when work is left (`more`): it is called again at once,
 * with whatever batches came meanwhile, and its batches count as followed only when none is left.
 *
 * A failed call is logged (follower name and batch count only: no row data) and counted, and its
 * batches are handed again with the next call, up to `maxAttempts` calls in all. A follower is
 * idempotent and rebuilds what a batch touched from the stored rows, so a retry is exact; the
 * bound keeps a warehouse outage from piling batches up in memory. Batches given up on (or dropped
 * while the follower is behind) are handed to its `dropped`, then left to the scheduled jobs, which
 * rescan everything received since their watermark and so derive them too.
 */

export interface FollowDispatcher {
  /** Queues a stored batch for every follower (ignored after `stop`). */
  notify(batch: LoadedBatch): void;
  /** Resolves once every batch notified before the call has been followed, or has failed, by every follower. */
  settled(): Promise<void>;
  /** Follows what is already queued, then takes no more batches. */
  stop(): Promise<void>;
  /** Per follower: batches notified and followed, queued, and how long its current call has run (diagnostics). */
  state(): Array<{ follower: string; notified: number; done: number; queued: number; call_ms: number | null }>;
}

export interface FollowOptions {
  /** Metrics land here (the service's registry); a private one otherwise. */
  registry?: Registry;
  /** Calls a batch may take part in before it is left to the scheduled jobs (default 3). */
  maxAttempts?: number;
  /**
   * Item rows a follower's queue may hold while it runs (default 500,000). A follower slower than
   * the loads would otherwise hold every batch in memory; past the bound the oldest batches are left
   * to the scheduled jobs, which find them by when they were stored.
   */
  maxQueuedRows?: number;
}

interface Lane {
  follower: Follower;
  queue: LoadedBatch[];
  /** When each batch in `queue` was notified (stored), for the lag metric. */
  queuedAt: number[];
  /** When each batch taken into a call not yet finished was notified. */
  inCall: number[];
  /** Item rows in `queue`. */
  queuedRows: number;
  /** Batches of a failed call, with the calls they have been in. */
  retry: { batches: LoadedBatch[]; attempts: number };
  running: Promise<void> | undefined;
  /** The last call left work: call again, with no new batches if none came. */
  more: boolean;
  /** Batches notified, and how many of them a finished call has covered. */
  notified: number;
  done: number;
  waiters: Array<{ target: number; resolve(): void }>;
  /** When the call under way began (performance.now()), if one is. */
  callSince: number | undefined;
}

export function createFollowDispatcher(followers: Follower[], log: Logger, opts: FollowOptions = {}): FollowDispatcher {
  const registry = opts.registry ?? new Registry();
  const maxAttempts = opts.maxAttempts ?? 3;
  const maxQueuedRows = opts.maxQueuedRows ?? 500_000;
  const metrics = followMetrics(registry);
  const lanes: Lane[] = followers.map((follower) => ({
    follower, queue: [], queuedAt: [], inCall: [], queuedRows: 0, retry: { batches: [], attempts: 0 }, running: undefined, more: false, notified: 0, done: 0, waiters: [], callSince: undefined,
  }));
  let stopped = false;

  async function drain(lane: Lane): Promise<void> {
    while (lane.queue.length > 0 || lane.more) {
      const fresh = lane.queue.splice(0);
      lane.inCall.push(...lane.queuedAt.splice(0));
      lane.queuedRows = 0;
      const upto = lane.notified;
      const batches = [...lane.retry.batches, ...fresh];
      const attempts = lane.retry.attempts + 1;
      const name = lane.follower.name;
      // Derivations this one reads (alerts on the SLA waits) finish these batches first.
      const before = lanes.filter((l) => lane.follower.after?.includes(l.follower.name));
      if (before.length > 0) await Promise.all(before.map((l) => until(l, l.notified)));
      const stop = metrics.seconds.startTimer({ follower: name });
      lane.callSince = performance.now();
      try {
        const r = await lane.follower.follow(batches);
        lane.callSince = undefined;
        stop();
        lane.more = r?.more === true;
        lane.retry = { batches: [], attempts: 0 };
        if (!lane.more) {
          const now = performance.now();
          for (const t of lane.inCall.splice(0)) metrics.lag.observe({ follower: name }, (now - t) / 1000);
        }
        metrics.batches.inc({ follower: name }, batches.length);
        if (batches.length > 1) metrics.coalesced.inc({ follower: name }, batches.length - 1);
      } catch (e) {
        lane.callSince = undefined;
        stop();
        // Work left by an earlier call waits for the next batch, as the failed ones do: no spinning.
        lane.more = false;
        metrics.failures.inc({ follower: name });
        const keep = attempts < maxAttempts;
        log.error({ follower: name, batches: batches.length, attempts, err: e }, keep ? 'follower failed; retrying with the next batch' : 'follower failed; left to the scheduled job');
        if (keep) lane.retry = { batches, attempts };
        else {
          metrics.abandoned.inc({ follower: name }, batches.length);
          lane.follower.dropped?.(batches);
          lane.inCall = [];
          lane.retry = { batches: [], attempts: 0 };
          lane.more = false;
        }
      }
      // Batches count as followed once no work of theirs is left.
      if (!lane.more) lane.done = upto;
      lane.waiters = lane.waiters.filter((w) => (w.target <= lane.done ? (w.resolve(), false) : true));
    }
  }

  function kick(lane: Lane): void {
    if (lane.running) return;
    lane.running = drain(lane).finally(() => {
      lane.running = undefined;
      // A batch notified between the last check and this line still gets its call.
      if (lane.queue.length > 0) kick(lane);
    });
  }

  function until(lane: Lane, target: number): Promise<void> {
    if (lane.done >= target) return Promise.resolve();
    return new Promise((resolve) => lane.waiters.push({ target, resolve }));
  }

  return {
    notify(batch) {
      if (stopped) return;
      const size = rowsOf(batch);
      for (const lane of lanes) {
        lane.queue.push(batch);
        lane.queuedAt.push(performance.now());
        lane.queuedRows += size;
        lane.notified++;
        let dropped = 0;
        while (lane.queuedRows > maxQueuedRows && lane.queue.length > 1) {
          const batch = lane.queue.shift()!;
          lane.queuedAt.shift();
          lane.queuedRows -= rowsOf(batch);
          lane.follower.dropped?.([batch]);
          dropped++;
        }
        if (dropped) {
          metrics.abandoned.inc({ follower: lane.follower.name }, dropped);
          log.warn({ follower: lane.follower.name, batches: dropped }, 'follower behind the loads; oldest batches left to the scheduled job');
        }
        kick(lane);
      }
    },
    async settled() {
      await Promise.all(lanes.map((l) => until(l, l.notified)));
    },
    async stop() {
      stopped = true;
      await Promise.all(lanes.map((l) => until(l, l.notified)));
    },
    state() {
      const now = performance.now();
      return lanes.map((l) => ({
        follower: l.follower.name, notified: l.notified, done: l.done, queued: l.queue.length, call_ms: l.callSince === undefined ? null : Math.round(now - l.callSince),
      }));
    },
  };
}

function rowsOf(batch: LoadedBatch): number {
  let n = 0;
  for (const rows of Object.values(batch.rows)) n += rows.length;
  return n;
}

function followMetrics(registry: Registry) {
  // A second dispatcher on the same registry (a restarted service in one process) shares the metrics.
  const reuse = <M>(name: string, make: () => M): M => (registry.getSingleMetric(name) as M | undefined) ?? make();
  const labelNames = ['follower'] as const;
  const registers = [registry];
  return {
    seconds: reuse('wa_follow_seconds', () => new Histogram({
      name: 'wa_follow_seconds', help: 'Time of one follower call (one or more coalesced batches)', labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    })),
    batches: reuse('wa_follow_batches_total', () => new Counter({ name: 'wa_follow_batches_total', help: 'Loaded batches followed, by follower', labelNames, registers })),
    coalesced: reuse('wa_follow_batches_coalesced_total', () => new Counter({
      name: 'wa_follow_batches_coalesced_total', help: 'Batches that shared a follower call with an earlier one (calls saved)', labelNames, registers,
    })),
    lag: reuse('wa_follow_lag_seconds', () => new Histogram({
      name: 'wa_follow_lag_seconds', help: 'Time from a batch stored (notified) to the end of the follower call that finished it',
      labelNames, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120], registers,
    })),
    failures: reuse('wa_follow_failures_total', () => new Counter({ name: 'wa_follow_failures_total', help: 'Follower calls that failed', labelNames, registers })),
    abandoned: reuse('wa_follow_batches_abandoned_total', () => new Counter({
      name: 'wa_follow_batches_abandoned_total', help: 'Batches left to the scheduled job: failed every attempt, or dropped while the follower was behind', labelNames, registers,
    })),
  };
}
