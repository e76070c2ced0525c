import type { Request, Response } from 'express';
import { SESSION_COOKIE } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import type { SessionMethod } from './sessions.ts';

/** The session cookie: HttpOnly, SameSite=Strict, Secure when the request came over TLS (or a trusted proxy says so). */
export async function startSession(deps: AppDeps, req: Request, res: Response, subject: string, method: SessionMethod, mfa: boolean): Promise<void> {
  const id = await deps.identity!.sessions.create(subject, method, mfa);
  res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: deps.config.identity.sessionMaxMs });
}

export function clearSession(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
}

/** The client's address as express sees it (X-Forwarded-For only behind a trusted proxy). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
