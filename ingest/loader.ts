import type { LoadedBatch } from '../app/deps.ts';
import type { Logger } from '../app/logger.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { ITEM_TABLES, emptyItemRows, type ItemKind } from '../warehouse/tables.ts';
import { buildEntry, type BodyScreen, type BuiltEntry } from './entry.ts';
import type { IngestLog, StoredRecord } from './ingest-log.ts';
import type { IngestMetrics } from './metrics.ts';
import { storeBatch } from './store-batch.ts';
import { pauses } from '../app/yielding.ts';

export interface LoaderOptions {
  /** Bodies per batch at most. */
  maxBodies: number;
  /** Log bytes per batch at most (about). */
  maxBytes: number;
  /** How long a batch may wait for more bodies before it is loaded. */
  lingerMs: number;
  /** A load running longer than this is logged, and again at each multiple. */
  stallWarnSeconds?: number;
}

export interface LoaderDeps {
  log: IngestLog;
  warehouse: Warehouse;
  metrics: IngestMetrics;
  logger: Logger;
  /** Drops items of people who must not be stored again (erased subjects). */
  screen?: BodyScreen;
  /** Told of every stored batch (the reports derive what it touched). */
  onBatch?: (batch: LoadedBatch) => void;
}

/** What the loader has loaded since it started (the `replay` summary). */
export interface LoadTotals {
  bodies: number;
  notJson: number;
  unknown: number;
  redacted: number;
}

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 10_000;

/**
 * Moves the ingest log into the warehouse: reads records in order from the durable cursor, builds
 * the raw and typed rows (normalization lives here, off the request path), stores them as one batch,
 * then advances the cursor and tells the reports. A failed load is retried with backoff, forever:
 * the log keeps every acknowledged body meanwhile. One loader per log (per data directory).
 */
export class Loader {
  readonly totals: LoadTotals = { bodies: 0, notJson: 0, unknown: 0, redacted: 0 };
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private waiters: Array<{ lsn: number; resolve(): void }> = [];
  /** Receipt time of the oldest body read but not yet loaded. */
  private headReceivedAt: number | undefined;
  private failing: string | undefined;
  private drainUntil: number | undefined;
  private looping = false;
  private onStop: () => void = () => undefined;

  constructor(
    private readonly deps: LoaderDeps,
    private readonly opts: LoaderOptions,
  ) {}

  /** Starts loading once `ready` resolves (a ClickHouse server may still be migrating). */
  start(ready: Promise<void> = Promise.resolve()): void {
    this.running ??= (async () => {
      await Promise.race([ready, new Promise<void>((r) => (this.onStop = r))]);
      this.looping = !this.stopping;
      if (this.looping) await this.loop();
    })();
  }

