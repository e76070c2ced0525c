import type { Request, Response } from 'express';
import { auditRole, authenticate, seesPersonalData, type Principal } from '../app/auth.ts';
import type { AppDeps } from '../app/deps.ts';
import { mayView, type Dashboard, type Viewer } from './source.ts';
import { messagePage } from './pages/html.ts';

/** A browser navigating (rather than a script asking for JSON or a picture). */
export function wantsHtml(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html');
}

/**
 * Who is asking, or an answer already sent: a browser without a session goes to the login page,
 * anything else without a valid token gets 401.
 */
export async function signedIn(req: Request, res: Response, deps: AppDeps): Promise<Principal | undefined> {
  const principal = await authenticate(deps, req);
  if (principal) return principal;
  if (wantsHtml(req)) res.redirect(303, '/login');
  else res.status(401).json({ error: 'authentication required' });
  return undefined;
}

/** 403 unless the principal's role may open this dashboard (admin may open all). */
export function allowed(req: Request, res: Response, principal: Principal, d: Dashboard<unknown>): boolean {
  if (mayView(d, principal)) return true;
  const message = `The ${auditRole(principal)} role may not open the ${d.id} dashboard.`;
  if (wantsHtml(req)) res.status(403).type('html').send(messagePage(principal, 'Not allowed', message));
  else res.status(403).json({ error: message });
  return false;
}

export function viewerOf(p: Principal): Viewer {
  return { actor: p.actor, role: auditRole(p), personal: seesPersonalData(p), wabas: p.wabas };
}
