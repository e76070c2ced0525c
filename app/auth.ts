import { timingSafeEqual, createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ApiToken, Role } from './config.ts';
import type { AppDeps } from './deps.ts';
import { isServiceToken } from './identity/service-tokens.ts';

export const SESSION_COOKIE = 'wa_session';

/** How a principal proved who they are (written to the access audit). */
export type AuthMethod = 'token' | 'service' | 'local' | 'sso';

/** The WABAs a principal may see: all of them, or only those listed (WABA ids). */
export type WabaScope = 'all' | readonly string[];

export interface Principal {
  /** Who, as the access audit names them: a user id or a token's name. */
  actor: string;
  roles: readonly Role[];
  wabas: WabaScope;
  method: AuthMethod;
  /** Whether the sign-in used a second factor. */
  mfa: boolean;
  userId?: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** Admin may do everything; anyone else needs the role itself. */
export function hasRole(p: Principal, role: Role): boolean {
  return p.roles.includes('admin') || p.roles.includes(role);
}

/** A job or CLI acting on its own account rather than a person's. */
export interface SystemActor {
  actor: string;
  role: 'system';
}

/** The roles as one string, for the access audit's `role` column. */
export function auditRole(p: Principal | SystemActor): string {
  return 'roles' in p ? p.roles.join('+') : p.role;
}

/** The access audit's `actor` and `role` for whoever acted. */
export function auditWho(p: Principal | SystemActor): { actor: string; role: string } {
  return { actor: p.actor, role: auditRole(p) };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Finds the token's holder; compares digests in constant time and checks every token. */
export function findPrincipal(tokens: readonly ApiToken[], presented: string | undefined): Principal | undefined {
  if (!presented) return undefined;
  const d = digest(presented);
  let found: Principal | undefined;
  for (const t of tokens) {
    if (timingSafeEqual(d, digest(t.token))) found = { actor: t.actor, roles: [t.role], wabas: t.wabas, method: 'token', mfa: false };
  }
  return found;
}

/** The bearer token of the Authorization header, if any. */
export function bearerToken(req: Request): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** The session cookie's value; '' when it is there but cannot be decoded (answered 401, not 500). */
export function sessionCookie(req: Request): string | undefined {
  const cookie = req.headers.cookie;
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== SESSION_COOKIE) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return '';
    }
  }
  return undefined;
}

/** A bearer token, else the session cookie. */
export function presentedToken(req: Request): string | undefined {
  return bearerToken(req) ?? sessionCookie(req);
}

/**
 * Who is asking: the one place a request's credentials are turned into a principal. A bearer token
 * is a service token (`wat_…`) or an API_TOKENS token; a cookie is a server-side session.
 */
export async function authenticate(deps: AppDeps, req: Request): Promise<Principal | undefined> {
  if (req.principal) return req.principal;
  const principal = await principalOf(deps, req);
  if (principal) req.principal = principal;
  return principal;
}

async function principalOf(deps: AppDeps, req: Request): Promise<Principal | undefined> {
  const bearer = bearerToken(req);
  if (bearer !== undefined) {
    if (deps.identity && isServiceToken(bearer)) return deps.identity.tokens.principal(bearer);
    return findPrincipal(deps.config.apiTokens, bearer);
  }
  const session = sessionCookie(req);
  if (!session || !deps.identity) return undefined;
  return deps.identity.sessionPrincipal(session);
}

/**
 * Whether a principal may call a route of `role`: admin always; the auditor reads (GET, answered
 * as JSON) every report and the audit, and never exports, erases or changes anything; `scraper`
 * only reads /metrics.
 */
export function mayCall(p: Principal, role: Role | readonly Role[], call: { change: boolean; export: boolean }): boolean {
  const roles: readonly Role[] = typeof role === 'string' ? [role] : role;
  if (roles.some((r) => hasRole(p, r))) return true;
  return p.roles.includes('auditor') && !roles.includes('scraper') && !call.change && !call.export;
}

/** The access audit's record of how a person signed in (nothing for an API_TOKENS token: its actor says it). */
export function signInOf(p: Principal | SystemActor): Record<string, unknown> {
  return 'method' in p && p.method !== 'token' ? { signed_in: p.method, mfa: p.mfa } : {};
}

/** 401 without a valid credential, 403 when the principal has none of `roles` (admin always passes). */
export function requireRole(deps: AppDeps, ...roles: Role[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    authenticate(deps, req).then((principal) => {
      if (!principal) return void res.status(401).json({ error: 'authentication required' });
      if (!roles.some((r) => hasRole(principal, r))) {
        return void res.status(403).json({ error: `roles ${auditRole(principal)} may not use this route` });
      }
      next();
    }, next);
  };
}

/** Roles that may see personal data (wa_id, names, message text) rather than pseudonymous ids. */
export function seesPersonalData(p: Principal | undefined): boolean {
  return p !== undefined && hasRole(p, 'privacy');
}
