import { TupleParam } from '@clickhouse/client';
import { z } from 'zod';
import { defineCommand, defineQuery } from '../../query.ts';
import { TEMPLATE_SENDS } from '../../schema/templates.ts';
import { latestFacts } from '../billing/latest-facts.ts';

/**
 * The charge stored with each template send (migration 0604), from its message's billing fact. Facts
 * name a message by its keyed substitute, which the send keeps as `message_key`.
 */

const SENDS = TEMPLATE_SENDS.name;
const num = z.coerce.number();

/** The facts of these messages (WABA, keyed substitute), as a send stores them. */
export const chargesOf = defineQuery({
  name: 'templates.charges.of',
  connection: 'jobs',
  sql: `SELECT waba_id, wamid AS message_key, counted AS charged, category AS charge_category, toString(day) AS charge_day, market AS charge_market,
               billable AS charge_billable
        FROM (${latestFacts('(waba_id, wamid) IN {keys:Array(Tuple(String, String))}')})`,
  params: z.object({ keys: z.array(z.instanceof(TupleParam)) }),
  row: z.object({ waba_id: z.string(), message_key: z.string(), charged: num, charge_category: z.string(), charge_day: z.string(), charge_market: z.string(), charge_billable: num }),
  format: 'compact',
});

const FROM_FACT = `f.counted AS charged, f.category AS charge_category, f.day AS charge_day, f.market AS charge_market, f.billable AS charge_billable`;

/**
 * Writes again the latest row of the sends of these messages (keyed substitutes) with their facts'
 * charge. A copy keeps its version: a newer rebuild still outranks it, and of equal versions the
 * later write is kept. The latest row is picked by version rather than with FINAL, so the key's
 * index narrows the read; rows of one version differ at most in the charge, which is replaced.
 */
export const chargeSends = defineCommand({
  name: 'templates.charges.copy',
  connection: 'jobs',
  sql: `INSERT INTO {{db}}.${SENDS}
SELECT s.* REPLACE (${FROM_FACT})
FROM (SELECT * FROM {{db}}.${SENDS} WHERE message_key IN {keys:Array(String)} ORDER BY version DESC LIMIT 1 BY waba_id, wamid) AS s
INNER JOIN (${latestFacts(`wamid IN {keys:Array(String)}`)}) AS f ON f.waba_id = s.waba_id AND f.wamid = s.message_key`,
  params: z.object({ keys: z.array(z.string()) }),
});

/** Every stored send with its fact's charge (sends stored before migration 0604). */
export const chargeAllSends = defineCommand({
  name: 'templates.charges.fill',
  connection: 'jobs',
  sql: `INSERT INTO {{db}}.${SENDS}
SELECT s.* REPLACE (${FROM_FACT})
FROM (SELECT * FROM {{db}}.${SENDS} FINAL) AS s
INNER JOIN (SELECT * FROM {{db}}.billing_messages_v1 FINAL WHERE (waba_id, wamid) IN (SELECT waba_id, message_key FROM {{db}}.${SENDS}))
  AS f ON f.waba_id = s.waba_id AND f.wamid = s.message_key`,
  params: z.object({}),
});
