import type { Warehouse } from '../warehouse/client.ts';
import { ITEM_TABLES, RAW_TABLE, type ItemKind, type ItemRows, type RawWebhookRow } from '../warehouse/tables.ts';
import type { IngestMetrics } from './metrics.ts';
import type { Logger } from '../app/logger.ts';

export interface IngestBatchEntry {
  raw: RawWebhookRow;
  rows: ItemRows;
}

export class QueueFullError extends Error {
  constructor() {
    super('ingest queue is full');
  }
}
export class CommitError extends Error {}

interface Pending extends IngestBatchEntry {
  resolve(): void;
  reject(e: Error): void;
}

/**
 * Group commit: every body submitted while a commit runs joins the next one, so many requests share
 * one insert per table and each caller's promise settles only once its rows are in the warehouse.
 * Typed rows are written before the raw row: a raw row therefore proves its items are stored, and a
 * failure part-way leaves only rows that the retried delivery will collapse onto (ReplacingMergeTree).
 */
export class IngestWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly wh: Warehouse,
    private readonly opts: { maxQueue: number; maxBatch: number; stallWarnSeconds?: number },
    private readonly metrics: IngestMetrics,
    private readonly log: Logger,
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  submit(entry: IngestBatchEntry): Promise<void> {
    if (this.closed) return Promise.reject(new CommitError('shutting down'));
    if (this.queue.length >= this.opts.maxQueue) return Promise.reject(new QueueFullError());
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...entry, resolve, reject });
      this.metrics.queueDepth.set(this.queue.length);
      // Wait one turn of the event loop so requests parsed in the same tick share the commit.
      if (!this.flushing) this.flushing = new Promise((r) => setImmediate(r)).then(() => this.flushLoop());
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch);
        this.metrics.queueDepth.set(this.queue.length);
        await this.commit(batch);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * One commit: the typed tables' inserts in parallel, each on its own connection (the embedded
   * engine runs one query per connection, and each insert's cost is mostly a fixed per-part cost),
   * then the raw rows once they are all in.
   */
  private async commit(batch: Pending[]): Promise<void> {
    const stop = this.metrics.commitSeconds.startTimer();
    // The embedded engine cannot cancel a statement: a commit that never returns can only be reported,
    // so say which one while it is still running (every webhook waits behind it).
    const started = Date.now();
    const watchdog = setInterval(() => {
      this.log.warn({ bodies: batch.length, seconds: Math.round((Date.now() - started) / 1000) }, 'warehouse commit still running');
    }, (this.opts.stallWarnSeconds ?? 30) * 1000);
    watchdog.unref();
    try {
      const db = this.wh.database;
      const conns = this.wh.committers;
      const inserts = (Object.keys(ITEM_TABLES) as ItemKind[])
        .map((kind) => ({ table: `${db}.${ITEM_TABLES[kind].table}`, values: batch.flatMap((p) => p.rows[kind] as object[]) }))
        .filter((i) => i.values.length > 0);
      const lanes = conns.map((client, lane) => inserts.filter((_, k) => k % conns.length === lane).map((i) => ({ client, ...i })));
      // Every lane finishes before the outcome is decided, so no insert outlives its commit.
      const settled = await Promise.allSettled(lanes.map(async (lane) => {
        for (const i of lane) await i.client.insert({ table: i.table, values: i.values, format: 'JSONEachRow' });
      }));
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      await conns[0]!.insert({ table: `${db}.${RAW_TABLE}`, values: batch.map((p) => p.raw), format: 'JSONEachRow' });
      stop();
      this.metrics.batchSize.observe(batch.length);
      this.metrics.committed.inc(batch.length);
      this.metrics.items.inc(batch.reduce((n, p) => n + p.raw.item_count, 0));
      for (const p of batch) p.resolve();
    } catch (e) {
      stop();
      this.log.error({ err: e, bodies: batch.length }, 'warehouse commit failed');
      const err = new CommitError('warehouse commit failed');
      for (const p of batch) p.reject(err);
    } finally {
      clearInterval(watchdog);
    }
  }

  /** Stops taking bodies and waits until everything already accepted is committed or failed. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
  }
}
