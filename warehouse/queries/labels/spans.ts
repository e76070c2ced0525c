import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineCommand } from '../../query.ts';
import { SLA_WAITS } from '../../schema/sla.ts';

/**
 * The label sets in force over time (dictionary `label_spans_v1`, migration 0602) and the waits that
 * carry theirs (`sla_waits_v1.label_set`, computed as each row is written).
 */

export const LABEL_SPANS = 'label_spans_v1';

/**
 * Loads the dictionary again from the label events (it holds nothing a reload does not rebuild); on
 * a cluster on every node, each holding it whole.
 */
const reload = defineCommand({
  name: 'labels.reload_spans',
  sql: (_: undefined, wh) => `SYSTEM RELOAD DICTIONARY {{db}}.${LABEL_SPANS}${wh.cluster ? ` ON CLUSTER ${wh.cluster}` : ''}`,
  params: z.object({}),
  connection: 'jobs',
});

export function reloadLabelSpans(wh: Warehouse): Promise<void> {
  return reload(wh, {}, undefined);
}

/**
 * Writes again, as they are, the stored waits of these customers that started at or after the
 * customer's time, so each takes the label set now in force (every WABA's waits of the customer: a
 * copy of a wait whose labels did not change changes nothing). A copy keeps its version: a newer
 * computation still outranks it, and of equal versions the later write is kept. Each wait's latest
 * row is picked by its version rather than with FINAL, so the customer index narrows the read to the
 * customers' granules (FINAL would read whole key ranges: 0.5–0.7 s against 20–30 ms at 10 M events).
 * Rows of one version are computed from the same events and are the same wait. Customers and times
 * travel as parameters.
 */
const relabel = defineCommand({
  name: 'labels.relabel_waits',
  sql: `INSERT INTO {{db}}.${SLA_WAITS.name}
SELECT * FROM (
  SELECT * FROM {{db}}.${SLA_WAITS.name}
  WHERE wa_id IN {wa_ids:Array(String)}
    AND started_at >= fromUnixTimestamp64Milli(transform(wa_id, {wa_ids:Array(String)}, {froms:Array(Int64)}, toInt64(0)), 'UTC')
  ORDER BY version DESC
  LIMIT 1 BY waba_id, family, started_at, phone_number_id, wait_id
) WHERE is_deleted = 0`,
  params: z.object({ wa_ids: z.array(z.string()), froms: z.array(z.number().int()) }),
  connection: 'jobs',
  // The waits are partitioned by day (migration 0610): a customer's history spans many.
  settings: { max_partitions_per_insert_block: '0' },
  // A wait being written with the labels before the reload is then either seen here or written after it.
  inTurn: true,
});

/** A customer whose labels changed, from the earliest time the change reaches back to (epoch ms). */
export interface LabelChange {
  wa_id: string;
  from: number;
}

/** Changes as the copies' parameters: customers and their times, side by side. */
export function changeParams(changes: readonly LabelChange[]): { wa_ids: string[]; froms: number[] } {
  return { wa_ids: changes.map((c) => c.wa_id), froms: changes.map((c) => c.from) };
}

export function relabelWaits(wh: Warehouse, changes: readonly LabelChange[]): Promise<void> {
  if (changes.length === 0) return Promise.resolve();
  return relabel(wh, changeParams(changes), undefined);
}

/**
 * The id of the label set in force for a customer in a WABA at a time (expressions; 0: none): the
 * WABA's own key, which holds the labels without a WABA too, else the key of WABA '' (a customer
 * with no label of their own in that WABA).
 */
export function labelSetAt(waba: string, waId: string, at: string): string {
  const get = (key: string, otherwise: string) => `dictGetOrDefault('{{db}}.${LABEL_SPANS}', 'set_id', ${key}, ${at}, ${otherwise})`;
  return get(`cityHash64(${waba}, ${waId})`, get(`cityHash64('', ${waId})`, 'toUInt64(0)'));
}

/**
 * The label sets there are: `SELECT set_id, labels` (a handful of rows however many customers: one
 * per distinct combination of labels).
 */
export const LABEL_SETS = `SELECT DISTINCT set_id, labels FROM {{db}}.${LABEL_SPANS}`;
