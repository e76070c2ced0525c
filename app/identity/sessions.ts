import { randomSecret, sha256 } from './secrets.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { insertSession, liveSessionsOf, sessionByHash, type SessionRow } from '../../warehouse/queries/identity.ts';

/**
 * Server-side sessions. The cookie holds 256 random bits; the warehouse holds their SHA-256, so a
 * copy of the table signs no one in. A session ends after `idleMs` without a request, `maxMs` after
 * sign-in, or when revoked. Lookups are cached for `CACHE_MS`: a revocation made here is seen at
 * once, one made by another process (the CLI) within that time.
 */

export const CACHE_MS = 2_000;
/** last_seen is written at most this often (each write is a new row version). */
const TOUCH_MS = 60_000;
const ID = /^[A-Za-z0-9_-]{43}$/;

export type SessionMethod = SessionRow['method'];

export interface SessionStore {
  /** A new session; answers the id for the cookie (never stored as such). */
  create(subject: string, method: SessionMethod, mfa: boolean): Promise<string>;
  /** The live session of a cookie value, or undefined (unknown, malformed, expired or revoked). */
  lookup(id: string): Promise<SessionRow | undefined>;
  end(id: string): Promise<SessionRow | undefined>;
  /** Ends every live session of a person; answers how many. */
  endAllOf(subject: string): Promise<number>;
}

export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

export function createSessionStore(wh: Warehouse, limits: SessionLimits, now: () => Date): SessionStore {
  const cache = new Map<string, { row: SessionRow | undefined; until: number }>();
  const write = async (row: SessionRow) => {
    await insertSession(wh, [row]);
    cache.set(row.id_hash, { row, until: now().getTime() + CACHE_MS });
  };
  const read = async (hash: string): Promise<SessionRow | undefined> => {
    const t = now().getTime();
    const hit = cache.get(hash);
    if (hit && hit.until > t) return hit.row;
    const [row] = await sessionByHash(wh, { id_hash: hash });
    cache.set(hash, { row, until: t + CACHE_MS });
    return row;
  };
  const live = (s: SessionRow | undefined, t: number): s is SessionRow =>
    s !== undefined && !s.revoked && t < s.expires_at && t < s.last_seen_at + limits.idleMs;
  const revoke = async (s: SessionRow) => {
    const t = now().getTime();
    await write({ ...s, revoked: true, updated_at: Math.max(t, s.updated_at + 1) });
  };
  return {
    async create(subject, method, mfa) {
      const id = randomSecret(32);
      const t = now().getTime();
      await write({ id_hash: sha256(id), user_id: subject, method, mfa, created_at: t, last_seen_at: t, expires_at: t + limits.maxMs, revoked: false, updated_at: t });
      return id;
    },
    async lookup(id) {
      if (!ID.test(id)) return undefined;
      const s = await read(sha256(id));
      const t = now().getTime();
      if (!live(s, t)) return undefined;
      if (t - s.last_seen_at >= TOUCH_MS) await write({ ...s, last_seen_at: t, updated_at: Math.max(t, s.updated_at + 1) });
      return s;
    },
    async end(id) {
      if (!ID.test(id)) return undefined;
      const s = await read(sha256(id));
      if (!s || s.revoked) return undefined;
      await revoke(s);
      return s;
    },
    async endAllOf(subject) {
      const all = await liveSessionsOf(wh, { user_id: subject });
      for (const s of all) await revoke(s);
      return all.length;
    },
  };
}
