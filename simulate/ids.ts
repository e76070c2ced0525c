// Identifiers shaped like Meta's: wamids embed the user's number, media and template ids are long
// digit strings, conversation ids are 32 hex. A counter inside each keeps them unique.
import type { Rng } from './prng.ts';

export class IdFactory {
  private n = 0;

  constructor(private readonly r: Rng) {}

  private counterHex(): string {
    this.n++;
    return this.n.toString(16).toUpperCase().padStart(8, '0');
  }

  /** `wamid.` + base64 of Meta's framing around the user's number and a hex message key. */
  wamid(waId: string, inbound: boolean): string {
    const key = inbound ? this.r.hex(24).toUpperCase() + this.counterHex() : this.r.hex(12).toUpperCase() + this.counterHex();
    const bytes = [
      0x1c, 0x18, waId.length, ...Buffer.from(waId, 'ascii'),
      0x15, 0x02, 0x00, 0x12, 0x18, key.length, ...Buffer.from(key, 'ascii'), 0x00,
    ];
    return 'wamid.' + Buffer.from(bytes).toString('base64');
  }

  conversationId(): string {
    return this.r.hex(24) + this.counterHex().toLowerCase();
  }

  mediaId(): string {
    return String(this.r.range(1, 9)) + this.r.digits(9) + String(this.n++).padStart(6, '0');
  }

  sha256b64(): string {
    return Buffer.from(Array.from({ length: 32 }, () => this.r.int(256))).toString('base64');
  }

  ctwaClid(): string {
    return 'Af' + this.r.b64url(70) + this.counterHex();
  }
}
