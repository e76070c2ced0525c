import { HttpError } from '../app/http-error.ts';
import { wabaInScope, type WabaScopeInput } from '../warehouse/scope.ts';

/**
 * Refusals for WABAs outside a caller's scope. The rows are kept out by the queries themselves
 * (warehouse/scope.ts); these answer a filter that names such a WABA with 403 rather than an empty
 * report, so the caller learns the limit, and the refusal is in the access audit.
 */

export class ScopeError extends HttpError {
  constructor(message: string) {
    super(403, message, { body: { parameter: 'waba_id' } });
  }
}

/** Throws a 403 for the first WABA id outside the scope. */
export function requireInScope(scope: WabaScopeInput, wabaIds: readonly string[]): void {
  const outside = wabaIds.find((w) => !wabaInScope(scope, w));
  if (outside !== undefined) throw new ScopeError(`waba_id ${outside.slice(0, 40)} is outside the WABAs you may see`);
}

/** Throws a 403 unless the scope covers every WABA (operations on a person or on the whole store). */
export function requireAllWabas(scope: WabaScopeInput, what: string): void {
  if (scope !== 'all') throw new ScopeError(`${what} needs access to every WABA; yours is limited to ${scope.length} WABA(s)`);
}

/** WABA ids named by a `waba_id` value (one id or a comma list). */
export function wabaIdsOf(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** A CLI's `--waba-scope a,b`: the run reads only those WABAs; absent, every WABA (the operator's own run). */
export function cliScope(option: unknown): WabaScopeInput {
  if (typeof option !== 'string') return 'all';
  return wabaIdsOf(option);
}

/** The scope as written in the access audit: only when limited. */
export function scopeAudit(scope: WabaScopeInput): Record<string, unknown> {
  return scope === 'all' ? {} : { waba_scope: [...scope] };
}
