import { auditWho } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError } from '../http-error.ts';
import type { ServiceTokenRow } from '../../warehouse/queries/identity.ts';
import type { NewServiceToken } from './service-tokens.ts';
import type { Who } from './users.ts';

/** Service-token changes shared by the CLI and the admin API, each in the access audit. */

export async function issueServiceToken(deps: AppDeps, by: Who, t: Omit<NewServiceToken, 'createdBy'>): Promise<{ token: string; row: ServiceTokenRow }> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(t.name)) throw new HttpError(400, 'name: letters, digits, _ . - (up to 64)', { body: { parameter: 'name' } });
  if (t.roles.length === 0) throw new HttpError(400, 'roles: at least one role', { body: { parameter: 'roles' } });
  if (!(t.expiresAt.getTime() > deps.now().getTime())) throw new HttpError(400, 'expires: must be in the future', { body: { parameter: 'expires' } });
  const out = await deps.identity!.tokens.create({ ...t, createdBy: by.actor });
  await deps.audit.record({ ...auditWho(by), action: 'identity.token_issue', params: { token_id: out.row.token_id, name: t.name, roles: t.roles, wabas: t.wabas, expires_at: t.expiresAt.toISOString() } });
  return out;
}

export async function revokeServiceToken(deps: AppDeps, by: Who, idOrName: string): Promise<ServiceTokenRow> {
  const r = await deps.identity!.tokens.revoke(idOrName);
  if (!r) throw new HttpError(404, `no live service token ${idOrName.slice(0, 100)}`);
  await deps.audit.record({ ...auditWho(by), action: 'identity.token_revoke', params: { token_id: r.token_id, name: r.name } });
  return r;
}

export function tokenView(r: ServiceTokenRow, now: Date) {
  return {
    token_id: r.token_id, name: r.name, roles: r.roles.join(','), wabas: r.all_wabas ? 'all' : r.wabas.join(','),
    expires_at: new Date(r.expires_at).toISOString(), status: r.revoked ? 'revoked' : r.expires_at <= now.getTime() ? 'expired' : 'active',
    created_by: r.created_by, created_at: new Date(r.created_at).toISOString(),
  };
}
