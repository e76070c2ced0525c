import type { AppDeps } from '../../app/deps.ts';
import { insertLabelEvents, knownCustomers } from '../../warehouse/queries/labels/store.ts';
import type { LabelEventRow } from '../../warehouse/schema/labels.ts';
import { toRows, type LabelEventInput } from './input.ts';

/**
 * Stores checked label events (API or CSV): contact ids resolved to customers first, so an
 * unknown one refuses the lot before anything is written; then one insert.
 */
export async function recordLabels(deps: AppDeps, events: readonly LabelEventInput[], origin: LabelEventRow['origin']): Promise<{ stored: number; added: number; removed: number }> {
  const asked = new Set(events.flatMap((e) => (e.contact ? [e.contact] : [])));
  const contacts = new Map<string, string>();
  if (asked.size) {
    for (const waId of await knownCustomers(deps.warehouse)) {
      const c = deps.pseudonyms.contact(waId);
      if (asked.has(c)) contacts.set(c, waId);
    }
  }
  const rows = toRows(events, origin, deps.now().getTime(), contacts);
  await insertLabelEvents(deps.warehouse, rows);
  return { stored: rows.length, added: rows.filter((r) => r.action === 'add').length, removed: rows.filter((r) => r.action === 'remove').length };
}
