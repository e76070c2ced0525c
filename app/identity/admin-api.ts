import type { Request, Router } from 'express';
import { z } from 'zod';
import { authenticate, requireRole, type Principal } from '../auth.ts';
import { ROLES } from '../config.ts';
import type { AppDeps } from '../deps.ts';
import { parseWith } from '../../reports/endpoint.ts';
import { issueServiceToken, revokeServiceToken, tokenView } from './admin.ts';
import { addUser, grant, listUsers, resetCredentials, revoke, setStatus, viewOf } from './users.ts';

/**
 * The admin API for people and service tokens (admin only). A new account's initial password and
 * a new token are in the answer once and nowhere else.
 */

const roles = z.array(z.enum(ROLES));
const wabaIds = z.array(z.string().regex(/^\d{1,20}$/));
const scope = z.union([z.literal('all'), wabaIds]);

const newUser = z.object({ email: z.string().max(320), display_name: z.string().max(200).default(''), roles: roles.min(1), wabas: scope.default('all'), sso: z.boolean().default(false) });
const change = z.object({ roles: roles.default([]), wabas: scope.optional() });
const newToken = z.object({ name: z.string(), roles: roles.min(1), wabas: scope.default('all'), expires_in_days: z.number().int().min(1).max(3650).default(90) });

const by = (req: Request): Principal => req.principal!;

export function identityRoutes(router: Router, deps: AppDeps): void {
  const admin = requireRole(deps, 'admin');
  // Who the caller is, as the service sees them (any credential).
  router.get('/api/me', async (req, res) => {
    const p = await authenticate(deps, req);
    if (!p) return void res.status(401).json({ error: 'authentication required' });
    res.json({ actor: p.actor, roles: p.roles, wabas: p.wabas, method: p.method, mfa: p.mfa, ...(p.userId ? { user_id: p.userId } : {}) });
  });
  router.get('/api/users', admin, async (_req, res) => {
    res.json((await listUsers(deps)).map(viewOf));
  });
  router.post('/api/users', admin, async (req, res) => {
    const b = parseWith(newUser, req.body ?? {});
    const out = await addUser(deps, by(req), { email: b.email, displayName: b.display_name, roles: b.roles, wabas: b.wabas, sso: b.sso });
    res.status(201).json({ user: viewOf(out.user), ...(out.password ? { initial_password: out.password } : {}) });
  });
  router.post('/api/users/:user/grant', admin, async (req, res) => {
    const b = parseWith(change, req.body ?? {});
    res.json(viewOf(await grant(deps, by(req), String(req.params.user), b.roles, b.wabas)));
  });
  router.post('/api/users/:user/revoke', admin, async (req, res) => {
    const b = parseWith(change, req.body ?? {});
    res.json(viewOf(await revoke(deps, by(req), String(req.params.user), b.roles, b.wabas)));
  });
  router.post('/api/users/:user/disable', admin, async (req, res) => {
    res.json(viewOf(await setStatus(deps, by(req), String(req.params.user), 'disabled')));
  });
  router.post('/api/users/:user/enable', admin, async (req, res) => {
    res.json(viewOf(await setStatus(deps, by(req), String(req.params.user), 'active')));
  });
  router.post('/api/users/:user/reset', admin, async (req, res) => {
    const out = await resetCredentials(deps, by(req), String(req.params.user));
    res.json({ user: viewOf(out.user), initial_password: out.password });
  });
  router.get('/api/service-tokens', admin, async (_req, res) => {
    res.json((await deps.identity!.tokens.list()).map((t) => tokenView(t, deps.now())));
  });
  router.post('/api/service-tokens', admin, async (req, res) => {
    const b = parseWith(newToken, req.body ?? {});
    const out = await issueServiceToken(deps, by(req), { name: b.name, roles: b.roles, wabas: b.wabas, expiresAt: new Date(deps.now().getTime() + b.expires_in_days * 86_400_000) });
    res.status(201).json({ ...tokenView(out.row, deps.now()), token: out.token });
  });
  router.post('/api/service-tokens/:token/revoke', admin, async (req, res) => {
    res.json(tokenView(await revokeServiceToken(deps, by(req), String(req.params.token)), deps.now()));
  });
}
