import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineInsert, defineQuery } from '../../query.ts';
import { SLA_JOB_STATE, SLA_WAITS, WAITS_FINAL_SETTINGS } from '../../schema/sla.ts';
import { chatFilter, chatSelectionParams, chatSelectionSchema, type ChatSelection } from './events.ts';

/** Writes and bookkeeping of the SLA job: the waits table and the job's watermark. */

export const WAITS_TABLE = SLA_WAITS.name;

/**
 * What the job needs of a stored wait: its sort key (for a deletion marker), content hash and
 * version (a new computation must outrank the rows it replaces).
 */
const storedWait = SLA_WAITS.row.pick({ wait_id: true, waba_id: true, family: true, started_at: true, phone_number_id: true, wa_id: true, content_hash: true, version: true });
export type StoredWait = z.infer<typeof storedWait>;

/**
 * Waits as computed, and deletion markers: a marker carries the sort key, the version and
 * `is_deleted`; the other columns take their defaults.
 */
export const insertWaits = defineInsert({
  name: 'sla.insert_waits',
  table: SLA_WAITS.name,
  row: SLA_WAITS.row.partial().required({ wait_id: true, waba_id: true, family: true, started_at: true, phone_number_id: true, wa_id: true, version: true, is_deleted: true }),
  connection: 'jobs',
  // The table is partitioned by day (migration 0610): a full pass writes every day of the history at once.
  settings: { max_partitions_per_insert_block: '0' },
});

const storedWaitsQuery = defineQuery({
  name: 'sla.stored_waits',
  sql: (sel: ChatSelection) => `SELECT wait_id, waba_id, family, toUnixTimestamp64Milli(started_at) AS started_at, phone_number_id, wa_id, toString(content_hash) AS content_hash, toString(version) AS version
    FROM {{db}}.${WAITS_TABLE} FINAL WHERE ${chatFilter(sel, 'waba_id, phone_number_id, wa_id')}`,
  params: chatSelectionSchema,
  row: storedWait,
  connection: 'jobs',
  settings: WAITS_FINAL_SETTINGS,
});

/** The live waits stored for the selected chats. */
export function storedWaits(wh: Warehouse, sel: ChatSelection): Promise<StoredWait[]> {
  return storedWaitsQuery(wh, chatSelectionParams(sel), sel);
}

export interface JobState {
  watermark: number;
  config_hash: string;
}

export const readJobState = defineQuery({
  name: 'sla.job_state',
  connection: 'jobs',
  sql: `SELECT toUnixTimestamp64Milli(watermark) AS watermark, config_hash FROM {{db}}.sla_job_state_v1 FINAL WHERE job = {job:String}`,
  params: z.object({ job: z.string() }),
  row: z.object({ watermark: z.coerce.number(), config_hash: z.string() }),
});

const insertJobState = defineInsert({ name: 'sla.write_job_state', table: SLA_JOB_STATE.name, row: SLA_JOB_STATE.row, connection: 'jobs' });

export function writeJobState(wh: Warehouse, job: string, state: JobState, updatedAt: number): Promise<void> {
  return insertJobState(wh, [{ job, watermark: state.watermark, config_hash: state.config_hash, updated_at: updatedAt }]);
}
