import type { Config } from '../config.ts';
import type { Principal } from '../auth.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { userById, type UserRow } from '../../warehouse/queries/identity.ts';
import { createSessionStore, CACHE_MS, type SessionStore } from './sessions.ts';
import { createServiceTokenStore, type ServiceTokenStore } from './service-tokens.ts';
import { createThrottle, type Throttle } from './throttle.ts';
import { rolesOf, scopeOf } from './users.ts';

/** People, sessions and service tokens of one process: what `authenticate` consults. */
export interface Identity {
  sessions: SessionStore;
  tokens: ServiceTokenStore;
  /** Sign-in failures per account and per address. */
  throttle: { account: Throttle; address: Throttle };
  /** The principal of a session cookie's value, or undefined. */
  sessionPrincipal(id: string): Promise<Principal | undefined>;
  /** Drops a cached user after a change, so this process sees it at once. */
  forgetUser(userId: string): void;
}

/** API_TOKENS holders signed in through the form: their session's subject. */
export const TOKEN_SUBJECT = 'token:';

export function createIdentity(config: Config, wh: Warehouse, now: () => Date): Identity {
  const sessions = createSessionStore(wh, { idleMs: config.identity.sessionIdleMs, maxMs: config.identity.sessionMaxMs }, now);
  const users = new Map<string, { row: UserRow | undefined; until: number }>();
  const user = async (id: string) => {
    const t = now().getTime();
    const hit = users.get(id);
    if (hit && hit.until > t) return hit.row;
    const [row] = await userById(wh, { user_id: id });
    users.set(id, { row, until: t + CACHE_MS });
    return row;
  };
  return {
    sessions,
    tokens: createServiceTokenStore(wh, now),
    // Ten failures in 15 minutes lock an account; fifty lock an address (a shared office NAT).
    throttle: { account: createThrottle(10, 15 * 60_000), address: createThrottle(50, 15 * 60_000) },
    async sessionPrincipal(id) {
      const s = await sessions.lookup(id);
      if (!s) return undefined;
      if (s.user_id.startsWith(TOKEN_SUBJECT)) {
        const t = config.apiTokens.find((x) => x.actor === s.user_id.slice(TOKEN_SUBJECT.length));
        return t ? { actor: t.actor, roles: [t.role], wabas: t.wabas, method: 'token', mfa: false } : undefined;
      }
      const u = await user(s.user_id);
      if (!u || u.status !== 'active') return undefined;
      return { actor: u.user_id, userId: u.user_id, roles: rolesOf(u), wabas: scopeOf(u), method: s.method === 'sso' ? 'sso' : 'local', mfa: s.mfa };
    },
    forgetUser: (id) => void users.delete(id),
  };
}
