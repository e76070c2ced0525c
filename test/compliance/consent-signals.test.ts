import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { DEFAULT_OPT_IN_KEYWORDS, DEFAULT_OPT_OUT_KEYWORDS } from '../../reports/compliance/config.ts';
import { keywordSource } from '../../reports/compliance/consent.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { authHeader, http, postSigned, startTestService } from '../helpers/service.ts';
import { inbound } from './fixtures.ts';

/**
 * The keyword messages copied as they are stored (migration 0609): every default keyword, written
 * as a customer would (mixed case, spaces around), reaches the copies and the consent ledger with
 * its action; anything else does not.
 */

const NOW = new Date('2026-11-10T12:00:00Z');
const T = Date.parse('2026-10-02T00:00:00Z');
const P = (n: number) => `5521933300${String(n).padStart(3, '0')}`;
const spoken = (w: string, i: number) => `${i % 2 ? ' ' : ''}${i % 3 ? w : w.charAt(0) + w.slice(1).toLowerCase()}  `;

let wh: Warehouse;
let svc: Service;
const words = [...DEFAULT_OPT_OUT_KEYWORDS.map((w) => ({ w, action: 'opt_out' })), ...DEFAULT_OPT_IN_KEYWORDS.map((w) => ({ w, action: 'opt_in' }))];

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  svc = await startTestService(wh, {}, { now: () => NOW });
  for (const [i, { w }] of words.entries()) {
    const r = await postSigned(svc, JSON.stringify(inbound({ from: P(i), id: `wamid.k${i}`, at: new Date(T + i * 60_000).toISOString(), text: spoken(w, i) })));
    expect(r.status).toBe(200);
  }
  // Not keywords: a longer sentence, a keyword inside it, and a word that only looks like one.
  for (const [i, text] of ['please STOP sending', 'stop.', 'startup'].entries()) {
    await postSigned(svc, JSON.stringify(inbound({ from: P(900 + i), id: `wamid.n${i}`, at: new Date(T + i * 60_000).toISOString(), text })));
  }
});
afterAll(async () => {
  await svc?.stop();
  await wh?.close();
});

describe('consent keywords copied as they are stored', () => {
  it('copies every default keyword message and nothing else', async () => {
    const copies = await rows<{ wamid: string; subject: string }>(wh, `SELECT wamid, subject FROM {{db}}.consent_signals_v1 FINAL WHERE kind = 'keyword'`);
    expect(copies.map((c) => `${c.wamid} ${c.subject}`).sort()).toEqual(words.map((_, i) => `wamid.k${i} ${P(i)}`).sort());
  });

  it('gives each keyword its action in the consent ledger', async () => {
    const r = await http(`${svc.url()}/api/compliance/consent?format=json&from=2026-10-01&to=2026-10-03`, { headers: authHeader('privacy') });
    expect(r.status, r.text.slice(0, 200)).toBe(200);
    const got = JSON.parse(r.text).rows.map((e: { subject: string; action: string; source: string }) => `${e.subject} ${e.action} ${e.source}`).sort();
    expect(got).toEqual(words.map(({ action }, i) => `${P(i)} ${action} keyword`).sort());
  });
});

describe('where the stream looks for keywords', () => {
  it('reads the copies for the defaults or any of them, however written', () => {
    expect(keywordSource({ opt_out_keywords: DEFAULT_OPT_OUT_KEYWORDS, opt_in_keywords: DEFAULT_OPT_IN_KEYWORDS })).toBe('copies');
    expect(keywordSource({ opt_out_keywords: [' Stop', 'PARAR '], opt_in_keywords: [] })).toBe('copies');
  });

  it('reads every message for a keyword the copies do not hold', () => {
    expect(keywordSource({ opt_out_keywords: ['STOP', 'PARE'], opt_in_keywords: [] })).toBe('messages');
    expect(keywordSource({ opt_out_keywords: ['STOP'], opt_in_keywords: ['VOLTA'] })).toBe('messages');
  });
});
