import type { AppDeps, Job } from '../../app/deps.ts';
import type { Logger } from '../../app/logger.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { chatEvents, eventTotals, touchedChats, type ChatSelection } from '../../warehouse/queries/sla/events.ts';
import { insertWaits, readJobState, storedWaits, WAITS_TABLE, writeJobState, type StoredWait } from '../../warehouse/queries/sla/store.ts';
import { mergeTable } from '../../warehouse/queries/parts.ts';
import type { SlaSettings } from './config.ts';
import { chatKey, groupByChat } from './messages.ts';
import { waitRecords, type WaitRecord } from './records.ts';
import { writeAllCredits, writeLoadedCredits } from '../csat/credits.ts';

/**
 * Keeps `sla_waits_v1` current. Each run finds the chats with rows stored (`loaded_at`) since the
 * watermark and up to `settle_seconds` ago (so every such row is committed), recomputes those chats from all
 * their events, whatever their time, and writes the waits that changed; waits that no longer exist
 * get a deletion marker. Late and out-of-order events thus recompute their chat. The first run, and
 * any run after the SLA configuration changed, recomputes every chat in hash buckets, then merges
 * the table's parts so reports read it without costly FINAL merging.
 *
 * The bound uses the wall clock, not the report clock (`deps.now`): receipt times are wall-clock.
 *
 * After the waits, the same run writes the CSAT credits of the chats with rows loaded in its window
 * (reports/csat/credits.ts): they read the waits.
 *
 * Idempotent: rows depend only on the events and the configuration, their version on the events,
 * so two instances running the same job at once write identical rows that collapse into one.
 */

export const JOB_NAME = 'sla.waits';
/** Event rows per bucket of a full recompute (memory of one pass). */
const ROWS_PER_BUCKET = 400_000;

export interface RefreshResult {
  mode: 'full' | 'incremental' | 'idle';
  chats: number;
  waits: number;
  /** Waits new or changed (the others were stored already as computed). */
  written: number;
  deleted: number;
  watermark: number;
}

export function slaJob(deps: AppDeps, settings: SlaSettings): Job {
  const log = deps.log.child({ job: JOB_NAME });
  return {
    name: JOB_NAME,
    schedule: settings.job.schedule,
    async run() {
      const r = await refreshWaits(deps.warehouse, settings, log);
      if (r.mode !== 'idle') log.debug(r, 'waits refreshed');
    },
  };
}

export async function refreshWaits(wh: Warehouse, settings: SlaSettings, log?: Logger, wallClock = Date.now): Promise<RefreshResult> {
  const until = wallClock() - settings.job.settle_seconds * 1000;
  const [state] = await readJobState(wh, { job: JOB_NAME });
  if (!state || state.config_hash !== settings.fingerprint) return fullRecompute(wh, settings, until, log);
  const touched = until > state.watermark ? await touchedChats(wh, { since: state.watermark, until }) : [];
  const result: RefreshResult = { mode: touched.length ? 'incremental' : 'idle', chats: touched.length, waits: 0, written: 0, deleted: 0, watermark: state.watermark };
  for (let i = 0; i < touched.length; i += settings.job.batch_chats) {
    const r = await recomputeChats(wh, settings, { chats: touched.slice(i, i + settings.job.batch_chats) });
    result.waits += r.waits;
    result.written += r.written;
    result.deleted += r.deleted;
  }
  if (until > state.watermark) {
    // The CSAT credits of the same chats read these waits (and of chats known by user id only, which have none).
    await writeLoadedCredits(wh, state.watermark, until);
    await writeJobState(wh, JOB_NAME, { watermark: until, config_hash: settings.fingerprint }, wallClock());
    result.watermark = until;
  }
  return result;
}

