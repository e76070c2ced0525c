import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * For long synchronous loops on the request thread (a load's bodies, an insert's rows, a follower's
 * chats): `const pause = pauses(); for (…) { …; await pause(); }` lets waiting requests in every
 * `every` items. One pass over a 5,000-body batch held every acknowledgement for tens of ms.
 */
export function pauses(every = 200): () => Promise<void> | undefined {
  let n = 0;
  return () => (++n % every === 0 ? nextTurn() : undefined);
}
