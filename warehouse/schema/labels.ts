import { c, defineTable, type RowOf } from './columns.ts';

/** The labels module's table (migration 0600). */

/**
 * One add or remove of a label on a customer. `waba_id` empty: the label holds in every WABA.
 * `origin` is how it arrived (api, csv, tag); `source` the system the caller named; `ref` the
 * outbound message whose tag carried it.
 */
export const LABEL_EVENTS = defineTable('label_events_v1', {
  waba_id: c.string,
  wa_id: c.string,
  label: c.string,
  action: c.oneOf(c.lowString, ['add', 'remove']),
  at: c.time,
  source: c.string,
  origin: c.oneOf(c.lowString, ['api', 'csv', 'tag']),
  ref: c.string,
  recorded_at: c.time,
});
export type LabelEventRow = RowOf<typeof LABEL_EVENTS>;

/** The `labels.tags` job's watermark (migration 0601): statuses loaded since it are read again. */
export const LABEL_TAGS_STATE = defineTable('label_tags_state_v1', {
  job: c.string,
  watermark_ms: c.uint64,
  updated_at: c.time,
});