async function fullRecompute(wh: Warehouse, settings: SlaSettings, until: number, log?: Logger): Promise<RefreshResult> {
  const [totals] = await eventTotals(wh, {});
  const rows = totals?.rows ?? 0;
  const buckets = Math.max(1, Math.ceil(rows / ROWS_PER_BUCKET));
  log?.info({ rows, buckets }, 'recomputing every chat');
  const result: RefreshResult = { mode: 'full', chats: 0, waits: 0, written: 0, deleted: 0, watermark: until };
  for (let bucket = 0; bucket < buckets; bucket++) {
    const r = await recomputeChats(wh, settings, { buckets, bucket });
    result.chats += r.chats;
    result.waits += r.waits;
    result.written += r.written;
    result.deleted += r.deleted;
  }
  // After a full recompute the table holds one part per bucket, each spanning every day, so FINAL
  // would merge them all on every report; merged, FINAL meets only the small parts runs add.
  await mergeTable(wh, WAITS_TABLE);
  await writeAllCredits(wh);
  await writeJobState(wh, JOB_NAME, { watermark: result.watermark, config_hash: settings.fingerprint }, until);
  return result;
}

/**
 * Recomputes the selected chats and writes the waits that are new or changed, plus deletion markers
 * for stored waits that no longer exist; unchanged waits keep their stored row.
 */
export async function recomputeChats(
  wh: Warehouse,
  settings: SlaSettings,
  sel: ChatSelection,
): Promise<{ chats: number; waits: number; written: number; deleted: number }> {
  const chats = groupByChat(await chatEvents(wh, sel));
  const stored = await storedWaits(wh, sel);
  const records: WaitRecord[] = [];
  const versions = new Map<string, string>();
  for (const c of chats) {
    versions.set(chatKey(c.chat), c.version);
    records.push(...waitRecords(c.chat, c.messages, settings, c.version));
  }
  const { written, deleted } = await writeWaitChanges(wh, records, stored, versions);
  return { chats: chats.length, waits: records.length, written, deleted };
}

/**
 * Writes the computed waits that are new or changed against the stored ones, and a deletion marker
 * for each stored wait of a recomputed chat (one in `versions`) that was not computed again.
 * `stored` must hold exactly the waits the computation covers.
 */
/**
 * The version a computation writes over a stored row it replaces. Versions order by the newest
 * receipt (ms), then by a row count; two computations with the same newest receipt (bodies of one
 * chat received in the same millisecond, loaded in different batches) count different spans, so
 * the count cannot order them: the later computation, which has seen at least as much, goes one
 * above. A row from a newer receipt is left to win.
 */
export function outrank(version: string, stored: string): string {
  const mine = BigInt(version);
  const theirs = BigInt(stored);
  return theirs >> 20n === mine >> 20n && theirs >= mine ? (theirs + 1n).toString() : version;
}

export async function writeWaitChanges(
  wh: Warehouse,
  records: readonly WaitRecord[],
  stored: readonly StoredWait[],
  versions: ReadonlyMap<string, string>,
): Promise<{ written: number; deleted: number }> {
  const key = (r: { wait_id: string; started_at: number }) => `${r.wait_id}\0${r.started_at}`;
  const outranking = new Map(versions);
  for (const s of stored) {
    const v = outranking.get(chatKey(s));
    if (v !== undefined) outranking.set(chatKey(s), outrank(v, s.version));
  }
  const before = new Map(stored.map((s) => [key(s), s.content_hash]));
  const changed = records.filter((r) => before.get(key(r)) !== r.content_hash).map((r) => ({ ...r, version: outranking.get(chatKey(r)) ?? r.version }));
  const live = new Set(records.map(key));
  const markers = stored
    .filter((s) => !live.has(key(s)) && outranking.has(chatKey(s)))
    .map((s) => ({ wait_id: s.wait_id, waba_id: s.waba_id, family: s.family, started_at: s.started_at, phone_number_id: s.phone_number_id, wa_id: s.wa_id, version: outranking.get(chatKey(s))!, is_deleted: 1 }));
  if (changed.length || markers.length) await insertWaits(wh, [...changed, ...markers]);
  return { written: changed.length, deleted: markers.length };
}
