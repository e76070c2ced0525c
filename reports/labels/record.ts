import type { AppDeps } from '../../app/deps.ts';
import { suppressedSubjects } from '../../warehouse/queries/compliance/erasure.ts';
import { insertLabelEvents, knownCustomers } from '../../warehouse/queries/labels/store.ts';
import type { LabelEventRow } from '../../warehouse/schema/labels.ts';
import { toRows, type LabelEventInput } from './input.ts';
import { labelRefresh } from './refresh.ts';

export interface RecordedLabels {
  stored: number;
  added: number;
  removed: number;
  /** Events about erased customers, dropped as ingest drops their webhook items. */
  suppressed: number;
}

/**
 * Stores checked label events (API or CSV): contact ids resolved to customers first, so an
 * unknown one refuses the lot before anything is written; events about a customer erased before
 * are dropped (the erasure suppression list); then one insert.
 */
export async function recordLabels(deps: AppDeps, events: readonly LabelEventInput[], origin: LabelEventRow['origin']): Promise<RecordedLabels> {
  const asked = new Set(events.flatMap((e) => (e.contact ? [e.contact] : [])));
  const contacts = new Map<string, string>();
  if (asked.size) {
    for (const waId of await knownCustomers(deps.warehouse)) {
      const c = deps.pseudonyms.contact(waId);
      if (asked.has(c)) contacts.set(c, waId);
    }
  }
  const all = toRows(events, origin, deps.now().getTime(), contacts);
  const erased = new Set((await suppressedSubjects(deps.warehouse, {})).map((r) => r.subject_hash));
  const rows = erased.size ? all.filter((r) => !erased.has(deps.pseudonyms.subject(r.wa_id))) : all;
  await insertLabelEvents(deps.warehouse, rows);
  // The caller's next report shows them.
  await labelRefresh(deps.warehouse).stored(rows);
  return {
    stored: rows.length,
    added: rows.filter((r) => r.action === 'add').length,
    removed: rows.filter((r) => r.action === 'remove').length,
    suppressed: all.length - rows.length,
  };
}
