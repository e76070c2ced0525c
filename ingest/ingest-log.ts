import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecord, encodeRecord, type LogRecord } from './log-record.ts';
import type { IngestMetrics } from './metrics.ts';
import type { Logger } from '../app/logger.ts';

/**
 * The ingest log: an append-only, segmented file log under `DATA_DIR/ingest-log`. A webhook is
 * acknowledged once its record is written and `fdatasync`ed; the loader moves records into the
 * warehouse and advances a durable cursor. Positions are log sequence numbers (LSN): byte offsets in
 * the whole log, so a segment is named by the LSN of its first byte and a position never repeats.
 *
 * Group fsync: appends that arrive while one write + fsync runs are written and synced together by
 * the next, so a busy second costs a few fsyncs, not one per request.
 */

export interface IngestLogOptions {
  dir: string;
  /** Bytes on disk (loaded segments kept for replay included) before appends are refused. */
  maxBytes: number;
  /** A new segment starts once the active one is this large. */
  segmentBytes: number;
  /** How long fully loaded segments are kept (for `replay`); 0 deletes them once loaded. */
  retainMs: number;
}

export class LogFullError extends Error {
  constructor() {
    super('ingest log is full');
  }
}
export class LogWriteError extends Error {}

/** A record read back, with its position: `lsn` is where it starts, `next` where the next one does. */
export interface StoredRecord extends LogRecord {
  lsn: number;
  next: number;
}

interface Segment {
  base: number;
  path: string;
  /** Bytes in the file (for the active segment: durable bytes). */
  size: number;
  reader?: FileHandle;
}

interface PendingAppend {
  buf: Buffer;
  resolve(end: number): void;
  reject(e: Error): void;
}

const SEGMENT_SUFFIX = '.wal';
const segmentName = (base: number) => `${String(base).padStart(20, '0')}${SEGMENT_SUFFIX}`;

export class IngestLog {
  private pending: PendingAppend[] = [];
  /** Bytes queued or being written: counted against the cap before they are durable. */
  private pendingBytes = 0;
  private flushing: Promise<void> | undefined;
  private dataWaiters: Array<() => void> = [];
  private broken: Error | undefined;
  /** Set when an append was refused for room, until room is made or an append succeeds. */
  private refusing = false;
  private closed = false;

  private constructor(
    private readonly opts: IngestLogOptions,
    private readonly segments: Segment[],
    private writer: FileHandle,
    private cursorLsn: number,
    private readonly metrics: IngestMetrics | undefined,
    private readonly log: Logger,
  ) {
    this.updateGauges();
  }

  /** Opens the log, cutting a torn tail left by a crash (it was never acknowledged). */
  static async open(opts: IngestLogOptions, log: Logger, metrics?: IngestMetrics): Promise<IngestLog> {
    mkdirSync(opts.dir, { recursive: true });
    await lockDir(opts.dir);
    const bases = readdirSync(opts.dir)
      .filter((n) => /^\d{20}\.wal$/.test(n))
      .map((n) => Number(n.slice(0, 20)))
      .sort((a, b) => a - b);
    let cursor = await readCursor(opts.dir);
    if (bases.length === 0) bases.push(cursor);
    const segments: Segment[] = [];
    for (const base of bases) {
      const path = join(opts.dir, segmentName(base));
      const size = await stat(path).then((s) => s.size, () => 0);
      segments.push({ base, path, size });
    }
    const last = segments.at(-1)!;
    const valid = await validLength(last.path);
    if (valid < last.size) {
      log.warn({ segment: last.base, cut_bytes: last.size - valid }, 'ingest log: torn tail cut (never acknowledged)');
      const fh = await open(last.path, 'r+');
      await fh.truncate(valid);
      await fh.datasync();
      await fh.close();
      last.size = valid;
    }
    const writer = await open(last.path, last.size === 0 ? 'w+' : 'r+');
    await syncDir(opts.dir);
    const end = last.base + last.size;
    if (cursor > end || cursor < segments[0]!.base) {
      // The cursor names a position outside the files: loading restarts from the oldest record, and
      // the warehouse's keys collapse what was already stored.
      log.warn({ cursor, first: segments[0]!.base, end }, 'ingest log: cursor outside the log; loading from the oldest segment');
      cursor = segments[0]!.base;
    }
    const il = new IngestLog(opts, segments, writer, cursor, metrics, log);
    await il.dropLoaded(false);
    return il;
  }

