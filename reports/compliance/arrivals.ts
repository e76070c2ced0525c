import { Counter, type Registry } from 'prom-client';
import type { AppDeps, Follower, LoadedBatch } from '../../app/deps.ts';
import { ITEM_TABLES, type ItemKind } from '../../warehouse/tables.ts';
import { insertRetentionDropped } from '../../warehouse/queries/compliance/dropped.ts';
import { privacyConfig, type PrivacyConfig } from './config.ts';
import { rowRetention } from './retention.ts';

/**
 * Rows that arrive already past their table's retention are removed by its TTL as they are
 * inserted (an archive replayed, a body that waited in the ingest log). They are counted per table
 * and reason, so the retention report, the privacy dashboard, `replay` and a metric say that
 * retention, not a fault, left them out. Legal holds exempt rows from the TTL: a held subject's
 * row is counted here though it is kept.
 */

export const PAST_RETENTION = 'past retention on arrival';
const DAY_MS = 86_400_000;

export const droppedOnArrival = new Counter({
  name: 'wa_retention_dropped_on_arrival_total',
  help: 'Rows not stored because they were past their table retention when they arrived, by table and reason',
  labelNames: ['table', 'reason'] as const,
  registers: [],
});

export function registerRetentionMetrics(registry: Registry): void {
  if (!registry.getSingleMetric('wa_retention_dropped_on_arrival_total')) registry.registerMetric(droppedOnArrival);
}

/** Pure: rows of the batches whose time is past their table's retention at `nowMs`, per table. */
export function countPastRetention(batches: readonly LoadedBatch[], cfg: PrivacyConfig, nowMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const kind of Object.keys(ITEM_TABLES) as ItemKind[]) {
    const table = ITEM_TABLES[kind].table;
    const policy = rowRetention(table, cfg);
    if (!policy) continue;
    const cutoff = nowMs - policy.days * DAY_MS;
    let n = 0;
    for (const { rows } of batches) {
      for (const row of rows[kind] as Array<Record<string, unknown>>) {
        const t = row[policy.time_column];
        if (typeof t === 'number' && t < cutoff) n++;
      }
    }
    if (n > 0) out.set(table, n);
  }
  return out;
}

export function retentionArrivalsFollower(deps: AppDeps): Follower {
  const cfg = privacyConfig(deps.config.file);
  return {
    name: 'compliance.retention_arrivals',
    async follow(batches) {
      const now = deps.now();
      const counts = countPastRetention(batches, cfg, now.getTime());
      if (counts.size === 0) return;
      const day = now.toISOString().slice(0, 10);
      await insertRetentionDropped(deps.warehouse, [...counts].map(([table, rows]) => ({ table_name: table, reason: PAST_RETENTION, day, rows })));
      for (const [table, rows] of counts) droppedOnArrival.inc({ table, reason: PAST_RETENTION }, rows);
    },
  };
}

/** What this process counted so far, per table (the `replay` summary). */
export async function droppedThisProcess(): Promise<Array<{ table: string; reason: string; rows: number }>> {
  const { values } = await droppedOnArrival.get();
  return values.filter((v) => v.value > 0).map((v) => ({ table: String(v.labels.table), reason: String(v.labels.reason), rows: v.value }));
}
