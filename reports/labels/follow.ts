import type { Follower, LoadedBatch } from '../../app/deps.ts';
import type { Logger } from '../../app/logger.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { insertLabelEvents } from '../../warehouse/queries/labels/store.ts';
import type { LabelEventRow } from '../../warehouse/schema/labels.ts';
import type { StatusRow } from '../../warehouse/tables.ts';
import { labelRefresh } from './refresh.ts';
import { labelsOfTag } from './tag.ts';

/**
 * Labels from callback tags: when an outbound message tagged `lb=…` is sent (its `sent` status), its
 * labels are added to or removed from the recipient at that time, in that WABA. A re-delivered
 * status stores the same events again, which the table keeps once. What a follower call misses
 * (failed, dropped while behind, cut by a restart) the `labels.tags` job derives again.
 */

export const LABEL_FOLLOWER = 'labels.tags';

/** The status fields a tag's labels are read from (a loaded row, or one read back from the store). */
export type TaggedStatus = Pick<StatusRow, 'waba_id' | 'wamid' | 'recipient_id' | 'recipient_user_id' | 'recipient_type' | 'status' | 'biz_opaque_callback_data' | 'ts'>;

/** Label events of `sent` statuses' tags (other statuses and group sends carry none). */
export function labelRowsOf(statuses: Iterable<TaggedStatus>, recordedAt: number): { rows: LabelEventRow[]; malformed: number } {
  const rows: LabelEventRow[] = [];
  let malformed = 0;
  for (const s of statuses) {
    const waId = s.recipient_id || s.recipient_user_id;
    if (s.status !== 'sent' || !waId || s.recipient_type === 'group') continue;
    const found = labelsOfTag(s.biz_opaque_callback_data);
    malformed += found.malformed;
    for (const l of found.labels) {
      rows.push({ waba_id: s.waba_id, wa_id: waId, label: l.label, action: l.action, at: s.ts, source: 'tag', origin: 'tag', ref: s.wamid, recorded_at: recordedAt });
    }
  }
  return { rows, malformed };
}

export function tagLabelRows(batches: readonly LoadedBatch[], recordedAt: number): { rows: LabelEventRow[]; malformed: number } {
  return labelRowsOf(batches.flatMap((b) => b.rows.statuses), recordedAt);
}

export function labelFollower(wh: Warehouse, log: Logger, now: () => Date): Follower {
  return {
    name: LABEL_FOLLOWER,
    async follow(batches) {
      const { rows, malformed } = tagLabelRows(batches, now().getTime());
      if (malformed) log.warn({ malformed }, 'labels in callback tags not well formed; left out');
      await insertLabelEvents(wh, rows);
      // Followed once the waits they reach carry them.
      await labelRefresh(wh).stored(rows);
    },
  };
}
