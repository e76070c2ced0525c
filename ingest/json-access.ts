/**
 * Defensive readers for untrusted JSON: every webhook field may be missing, null or of another type
 * than documented, and none of that may throw.
 */

export type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/**
 * Strings as they are; numbers and booleans as their text (Meta sends some ids as numbers). A lone
 * surrogate (from an escaped "\ud834" in a body) becomes U+FFFD: the warehouse cannot parse it back.
 */
export function str(v: unknown): string {
  if (typeof v === 'string') return v.isWellFormed() ? v : v.toWellFormed();
  if (typeof v === 'number' && Number.isFinite(v)) return Number.isInteger(v) ? BigInt(v).toString() : String(v);
  if (typeof v === 'boolean') return String(v);
  return '';
}

export function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return null;
}

/** Unix seconds (string or number) to epoch milliseconds; null when absent or out of range. */
export function unixMs(v: unknown): number | null {
  const n = num(v);
  if (n === null || n < 0 || n > 32503680000) return null;
  return Math.round(n * 1000);
}

const LONE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const wellFormed = (_k: string, x: unknown) => (typeof x === 'string' && !x.isWellFormed() ? x.toWellFormed() : x);

/** JSON text of a value, with lone surrogates replaced (JSON.stringify would escape them as-is). */
export function json(v: unknown): string {
  if (v === undefined) return '';
  const text = JSON.stringify(v);
  return LONE_SURROGATE_ESCAPE.test(text) ? JSON.stringify(v, wellFormed) : text;
}
