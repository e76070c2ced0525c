import { describe, expect, it } from 'vitest';
import { coalescing } from '../../reports/alerts/delivery.ts';

/** Lets every queued promise callback run (no timer involved). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('delivery log writes', () => {
  it('go together while an insert runs, each caller settled by the insert that carried its row', async () => {
    const inserts: number[][] = [];
    const finish: Array<(e?: Error) => void> = [];
    const write = coalescing<number>((rows) => {
      inserts.push(rows);
      return new Promise<void>((resolve, reject) => finish.push((e) => (e ? reject(e) : resolve())));
    });
    const settled: string[] = [];
    const track = (n: number) => write(n).then(() => settled.push(`${n} ok`), () => settled.push(`${n} failed`));
    const first = track(1);
    await flush();
    const rest = [2, 3, 4].map(track);
    await flush();
    // 2–4 wait for the insert of 1, then go in one insert.
    expect(inserts).toEqual([[1]]);
    finish.shift()!();
    await first;
    await flush();
    expect(inserts).toEqual([[1], [2, 3, 4]]);
    finish.shift()!(new Error('warehouse down'));
    await Promise.all(rest);
    expect(settled).toEqual(['1 ok', '2 failed', '3 failed', '4 failed']);
    // A later row is written again after a failure.
    const later = track(5);
    await flush();
    finish.shift()!();
    await later;
    expect(inserts).toEqual([[1], [2, 3, 4], [5]]);
    expect(settled.at(-1)).toBe('5 ok');
  });
});
