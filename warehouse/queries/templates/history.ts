import { z } from 'zod';
import { defineQuery } from '../../query.ts';

/**
 * The template catalogue's history from Meta's template webhooks: status (approved, rejected,
 * paused, disabled…), quality (GREEN / YELLOW / RED) and category changes, each with the time Meta
 * gave it (`entry.time`). Duplicate deliveries are merged by the table's key (FINAL).
 */

export const TEMPLATE_FIELDS = [
  'message_template_status_update',
  'message_template_quality_update',
  'template_category_update',
  'message_template_components_update',
] as const;

export const templateChangeSchema = z.object({
  waba_id: z.string(),
  at: z.string(),
  field: z.string(),
  template_id: z.string(),
  template: z.string(),
  language: z.string(),
  event: z.string(),
  previous: z.string(),
  value: z.string(),
  reason: z.string(),
});
export type TemplateChange = z.infer<typeof templateChangeSchema>;

export const templateChanges = defineQuery({
  name: 'templates.history.changes',
  sql: `SELECT waba_id, concat(replaceOne(toString(entry_time), ' ', 'T'), 'Z') AS at, toString(field) AS field,
               template_id, template_name AS template, toString(template_language) AS language, toString(event) AS event,
               toString(previous_category) AS previous,
               toString(multiIf(field = 'message_template_quality_update', quality_score,
                                field = 'template_category_update', new_category,
                                field = 'message_template_status_update', event, '')) AS value,
               reason
        FROM {{db}}.management_events_v1 FINAL
        WHERE field IN {fields:Array(String)} AND (length({wabas:Array(String)}) = 0 OR waba_id IN {wabas:Array(String)})
          AND entry_time >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND entry_time < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
        ORDER BY waba_id, entry_time, template_id, field`,
  params: z.object({ wabas: z.array(z.string()), from_ms: z.number().int(), to_ms: z.number().int(), fields: z.array(z.string()) }),
  row: templateChangeSchema,
});
