import type { Request, Router } from 'express';
import { z } from 'zod';
import { authenticate, requireRole, type Principal } from '../auth.ts';
import { ROLES } from '../config.ts';
import type { AppDeps } from '../deps.ts';
import { parseWith } from '../../reports/endpoint.ts';
import { documentRoutes, type ApiRouteDoc } from '../openapi.ts';
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

const JSON_ = 'application/json';
const ADMIN = { roles: ['admin' as const] };
const userChange = (what: string, summary: string): ApiRouteDoc =>
  ({ method: 'post', path: `/api/users/:user/${what}`, summary, access: ADMIN, wabas: 'all', answers: [JSON_] });

/** The admin API as the OpenAPI document describes it. */
const DOCS: readonly ApiRouteDoc[] = [
  { method: 'get', path: '/api/me', summary: 'who the credential is: actor, roles, WABA scope, sign-in method, MFA', access: 'signed-in', answers: [JSON_] },
  { method: 'get', path: '/api/users', summary: 'people with their roles, WABA scopes and status', access: ADMIN, wabas: 'all', answers: [JSON_] },
  { method: 'post', path: '/api/users', summary: 'add a person (a local account answers its one-time password once)', access: ADMIN, wabas: 'all', answers: [JSON_], status: 201, body: { contentType: JSON_, schema: newUser } },
  { ...userChange('grant', 'add roles and/or set the WABA scope'), body: { contentType: JSON_, schema: change } },
  { ...userChange('revoke', "remove roles (ends the person's sessions)"), body: { contentType: JSON_, schema: change } },
  userChange('disable', "disable the person (ends their sessions)"),
  userChange('enable', 'enable the person again'),
  userChange('reset', 'new one-time password; TOTP enrolled again (ends their sessions)'),
  { method: 'get', path: '/api/service-tokens', summary: 'service tokens (never the token itself)', access: ADMIN, wabas: 'all', answers: [JSON_] },
  { method: 'post', path: '/api/service-tokens', summary: 'issue a service token (in the answer once, stored hashed)', access: ADMIN, wabas: 'all', answers: [JSON_], status: 201, body: { contentType: JSON_, schema: newToken } },
  { method: 'post', path: '/api/service-tokens/:token/revoke', summary: 'revoke a service token', access: ADMIN, wabas: 'all', answers: [JSON_] },
];

export function identityRoutes(router: Router, deps: AppDeps): void {
  documentRoutes(router, DOCS);
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
