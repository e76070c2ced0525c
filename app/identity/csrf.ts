import type { NextFunction, Request, Response } from 'express';
import { sessionCookie } from '../auth.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
}

/**
 * CSRF protection by a strict Origin check: a state-changing request that carries the session
 * cookie must say it comes from this origin (Origin, or Referer when a browser sends no Origin).
 * Bearer-token calls carry no ambient credential and pass; a sign-in form posted from another
 * site is refused too (login CSRF).
 */
export function sameOriginOnly(req: Request, res: Response, next: NextFunction): void {
  if (SAFE.has(req.method) || req.headers.authorization) return next();
  const origin = req.headers.origin ?? originOf(req.headers.referer);
  const self = `${req.protocol}://${req.headers.host ?? ''}`;
  if (origin === undefined ? sessionCookie(req) === undefined : origin === self) return next();
  res.status(403).json({ error: 'cross-site request refused: a state-changing request with a session must come from this site' });
}
