// Line-oriented file output with back-pressure, so a 10 M-event run streams in flat memory.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export class LineWriter {
  private readonly stream: Writable;
  private blocked = false;
  lines = 0;

  constructor(path: string) {
    this.stream = path === '-' ? process.stdout : createWriteStream(path, { encoding: 'utf8' });
  }

  /** Queues a line; call `ready()` before queueing much more. */
  push(line: string): void {
    this.lines++;
    if (!this.stream.write(line + '\n')) this.blocked = true;
  }

  /** Resolves once the stream has room again. */
  async ready(): Promise<void> {
    if (!this.blocked) return;
    await once(this.stream, 'drain');
    this.blocked = false;
  }

  async close(): Promise<void> {
    if (this.stream === process.stdout) return;
    const s = this.stream as WriteStream;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.end(() => resolve());
    });
  }
}