  /** LSN after the last durable record. */
  get end(): number {
    const last = this.segments.at(-1)!;
    return last.base + last.size;
  }

  /** LSN of the first record not yet loaded. */
  get cursor(): number {
    return this.cursorLsn;
  }

  get bytesOnDisk(): number {
    return this.end - this.segments[0]!.base;
  }

  get backlogBytes(): number {
    return this.end - this.cursorLsn;
  }

  /** Whether appends are being refused for lack of room (the last one was, and none fit since). */
  get full(): boolean {
    return this.refusing;
  }

  /** Why appends fail right now (a write error that could not be undone), if they do. */
  get writeError(): Error | undefined {
    return this.broken;
  }

  /** Appends a record; resolves with the LSN after it once it is on disk. */
  append(record: LogRecord): Promise<number> {
    if (this.closed) return Promise.reject(new LogWriteError('ingest log is closed'));
    if (this.broken) return Promise.reject(this.broken);
    const buf = encodeRecord(record);
    if (this.bytesOnDisk + this.pendingBytes + buf.length > this.opts.maxBytes) {
      // Room first comes from loaded segments kept only for replay.
      this.refusing = true;
      this.dropLoaded(true).catch((e: NodeJS.ErrnoException) => this.log.error({ code: e.code }, 'ingest log: loaded segment could not be deleted'));
      return Promise.reject(new LogFullError());
    }
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ buf, resolve, reject });
      this.pendingBytes += buf.length;
      this.flushing ??= this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        const bytes = group.reduce((n, p) => n + p.buf.length, 0);
        try {
          await this.writeGroup(group);
        } finally {
          this.pendingBytes -= bytes;
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    if (this.broken) {
      for (const p of group) p.reject(this.broken);
      return;
    }
    let active = this.segments.at(-1)!;
    try {
      if (active.size >= this.opts.segmentBytes) active = await this.roll();
      const bufs = group.map((p) => p.buf);
      const total = bufs.reduce((n, b) => n + b.length, 0);
      const { bytesWritten } = await this.writer.writev(bufs, active.size);
      if (bytesWritten !== total) throw new Error(`short write (${bytesWritten} of ${total} bytes)`);
      const stop = this.metrics?.logFsyncSeconds.startTimer();
      await this.writer.datasync();
      stop?.();
    } catch (e) {
      const err = new LogWriteError(`ingest log write failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      // Cut what may have reached the file, so no later record follows a damaged one.
      try {
        await this.writer.truncate(active.size);
        await this.writer.datasync();
      } catch {
        this.broken = err;
        this.log.error({ code: (e as NodeJS.ErrnoException).code }, 'ingest log cannot be repaired; refusing appends until restart');
      }
      this.log.error({ code: (e as NodeJS.ErrnoException).code, records: group.length }, 'ingest log write failed');
      for (const p of group) p.reject(err);
      return;
    }
    let at = active.base + active.size;
    for (const p of group) {
      at += p.buf.length;
      active.size += p.buf.length;
      p.resolve(at);
    }
    this.refusing = false;
    this.metrics?.logAppended.inc(group.length);
    this.updateGauges();
    const waiters = this.dataWaiters;
    this.dataWaiters = [];
    for (const w of waiters) w();
  }

  private async roll(): Promise<Segment> {
    const base = this.end;
    const seg: Segment = { base, path: join(this.opts.dir, segmentName(base)), size: 0 };
    const fh = await open(seg.path, 'w+');
    await syncDir(this.opts.dir);
    await this.writer.close();
    this.writer = fh;
    this.segments.push(seg);
    return seg;
  }

  /** Resolves once the log holds a record at or after `lsn` (or at once if it does). */
  waitForData(lsn: number): Promise<void> {
    if (this.end > lsn || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.dataWaiters.push(resolve));
  }

  /**
   * Reads whole records from `from`, up to about `maxBytes` and at most `maxRecords`, never past the
   * durable end or across a segment's end (the next call continues in the next segment). `next` is
   * where the following read starts: after the last record returned, or past damage it skipped.
   */
  async read(from: number, maxBytes: number, maxRecords: number): Promise<{ records: StoredRecord[]; next: number }> {
    const records: StoredRecord[] = [];
    if (from >= this.end) return { records, next: from };
    const i = this.segments.findIndex((s) => from >= s.base && from < s.base + s.size);
    if (i < 0) throw new Error(`ingest log: position ${from} is in no segment`);
    const seg = this.segments[i]!;
    const segEnd = seg.base + seg.size;
    seg.reader ??= await open(seg.path, 'r');
    let want = Math.min(maxBytes, segEnd - from);
    let buf = Buffer.allocUnsafe(want);
    let chunk = buf.subarray(0, (await seg.reader.read(buf, 0, want, from - seg.base)).bytesRead);
    let at = 0;
    while (records.length < maxRecords && at < chunk.length) {
      const d = decodeRecord(chunk, at);
      if (d.kind === 'short' && records.length > 0) break;
      if (d.kind === 'short' && d.need > want && from + d.need <= segEnd) {
        // A single record larger than the chunk: read it whole.
        want = d.need;
        buf = Buffer.allocUnsafe(want);
        chunk = buf.subarray(0, (await seg.reader.read(buf, 0, want, from - seg.base)).bytesRead);
        continue;
      }
      if (d.kind !== 'record') {
        // Damage inside a durable segment (a torn tail was cut at recovery): the rest of this
        // segment cannot be framed. Say so loudly and go on with the next segment.
        this.metrics?.logCorrupt.inc();
        this.log.error({ segment: seg.base, offset: from + at - seg.base, reason: d.kind === 'bad' ? d.reason : 'cut short' }, 'ingest log: damaged record; skipping the rest of the segment');
        return { records, next: records.length > 0 ? from + at : segEnd };
      }
      records.push({ ...d.record, lsn: from + at, next: from + at + d.size });
      at += d.size;
    }
    return { records, next: from + at };
  }

  /** Makes `lsn` the durable cursor (everything before it is loaded) and drops loaded segments. */
  async commitCursor(lsn: number): Promise<void> {
    if (lsn <= this.cursorLsn) return;
    const file = join(this.opts.dir, 'cursor');
    await writeFile(`${file}.tmp`, JSON.stringify({ lsn }), { flush: true });
    await rename(`${file}.tmp`, file);
    this.cursorLsn = lsn;
    await this.dropLoaded(false);
    this.updateGauges();
  }

  private dropping: Promise<void> = Promise.resolve();

  /**
   * Deletes segments wholly before the cursor that retention no longer keeps (or all, when `force`).
   * One at a time: two overlapping passes could otherwise drop a segment the other just checked.
   */
  private dropLoaded(force: boolean): Promise<void> {
    const pass = this.dropping.catch(() => undefined).then(() => this.dropLoadedNow(force));
    this.dropping = pass;
    return pass;
  }

  private async dropLoadedNow(force: boolean): Promise<void> {
    const now = Date.now();
    while (this.segments.length > 1) {
      const seg = this.segments[0]!;
      if (seg.base + seg.size > this.cursorLsn) break;
      if (!force && this.opts.retainMs > 0) {
        const mtime = await stat(seg.path).then((s) => s.mtimeMs, () => 0);
        if (now - mtime < this.opts.retainMs) break;
      }
      this.segments.shift();
      await seg.reader?.close();
      await rm(seg.path, { force: true });
      this.refusing = false;
    }
    this.updateGauges();
  }

  /**
   * Erasure: removes the records whose body `names` matches from every segment already loaded (kept
   * for replay), so a person's raw bodies do not outlive their erasure on this disk. The active
   * segment is sealed first (a new one takes the appends), so once the loader has passed it, it is
   * rewritten like the others. Records not yet loaded are left: the loader's erasure screen keeps
   * them out of the warehouse, and they are rewritten by the next erasure or dropped once loaded.
   * `loaded` resolves once the loader has loaded what the log held when it was sealed. Returns how
   * many records named the subject before and still do after.
   */
  async eraseLoaded(names: (body: Buffer) => boolean, loaded?: () => Promise<void>): Promise<{ before: number; after: number }> {
    const before = await this.countNaming(names);
    if (before === 0) return { before, after: 0 };
    await this.sealActive();
    await loaded?.();
    const pass = this.dropping.catch(() => undefined).then(async () => {
      await this.dropLoadedNow(false);
      for (const seg of this.segments.slice(0, -1)) {
        if (seg.base + seg.size > this.cursorLsn) break;
        await this.rewriteSegment(seg, names);
      }
    });
    this.dropping = pass;
    await pass;
    return { before, after: await this.countNaming(names) };
  }

  /** Closes the active segment to appends: the next append starts a new one. */
  private async sealActive(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.closed || this.segments.at(-1)!.size === 0) return;
    // Holding `flushing` keeps the flush loop out while the segment rolls; appends meanwhile wait.
    const rolling = this.roll().then(() => undefined);
    this.flushing = rolling;
    try {
      await rolling;
    } finally {
      this.flushing = undefined;
      if (this.pending.length > 0) this.flushing = this.flushLoop();
    }
  }

  /** Writes a loaded segment again without the matching records (aside, synced, then renamed). */
  private async rewriteSegment(seg: Segment, names: (body: Buffer) => boolean): Promise<void> {
    const buf = await readFile(seg.path);
    const kept: Buffer[] = [];
    let dropped = 0;
    for (let at = 0; ; ) {
      const d = decodeRecord(buf, at);
      if (d.kind !== 'record') break;
      if (names(d.record.body)) dropped++;
      else kept.push(buf.subarray(at, at + d.size));
      at += d.size;
    }
    if (dropped === 0) return;
    const tmp = `${seg.path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      if (kept.length > 0) await fh.writev(kept);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await seg.reader?.close();
    seg.reader = undefined;
    await rename(tmp, seg.path);
    await syncDir(this.opts.dir);
    seg.size = kept.reduce((n, b) => n + b.length, 0);
  }

  /** Records in the log's files (loaded or not) whose body matches. */
  private async countNaming(names: (body: Buffer) => boolean): Promise<number> {
    let n = 0;
    for (const seg of [...this.segments]) {
      const buf = await readFile(seg.path).catch(() => Buffer.alloc(0));
      for (let at = 0; ; ) {
        const d = decodeRecord(buf, at);
        if (d.kind !== 'record') break;
        if (names(d.record.body)) n++;
        at += d.size;
      }
    }
    return n;
  }

  private updateGauges(): void {
    this.metrics?.logBytes.set(this.bytesOnDisk);
    this.metrics?.backlogBytes.set(this.backlogBytes);
  }

  /** Finishes appends in progress and closes the files. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    for (const w of this.dataWaiters.splice(0)) w();
    for (const s of this.segments) await s.reader?.close();
    await this.writer.close();
    await rm(join(this.opts.dir, 'lock'), { force: true });
    openDirs.delete(this.opts.dir);
  }
}

const openDirs = new Set<string>();

/**
 * One log, one loader: a second process (or a second open in this one) on the same folder would
 * interleave records and cursors. A lock left by a process that died is taken over.
 */
async function lockDir(dir: string): Promise<void> {
  const file = join(dir, 'lock');
  const holder = await readFile(file, 'utf8').then((t) => Number(t.trim()), () => undefined);
  // A process id can be reused after a crash (a container restarts as the same few pids): the holder
  // counts only while it is alive and still a Node.js process.
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
    } catch {
      return true;
    }
  };
  if (openDirs.has(dir) || (holder !== undefined && holder !== process.pid && Number.isInteger(holder) && alive(holder))) {
    throw new Error(`ingest log ${dir} is in use by process ${openDirs.has(dir) ? process.pid : holder}`);
  }
  await writeFile(file, `${process.pid}\n`);
  openDirs.add(dir);
}

async function readCursor(dir: string): Promise<number> {
  try {
    const { lsn } = JSON.parse(await readFile(join(dir, 'cursor'), 'utf8')) as { lsn: number };
    return Number.isSafeInteger(lsn) && lsn >= 0 ? lsn : 0;
  } catch {
    return 0;
  }
}

/** Length of the longest prefix of a segment made of whole, valid records. */
async function validLength(path: string): Promise<number> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch {
    return 0;
  }
  let at = 0;
  for (;;) {
    const d = decodeRecord(buf, at);
    if (d.kind !== 'record') return at;
    at += d.size;
  }
}

/** A new or renamed file survives a crash only once its directory entry is synced too. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
