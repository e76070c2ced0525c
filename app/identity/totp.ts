import { Secret, TOTP } from 'otpauth';
import { toDataURL } from 'qrcode';
import { randomBytes } from 'node:crypto';
import { sha256 } from './secrets.ts';

/** Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) and single-use recovery codes. */

const ISSUER = 'wa-analytics';

function totp(secret: string, label: string): TOTP {
  return new TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/**
 * The 30 s time step a matching code belongs to, or null when it matches none: the code of the
 * current period or the one next to it is accepted (clock drift of a phone).
 */
export function totpStep(secret: string, code: string, at: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secret, 'x').validate({ token: code, timestamp: at.getTime(), window: 1 });
  return delta === null ? null : Math.floor(at.getTime() / 30_000) + delta;
}

/**
 * RFC 6238 §5.2: a code accepted once is not accepted again. The last accepted time step per
 * account; a code of that step or an earlier one is refused (a code seen over a shoulder or in a
 * proxy's log cannot be replayed within its window). Kept per process: sign-ins of one account
 * reach the instance that holds its throttle.
 */
export class UsedSteps {
  private readonly last = new Map<string, number>();
  /** Whether the step is new for the account; records it if so. */
  take(account: string, step: number): boolean {
    if (step <= (this.last.get(account) ?? -1)) return false;
    this.last.set(account, step);
    return true;
  }
}

/** The code an authenticator app shows at `at` (tests, and nothing else, need it). */
export function totpCode(secret: string, at: Date): string {
  return totp(secret, 'x').generate({ timestamp: at.getTime() });
}

export function otpauthUri(secret: string, email: string): string {
  return totp(secret, email).toString();
}

export function qrDataUrl(uri: string): Promise<string> {
  return toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1, width: 220 });
}

/** Ten codes of 80 random bits, written `xxxx-xxxx-xxxx-xxxx`; stored as digests. */
export function newRecoveryCodes(): { codes: string[]; digests: string[] } {
  const codes = Array.from({ length: 10 }, () => randomBytes(10).toString('hex').slice(0, 16).replace(/(.{4})(?=.)/g, '$1-'));
  return { codes, digests: codes.map(recoveryDigest) };
}

export function recoveryDigest(code: string): string {
  return sha256(code.trim().toLowerCase().replace(/[^0-9a-f]/g, ''));
}

export function looksLikeRecoveryCode(code: string): boolean {
  return /^[0-9a-f]{4}(-?[0-9a-f]{4}){3}$/i.test(code.trim());
}
