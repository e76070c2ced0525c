import type { Express, Request, Response } from 'express';
import * as client from 'openid-client';
import type { AppDeps } from '../deps.ts';
import { continuePage, refusedPage } from '../login-page.ts';
import { userByLogin, type UserRow } from '../../warehouse/queries/identity.ts';
import { startSession } from './cookies.ts';
import { decide } from './oidc-claims.ts';
import { randomSecret } from './secrets.ts';
import { normalEmail, saveUser } from './users.ts';

/**
 * Single sign-on: OpenID Connect authorization code flow with PKCE (S256), state and nonce. Roles
 * and WABA scope come from the IdP's groups at every sign-in (the IdP is the source of truth for
 * SSO accounts); a disabled account stays refused. The flow's secrets wait server-side, found by a
 * short-lived cookie sent back on the IdP's redirect (SameSite=Lax: that redirect is cross-site).
 */

const FLOW_COOKIE = 'wa_oidc';
const FLOW_MS = 10 * 60_000;

interface Flow {
  verifier: string;
  state: string;
  nonce: string;
  until: number;
}

/** A plain-HTTP issuer is accepted only on this machine (a test or a local IdP). */
function loopback(url: URL): boolean {
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

function flowCookie(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === FLOW_COOKIE && v && /^[A-Za-z0-9_-]{43}$/.test(v)) return v;
  }
  return undefined;
}

export function oidcRoutes(app: Express, deps: AppDeps): void {
  const settings = deps.config.identity.oidc!;
  const mapping = deps.config.file.identity.oidc;
  const redirect = new URL(settings.redirectUrl);
  const flows = new Map<string, Flow>();
  const log = deps.log.child({ component: 'sso' });
  let discovered: Promise<client.Configuration> | undefined;
  // Discovered at first use and again after a failure: the IdP may be down when the service starts.
  const configuration = () => {
    const issuer = new URL(settings.issuer);
    discovered ??= client.discovery(issuer, settings.clientId, undefined, client.ClientSecretBasic(settings.clientSecret), loopback(issuer) ? { execute: [client.allowInsecureRequests] } : {});
    discovered.catch(() => (discovered = undefined));
    return discovered;
  };

  const refuse = async (res: Response, reason: string, code: string, actor = 'unknown') => {
    log.warn({ event: 'sso_refused', code, user_id: actor }, 'single sign-on refused');
    await deps.audit.record({ actor, role: 'none', action: 'identity.sign_in_refused', params: { signed_in: 'sso', reason: code } });
    res.status(403).type('html').send(refusedPage(reason));
  };

  app.get('/login/sso', async (req, res) => {
    const config = await configuration();
    const now = deps.now().getTime();
    for (const [k, f] of flows) if (f.until < now) flows.delete(k);
    const flow: Flow = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce(), until: now + FLOW_MS };
    const key = randomSecret(32);
    flows.set(key, flow);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: settings.redirectUrl,
      scope: [...new Set(['openid', ...mapping.scopes])].join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    res.cookie(FLOW_COOKIE, key, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: redirect.pathname, maxAge: FLOW_MS });
    res.redirect(303, url.href);
  });

  app.get(redirect.pathname, async (req, res) => {
    const key = flowCookie(req);
    const flow = key ? flows.get(key) : undefined;
    if (key) flows.delete(key);
    res.clearCookie(FLOW_COOKIE, { path: redirect.pathname });
    if (!flow || flow.until < deps.now().getTime()) return refuse(res, 'This sign-in took too long or was started elsewhere. Start again.', 'no_flow');
    const current = new URL(settings.redirectUrl);
    current.search = new URL(req.originalUrl, 'http://x').search;
    let claims: Record<string, unknown>;
    try {
      const config = await configuration();
      const tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
      claims = (tokens.claims() ?? {}) as Record<string, unknown>;
      // Many IdPs put groups and e-mail only in userinfo; `amr`/`acr` count only from the ID token.
      if (claims[mapping.groups_claim] === undefined || claims.email === undefined) {
        const { amr: _amr, acr: _acr, ...info } = (await client.fetchUserInfo(config, tokens.access_token, String(claims.sub))) as Record<string, unknown>;
        claims = { ...info, ...claims };
      }
    } catch (e) {
      log.warn({ err: { name: (e as Error).name, code: (e as { code?: unknown }).code } }, 'authorization code exchange failed');
      return refuse(res, 'The identity provider did not complete the sign-in.', 'exchange_failed');
    }
    const subject = `${String(claims.iss)}|${String(claims.sub)}`;
    const decision = decide(claims, mapping);
    const email = typeof claims.email === 'string' ? normalEmail(claims.email) : '';
    const [known] = await userByLogin(deps.warehouse, { oidc_subject: subject, email });
    if (!decision.ok) return refuse(res, decision.reason, decision.code, known?.user_id);
    if (known && known.status !== 'active') return refuse(res, 'Your wa-analytics account is disabled.', 'disabled', known.user_id);
    const user = await upsert(deps, known, { subject, email, name: typeof claims.name === 'string' ? claims.name : email, roles: decision.roles, wabas: decision.wabas });
    await startSession(deps, req, res, user.user_id, 'sso', decision.mfa);
    await deps.audit.record({ actor: user.user_id, role: user.roles.join('+'), action: 'identity.sign_in', params: { signed_in: 'sso', mfa: decision.mfa } });
    res.type('html').send(continuePage('/dashboards'));
  });
}

/** The person as the IdP describes them now: created at first sign-in, roles and scope refreshed after. */
async function upsert(deps: AppDeps, known: UserRow | undefined, p: { subject: string; email: string; name: string; roles: string[]; wabas: 'all' | readonly string[] }): Promise<UserRow> {
  const now = deps.now().getTime();
  const base: UserRow = known ?? {
    user_id: `u_${randomSecret(9)}`, email: p.email, display_name: p.name, roles: [], all_wabas: false, wabas: [], status: 'active',
    password_hash: '', totp_secret: '', totp_enrolled: false, recovery_codes: [], oidc_subject: p.subject, created_at: now, updated_at: now - 1,
  };
  const next: UserRow = { ...base, email: p.email || base.email, display_name: p.name || base.display_name, oidc_subject: p.subject, roles: p.roles, all_wabas: p.wabas === 'all', wabas: p.wabas === 'all' ? [] : [...p.wabas] };
  const changed = !known || JSON.stringify([known.roles, known.all_wabas, known.wabas, known.email, known.oidc_subject]) !== JSON.stringify([next.roles, next.all_wabas, next.wabas, next.email, next.oidc_subject]);
  if (!changed) return known;
  const saved = await saveUser(deps, next);
  await deps.audit.record({ actor: 'sso', role: 'system', action: known ? 'identity.user_sync' : 'identity.user_add', params: { user_id: saved.user_id, roles: saved.roles, wabas: p.wabas, source: 'sso' } });
  return saved;
}
