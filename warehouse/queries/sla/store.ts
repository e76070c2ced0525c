import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { chatFilter, chatSelectionParams, type ChatSelection } from './events.ts';

/** Writes and bookkeeping of the SLA job: the waits table and the job's watermark. */

export const WAITS_TABLE = 'sla_waits_v1';

/** A stored wait as the job compares it with a fresh computation: timestamps in epoch ms. */
export interface StoredWait {
  wait_id: string;
  waba_id: string;
  family: string;
  started_at: number;
  phone_number_id: string;
  wa_id: string;
  [column: string]: unknown;
}

const MS_COLUMNS = ['thread_started_at', 'started_at', 'last_inbound_at', 'window_expires_at', 'responded_at', 'due_at'];

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

/** The live waits stored for the selected chats, every column, in the shape the job writes them. */
export async function storedWaits(wh: Warehouse, sel: ChatSelection): Promise<StoredWait[]> {
  const columns = `* EXCEPT (${MS_COLUMNS.join(', ')}, version), toString(version) AS version, ${MS_COLUMNS.map((c) => `toUnixTimestamp64Milli(${c}) AS ${c}`).join(', ')}`;
  const rs = await wh.jobs.query({
    query: `SELECT ${columns} FROM ${wh.database}.${WAITS_TABLE} FINAL WHERE ${chatFilter(sel, 'waba_id, phone_number_id, wa_id')}`,
    query_params: chatSelectionParams(sel),
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: 'sla.stored_waits', output_format_json_quote_64bit_integers: 0, do_not_merge_across_partitions_select_final: 1 },
  });
  return rs.json<StoredWait>();
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

export async function writeJobState(wh: Warehouse, job: string, state: JobState, updatedAt: number): Promise<void> {
  await wh.jobs.insert({
    table: `${wh.database}.sla_job_state_v1`,
    values: [{ job, watermark: state.watermark, config_hash: state.config_hash, updated_at: updatedAt }],
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: 'sla.write_job_state' },
  });
}
