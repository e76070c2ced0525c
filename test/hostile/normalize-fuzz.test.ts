import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeBody } from '../../ingest/normalize.ts';
import { buildEntry } from '../../ingest/entry.ts';
import { INBOUND_CASES, STATUS_CASES, MANAGEMENT_CASES, inbound, statuses, envelope } from '../fixtures/meta.ts';

/**
 * Property tests over the normalizer: any JSON value, and mutations of real Meta bodies (fields
 * removed, types swapped, values replaced), give rows or unknown items, never an exception, and
 * every row has the columns its table expects.
 */

const realBodies = [
  ...INBOUND_CASES.map((c) => inbound(c.message)),
  ...STATUS_CASES.map((c) => statuses(c.status)),
  ...MANAGEMENT_CASES.map((c) => envelope([{ field: c.field, value: c.value }], '1', 1700000000)),
];

const anyJson = fc.jsonValue({ maxDepth: 6 });

/** Replaces the value at a random path of `body` with `replacement` (or deletes it). */
function mutate(body: unknown, pathSeed: number[], replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(body);
  let node: unknown = copy;
  for (let i = 0; i < pathSeed.length; i++) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node as object);
    if (keys.length === 0) break;
    const key = keys[pathSeed[i]! % keys.length]!;
    const child = (node as Record<string, unknown>)[key];
    const last = i === pathSeed.length - 1 || child === null || typeof child !== 'object';
    if (last) {
      if (remove && !Array.isArray(node)) delete (node as Record<string, unknown>)[key];
      else (node as Record<string, unknown>)[key] = replacement;
      break;
    }
    node = child;
  }
  return copy;
}

let tried = 0;

describe('normalizer under hostile input', () => {
  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(anyJson, (v) => {
        tried++;
        const n = normalizeBody(v, { bodySha256: 'x', receivedAt: 1 });
        expect(n.itemCount + n.unknownCount).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated Meta bodies, and keeps every unchanged item', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...realBodies),
        fc.array(fc.nat(), { minLength: 1, maxLength: 9 }),
        fc.oneof(anyJson, fc.string(), fc.integer(), fc.constant(null), fc.double()),
        fc.boolean(),
        (body, path, replacement, remove) => {
          tried++;
          const mutated = mutate(body, path, replacement, remove);
          const n = normalizeBody(mutated, { bodySha256: 'x', receivedAt: 1 });
          for (const rows of Object.values(n.rows)) for (const r of rows as object[]) expect(typeof r).toBe('object');
          for (const m of n.rows.messages) expect(typeof m.ts).toBe('number');
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('quarantines truncated or unicode-heavy bytes instead of failing', () => {
    fc.assert(
      fc.property(fc.constantFrom(...realBodies), fc.nat(), fc.string({ unit: 'grapheme' }), (body, cut, noise) => {
        tried++;
        const text = JSON.stringify(body);
        const bytes = Buffer.from(text.slice(0, cut % text.length) + noise);
        const e = buildEntry(bytes, 1, true);
        expect(['ok', 'not_json', 'unknown_shape']).toContain(e.raw.verdict);
        expect(e.raw.body_sha256).toMatch(/^[0-9a-f]{64}$/);
      }),
      { numRuns: 2000 },
    );
  });

  // Found by the property above (seed 203267100): a field named like an Object property looked up
  // the prototype's member as if it were a list of personal-item keys, and threw.
  it('keeps a change whose field is named like an Object property, instead of throwing', () => {
    const counts = (field: string) => {
      const body = JSON.parse(JSON.stringify(envelope([{ field, value: { contacts: [{ wa_id: '5511900000001' }] } }], '1', 1700000000))) as unknown;
      const n = normalizeBody(body, { bodySha256: 'x', receivedAt: 1 });
      return [n.itemCount, n.unknownCount];
    };
    // Treated as any other field Meta may add: the same rows as a made-up name.
    const plain = counts('some_new_field');
    expect(plain[0]! + plain[1]!).toBeGreaterThan(0);
    for (const field of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(counts(field), field).toEqual(plain);
  });

  it('reports how many inputs were tried', () => {
    console.log(`normalizer fuzz: ${tried} inputs tried`);
    expect(tried).toBeGreaterThanOrEqual(7000);
  });
});
