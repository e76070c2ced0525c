import type { ClickHouseClient, Warehouse } from '../warehouse/client.ts';
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
  private readonly idle: ClickHouseClient[];
  private readonly inFlight = new Set<Promise<void>>();
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly wh: Warehouse,
    private readonly opts: { maxQueue: number; maxBatch: number; committers?: number },
    private readonly metrics: IngestMetrics,
    private readonly log: Logger,
  ) {
    this.idle = [...wh.committers];
  }

  get depth(): number {
    return this.queue.length;
  }

  submit(entry: IngestBatchEntry): Promise<void> {
    if (this.closed) return Promise.reject(new CommitError('shutting down'));
    if (this.queue.length >= this.opts.maxQueue) return Promise.reject(new QueueFullError());
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...entry, resolve, reject });
      this.metrics.queueDepth.set(this.queue.length);
      this.schedule();
    });
  }

  /** Waits one turn of the event loop, so requests parsed in the same tick share a commit. */
  private schedule(): void {
    if (this.scheduled || this.idle.length === 0 || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startCommits();
    });
  }

  /**
   * Starts a commit on every idle connection while bodies wait: the embedded engine runs one query
   * per connection, and a commit's cost is mostly fixed, so concurrent commits multiply throughput.
   */
  private startCommits(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const client = this.idle.pop()!;
      const batch = this.queue.splice(0, Math.max(1, Math.ceil(Math.min(this.queue.length, this.opts.maxBatch) / (this.idle.length + 1))));
      this.metrics.queueDepth.set(this.queue.length);
      const run: Promise<void> = this.commit(client, batch).finally(() => {
        this.inFlight.delete(run);
        this.idle.push(client);
        this.schedule();
      });
      this.inFlight.add(run);
    }
  }

  private async commit(client: ClickHouseClient, batch: Pending[]): Promise<void> {
    const stop = this.metrics.commitSeconds.startTimer();
    try {
      const db = this.wh.database;
      for (const kind of Object.keys(ITEM_TABLES) as ItemKind[]) {
        const values = batch.flatMap((p) => p.rows[kind] as object[]);
        if (values.length > 0) await client.insert({ table: `${db}.${ITEM_TABLES[kind].table}`, values, format: 'JSONEachRow' });
      }
      await client.insert({ table: `${db}.${RAW_TABLE}`, values: batch.map((p) => p.raw), format: 'JSONEachRow' });
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
    }
  }

  /** Stops taking bodies and waits until everything already accepted is committed or failed. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      this.schedule();
      await Promise.race([...this.inFlight, new Promise((r) => setTimeout(r, 5))]);
    }
  }
}
