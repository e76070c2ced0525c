import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineInsert, defineQuery } from '../../query.ts';
import { LABEL_EVENTS, type LabelEventRow } from '../../schema/labels.ts';

/** Writes of label events, and the customers a pseudonymous contact id may stand for. */

const insert = defineInsert({ name: 'labels.insert_events', table: LABEL_EVENTS.name, row: LABEL_EVENTS.row });

export function insertLabelEvents(wh: Warehouse, rows: readonly LabelEventRow[]): Promise<void> {
  return insert(wh, rows);
}

const known = defineQuery({
  name: 'labels.known_customers',
  sql: `SELECT DISTINCT wa_id FROM (
      SELECT wa_id FROM {{db}}.contacts_v1 WHERE wa_id != ''
      UNION ALL SELECT wa_id FROM {{db}}.label_events_v1
    )`,
  params: z.object({}),
  row: z.object({ wa_id: z.string() }),
  format: 'compact',
});

/**
 * Every customer a contact id can name: those who wrote (contacts) and those labelled before.
 * A contact id is a keyed hash, so it is matched by hashing these, never reversed.
 */
export async function knownCustomers(wh: Warehouse): Promise<string[]> {
  return (await known(wh, {})).map((r) => r.wa_id);
}
