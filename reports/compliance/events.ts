import { toCsv } from '../format.ts';
import { onlySubjects } from '../../ingest/body-filter.ts';

/**
 * One line of an access export per stored row: common columns an officer can read across tables
 * (time, direction, message id, text…) and the full stored record. Pure.
 */

export interface SubjectEvent {
  source_table: string;
  event_id: string;
  event_type: string;
  direction: string;
  event_time: string;
  received_at: string;
  waba_id: string;
  phone_number_id: string;
  message_id: string;
  status: string;
  message_type: string;
  text: string;
  record: Record<string, unknown>;
}

export const EVENT_COLUMNS = [
  'source_table', 'event_id', 'event_type', 'direction', 'event_time', 'received_at', 'waba_id', 'phone_number_id',
  'message_id', 'status', 'message_type', 'text', 'record_json',
] as const;

const KIND: Record<string, { type: string; direction: string }> = {
  raw_webhooks_v1: { type: 'webhook_body', direction: 'received' },
  messages_v1: { type: 'inbound_message', direction: 'inbound' },
  statuses_v1: { type: 'message_status', direction: 'outbound' },
  message_echoes_v1: { type: 'business_app_message', direction: 'outbound' },
  user_preferences_v1: { type: 'marketing_preference', direction: 'inbound' },
  contacts_v1: { type: 'profile', direction: 'inbound' },
  consent_events_v1: { type: 'consent', direction: 'recorded' },
  unknown_items_v1: { type: 'unparsed_item', direction: 'received' },
  webhook_errors_v1: { type: 'webhook_error', direction: 'received' },
  management_events_v1: { type: 'other_webhook_event', direction: 'received' },
};

const s = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));
const first = (r: Record<string, unknown>, ...names: string[]): string => {
  for (const n of names) if (s(r[n]) !== '') return s(r[n]);
  return '';
};

/**
 * A raw body shows only the subject's own items (the other people it batched are removed), and
 * its subject list only the subject's ids: the export holds nothing of anyone else.
 */
export function redactRawRecord(row: Record<string, unknown>, ids: readonly string[]): { record: Record<string, unknown>; removed: number } {
  let body = s(row.body);
  let removed = 0;
  try {
    const r = onlySubjects(JSON.parse(body), ids);
    body = JSON.stringify(r.body);
    removed = r.removed;
  } catch {
    // Not JSON (quarantine): it cannot be split by person, and it is what is held about them.
  }
  const mine = new Set(ids);
  const subjects = Array.isArray(row.subject_ids) ? (row.subject_ids as unknown[]).map(s).filter((x) => mine.has(x)) : [];
  return { record: { ...row, body, subject_ids: subjects }, removed };
}

export function toEvent(table: string, record: Record<string, unknown>): SubjectEvent {
  const kind = KIND[table] ?? { type: 'derived_record', direction: 'derived' };
  const messageId = first(record, 'wamid', 'message_id', 'start_wamid');
  return {
    source_table: table,
    event_id: first(record, 'consent_event_id', 'wamid', 'wait_id', 'body_sha256', 'request_id') + (table === 'statuses_v1' ? `:${s(record.status)}:${s(record.ts)}` : ''),
    event_type: kind.type,
    direction: kind.direction,
    event_time: first(record, 'ts', 'seen_at', 'captured_at', 'started_at', 'entry_time', 'received_at'),
    received_at: first(record, 'received_at', 'recorded_at'),
    waba_id: first(record, 'waba_id'),
    phone_number_id: first(record, 'phone_number_id'),
    message_id: messageId,
    status: first(record, 'status', 'value', 'action'),
    message_type: first(record, 'type'),
    text: first(record, 'text_body', 'media_caption', 'button_text', 'interactive_title', 'profile_name'),
    record,
  };
}

/** Oldest first, then by table and id: a stable order, so the same data gives the same files. */
export function sortEvents(events: SubjectEvent[]): SubjectEvent[] {
  return events.sort((a, b) => a.event_time.localeCompare(b.event_time) || a.source_table.localeCompare(b.source_table) || a.event_id.localeCompare(b.event_id));
}

/** Each event's record as JSON, written once for both files: it is most of their text. */
const recordJson = new WeakMap<SubjectEvent, string>();
function jsonOf(e: SubjectEvent): string {
  let j = recordJson.get(e);
  if (j === undefined) {
    j = JSON.stringify(e.record);
    recordJson.set(e, j);
  }
  return j;
}

export function eventsJsonl(events: readonly SubjectEvent[]): string {
  return events.map((e) => {
    const { record: _, ...rest } = e;
    return `${JSON.stringify(rest).slice(0, -1)},"record":${jsonOf(e)}}`;
  }).join('\n') + (events.length ? '\n' : '');
}

/** CSV for a spreadsheet: cells that would run as formulas are neutralised (reports/format.ts). */
export function eventsCsv(events: readonly SubjectEvent[]): Buffer {
  const rows = events.map((e) => {
    const { record: _, ...rest } = e;
    return { ...rest, record_json: jsonOf(e) };
  });
  return toCsv(rows, EVENT_COLUMNS.map((name) => ({ name, type: 'String' })));
}
