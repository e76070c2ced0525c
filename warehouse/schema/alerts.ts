import { c, defineTable, type RowOf } from './columns.ts';

/** The alerts module's tables (migrations 0500–0502). */

export const ALERT_RULES = defineTable('alert_rules_v1', {
  rule_id: c.string,
  rule_json: c.string,
  updated_by: c.string,
  updated_at: c.time,
  is_deleted: c.uint8,
});
export type AlertRuleRow = RowOf<typeof ALERT_RULES>;

export const ALERT_RULE_STATE = defineTable('alert_rule_state_v1', {
  rule_id: c.string,
  state_json: c.string,
  last_fired_at: c.nullable(c.time),
  updated_at: c.time,
});
export type AlertRuleStateRow = RowOf<typeof ALERT_RULE_STATE>;

/** The items each rule tracks, a row per rule and item (migration 0502). */
export const ALERT_RULE_ITEMS = defineTable('alert_rule_items_v1', {
  rule_id: c.string,
  item_key: c.string,
  since: c.time,
  notified: c.uint8,
  resolving: c.uint8,
  item_json: c.string,
  removed: c.uint8,
  updated_at: c.time,
});
export type AlertRuleItemRow = RowOf<typeof ALERT_RULE_ITEMS>;

export const ALERT_FIRINGS = defineTable('alert_firings_v1', {
  firing_id: c.string,
  rule_id: c.string,
  state: c.oneOf(c.lowString, ['firing', 'resolved', 'test', 'scheduled']),
  at: c.time,
  waba_ids: c.strings,
  items: c.uint32,
  payload_json: c.string,
});
export type AlertFiringRow = RowOf<typeof ALERT_FIRINGS>;

export const ALERT_DELIVERIES = defineTable('alert_deliveries_v1', {
  firing_id: c.string,
  rule_id: c.string,
  recipient_id: c.string,
  channel: c.oneOf(c.lowString, ['email', 'slack', 'webhook']),
  attempt: c.uint32,
  at: c.time,
  outcome: c.oneOf(c.lowString, ['delivered', 'retrying', 'failed']),
  status_code: c.uint32,
  error: c.string,
});
export type AlertDeliveryRow = RowOf<typeof ALERT_DELIVERIES>;

/** Instances evaluating alerts and when each was last alive (migration 0501). */
export const ALERT_INSTANCES = defineTable('alert_instances_v1', {
  instance_id: c.string,
  seen_at: c.time,
});
export type AlertInstanceRow = RowOf<typeof ALERT_INSTANCES>;
