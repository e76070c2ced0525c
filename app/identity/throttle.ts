/**
 * Sign-in throttling: after `limit` failures within `windowMs` a key (an account, an address) is
 * locked until the oldest of them leaves the window. Kept in memory: each instance throttles what
 * it sees, which bounds guessing per instance without a warehouse write per attempt.
 */
export interface Throttle {
  /** Seconds until the key may try again, or 0. */
  retryAfter(key: string, now: number): number;
  /** Records a failure; answers true when this failure locks the key. */
  fail(key: string, now: number): boolean;
  reset(key: string): void;
}

export function createThrottle(limit: number, windowMs: number): Throttle {
  const failures = new Map<string, number[]>();
  const recent = (key: string, now: number) => (failures.get(key) ?? []).filter((t) => t > now - windowMs);
  return {
    retryAfter(key, now) {
      const r = recent(key, now);
      if (r.length < limit) return 0;
      return Math.max(1, Math.ceil((r[r.length - limit]! + windowMs - now) / 1000));
    },
    fail(key, now) {
      const r = recent(key, now);
      r.push(now);
      failures.set(key, r.slice(-limit * 2));
      return r.length === limit;
    },
    reset(key) {
      failures.delete(key);
    },
  };
}
