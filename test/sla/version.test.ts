import { describe, expect, it } from 'vitest';
import { outrank } from '../../reports/sla/job.ts';
import { chatVersion } from '../../reports/sla/records.ts';

// Versions by hand: the latest receipt in ms, shifted 20 bits, plus a row count.
const R = 1_751_330_112_000;

describe('wait row versions', () => {
  it('a computation with the same latest receipt goes one above the row it replaces, whatever it counted', () => {
    expect(chatVersion(R, 5)).toBe(String(BigInt(R) * 1_048_576n + 5n));
    // The stored row counted 9 items (a longer span), the new computation 5: it writes 9 + 1.
    expect(outrank(chatVersion(R, 5), chatVersion(R, 9))).toBe(chatVersion(R, 10));
    // Equal versions: one above as well.
    expect(outrank(chatVersion(R, 7), chatVersion(R, 7))).toBe(chatVersion(R, 8));
  });

  it('keeps its own version over an older receipt, and does not outrank a newer one', () => {
    expect(outrank(chatVersion(R, 5), chatVersion(R - 1, 900))).toBe(chatVersion(R, 5));
    expect(outrank(chatVersion(R, 5), chatVersion(R + 1, 1))).toBe(chatVersion(R, 5));
    expect(outrank(chatVersion(R, 9), chatVersion(R, 5))).toBe(chatVersion(R, 9));
  });
});
