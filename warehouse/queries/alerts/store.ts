import { z } from 'zod';
import { defineCommand, defineInsert, defineQuery } from '../../query.ts';
import { ALERT_DELIVERIES, ALERT_FIRINGS, ALERT_INSTANCES, ALERT_RULE_ITEMS, ALERT_RULE_STATE, ALERT_RULES } from '../../schema/alerts.ts';

/** The alerts module's reads and writes: stored rules, rule state, firings and the delivery log. */

export const upsertAlertRules = defineInsert({ name: 'alerts.upsert_rule', table: ALERT_RULES.name, row: ALERT_RULES.row });
export const writeRuleStates = defineInsert({ name: 'alerts.write_rule_state', table: ALERT_RULE_STATE.name, row: ALERT_RULE_STATE.row });
export const writeRuleItems = defineInsert({ name: 'alerts.write_rule_items', table: ALERT_RULE_ITEMS.name, row: ALERT_RULE_ITEMS.row });
export const insertFirings = defineInsert({ name: 'alerts.insert_firing', table: ALERT_FIRINGS.name, row: ALERT_FIRINGS.row });
export const insertDeliveries = defineInsert({ name: 'alerts.insert_delivery', table: ALERT_DELIVERIES.name, row: ALERT_DELIVERIES.row });

const ms = (col: string) => `toUnixTimestamp64Milli(${col}) AS ${col}`;

export const storedAlertRules = defineQuery({
  name: 'alerts.stored_rules',
  sql: `SELECT rule_id, rule_json, updated_by, ${ms('updated_at')} FROM {{db}}.alert_rules_v1 FINAL WHERE is_deleted = 0 ORDER BY rule_id`,
  params: z.object({}),
  row: z.object({ rule_id: z.string(), rule_json: z.string(), updated_by: z.string(), updated_at: z.coerce.number() }),
});

export const ruleStates = defineQuery({
  name: 'alerts.rule_states',
  sql: `SELECT rule_id, state_json, ${ms('last_fired_at')} FROM {{db}}.alert_rule_state_v1 FINAL`,
  params: z.object({}),
  row: z.object({ rule_id: z.string(), state_json: z.string(), last_fired_at: z.coerce.number().nullable() }),
});

const itemRow = z.object({
  rule_id: z.string(), item_key: z.string(), since: z.coerce.number(), notified: z.coerce.number(), resolving: z.coerce.number(), item_json: z.string(),
});
export type StoredRuleItem = z.infer<typeof itemRow>;
const ITEM_COLUMNS = `rule_id, item_key, ${ms('since')}, notified, resolving, item_json`;

/** The items every rule tracks (forgotten ones left out by FINAL). */
export const ruleItems = defineQuery({
  name: 'alerts.rule_items',
  sql: `SELECT ${ITEM_COLUMNS} FROM {{db}}.alert_rule_items_v1 FINAL ORDER BY rule_id, item_key`,
  params: z.object({}),
  row: itemRow,
});

/** The items one rule tracks (a rule taken over from another instance). */
export const ruleItemsOf = defineQuery({
  name: 'alerts.rule_items_of',
  sql: `SELECT ${ITEM_COLUMNS} FROM {{db}}.alert_rule_items_v1 FINAL WHERE rule_id = {rule_id:String} ORDER BY item_key`,
  params: z.object({ rule_id: z.string() }),
  row: itemRow,
});

/** Forgets the state of the rules whose ids start with a prefix (a benchmark's own rules, before it starts over). */
export const forgetRuleStates = defineCommand({
  name: 'alerts.forget_rule_states',
  sql: `DELETE FROM {{db}}.alert_rule_state_v1 WHERE startsWith(rule_id, {prefix:String})`,
  params: z.object({ prefix: z.string().min(1) }),
});

/** The same for their items. */
export const forgetRuleItems = defineCommand({
  name: 'alerts.forget_rule_items',
  sql: `DELETE FROM {{db}}.alert_rule_items_v1 WHERE startsWith(rule_id, {prefix:String})`,
  params: z.object({ prefix: z.string().min(1) }),
});

/** Forgets every instance but one (a benchmark at a standing clock, where every instance ever seen looks alive). */
export const forgetOtherInstances = defineCommand({
  name: 'alerts.forget_other_instances',
  sql: `DELETE FROM {{db}}.alert_instances_v1 WHERE instance_id != {keep:String}`,
  params: z.object({ keep: z.string().min(1) }),
});

