import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { LABEL_TAGS_STATE } from '../../schema/labels.ts';

/** What the `labels.tags` job reads: tagged `sent` statuses loaded since its watermark, and the watermark. */

export const taggedSentSince = defineQuery({
  name: 'labels.tagged_sent_since',
  sql: `SELECT waba_id, wamid, recipient_id, recipient_user_id, recipient_type, status, biz_opaque_callback_data,
               toUnixTimestamp64Milli(ts) AS ts
        FROM {{db}}.statuses_v1
        PREWHERE loaded_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND status = 'sent'
        WHERE position(biz_opaque_callback_data, 'lb=') > 0`,
  params: z.object({ from_ms: z.number().int() }),
  row: z.object({
    waba_id: z.string(),
    wamid: z.string(),
    recipient_id: z.string(),
    recipient_user_id: z.string(),
    recipient_type: z.string(),
    status: z.string(),
    biz_opaque_callback_data: z.string(),
    ts: z.coerce.number(),
  }),
  format: 'compact',
  connection: 'jobs',
});

export const tagsState = defineQuery({
  name: 'labels.tags_state',
  sql: `SELECT watermark_ms FROM {{db}}.label_tags_state_v1 FINAL WHERE job = {job:String}`,
  params: z.object({ job: z.string() }),
  row: z.object({ watermark_ms: z.coerce.number() }),
  connection: 'jobs',
});

export const saveTagsState = defineInsert({ name: 'labels.save_tags_state', table: LABEL_TAGS_STATE.name, row: LABEL_TAGS_STATE.row, connection: 'jobs' });
