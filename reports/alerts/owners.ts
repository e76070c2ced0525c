import { createHash } from 'node:crypto';

/**
 * Which live instance owns a rule: rendezvous (highest-random-weight) hashing of the rule id with
 * each instance id. Every instance that sees the same live set picks the same owner, with no
 * coordination beyond the shared heartbeat table; when an instance joins or leaves, only the rules
 * it wins or held move.
 */
export function ownerOf(key: string, live: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = '';
  for (const instance of live) {
    const weight = createHash('sha256').update(`${key}\0${instance}`).digest('hex');
    if (best === undefined || weight > bestWeight || (weight === bestWeight && instance < best)) {
      best = instance;
      bestWeight = weight;
    }
  }
  return best;
}
