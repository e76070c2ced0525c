import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineWriter } from '../../simulate/sink.ts';

// The generator writes millions of lines through one writer, waiting for room after each burst.

describe('LineWriter', () => {
  it('waits for room many times without leaving listeners on the stream, and writes every line', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'wa-sink-')), 'lines.ndjson');
    const w = new LineWriter(path);
    const stream = (w as unknown as { stream: NodeJS.WritableStream }).stream;
    const line = 'x'.repeat(4096);
    let waits = 0;
    for (let i = 0; i < 200; i++) {
      for (let j = 0; j < 20; j++) w.push(`${i}:${j}:${line}`);
      if ((stream as unknown as { writableNeedDrain: boolean }).writableNeedDrain) waits++;
      await w.ready();
    }
    // The stream's buffer (16 or 64 KiB) filled after each burst of 80 KiB: 200 waits, and only the writer's own error listener left.
    expect(waits).toBe(200);
    expect(stream.listenerCount('error')).toBe(1);
    expect(stream.listenerCount('drain')).toBe(0);
    await w.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(4000);
    expect(lines[3999]!.startsWith('199:19:')).toBe(true);
  });
});
