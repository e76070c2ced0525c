import type { Request, Response } from 'express';
import { findPrincipal } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import { enrolmentPage, loginPage } from '../login-page.ts';
import { userByLogin, type UserRow } from '../../warehouse/queries/identity.ts';
import { clientAddress, startSession } from './cookies.ts';
import { TOKEN_SUBJECT } from './index.ts';
import { randomSecret, sha256, verifyPassword } from './secrets.ts';
import { looksLikeRecoveryCode, newRecoveryCodes, newTotpSecret, otpauthUri, qrDataUrl, recoveryDigest, totpStep, UsedSteps } from './totp.ts';
import { findUser, normalEmail, saveUser } from './users.ts';

/**
 * POST /login, one form for every step: an API token (existing setups); e-mail + password + code
 * (TOTP or a recovery code); or, at a first sign-in, the enrolment ticket + the first TOTP code.
 * Failures are throttled per account and per address (429 + Retry-After), logged without secrets
 * and audited; a lockout is an audit event of its own.
 */

/** Enrolments shown and not yet confirmed: ticket → secret and recovery codes (10 minutes). */
interface Pending {
  userId: string;
  secret: string;
  digests: string[];
  codes: string[];
  until: number;
}
const ENROL_MS = 10 * 60_000;

type Form = Record<string, unknown>;
const field = (b: Form, k: string) => (typeof b[k] === 'string' ? (b[k] as string) : '');

export function createLocalLogin(deps: AppDeps, sso: boolean) {
  const id = deps.identity!;
  const pending = new Map<string, Pending>();
  const usedSteps = new UsedSteps();
  const now = () => deps.now().getTime();
  const log = deps.log.child({ component: 'sign-in' });

  const signedIn = async (req: Request, res: Response, user: UserRow, extra: Record<string, unknown>) => {
    id.throttle.account.reset(user.user_id);
    await startSession(deps, req, res, user.user_id, 'local', true);
    await deps.audit.record({ actor: user.user_id, role: user.roles.join('+'), action: 'identity.sign_in', params: { signed_in: 'local', mfa: true, ...extra } });
    res.redirect(303, '/dashboards');
  };

  /** A failure: counted against the account (if one was named) and the address, logged and audited. */
  const failed = async (req: Request, res: Response, reason: string, account: string | undefined, status = 401) => {
    const t = now();
    const address = clientAddress(req);
    const lockedAccount = account ? id.throttle.account.fail(account, t) : false;
    const lockedAddress = id.throttle.address.fail(address, t);
    // The address appears in the log as a digest: enough to correlate, not a record of where staff are.
    log.warn({ event: 'sign_in_failed', reason, user_id: account ?? 'unknown', address: sha256(address).slice(0, 16) }, 'sign-in failed');
    await deps.audit.record({ actor: account ?? 'unknown', role: 'none', action: 'identity.sign_in_failed', params: { reason } });
    if (lockedAccount || lockedAddress) {
      await deps.audit.record({ actor: account ?? 'unknown', role: 'none', action: 'identity.lockout', params: { by: lockedAccount ? 'account' : 'address' } });
    }
    res.status(status).type('html').send(loginPage('Those sign-in details are not valid.', { sso }));
  };

  const tooMany = (req: Request, res: Response, account: string | undefined): boolean => {
    const t = now();
    const wait = Math.max(id.throttle.address.retryAfter(clientAddress(req), t), account ? id.throttle.account.retryAfter(account, t) : 0);
    if (wait === 0) return false;
    res.setHeader('Retry-After', String(wait));
    res.status(429).type('html').send(loginPage(`Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`, { sso }));
    return true;
  };

  const withToken = async (req: Request, res: Response, token: string) => {
    if (tooMany(req, res, undefined)) return;
    const p = findPrincipal(deps.config.apiTokens, token);
    if (!p) return failed(req, res, 'bad token', undefined);
    await startSession(deps, req, res, TOKEN_SUBJECT + p.actor, 'token', false);
    await deps.audit.record({ actor: p.actor, role: p.roles.join('+'), action: 'identity.sign_in', params: { signed_in: 'token', mfa: false } });
    res.redirect(303, '/dashboards');
  };

  const enrol = async (req: Request, res: Response, ticket: string, code: string) => {
    const p = pending.get(ticket);
    if (!p || p.until < now()) {
      pending.delete(ticket);
      return void res.status(401).type('html').send(loginPage('That enrolment has expired: sign in again.', { sso }));
    }
    if (tooMany(req, res, p.userId)) return;
    const step = totpStep(p.secret, code.trim(), deps.now());
    if (step === null) {
      await failed(req, res, 'wrong enrolment code', p.userId, 401);
      return;
    }
    usedSteps.take(p.userId, step);
    pending.delete(ticket);
    const user = await findUser(deps, p.userId);
    if (!user || user.status !== 'active') return failed(req, res, 'account not active', p.userId);
    const saved = await saveUser(deps, { ...user, totp_secret: p.secret, totp_enrolled: true, recovery_codes: p.digests });
    await deps.audit.record({ actor: user.user_id, role: user.roles.join('+'), action: 'identity.totp_enrolled', params: { recovery_codes: p.digests.length } });
    await signedIn(req, res, saved, { enrolled: true });
  };

  const withPassword = async (req: Request, res: Response, email: string, password: string, code: string) => {
    const [user] = await userByLogin(deps.warehouse, { email: normalEmail(email) });
    const account = user?.user_id;
    if (tooMany(req, res, account)) return;
    // The same answer for an unknown account, a wrong password and a disabled account.
    if (!user || !user.password_hash || !(await verifyPassword(password, user.password_hash))) return failed(req, res, 'bad password', account);
    if (user.status !== 'active') return failed(req, res, 'account disabled', account);
    if (!user.totp_enrolled) {
      const secret = newTotpSecret();
      const { codes, digests } = newRecoveryCodes();
      const ticket = randomSecret(32);
      for (const [k, v] of pending) if (v.until < now()) pending.delete(k);
      pending.set(ticket, { userId: user.user_id, secret, digests, codes, until: now() + ENROL_MS });
      const qr = await qrDataUrl(otpauthUri(secret, user.email));
      res.status(200).type('html').send(enrolmentPage({ ticket, qr, secret, recoveryCodes: codes }));
      return;
    }
    const c = code.trim();
    const step = totpStep(user.totp_secret, c, deps.now());
    if (step !== null) {
      if (usedSteps.take(user.user_id, step)) return signedIn(req, res, user, {});
      return failed(req, res, 'code already used', account);
    }
    if (looksLikeRecoveryCode(c)) {
      const d = recoveryDigest(c);
      if (user.recovery_codes.includes(d)) {
        const saved = await saveUser(deps, { ...user, recovery_codes: user.recovery_codes.filter((x) => x !== d) });
        return signedIn(req, res, saved, { recovery_code: true, recovery_codes_left: saved.recovery_codes.length });
      }
    }
    return failed(req, res, c === '' ? 'no second factor' : 'wrong code', account);
  };

  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as Form;
    const token = field(body, 'token');
    const ticket = field(body, 'ticket');
    const email = field(body, 'email');
    if (ticket) return enrol(req, res, ticket, field(body, 'code'));
    if (email) return withPassword(req, res, email, field(body, 'password'), field(body, 'code'));
    if (token) return withToken(req, res, token);
    res.status(401).type('html').send(loginPage('Enter your e-mail, password and code.', { sso }));
  };
}
