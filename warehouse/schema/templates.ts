import { c, defineTable, type RowOf } from './columns.ts';

/** The templates module's tables (migration 0400). */

export const TEMPLATE_SEND_LOG = defineTable('template_send_log_v1', {
  waba_id: c.string,
  wamid: c.string,
  template: c.string,
  language: c.lowString,
  campaign: c.string,
  import_id: c.string,
  imported_at: c.time,
});
export type SendLogRow = RowOf<typeof TEMPLATE_SEND_LOG>;
