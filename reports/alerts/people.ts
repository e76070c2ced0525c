import type { AppDeps } from '../../app/deps.ts';
import { listUsers, rolesOf, scopeOf } from '../../app/identity/users.ts';
import type { AlertRule, Recipient } from './config.ts';

/**
 * Recipients from person accounts: a rule's `people` names roles (and optionally WABAs); at send
 * time they resolve to the active users holding one of those roles, each by e-mail and with the
 * WABAs their own scope covers (narrowed to the rule's `people.wabas`). A disabled user, or one
 * whose scope covers none of the alert's WABAs, gets nothing. The recipient id is the user id, so
 * the e-mail address never enters the firing history or the audit.
 */
export async function peopleOf(deps: AppDeps, rule: AlertRule): Promise<Recipient[]> {
  const want = rule.people;
  if (!want) return [];
  const out: Recipient[] = [];
  for (const u of await listUsers(deps)) {
    if (u.status !== 'active' || !u.email) continue;
    const role = rolesOf(u).find((r) => want.roles.includes(r));
    if (!role) continue;
    const scope = scopeOf(u);
    const wabas = want.wabas ? (scope === 'all' ? want.wabas : scope.filter((w) => want.wabas!.includes(w))) : scope === 'all' ? scope : [...scope];
    if (wabas !== 'all' && wabas.length === 0) continue;
    out.push({ id: u.user_id, role, wabas, zone: 'UTC', email: u.email });
  }
  return out;
}