/** Firings newest first, optionally of one rule, limited to WABAs (empty: all; global firings only then). */
export const firingHistory = defineQuery({
  name: 'alerts.firings',
  sql: `SELECT firing_id, rule_id, state, ${ms('at')}, waba_ids, items, payload_json FROM {{db}}.alert_firings_v1
        WHERE (empty({rule_id:String}) OR rule_id = {rule_id:String})
          AND (NOT {scoped:Bool} OR (notEmpty(waba_ids) AND hasAll({wabas:Array(String)}, waba_ids)))
        ORDER BY at DESC, firing_id LIMIT {row_limit:UInt32}`,
  params: z.object({ rule_id: z.string(), scoped: z.boolean(), wabas: z.array(z.string()), row_limit: z.number().int() }),
  row: z.object({
    firing_id: z.string(), rule_id: z.string(), state: z.string(), at: z.coerce.number(), waba_ids: z.array(z.string()), items: z.coerce.number(), payload_json: z.string(),
  }),
});

export const deliveryHistory = defineQuery({
  name: 'alerts.deliveries',
  sql: `SELECT firing_id, rule_id, recipient_id, channel, attempt, ${ms('at')}, outcome, status_code, error FROM {{db}}.alert_deliveries_v1
        WHERE (empty({rule_id:String}) OR rule_id = {rule_id:String}) AND (empty({firing_id:String}) OR firing_id = {firing_id:String})
        ORDER BY at DESC, firing_id, recipient_id, channel, attempt DESC LIMIT {row_limit:UInt32}`,
  params: z.object({ rule_id: z.string(), firing_id: z.string(), row_limit: z.number().int() }),
  row: z.object({
    firing_id: z.string(), rule_id: z.string(), recipient_id: z.string(), channel: z.string(), attempt: z.coerce.number(),
    at: z.coerce.number(), outcome: z.string(), status_code: z.coerce.number(), error: z.string(),
  }),
});

/**
 * Firings and resolutions of some rules, newest first, for a viewer: within a WABA scope (`scoped`:
 * only messages whose WABAs are all in `wabas`; service-wide ones need every WABA), optionally of one
 * WABA, since an instant.
 */
export const visibleFirings = defineQuery({
  name: 'alerts.visible_firings',
  sql: `SELECT firing_id, rule_id, state, ${ms('at')}, waba_ids, items, payload_json FROM {{db}}.alert_firings_v1
        WHERE has({rule_ids:Array(String)}, rule_id) AND state IN ('firing', 'resolved')
          AND at >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC')
          AND (NOT {scoped:Bool} OR (notEmpty(waba_ids) AND hasAll({wabas:Array(String)}, waba_ids)))
          AND (empty({waba:String}) OR has(waba_ids, {waba:String}))
        ORDER BY at DESC, firing_id LIMIT {row_limit:UInt32}`,
  params: z.object({ rule_ids: z.array(z.string()), since_ms: z.number().int(), scoped: z.boolean(), wabas: z.array(z.string()), waba: z.string(), row_limit: z.number().int() }),
  row: z.object({
    firing_id: z.string(), rule_id: z.string(), state: z.string(), at: z.coerce.number(), waba_ids: z.array(z.string()), items: z.coerce.number(), payload_json: z.string(),
  }),
});

export const writeInstanceSeen = defineInsert({ name: 'alerts.instance_seen', table: ALERT_INSTANCES.name, row: ALERT_INSTANCES.row });

/** Instances alive since an instant (their last heartbeat at or after it). */
export const liveInstances = defineQuery({
  name: 'alerts.live_instances',
  sql: `SELECT instance_id FROM {{db}}.alert_instances_v1 FINAL WHERE seen_at >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC') ORDER BY instance_id`,
  params: z.object({ since_ms: z.number().int() }),
  row: z.object({ instance_id: z.string() }),
});

/** One rule's stored state (a rule taken over from another instance is read afresh). */
export const ruleStateOf = defineQuery({
  name: 'alerts.rule_state_of',
  sql: `SELECT rule_id, state_json, ${ms('last_fired_at')} FROM {{db}}.alert_rule_state_v1 FINAL WHERE rule_id = {rule_id:String}`,
  params: z.object({ rule_id: z.string() }),
  row: z.object({ rule_id: z.string(), state_json: z.string(), last_fired_at: z.coerce.number().nullable() }),
});
