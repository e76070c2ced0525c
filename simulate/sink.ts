// Line-oriented file output with back-pressure, so a 10 M-event run streams in flat memory.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export class LineWriter {
  private readonly stream: Writable;
  private error: Error | null = null;
  lines = 0;

  constructor(path: string) {
    this.stream = path === '-' ? process.stdout : createWriteStream(path, { encoding: 'utf8' });
    // A closed pipe or a full disk surfaces on the next push instead of crashing the process.
    this.stream.on('error', (e: Error) => (this.error ??= e));
  }

  /** Queues a line; call `ready()` before queueing much more. */
  push(line: string): void {
    if (this.error) throw this.error;
    this.lines++;
    this.stream.write(line + '\n');
  }

  /**
   * Resolves once the stream has room again (checked on the stream: a past 'drain' is not waited for).
   * The wait that did not happen is taken off the stream, so waiting often leaves no listener behind.
   */
  async ready(): Promise<void> {
    while (this.stream.writableNeedDrain && !this.error) {
      const done = new AbortController();
      try {
        await Promise.race([once(this.stream, 'drain', { signal: done.signal }), once(this.stream, 'error', { signal: done.signal })]);
      } finally {
        done.abort();
      }
    }
    if (this.error) throw this.error;
  }

  async close(): Promise<void> {
    if (this.stream === process.stdout || this.error) return;
    const s = this.stream as WriteStream;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.end(() => resolve());
    });
  }
}
