import { z } from 'zod';

/**
 * A principal's WABA scope as query parameters, and the condition every report query puts in its
 * WHERE: rows of WABAs outside the scope are never read, so no total, list or forecast can hold them.
 * There is no default: a query that forgets the scope fails its parameter check instead of reading all.
 */

/** The WABAs a caller may see: all of them, or only those listed (WABA ids). */
export type WabaScopeInput = 'all' | readonly string[];

export const scopeParams = z.object({ scope_all: z.boolean(), scope_wabas: z.array(z.string()) });
export type ScopeParams = z.infer<typeof scopeParams>;

/** The scope as the parameters `inScope` reads. */
export function scopeOf(wabas: WabaScopeInput): ScopeParams {
  return wabas === 'all' ? { scope_all: true, scope_wabas: [] } : { scope_all: false, scope_wabas: [...wabas] };
}

/** Jobs and the service's own derivations: every WABA. */
export const ALL_WABAS: ScopeParams = scopeOf('all');

/** SQL: whether the row's WABA (`column`) is in the caller's scope. */
export function inScope(column = 'waba_id'): string {
  return `({scope_all:Bool} OR has({scope_wabas:Array(String)}, ${column}))`;
}

/** Whether a WABA id is in a scope (for refusing a filter before any query runs). */
export function wabaInScope(wabas: WabaScopeInput, waba: string): boolean {
  return wabas === 'all' || wabas.includes(waba);
}
