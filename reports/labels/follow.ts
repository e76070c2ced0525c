import type { Follower, LoadedBatch } from '../../app/deps.ts';
import type { Logger } from '../../app/logger.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { insertLabelEvents } from '../../warehouse/queries/labels/store.ts';
import type { LabelEventRow } from '../../warehouse/schema/labels.ts';
import { labelsOfTag } from './tag.ts';

/**
 * Labels from callback tags: when an outbound message tagged `lb=…` is sent (its `sent` status), its
 * labels are added to or removed from the recipient at that time, in that WABA. A re-delivered
 * status stores the same events again, which the table keeps once.
 */

export const LABEL_FOLLOWER = 'labels.tags';

export function tagLabelRows(batches: readonly LoadedBatch[], recordedAt: number): { rows: LabelEventRow[]; malformed: number } {
  const rows: LabelEventRow[] = [];
  let malformed = 0;
  for (const { rows: items } of batches) {
    for (const s of items.statuses) {
      const waId = s.recipient_id || s.recipient_user_id;
      if (s.status !== 'sent' || !waId || s.recipient_type === 'group') continue;
      const found = labelsOfTag(s.biz_opaque_callback_data);
      malformed += found.malformed;
      for (const l of found.labels) {
        rows.push({ waba_id: s.waba_id, wa_id: waId, label: l.label, action: l.action, at: s.ts, source: 'tag', origin: 'tag', ref: s.wamid, recorded_at: recordedAt });
      }
    }
  }
  return { rows, malformed };
}

export function labelFollower(wh: Warehouse, log: Logger, now: () => Date): Follower {
  return {
    name: LABEL_FOLLOWER,
    async follow(batches) {
      const { rows, malformed } = tagLabelRows(batches, now().getTime());
      if (malformed) log.warn({ malformed }, 'labels in callback tags not well formed; left out');
      await insertLabelEvents(wh, rows);
    },
  };
}
