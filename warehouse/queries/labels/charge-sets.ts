import { TupleParam } from '@clickhouse/client';
import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineCommand, defineQuery } from '../../query.ts';
import { BILLING_MESSAGES } from '../../schema/billing.ts';
import { latestFacts } from '../billing/latest-facts.ts';
import { changeParams, labelSetAt, type LabelChange } from './spans.ts';

/**
 * The label set stored with each message fact (`billing_messages_v1.label_set`, migration 0603): the
 * set in force on the message's customer at its charge time. A fact names its message by a keyed
 * substitute only; its customer is in `billing_message_customers_v1` (same key, written with the
 * accounting copy of each status; several rows of one key are one customer).
 */

const FACTS = BILLING_MESSAGES.name;
const CUSTOMERS = 'billing_message_customers_v1';


const setsOf = defineQuery({
  name: 'labels.charge_sets',
  sql: `SELECT k.1 AS waba_id, k.2 AS wamid, toString(${labelSetAt('k.1', 'c.customer', "fromUnixTimestamp64Milli(k.3, 'UTC')")}) AS label_set
FROM (SELECT arrayJoin({keys:Array(Tuple(String, String, Int64))}) AS k) AS x
INNER JOIN (SELECT waba_id, message_key, any(wa_id) AS customer FROM {{db}}.${CUSTOMERS}
            WHERE (waba_id, message_key) IN (SELECT k.1, k.2 FROM (SELECT arrayJoin({keys:Array(Tuple(String, String, Int64))}) AS k))
            GROUP BY waba_id, message_key) AS c ON c.waba_id = k.1 AND c.message_key = k.2`,
  params: z.object({ keys: z.array(z.instanceof(TupleParam)) }),
  row: z.object({ waba_id: z.string(), wamid: z.string(), label_set: z.string() }),
  format: 'compact',
  connection: 'jobs',
});

/** The label set of each fact as it is about to be written (facts whose customer is not known get none). */
export async function chargeLabelSets(wh: Warehouse, facts: ReadonlyArray<{ waba_id: string; wamid: string; charge_ts: number }>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (facts.length === 0) return out;
  const rows = await setsOf(wh, { keys: facts.map((f) => new TupleParam([f.waba_id, f.wamid, f.charge_ts])) });
  for (const r of rows) out.set(`${r.waba_id}\0${r.wamid}`, r.label_set);
  return out;
}

/**
 * Writes again the latest row of each fact of these customers charged at or after the customer's
 * time, with the label set now in force (its version kept: a newer computation still wins, and of
 * equal versions the later write is kept). `clear`: with no set (the customers are being erased).
 */
const relabel = defineCommand({
  name: 'labels.relabel_charges',
  sql: (clear: boolean) => `INSERT INTO {{db}}.${FACTS}
SELECT f.* REPLACE (${clear ? 'toUInt64(0)' : labelSetAt('f.waba_id', 'c.customer', 'f.charge_ts')} AS label_set)
FROM (${latestFacts(`(waba_id, wamid) IN (SELECT waba_id, message_key FROM {{db}}.${CUSTOMERS} WHERE wa_id IN {wa_ids:Array(String)})`)}) AS f
INNER JOIN (SELECT waba_id, message_key, any(wa_id) AS customer FROM {{db}}.${CUSTOMERS} WHERE wa_id IN {wa_ids:Array(String)}
            GROUP BY waba_id, message_key) AS c ON c.waba_id = f.waba_id AND c.message_key = f.wamid
WHERE f.charge_ts >= fromUnixTimestamp64Milli(transform(c.customer, {wa_ids:Array(String)}, {froms:Array(Int64)}, toInt64(0)), 'UTC')`,
  params: z.object({ wa_ids: z.array(z.string()), froms: z.array(z.number().int()) }),
  connection: 'jobs',
  // A fact being written with the sets before the reload is then either seen here or written after it.
  inTurn: true,
});

export function relabelCharges(wh: Warehouse, changes: readonly LabelChange[]): Promise<void> {
  if (changes.length === 0) return Promise.resolve();
  return relabel(wh, changeParams(changes), false);
}

/** The customers' facts with no label set (before their rows naming them are erased). */
export function clearChargeLabels(wh: Warehouse, waIds: readonly string[]): Promise<void> {
  if (waIds.length === 0) return Promise.resolve();
  return relabel(wh, changeParams(waIds.map((wa_id) => ({ wa_id, from: 0 }))), true);
}

/**
 * Every stored fact of a customer who ever had a label, with the set in force at its charge (a
 * store from before migration 0603: its facts hold no set). Runs once, at start.
 */
export const fillChargeLabelSets = defineCommand({
  name: 'labels.fill_charge_sets',
  sql: `INSERT INTO {{db}}.${FACTS}
SELECT f.* REPLACE (${labelSetAt('f.waba_id', 'c.customer', 'f.charge_ts')} AS label_set)
FROM (SELECT * FROM {{db}}.${FACTS} FINAL) AS f
INNER JOIN (SELECT waba_id, message_key, any(wa_id) AS customer FROM {{db}}.${CUSTOMERS}
            WHERE wa_id IN (SELECT wa_id FROM {{db}}.label_events_v1)
            GROUP BY waba_id, message_key) AS c ON c.waba_id = f.waba_id AND c.message_key = f.wamid`,
  params: z.object({}),
  connection: 'jobs',
  inTurn: true,
});
