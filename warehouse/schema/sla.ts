import { c, defineTable, type RowOf } from './columns.ts';

/** The SLA module's tables (migrations 0101, 0102). */

/** One row per wait and response family; see migration 0101 for what each column means. */
export const SLA_WAITS = defineTable('sla_waits_v1', {
  wait_id: c.string,
  waba_id: c.string,
  phone_number_id: c.string,
  wa_id: c.string,
  family: c.lowString,
  kind: c.lowString,
  seq: c.uint32,
  thread_started_at: c.time,
  initiator: c.lowString,
  entry_point: c.lowString,
  start_wamid: c.string,
  started_at: c.time,
  last_inbound_at: c.time,
  window_expires_at: c.time,
  responded_at: c.nullable(c.time),
  response_wamid: c.string,
  response_seconds: c.nullable(c.float64),
  business_response_seconds: c.nullable(c.float64),
  responder: c.lowString,
  agent: c.string,
  team: c.string,
  owner_team: c.string,
  response_template: c.bool,
  replied_in_window: c.nullable(c.bool),
  time_to_deliver_seconds: c.nullable(c.float64),
  time_to_read_seconds: c.nullable(c.float64),
  calendar_id: c.string,
  calendar_version: c.string,
  sla_policy: c.string,
  sla_target_seconds: c.nullable(c.uint32),
  sla_mode: c.lowString,
  due_at: c.nullable(c.time),
  sla_status: c.lowString,
  version: c.uint64Text,
  content_hash: c.uint64Text,
  is_deleted: c.uint8,
}, {
  /** The label set in force when the wait started (migration 0602). */
  label_set: c.uint64Text,
});
export type SlaWaitRow = RowOf<typeof SLA_WAITS>;

export const SLA_JOB_STATE = defineTable('sla_job_state_v1', {
  job: c.string,
  watermark: c.time,
  config_hash: c.string,
  updated_at: c.time,
});

/**
 * Settings of every `FINAL` read of the waits: partition by partition, since a wait's day (its
 * partition, migration 0610) never changes; a partition that is one merged part is then read as it is.
 */
export const WAITS_FINAL_SETTINGS = { do_not_merge_across_partitions_select_final: 1 } as const;