  /**
   * Resolves once everything before `lsn` (default: the log's end now) is loaded, or the loader
   * stopped. A batch someone waits for is loaded without lingering.
   */
  caughtUp(lsn = this.deps.log.end): Promise<void> {
    if (this.deps.log.cursor >= lsn || this.stopping) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.waiters.push({ lsn, resolve }));
    // Someone waits for these bodies: load them now rather than let the batch linger.
    this.wakeUp();
    return p;
  }

  /** For /healthz: whether loads fail right now, and how far behind the warehouse is. */
  status(now = Date.now()): { loading: 'ok' | 'retrying'; last_error?: string; backlog_bytes: number; backlog_age_seconds: number } {
    const backlog = this.deps.log.backlogBytes;
    const age = backlog > 0 && this.headReceivedAt !== undefined ? Math.max(0, (now - this.headReceivedAt) / 1000) : 0;
    return { loading: this.failing ? 'retrying' : 'ok', ...(this.failing ? { last_error: this.failing } : {}), backlog_bytes: backlog, backlog_age_seconds: Math.round(age * 10) / 10 };
  }

  /**
   * Stops the loader. With `drainMs`, first keeps loading what the log holds now for up to that long
   * (a shutdown leaves the warehouse current when it can); what is left stays in the log for the next
   * start.
   */
  async stop(opts: { drainMs?: number } = {}): Promise<void> {
    if (opts.drainMs && this.looping) {
      this.drainUntil = Date.now() + opts.drainMs;
      const target = this.deps.log.end;
      this.wakeUp();
      await Promise.race([this.caughtUp(target), delay(opts.drainMs)]);
    }
    this.stopping = true;
    this.onStop();
    this.wakeUp();
    await this.running;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Waits for `p`, or until stopped or woken. */
  private async interruptible(p: Promise<unknown>): Promise<void> {
    if (this.stopping) return;
    await Promise.race([p, new Promise<void>((r) => (this.wake = r))]);
  }

  private async loop(): Promise<void> {
    const { log } = this.deps;
    let pause = RETRY_FIRST_MS;
    while (!this.stopping) {
      if (log.cursor >= log.end) {
        this.headReceivedAt = undefined;
        this.deps.metrics.backlogAge.set(0);
        await this.interruptible(log.waitForData(log.cursor));
        continue;
      }
      try {
        await this.linger();
        if (this.stopping) break;
        const { records, next } = await log.read(log.cursor, this.opts.maxBytes, this.opts.maxBodies);
        if (records.length > 0 && !(await this.loadUntilStored(records))) break;
        await log.commitCursor(next);
        this.release();
        pause = RETRY_FIRST_MS;
      } catch (e) {
        // Reading the log or saving the cursor failed (a disk error): nothing is lost, try again.
        this.deps.logger.error({ code: (e as NodeJS.ErrnoException).code }, 'ingest log read or cursor failed; retrying');
        await this.interruptible(delay(pause));
        pause = Math.min(RETRY_MAX_MS, pause * 2);
      }
    }
  }

  /** Lets a batch fill up to its size or its linger time, so a quiet minute is not many tiny parts. */
  private async linger(): Promise<void> {
    const { log } = this.deps;
    const until = Date.now() + this.opts.lingerMs;
    while (!this.stopping && this.drainUntil === undefined && this.waiters.length === 0 && log.backlogBytes < this.opts.maxBytes) {
      const left = until - Date.now();
      if (left <= 0) return;
      await this.interruptible(Promise.race([log.waitForData(log.end), delay(left)]));
    }
  }

  /** Stores the records' batch, retrying until it is stored (true) or the loader stops (false). */
  private async loadUntilStored(records: StoredRecord[]): Promise<boolean> {
    this.headReceivedAt = records[0]!.receivedAt;
    this.deps.metrics.backlogAge.set(Math.max(0, (Date.now() - this.headReceivedAt) / 1000));
    const entries: BuiltEntry[] = [];
    const pause = pauses();
    for (const r of records) {
      entries.push(buildEntry(r.body, r.receivedAt, r.signatureValid, this.deps.screen));
      await pause();
    }
    const token = `${records[0]!.lsn}-${records.at(-1)!.next}`;
    for (let wait = RETRY_FIRST_MS; ; wait = Math.min(RETRY_MAX_MS, wait * 2)) {
      try {
        await this.store(entries, token);
        this.failing = undefined;
        break;
      } catch (e) {
        this.deps.metrics.loadFailures.inc();
        // The engine's message can quote row data: log its code only.
        this.failing = warehouseErrorCode(e);
        this.deps.logger.error({ code: this.failing, bodies: entries.length, retry_ms: wait }, 'ingest load failed; retrying');
        if (this.stopping) return false;
        await this.interruptible(delay(wait));
        if (this.stopping) return false;
      }
    }
    this.count(entries);
    this.deps.onBatch?.(loadedBatchOf(entries));
    return true;
  }

  private async store(entries: BuiltEntry[], token: string): Promise<void> {
    const { metrics, logger } = this.deps;
    const stop = metrics.loadSeconds.startTimer();
    // The embedded engine cannot cancel a statement: a load that never returns can only be reported.
    const started = Date.now();
    const watchdog = setInterval(() => {
      logger.warn({ bodies: entries.length, seconds: Math.round((Date.now() - started) / 1000) }, 'warehouse load still running');
    }, (this.opts.stallWarnSeconds ?? 30) * 1000);
    watchdog.unref();
    try {
      await storeBatch(this.deps.warehouse, entries, token);
    } finally {
      clearInterval(watchdog);
      stop();
    }
  }

  private count(entries: BuiltEntry[]): void {
    const { metrics } = this.deps;
    metrics.batchSize.observe(entries.length);
    metrics.loaded.inc(entries.length);
    for (const e of entries) {
      metrics.items.inc(e.raw.item_count);
      for (const u of e.rows.unknown) metrics.unknown.inc({ kind: u.kind });
      this.totals.bodies++;
      this.totals.unknown += e.raw.unknown_count;
      if (e.notJson !== undefined) this.totals.notJson++;
      if (e.raw.verdict === 'redacted') this.totals.redacted++;
    }
  }

  private release(): void {
    const cursor = this.deps.log.cursor;
    this.waiters = this.waiters.filter((w) => {
      if (w.lsn > cursor) return true;
      w.resolve();
      return false;
    });
  }
}

/** What a stored batch hands the reports: its item rows together, and its receipt-time range. */
export function loadedBatchOf(entries: readonly BuiltEntry[]): LoadedBatch {
  const rows = emptyItemRows();
  let from = Infinity;
  let to = -Infinity;
  for (const e of entries) {
    for (const kind of Object.keys(ITEM_TABLES) as ItemKind[]) (rows[kind] as object[]).push(...(e.rows[kind] as object[]));
    from = Math.min(from, e.raw.received_at);
    to = Math.max(to, e.raw.received_at);
  }
  return { rows, receivedFrom: from, receivedTo: to };
}

/** A short, data-free name for a failure: the engine's error code or the system call's. */
function warehouseErrorCode(e: unknown): string {
  const err = e as { code?: string | number; type?: string };
  if (err?.type) return String(err.type);
  if (err?.code !== undefined) return String(err.code);
  return 'error';
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
