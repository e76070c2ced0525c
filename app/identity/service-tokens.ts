import { randomSecret, sha256 } from './secrets.ts';
import type { Role } from '../config.ts';
import type { Principal, WabaScope } from '../auth.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { allServiceTokens, insertServiceToken, serviceTokenByHash, type ServiceTokenRow } from '../../warehouse/queries/identity.ts';
import { rolesOf, scopeOf } from './users.ts';

/**
 * Service tokens for API clients and scrapers: `wat_` + 256 random bits, shown once, stored as
 * SHA-256; named, with roles, a WABA scope and an expiry; revocable. Cached like sessions.
 */

export const TOKEN_PREFIX = 'wat_';
const SHAPE = /^wat_[A-Za-z0-9_-]{43}$/;
const CACHE_MS = 2_000;

export function isServiceToken(presented: string): boolean {
  return presented.startsWith(TOKEN_PREFIX);
}

export interface NewServiceToken {
  name: string;
  roles: Role[];
  wabas: WabaScope;
  expiresAt: Date;
  createdBy: string;
}

export interface ServiceTokenStore {
  create(t: NewServiceToken): Promise<{ token: string; row: ServiceTokenRow }>;
  principal(presented: string): Promise<Principal | undefined>;
  list(): Promise<ServiceTokenRow[]>;
  /** Revokes by id or name; answers the revoked token, if any. */
  revoke(idOrName: string): Promise<ServiceTokenRow | undefined>;
}

export function createServiceTokenStore(wh: Warehouse, now: () => Date): ServiceTokenStore {
  const cache = new Map<string, { row: ServiceTokenRow | undefined; until: number }>();
  return {
    async create(t) {
      const token = TOKEN_PREFIX + randomSecret(32);
      const at = now().getTime();
      const row: ServiceTokenRow = {
        token_id: `t_${randomSecret(9)}`, name: t.name, token_hash: sha256(token), roles: t.roles,
        all_wabas: t.wabas === 'all', wabas: t.wabas === 'all' ? [] : [...t.wabas],
        expires_at: t.expiresAt.getTime(), revoked: false, created_by: t.createdBy, created_at: at, updated_at: at,
      };
      await insertServiceToken(wh, [row]);
      return { token, row };
    },
    async principal(presented) {
      if (!SHAPE.test(presented)) return undefined;
      const hash = sha256(presented);
      const t = now().getTime();
      let hit = cache.get(hash);
      if (!hit || hit.until <= t) {
        const [row] = await serviceTokenByHash(wh, { token_hash: hash });
        hit = { row, until: t + CACHE_MS };
        cache.set(hash, hit);
      }
      const r = hit.row;
      if (!r || r.revoked || t >= r.expires_at) return undefined;
      return { actor: `service:${r.name}`, roles: rolesOf(r), wabas: scopeOf(r), method: 'service', mfa: false };
    },
    list: () => allServiceTokens(wh, {}),
    async revoke(idOrName) {
      const all = await allServiceTokens(wh, {});
      const r = all.find((x) => !x.revoked && (x.token_id === idOrName || x.name === idOrName));
      if (!r) return undefined;
      const revoked = { ...r, revoked: true, updated_at: Math.max(now().getTime(), r.updated_at + 1) };
      await insertServiceToken(wh, [revoked]);
      cache.delete(r.token_hash);
      return revoked;
    },
  };
}
