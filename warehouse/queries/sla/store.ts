import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineCommand, defineQuery } from '../../query.ts';
import { chatFilter, chatSelectionParams, type ChatSelection } from './events.ts';

/** Writes and bookkeeping of the SLA job: the waits table and the job's watermark. */

export const WAITS_TABLE = 'sla_waits_v1';

/** What the job needs of a stored wait: its sort key (for a deletion marker) and content hash. */
export interface StoredWait {
  wait_id: string;
  waba_id: string;
  family: string;
  started_at: number;
  phone_number_id: string;
  wa_id: string;
  content_hash: string;
}

/** Inserts rows into sla_waits_v1 (JSONEachRow, timestamps as epoch ms). */
export async function insertWaits(wh: Warehouse, rows: readonly object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 50_000) {
    await wh.jobs.insert({
      table: `${wh.database}.${WAITS_TABLE}`,
      values: rows.slice(i, i + 50_000) as object[],
      format: 'JSONEachRow',
      clickhouse_settings: { log_comment: 'sla.insert_waits' },
    });
  }
}

/** The live waits stored for the selected chats. */
export async function storedWaits(wh: Warehouse, sel: ChatSelection): Promise<StoredWait[]> {
  const columns = 'wait_id, waba_id, family, toUnixTimestamp64Milli(started_at) AS started_at, phone_number_id, wa_id, toString(content_hash) AS content_hash';
  const rs = await wh.jobs.query({
    query: `SELECT ${columns} FROM ${wh.database}.${WAITS_TABLE} FINAL WHERE ${chatFilter(sel, 'waba_id, phone_number_id, wa_id')}`,
    query_params: chatSelectionParams(sel),
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: 'sla.stored_waits', output_format_json_quote_64bit_integers: 0, do_not_merge_across_partitions_select_final: 1 },
  });
  return rs.json<StoredWait>();
}

/**
 * Merges every part of the waits table. After a full recompute the table holds one part per bucket,
 * each spanning every day, so FINAL would have to merge them all on every report; merged, FINAL only
 * meets the small recent parts the incremental runs add.
 */
export const optimizeWaits = defineCommand({
  name: 'sla.optimize_waits',
  sql: `OPTIMIZE TABLE {{db}}.${WAITS_TABLE} FINAL`,
  params: z.object({}),
  connection: 'jobs',
});

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

export async function writeJobState(wh: Warehouse, job: string, state: JobState, updatedAt: number): Promise<void> {
  await wh.jobs.insert({
    table: `${wh.database}.sla_job_state_v1`,
    values: [{ job, watermark: state.watermark, config_hash: state.config_hash, updated_at: updatedAt }],
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: 'sla.write_job_state' },
  });
}
