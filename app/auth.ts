import { timingSafeEqual, createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ApiToken, Role } from './config.ts';

export const SESSION_COOKIE = 'wa_session';

export interface Principal {
  actor: string;
  role: Role;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Finds the token's holder; compares digests in constant time and checks every token. */
export function findPrincipal(tokens: readonly ApiToken[], presented: string | undefined): Principal | undefined {
  if (!presented) return undefined;
  const d = digest(presented);
  let found: Principal | undefined;
  for (const t of tokens) if (timingSafeEqual(d, digest(t.token))) found = { actor: t.actor, role: t.role };
  return found;
}

export function presentedToken(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  const cookie = req.headers.cookie;
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** 401 without a valid token, 403 when the token's role is not among `roles` (admin always passes). */
export function requireRole(tokens: readonly ApiToken[], ...roles: Role[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const principal = findPrincipal(tokens, presentedToken(req));
    if (!principal) {
      res.status(401).json({ error: 'authentication required' });
      return;
    }
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      res.status(403).json({ error: `role ${principal.role} may not use this route` });
      return;
    }
    req.principal = principal;
    next();
  };
}

/** Roles that may see personal data (wa_id, names, message text) rather than pseudonymous ids. */
export function seesPersonalData(p: Principal | undefined): boolean {
  return p?.role === 'admin' || p?.role === 'privacy';
}
