import type { AppDeps, Job } from '../../app/deps.ts';
import { insertLabelEvents } from '../../warehouse/queries/labels/store.ts';
import { saveTagsState, taggedSentSince, tagsState } from '../../warehouse/queries/labels/tags.ts';
import { labelRowsOf } from './follow.ts';
import { labelRefresh } from './refresh.ts';

export const TAGS_JOB = 'labels.tags';
/** Every five minutes, off the minute the other jobs start on. */
export const TAGS_SCHEDULE = '15 */5 * * * *';
/** Rows stored just before the watermark are read again (a load in flight at the last run). */
const OVERLAP_MS = 60_000;

/**
 * The tag follower's safety net: label events of every tagged `sent` status loaded since the last
 * run (all of them the first time), stored again. The table keeps an event once, so what the
 * follower already stored is not doubled. Watermarks are wall-clock time, as `loaded_at` is.
 */
export async function deriveTagLabels(deps: AppDeps): Promise<{ statuses: number; events: number }> {
  const wh = deps.warehouse;
  const started = Date.now();
  const since = (await tagsState(wh, { job: TAGS_JOB }))[0]?.watermark_ms;
  const statuses = await taggedSentSince(wh, { from_ms: since === undefined ? 0 : Math.max(0, since - OVERLAP_MS) });
  const { rows, malformed } = labelRowsOf(statuses, deps.now().getTime());
  if (malformed) deps.log.warn({ malformed }, 'labels in callback tags not well formed; left out');
  if (rows.length > 0) {
    await insertLabelEvents(wh, rows);
    await labelRefresh(wh).stored(rows);
  }
  await saveTagsState(wh, [{ job: TAGS_JOB, watermark_ms: started, updated_at: Date.now() }]);
  return { statuses: statuses.length, events: rows.length };
}

export function tagsJob(deps: AppDeps): Job {
  return {
    name: TAGS_JOB,
    schedule: TAGS_SCHEDULE,
    async run() {
      await deriveTagLabels(deps);
    },
  };
}
