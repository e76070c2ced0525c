import { randomSecret, hashPassword, initialPassword } from './secrets.ts';
import { ROLES, type Role } from '../config.ts';
import { auditWho, type Principal, type SystemActor, type WabaScope } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http-error.ts';
import { allUsers, insertUser, userById, userByLogin, type UserRow } from '../../warehouse/queries/identity.ts';

/**
 * Person accounts: roles, WABA scope, status, credentials. Every change is a new version of the
 * record and an entry in the access audit; revoking a role or scope, or disabling, ends the
 * person's sessions at once.
 */

export type Who = Principal | SystemActor;

export interface UserView {
  user_id: string;
  email: string;
  display_name: string;
  roles: string;
  wabas: string;
  status: string;
  sign_in: string;
  created_at: string;
}

export function normalEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function scopeOf(u: Pick<UserRow, 'all_wabas' | 'wabas'>): WabaScope {
  return u.all_wabas ? 'all' : u.wabas;
}

export function rolesOf(u: Pick<UserRow, 'roles'>): Role[] {
  return u.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
}

export function viewOf(u: UserRow): UserView {
  return {
    user_id: u.user_id,
    email: u.email,
    display_name: u.display_name,
    roles: u.roles.join(','),
    wabas: u.all_wabas ? 'all' : u.wabas.join(','),
    status: u.status,
    sign_in: u.oidc_subject ? 'sso' : u.totp_enrolled ? 'local' : 'local (TOTP not enrolled yet)',
    created_at: new Date(u.created_at).toISOString(),
  };
}

export async function findUser(deps: AppDeps, idOrEmail: string): Promise<UserRow | undefined> {
  const [byId] = await userById(deps.warehouse, { user_id: idOrEmail });
  if (byId) return byId;
  const [byEmail] = await userByLogin(deps.warehouse, { email: normalEmail(idOrEmail) });
  return byEmail;
}

async function mustFind(deps: AppDeps, idOrEmail: string): Promise<UserRow> {
  const u = await findUser(deps, idOrEmail);
  if (!u) throw new HttpError(404, `no user ${idOrEmail.slice(0, 100)}`);
  return u;
}

export function listUsers(deps: AppDeps): Promise<UserRow[]> {
  return allUsers(deps.warehouse, {});
}

/** Writes the next version of a user (never two versions in the same millisecond). */
export async function saveUser(deps: AppDeps, u: UserRow): Promise<UserRow> {
  const next = { ...u, updated_at: Math.max(deps.now().getTime(), u.updated_at + 1) };
  await insertUser(deps.warehouse, [next]);
  deps.identity?.forgetUser(u.user_id);
  return next;
}

async function audit(deps: AppDeps, by: Who, action: string, params: Record<string, unknown>): Promise<void> {
  await deps.audit.record({ ...auditWho(by), action, params });
}

export interface NewUser {
  email: string;
  displayName: string;
  roles: Role[];
  wabas: WabaScope;
  /** Signs in through the IdP only (no password). */
  sso?: boolean;
}

/** Creates a person; a local account gets a one-time initial password and must enrol TOTP at first sign-in. */
export async function addUser(deps: AppDeps, by: Who, n: NewUser): Promise<{ user: UserRow; password?: string }> {
  const email = normalEmail(n.email);
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new HttpError(400, 'email is not an e-mail address', { body: { parameter: 'email' } });
  if (await findUser(deps, email)) throw new HttpError(409, `a user with e-mail ${email} exists`);
  const password = n.sso ? undefined : initialPassword();
  const now = deps.now().getTime();
  const user: UserRow = {
    user_id: `u_${randomSecret(9)}`,
    email,
    display_name: n.displayName.trim() || email,
    roles: [...new Set(n.roles)],
    all_wabas: n.wabas === 'all',
    wabas: n.wabas === 'all' ? [] : [...new Set(n.wabas)],
    status: 'active',
    password_hash: password ? await hashPassword(password) : '',
    totp_secret: '',
    totp_enrolled: false,
    recovery_codes: [],
    oidc_subject: '',
    created_at: now,
    updated_at: now - 1,
  };
  const saved = await saveUser(deps, user);
  await audit(deps, by, 'identity.user_add', { user_id: saved.user_id, roles: saved.roles, wabas: n.wabas });
  return { user: saved, ...(password ? { password } : {}) };
}

/** Adds roles and WABAs to a person (`wabas: 'all'` lifts the scope). */
export async function grant(deps: AppDeps, by: Who, idOrEmail: string, roles: Role[], wabas: WabaScope | undefined): Promise<UserRow> {
  const u = await mustFind(deps, idOrEmail);
  const next = {
    ...u,
    roles: [...new Set([...u.roles, ...roles])],
    ...(wabas === 'all' ? { all_wabas: true, wabas: [] } : wabas ? { wabas: u.all_wabas ? [] : [...new Set([...u.wabas, ...wabas])] } : {}),
  };
  const saved = await saveUser(deps, next);
  await audit(deps, by, 'identity.user_grant', { user_id: u.user_id, roles, ...(wabas ? { wabas } : {}) });
  return saved;
}

/** Takes roles or WABAs away and ends the person's sessions. */
export async function revoke(deps: AppDeps, by: Who, idOrEmail: string, roles: Role[], wabas: WabaScope | undefined): Promise<UserRow> {
  const u = await mustFind(deps, idOrEmail);
  // Taking some WABAs from an all-WABA scope would need the list to keep: ask for it rather than guess.
  if (wabas && wabas !== 'all' && u.all_wabas) throw new HttpError(409, `${u.email} sees every WABA: revoke the all-WABA scope (wabas: all), then grant the WABAs to keep`);
  const next = { ...u, roles: u.roles.filter((r) => !roles.includes(r as Role)), ...(wabas === 'all' ? { all_wabas: false, wabas: [] } : wabas ? { wabas: u.wabas.filter((w) => !wabas.includes(w)) } : {}) };
  const saved = await saveUser(deps, next);
  const ended = await endSessions(deps, u.user_id);
  await audit(deps, by, 'identity.user_revoke', { user_id: u.user_id, roles, ...(wabas ? { wabas } : {}), sessions_ended: ended });
  return saved;
}

export async function setStatus(deps: AppDeps, by: Who, idOrEmail: string, status: 'active' | 'disabled'): Promise<UserRow> {
  const u = await mustFind(deps, idOrEmail);
  const saved = await saveUser(deps, { ...u, status });
  const ended = status === 'disabled' ? await endSessions(deps, u.user_id) : 0;
  await audit(deps, by, status === 'disabled' ? 'identity.user_disable' : 'identity.user_enable', { user_id: u.user_id, sessions_ended: ended });
  return saved;
}

/** A new one-time password; the person must enrol TOTP again (a lost phone). */
export async function resetCredentials(deps: AppDeps, by: Who, idOrEmail: string): Promise<{ user: UserRow; password: string }> {
  const u = await mustFind(deps, idOrEmail);
  const password = initialPassword();
  const saved = await saveUser(deps, { ...u, password_hash: await hashPassword(password), totp_secret: '', totp_enrolled: false, recovery_codes: [] });
  const ended = await endSessions(deps, u.user_id);
  await audit(deps, by, 'identity.user_reset', { user_id: u.user_id, sessions_ended: ended });
  return { user: saved, password };
}

async function endSessions(deps: AppDeps, userId: string): Promise<number> {
  if (!deps.identity) return 0;
  return deps.identity.sessions.endAllOf(userId);
}
