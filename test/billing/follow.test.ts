import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingConfigSchema, Tenants } from '../../reports/billing/config.ts';
import type { BillingEnv } from '../../reports/billing/facts-job.ts';
import { followFacts } from '../../reports/billing/follow.ts';
import { createPseudonymizer } from '../../app/pseudonym.ts';
import { createLogger } from '../../app/logger.ts';
import { rekeyBillingRecords } from '../../reports/billing/rekey.ts';
import { loadMarketMatcher } from '../../reports/billing/markets.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { storeBatch } from '../helpers/batches.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { pmpMessage, statusBody } from './bodies.ts';

// The billing follower on a hand-worked message (a WABA without configuration bills in UTC months):
// sent and priced at 23:59 on 30 September, so charged in September until its delivery at 00:01 on
// 1 October arrives in a later batch and moves the charge to October; a re-delivery of that batch
// then changes no fact and no count.

const WABA = '220000000000002';
const PHONE = '302';
const BR = '5511988887777';
const PRICING = { category: 'marketing', type: 'regular', billable: true };
const [sent, delivered] = pmpMessage('wamid.m1', BR, '2025-09-30T23:59:00Z', PRICING, [{ status: 'delivered', at: '2025-10-01T00:01:00Z', priced: true }]);

let wh: Warehouse;
let env: BillingEnv;
let received = Date.parse('2025-10-02T00:00:00Z');

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  env = { wh, tenants: new Tenants([]), markets: loadMarketMatcher(), cfg: billingConfigSchema.parse({}), messageKey: createPseudonymizer('test-pii-key').message };
});
afterAll(async () => {
  await wh?.close();
});

async function follow(bodies: string[]) {
  received += 60_000;
  return followFacts(env, [await storeBatch(wh, bodies, received)]);
}

const fact = () => rows(wh, `SELECT month, day, charge_ts, category, billable, counted, market FROM {{db}}.billing_messages_v1 FINAL`);
/** Message counts of the newest rollup of each period (an emptied period keeps only its sentinel). */
const counts = () =>
  rows(
    wh,
    `SELECT month, kind, category, market, count, billable_count FROM {{db}}.billing_daily_v1 FINAL
     WHERE (waba_id, month, version) IN (SELECT waba_id, month, max(version) FROM {{db}}.billing_daily_v1 GROUP BY waba_id, month)
     ORDER BY month, kind`,
  );

