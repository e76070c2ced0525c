import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generate, generateSync, type SimOptions } from '../../simulate/engine.ts';
import { verifySignature } from '../../ingest/signature.ts';

const OPTS: SimOptions = { seed: 42, start: '2025-03-28', days: 4, scale: 15, secret: 'sim-secret' };

function digest(opts: SimOptions): { stream: string; truth: string; n: number } {
  const s = createHash('sha256');
  const t = createHash('sha256');
  let n = 0;
  for (const p of generateSync({ ...opts, onTruth: (r) => t.update(JSON.stringify(r) + '\n') })) {
    s.update(`${p.at.toISOString()} ${p.signature ?? ''} ${p.body}\n`);
    n++;
  }
  return { stream: s.digest('hex'), truth: t.digest('hex'), n };
}

describe('determinism and signatures', () => {
  it('the same seed gives a byte-identical stream and truth', () => {
    const a = digest(OPTS);
    const b = digest(OPTS);
    expect(a.n).toBeGreaterThan(500);
    expect(b).toEqual(a);
  });

  it('another seed gives another stream', () => {
    expect(digest({ ...OPTS, seed: 43 }).stream).not.toBe(digest(OPTS).stream);
  });

  it('the async stream equals the sync one', async () => {
    const s = createHash('sha256');
    for await (const p of generate(OPTS)) s.update(`${p.at.toISOString()} ${p.signature ?? ''} ${p.body}\n`);
    expect(s.digest('hex')).toBe(digest(OPTS).stream);
  });

  it('every body is signed as Meta signs it (HMAC-SHA256 of the exact bytes)', () => {
    let n = 0;
    for (const p of generateSync(OPTS)) {
      expect(verifySignature(['sim-secret'], Buffer.from(p.body, 'utf8'), p.signature)).toBe(true);
      n++;
    }
    expect(n).toBeGreaterThan(0);
    const [first] = generateSync({ ...OPTS, secret: 'other' });
    expect(verifySignature(['sim-secret'], Buffer.from(first!.body, 'utf8'), first!.signature)).toBe(false);
  });

  it('rejects dates before conversation-based pricing and bad options', () => {
    expect(() => [...generateSync({ ...OPTS, start: '2021-12-01' })]).toThrow(/2022-02-01/);
    expect(() => [...generateSync({ ...OPTS, days: 0 })]).toThrow(/days/);
    expect(() => [...generateSync({ ...OPTS, start: '2025/01/01' })]).toThrow(/YYYY-MM-DD/);
  });
});
