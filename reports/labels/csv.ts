import { parse } from 'csv-parse/sync';
import { badParameter } from '../../app/http-error.ts';
import { MAX_EVENTS, parseLabelBody, type LabelEventInput } from './input.ts';

/**
 * A CSV import of label events: a header row naming the same fields as the API (`wa_id` or
 * `contact`, `label`, `action`, `at`, optional `waba_id` and `source`), one event a line. Checked
 * whole like an API body; a problem names its line (`line 3: label: …`).
 */
const FIELDS = new Set(['wa_id', 'contact', 'waba_id', 'label', 'action', 'at', 'source']);

export function parseLabelCsv(text: string, defaultSource = 'csv'): LabelEventInput[] {
  let records: Array<Record<string, string>>;
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>;
  } catch (e) {
    throw badParameter('csv', `not a CSV file: ${(e as Error).message.slice(0, 120)}`);
  }
  if (records.length === 0) throw badParameter('csv', 'no events: expected a header row and one event a line');
  if (records.length > MAX_EVENTS) throw badParameter('csv', `at most ${MAX_EVENTS} events a file`);
  const unknown = Object.keys(records[0]!).find((k) => !FIELDS.has(k));
  if (unknown !== undefined) throw badParameter('csv', `unknown column "${unknown.slice(0, 40)}"; expected ${[...FIELDS].join(', ')}`);
  // Empty cells are absent fields (a file has both wa_id and contact columns, one filled a line).
  const events = records.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== '')));
  for (const e of events) e.source ??= defaultSource;
  try {
    return parseLabelBody(events);
  } catch (e) {
    const m = /^\[(\d+)\]\.?(.*)$/s.exec((e as Error).message);
    // Line numbers count the header as line 1.
    throw m ? badParameter('csv', `line ${Number(m[1]) + 2}: ${m[2]}`) : e;
  }
}
