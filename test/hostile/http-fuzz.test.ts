import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { signBody } from '../../ingest/signature.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { http, startTestService, TEST_SECRET } from '../helpers/service.ts';
import { INBOUND_CASES, STATUS_CASES, MANAGEMENT_CASES, inbound, statuses, envelope, WABA } from '../fixtures/meta.ts';
import { ITEM_TABLES } from '../../warehouse/tables.ts';

/**
 * Hostile bodies over real HTTP: truncated, mutated, type-swapped, deeply nested and unicode-heavy,
 * signed and unsigned. The healthy service never answers 5xx, stores nothing it refused, and stores
 * every accepted body whole (its raw row and all of its items, never a part).
 */

let wh: Warehouse;
let svc: Service;
beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  svc = await startTestService(wh, {}, { log: true });
});
afterAll(async () => {
  await svc?.stop();
  await wh?.close();
});

const real = [
  ...INBOUND_CASES.map((c) => JSON.stringify(inbound(c.message))),
  ...STATUS_CASES.map((c) => JSON.stringify(statuses(c.status))),
  ...MANAGEMENT_CASES.map((c) => JSON.stringify(envelope([{ field: c.field, value: c.value }], WABA, 1700000000))),
];

const hostileText = fc.oneof(
  // Real bodies with a slice cut out, a span replaced, or types swapped in the text.
  fc.tuple(fc.constantFrom(...real), fc.nat(), fc.nat()).map(([b, a, z]) => b.slice(0, a % b.length) + b.slice((a % b.length) + (z % 40))),
  fc.tuple(fc.constantFrom(...real), fc.nat(), fc.string({ unit: 'grapheme', maxLength: 30 })).map(([b, a, s]) => b.slice(0, a % b.length) + s + b.slice(a % b.length)),
  fc.constantFrom(...real).map((b) => b.replace(/"timestamp":"(\d+)"/, '"timestamp":{"$1":[]}').replace(/"id":"([^"]+)"/, '"id":[1,2,3]')),
  fc.constantFrom(...real).map((b) => b.replace(/"(text|body|name)":"([^"]*)"/g, '"$1":"$2 𝓤𝓷𝓲𝓬𝓸𝓭𝓮 \\u0000 \\ud83d\\ude00 ‮"')),
  fc.nat({ max: 5000 }).map((d) => '{"object":"whatsapp_business_account","entry":' + '['.repeat(d) + ']'.repeat(d) + '}'),
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

describe('webhook under hostile input', () => {
  it('never answers 5xx and never writes part of a body', async () => {
    const answers: Array<{ status: number; signed: boolean }> = [];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(hostileText, fc.boolean(), async (text, signed) => {
        // A fresh WABA id per request keeps item keys apart; a body sent twice counts its items once.
        const body = Buffer.from(text.replaceAll(WABA, `9${String(n++).padStart(14, '0')}`));
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (signed) headers['X-Hub-Signature-256'] = signBody(TEST_SECRET, body);
        const r = await http(`${svc.url()}/webhook`, { method: 'POST', headers, body });
        answers.push({ status: r.status, signed });
        expect(r.status).toBeLessThan(500);
        expect(signed ? [200, 400] : [401]).toContain(r.status);
      }),
      { numRuns: 400 },
    );
    console.log(`HTTP fuzz: ${answers.length} bodies tried, ${answers.filter((a) => a.status === 200).length} accepted, ${answers.filter((a) => a.status === 400).length} quarantined, ${answers.filter((a) => a.status === 401).length} refused`);

    // A 200 is the body in the ingest log; its rows are in the tables once the loader has taken it.
    await svc.settle();
    // Everything signed was kept (accepted or quarantined), nothing unsigned was.
    const [raw] = await rows<{ n: number }>(wh, 'SELECT count() AS n FROM {{db}}.raw_webhooks_v1');
    const distinctSigned = answers.filter((a) => a.signed).length;
    expect(Number(raw!.n)).toBeLessThanOrEqual(distinctSigned);
    expect(Number(raw!.n)).toBeGreaterThan(0);

    // Whole bodies: each raw row's items are all in the typed tables.
    const union = Object.values(ITEM_TABLES)
      // Contacts describe senders and unknown rows describe leftovers: neither counts as an item.
      .filter((t) => t.table !== 'unknown_items_v1' && t.table !== 'contacts_v1')
      .map((t) => `SELECT body_sha256, '${t.table}' AS t, ${t.table === 'management_events_v1' ? 'value_json' : 'raw_json'} AS j FROM {{db}}.${t.table}`)
      .join(' UNION ALL ');
    const mismatched = await rows(
      wh,
      `SELECT r.body_sha256, r.item_count, c.n FROM {{db}}.raw_webhooks_v1 AS r
       LEFT JOIN (SELECT body_sha256, uniqExact(t, j) AS n FROM (${union}) GROUP BY body_sha256) AS c USING body_sha256
       WHERE r.verdict != 'not_json' AND r.item_count != ifNull(c.n, 0)`,
    );
    expect(mismatched).toEqual([]);
    expect((await http(`${svc.url()}/healthz`)).status).toBe(200);
  });
});
