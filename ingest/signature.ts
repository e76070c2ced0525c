import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-Hub-Signature-256` value exactly as Meta computes it: HMAC-SHA256 of the raw body bytes. */
export function signBody(secret: string, body: Buffer | string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

const HEADER = /^sha256=([0-9a-f]{64})$/;

/**
 * True when `header` is a valid signature of `body` under any of `secrets` (several during rotation).
 * Compares in constant time; a header that is not exactly `sha256=<64 lowercase hex>` never matches.
 */
export function verifySignature(secrets: readonly string[], body: Buffer, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const m = HEADER.exec(header);
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'hex');
  let ok = false;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const expected = createHmac('sha256', secret).update(body).digest();
    // Every secret is checked, so the time taken does not tell which one matched.
    if (timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}