describe('billing follower', () => {
  it('charges a message when its delivery arrives, moves it with an earlier late delivery, and ignores a re-delivery', async () => {
    // A priced `sent` alone is not a charge: nothing to write, no period touched.
    expect(await follow([statusBody(WABA, PHONE, [sent!])])).toEqual({ messages: 0, conversations: 0, periods: [] });
    expect(await fact()).toEqual([]);

    // `read` arrives first (Meta posted `delivered` late): charged in October.
    const read = { wamid: 'wamid.m1', status: 'read' as const, at: '2025-10-01T00:05:00Z', recipient: BR };
    expect(await follow([statusBody(WABA, PHONE, [read])])).toEqual({ messages: 1, conversations: 0, periods: [`${WABA}|2025-10`] });
    expect(await fact()).toEqual([
      { month: '2025-10', day: '2025-10-01', charge_ts: '2025-10-01 00:05:00.000', category: 'marketing', billable: 1, counted: 1, market: 'Brazil' },
    ]);

    // The earlier `delivered` (still 30 September, UTC WABA) moves the charge to September.
    const earlier = { ...delivered!, at: '2025-09-30T23:59:40Z' };
    const second = await follow([statusBody(WABA, PHONE, [earlier])]);
    expect(second).toEqual({ messages: 1, conversations: 0, periods: [`${WABA}|2025-09`, `${WABA}|2025-10`] });
    expect(await fact()).toEqual([
      { month: '2025-09', day: '2025-09-30', charge_ts: '2025-09-30 23:59:40.000', category: 'marketing', billable: 1, counted: 1, market: 'Brazil' },
    ]);
    const after = await counts();
    expect(after.filter((c) => c.kind === 'message')).toEqual([
      { month: '2025-09', kind: 'message', category: 'marketing', market: 'Brazil', count: 1, billable_count: 1 },
    ]);

    // A re-delivery is received later, so the fact's version moves on; what it says does not.
    await follow([statusBody(WABA, PHONE, [earlier])]);
    expect(await fact()).toEqual([
      { month: '2025-09', day: '2025-09-30', charge_ts: '2025-09-30 23:59:40.000', category: 'marketing', billable: 1, counted: 1, market: 'Brazil' },
    ]);
    expect(await counts()).toEqual(after);
  });

  it('names the message by its keyed substitute, never by the wamid (base64 of the customer\'s number)', async () => {
    const stored = await rows<{ wamid: string }>(wh, `SELECT DISTINCT wamid FROM {{db}}.billing_messages_v1`);
    expect(stored).toEqual([{ wamid: createPseudonymizer('test-pii-key').message('wamid.m1') }]);
    expect(stored[0]!.wamid).toMatch(/^mk_[0-9a-f]{32}$/);
    const ledger = await rows<{ message_key: string; market: string }>(wh, `SELECT DISTINCT message_key, market FROM {{db}}.billing_statuses_v1`);
    expect(ledger).toEqual([{ message_key: stored[0]!.wamid, market: 'Brazil' }]);
  });

  it('keys facts written before, and fills the accounting copy from the statuses already stored, once', async () => {
    // A store from before: a fact holding Meta's wamid and an empty accounting copy.
    await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.billing_statuses_v1` });
    await wh.writer.command({ query: `INSERT INTO ${wh.database}.billing_messages_v1 SELECT * REPLACE ('wamid.m1' AS wamid) FROM ${wh.database}.billing_messages_v1 FINAL` });
    await wh.writer.command({ query: `ALTER TABLE ${wh.database}.billing_messages_v1 DELETE WHERE startsWith(wamid, 'mk_')`, clickhouse_settings: { mutations_sync: '2' } });
    const before = await fact();
    const first = await rekeyBillingRecords(env, createLogger('test', 'silent'));
    // One fact rekeyed; the statuses of wamid.m1 copied: sent, read and delivered (its re-delivered `delivered` collapses).
    expect(first.rekeyed).toBe(1);
    expect(first.copied).toBeGreaterThanOrEqual(3);
    expect(await rows(wh, `SELECT status FROM {{db}}.billing_statuses_v1 FINAL ORDER BY status`)).toEqual([{ status: 'delivered' }, { status: 'read' }, { status: 'sent' }]);
    expect(await rows(wh, `SELECT wamid FROM {{db}}.billing_messages_v1 FINAL`)).toEqual([{ wamid: createPseudonymizer('test-pii-key').message('wamid.m1') }]);
    expect(await fact()).toEqual(before);
    // Who the message went to, written with the copy: its recipient, at its first status.
    const customers = `SELECT message_key, wa_id, toString(ts) AS ts FROM {{db}}.billing_message_customers_v1 FINAL`;
    const m1 = { message_key: createPseudonymizer('test-pii-key').message('wamid.m1'), wa_id: BR, ts: '2025-09-30 23:59:00.000' };
    expect(await rows(wh, customers)).toEqual([m1]);
    expect(await rekeyBillingRecords(env, createLogger('test', 'silent'))).toEqual({ rekeyed: 0, copied: 0, customers: 0 });
    // A store whose ledger predates the customers: they alone are filled.
    await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.billing_message_customers_v1` });
    const again = await rekeyBillingRecords(env, createLogger('test', 'silent'));
    expect(again).toMatchObject({ rekeyed: 0, copied: 0 });
    expect(again.customers).toBeGreaterThanOrEqual(3);
    expect(await rows(wh, customers)).toEqual([m1]);
  });

  it('finishes at the next start a fill that stopped part-way (the ledger is no longer empty then)', async () => {
    await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.billing_statuses_v1` });
    // A row a page, and the process dies while keying the second page.
    let keyed = 0;
    const dying: BillingEnv = {
      ...env, cfg: { ...env.cfg, facts: { ...env.cfg.facts, page_size: 1 } },
      messageKey: (wamid) => { if (++keyed > 1) throw new Error('stopped'); return env.messageKey(wamid); },
    };
    await expect(rekeyBillingRecords(dying, createLogger('test', 'silent'))).rejects.toThrow('stopped');
    expect(await rows(wh, `SELECT status FROM {{db}}.billing_statuses_v1 FINAL`)).toHaveLength(1);
    const next = await rekeyBillingRecords(env, createLogger('test', 'silent'));
    expect(next.copied).toBeGreaterThanOrEqual(3);
    expect(await rows(wh, `SELECT status FROM {{db}}.billing_statuses_v1 FINAL ORDER BY status`)).toEqual([{ status: 'delivered' }, { status: 'read' }, { status: 'sent' }]);
    expect(await rekeyBillingRecords(env, createLogger('test', 'silent'))).toEqual({ rekeyed: 0, copied: 0, customers: 0 });
  });
});
