import type { Warehouse } from '../../warehouse/client.ts';
import { storedAlertRules, upsertAlertRules } from '../../warehouse/queries/alerts/store.ts';
import { readKept, type KeptRead, type PartsSnapshot } from '../../warehouse/queries/parts.ts';
import { ruleSchema, type AlertRule, type AlertsConfig } from './config.ts';

const RULES_TABLE = 'alert_rules_v1';

/**
 * Rules come from two places: CONFIG_FILE (read-only here) and the admin API/CLI (stored in
 * `alert_rules_v1`). Ids are unique across both; a stored rule that no longer fits the schema
 * (written by an older version) is left out rather than stopping every other rule.
 */

export interface ListedRule {
  rule: AlertRule;
  source: 'config' | 'api';
}

/** The stored rules as last read, with what their table held then: read again once it changed. */
export type StoredRulesMemory = KeptRead<Awaited<ReturnType<typeof storedAlertRules>>>;

export async function listRules(
  wh: Warehouse, config: AlertsConfig, keep?: { memory: StoredRulesMemory; parts: () => Promise<PartsSnapshot | null> },
): Promise<ListedRule[]> {
  const fromConfig = config.rules.map((rule): ListedRule => ({ rule, source: 'config' }));
  const taken = new Set(config.rules.map((r) => r.id));
  const rows = await readKept(keep?.memory, keep?.parts, [RULES_TABLE], () => storedAlertRules(wh, {}));
  const stored = rows.flatMap((row): ListedRule[] => {
    const parsed = ruleSchema.safeParse(safeJson(row.rule_json));
    return parsed.success && !taken.has(parsed.data.id) ? [{ rule: parsed.data, source: 'api' }] : [];
  });
  return [...fromConfig, ...stored];
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class RuleConflict extends Error {}

export async function saveRule(wh: Warehouse, config: AlertsConfig, rule: AlertRule, actor: string, at: number): Promise<void> {
  if (config.rules.some((r) => r.id === rule.id)) throw new RuleConflict(`rule ${rule.id} is defined in CONFIG_FILE`);
  await upsertAlertRules(wh, [{ rule_id: rule.id, rule_json: JSON.stringify(rule), updated_by: actor, updated_at: at, is_deleted: 0 }]);
}

/** False when there is no stored rule of that id (rules in CONFIG_FILE are removed there). */
export async function deleteRule(wh: Warehouse, config: AlertsConfig, id: string, actor: string, at: number): Promise<boolean> {
  if (config.rules.some((r) => r.id === id)) throw new RuleConflict(`rule ${id} is defined in CONFIG_FILE`);
  const stored = await storedAlertRules(wh, {});
  if (!stored.some((r) => r.rule_id === id)) return false;
  await upsertAlertRules(wh, [{ rule_id: id, rule_json: '', updated_by: actor, updated_at: at, is_deleted: 1 }]);
  return true;
}
