import type { OidcMapping, Role } from '../config.ts';
import type { WabaScope } from '../auth.ts';

/**
 * What an ID token's claims grant (pure): roles and WABA scope from the mapped groups, and whether
 * the IdP asserted a second factor. A refusal carries the reason shown to the person.
 */
export type ClaimsDecision =
  | { ok: true; roles: Role[]; wabas: WabaScope; mfa: boolean }
  | { ok: false; reason: string; code: 'no_mfa' | 'no_role' };

function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  return [];
}

export function mfaAsserted(claims: Record<string, unknown>, m: Pick<OidcMapping, 'mfa_amr' | 'mfa_acr'>): boolean {
  const amr = list(claims.amr);
  const acr = typeof claims.acr === 'string' ? claims.acr : '';
  return amr.some((a) => m.mfa_amr.includes(a)) || (acr !== '' && m.mfa_acr.includes(acr));
}

export function decide(claims: Record<string, unknown>, m: OidcMapping): ClaimsDecision {
  const mfa = mfaAsserted(claims, m);
  if (m.require_mfa && !mfa) {
    return { ok: false, code: 'no_mfa', reason: 'Your identity provider did not confirm a second factor (MFA) for this sign-in. Sign in again with your second factor, or ask your administrator to require it for this application.' };
  }
  const groups = list(claims[m.groups_claim]).filter((g) => m.groups[g] !== undefined);
  const roles = [...new Set(groups.flatMap((g) => m.groups[g]!.roles))];
  if (roles.length === 0) {
    return { ok: false, code: 'no_role', reason: 'Your account has no role in wa-analytics: none of your groups is mapped to one. Ask your administrator for access.' };
  }
  const scopes = groups.map((g) => m.groups[g]!.wabas);
  const wabas: WabaScope = scopes.includes('all') ? 'all' : [...new Set(scopes.flatMap((s) => (s === 'all' ? [] : s)))];
  return { ok: true, roles, wabas, mfa };
}
