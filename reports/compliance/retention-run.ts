import type { Warehouse } from '../../warehouse/client.ts';
import { catalogColumns, catalogTables, pendingMutations, STORAGELESS_ENGINES } from '../../warehouse/queries/compliance/catalog.ts';
import { ageOfParts, ageStats, modifyTableTtl, partAgesOf, purgeExpiredContent, removeTableTtl, ttlExpression, type AgeStats, type PartAge } from '../../warehouse/queries/compliance/retention.ts';
import { readParts, type PartsSnapshot } from '../../warehouse/queries/parts.ts';
import type { PrivacyConfig } from './config.ts';
import { holdsPersonalData } from './classification.ts';
import { classifyColumns } from './subject-tables.ts';
import { parseTableTtl, resolvePolicies, retentionState, ttlMatches, type RetentionPolicy } from './retention.ts';
import { localDatabase } from '../../warehouse/migrate.ts';
import { retentionDroppedTotals } from '../../warehouse/queries/compliance/dropped.ts';

/** Retention against the warehouse: apply the policies as TTLs, purge old content, report status. */

const DAY_MS = 86_400_000;

async function context(wh: Warehouse, cfg: PrivacyConfig) {
  const [columns, tables] = await Promise.all([catalogColumns(wh, { db: localDatabase(wh) }), catalogTables(wh, { db: localDatabase(wh) })]);
  const stored = tables.filter((t) => !STORAGELESS_ENGINES.has(t.engine) && /MergeTree$/.test(t.engine));
  const classified = classifyColumns(columns.filter((c) => stored.some((t) => t.name === c.table)));
  const policies = resolvePolicies(classified, cfg, new Map(stored.map((t) => [t.name, t.sorting_key])));
  return { classified, stored, policies };
}

export interface ApplyResult {
  changed: string[];
  unchanged: string[];
  failed: Array<{ table: string; error: string }>;
}

/**
 * Sets each table's TTL to its policy (rows under an active legal hold are exempt), removes TTLs a
 * policy no longer asks for, and leaves matching ones alone. Existing parts are not rewritten now;
 * the next TTL merge applies it (`MATERIALIZE TTL` forces it).
 */
export async function applyRetention(wh: Warehouse, cfg: PrivacyConfig): Promise<ApplyResult> {
  const { stored, policies } = await context(wh, cfg);
  const result: ApplyResult = { changed: [], unchanged: [], failed: [] };
  for (const p of policies) {
    const current = parseTableTtl(stored.find((t) => t.name === p.table)?.create_table_query ?? '');
    if (ttlMatches(p, current)) {
      result.unchanged.push(p.table);
      continue;
    }
    try {
      if (p.days === null) await removeTableTtl(wh, p.table);
      else await modifyTableTtl(wh, p.table, ttlExpression(localDatabase(wh), p.time_column, p.days, p.keys));
      result.changed.push(p.table);
    } catch (e) {
      result.failed.push({ table: p.table, error: (e as Error).message.slice(0, 200) });
    }
  }
  return result;
}

/** Clears content past its (shorter) content policy, except under a legal hold. */
export async function purgeContent(wh: Warehouse, cfg: PrivacyConfig, now: Date): Promise<string[]> {
  const { policies } = await context(wh, cfg);
  const done: string[] = [];
  for (const p of policies) {
    if (p.content_days === null || p.content_columns.length === 0) continue;
    await purgeExpiredContent(wh, p.table, { timeColumn: p.time_column, cutoffMs: now.getTime() - p.content_days * DAY_MS, keys: p.keys, contentColumns: p.content_columns });
    done.push(p.table);
  }
  return done;
}

export interface RetentionStatusRow {
  snapshot_at: string;
  table: string;
  engine: string;
  partition_key: string;
  policy_id: string;
  policy_days: number | null;
  content_policy_days: number | null;
  retention_basis: string;
  time_column: string;
  ttl_configured: string;
  ttl_matches_policy: boolean;
  oldest_event_time: string | null;
  newest_event_time: string | null;
  rows_total: number;
  rows_past_policy: number;
  rows_held_past_policy: number;
  rows_content_past_policy: number;
  bytes_total: number;
  pending_mutations: number;
  /** Rows never stored because they were past this table's retention when they arrived. */
  rows_dropped_on_arrival: number;
  status: string;
  breach_reason: string;
}

export const RETENTION_COLUMNS = [
  { name: 'snapshot_at', type: 'String' }, { name: 'table', type: 'String' }, { name: 'engine', type: 'String' },
  { name: 'partition_key', type: 'String' }, { name: 'policy_id', type: 'String' }, { name: 'policy_days', type: 'Nullable(UInt32)' },
  { name: 'content_policy_days', type: 'Nullable(UInt32)' }, { name: 'retention_basis', type: 'String' }, { name: 'time_column', type: 'String' },
  { name: 'ttl_configured', type: 'String' }, { name: 'ttl_matches_policy', type: 'Bool' }, { name: 'oldest_event_time', type: 'Nullable(String)' },
  { name: 'newest_event_time', type: 'Nullable(String)' }, { name: 'rows_total', type: 'UInt64' }, { name: 'rows_past_policy', type: 'UInt64' },
  { name: 'rows_held_past_policy', type: 'UInt64' }, { name: 'rows_content_past_policy', type: 'UInt64' }, { name: 'bytes_total', type: 'UInt64' },
  { name: 'pending_mutations', type: 'UInt32' }, { name: 'rows_dropped_on_arrival', type: 'UInt64' }, { name: 'status', type: 'String' },
  { name: 'breach_reason', type: 'String' },
];

/** R3: per table, the policy, the TTL actually set, the age of the data and what is past policy. */
/**
 * The age statistics of each table as last read, with its parts then (each part's rows and time
 * range): a caller that asks again and again (the alert rules, every cycle) reads a table again only
 * once its parts changed, and then only its new parts, as long as every row stays short of the
 * cutoffs; a table with rows past a cutoff is read whole.
 */
export type AgeMemory = Map<string, { key: string; fingerprint: string; stats: AgeStats; parts?: Map<string, PartAge> }>;

/**
 * What a caller that asks again and again keeps of the retention status: the age statistics, the
 * catalogue (tables, classified columns and policies) while no table's definition changed, and the
 * counts dropped on arrival while their table's parts stand still.
 */
export interface RetentionMemory {
  ages: AgeMemory;
  catalog?: { key: string; context: Awaited<ReturnType<typeof context>> };
  dropped?: { fingerprint: string; rows: Awaited<ReturnType<typeof retentionDroppedTotals>> };
}

const retentionMemories = new WeakMap<Warehouse, RetentionMemory>();

/** The process's retention memory for a warehouse, shared by whoever asks often (retention rules, the privacy dashboard). */
export function retentionMemory(wh: Warehouse): RetentionMemory {
  let m = retentionMemories.get(wh);
  if (!m) retentionMemories.set(wh, (m = { ages: new Map() }));
  return m;
}

/** A day either side of a cutoff: a time column read in another zone cannot make a kept answer wrong. */
const ZONE_MARGIN_MS = DAY_MS;

/** The active parts of a table, by id (stable while the part stands) and name (what a read names). */
type ActiveParts = ReadonlyMap<string, string>;

type AgeOptions = Parameters<typeof ageStats>[2];
const ageKey = (opts: AgeOptions) => JSON.stringify([opts.timeColumn, opts.keys, opts.contentColumns]);

/** The parts of a table that came since its statistics were kept (none to read: empty; nothing kept to go on from: undefined). */
function freshParts(table: string, opts: AgeOptions, active: ActiveParts, memory: AgeMemory): string[] | undefined {
  const had = memory.get(table);
  if (!had?.parts || had.key !== ageKey(opts)) return undefined;
  return [...active].filter(([id]) => !had.parts!.has(id)).map(([, name]) => name);
}

/** `prefetched`: the ages of the table's new parts (`freshParts`), read with other tables'. */
async function ageStatsKept(
  wh: Warehouse, table: string, opts: AgeOptions, snapshot: PartsSnapshot | null, memory: AgeMemory | undefined, prefetched?: ReadonlyMap<string, PartAge>,
): Promise<AgeStats> {
  const key = ageKey(opts);
  const active = snapshot?.active(table);
  const fingerprint = snapshot?.fingerprint(table);
  const had = memory?.get(table);
  // Rows all short of both cutoffs (with a day's margin for zones): nothing is past policy.
  const short = (oldestMs: number | null) => [opts.cutoffMs, opts.contentCutoffMs].every((c) => c === null || (oldestMs ?? Infinity) - ZONE_MARGIN_MS >= c);
  const none = (s: AgeStats) => s.past_policy === 0 && s.held_past_policy === 0 && s.content_past_policy === 0;
  if (had && had.key === key && fingerprint !== undefined) {
    if (had.fingerprint === fingerprint && none(had.stats) && short(had.stats.oldest_ms)) return had.stats;
    // The parts that came since are read; those that stand are as they were.
    if (had.parts && active) {
      const read = prefetched ?? new Map<string, PartAge>();
      const parts = new Map<string, PartAge>();
      for (const [id, name] of active) {
        const p = had.parts.get(id) ?? read.get(name);
        if (p) parts.set(id, p);
      }
      const stats: AgeStats = { ...ageOfParts(parts.values()), past_policy: 0, held_past_policy: 0, content_past_policy: 0 };
      // Every part accounted for (none merged away meanwhile) and every row short of the cutoffs.
      if (parts.size === active.size && short(stats.oldest_ms)) {
        memory!.set(table, { key, fingerprint, stats, parts });
        return stats;
      }
    }
  }
  const { parts: byName, ...stats } = await ageStats(wh, table, opts);
  if (memory && fingerprint !== undefined) {
    // The parts read are those listed before the read, else the next call reads the table whole again.
    const parts = new Map<string, PartAge>();
    for (const [id, name] of active!) {
      const p = byName.get(name);
      if (p) parts.set(id, p);
    }
    memory.set(table, { key, fingerprint, stats, ...(parts.size === active!.size && byName.size === active!.size ? { parts } : {}) });
  }
  return stats;
}

/**
 * The retention status of every stored table. With `memory`, a table's age statistics are read again
 * only once its parts changed (`parts`: a snapshot of the parts shared with other reads).
 */
export async function retentionStatus(
  wh: Warehouse, cfg: PrivacyConfig, now: Date, memory?: RetentionMemory, parts?: () => Promise<PartsSnapshot | null>,
): Promise<RetentionStatusRow[]> {
  // The parts and definitions are taken before the other reads: a change that lands during them
  // changes them, and the next call reads again.
  const fingerprints = memory ? await (parts ?? (() => readParts(wh)))() : null;
  const catalogKey = fingerprints ? `${fingerprints.schema()}|${JSON.stringify(cfg)}` : undefined;
  const droppedPrint = fingerprints?.fingerprint('retention_dropped_v1');
  // The pending mutations, and what is not kept, are small reads: side by side.
  const [catalog, mutations, drops] = await Promise.all([
    catalogKey !== undefined && memory?.catalog?.key === catalogKey ? memory.catalog.context : context(wh, cfg),
    pendingMutations(wh, { db: localDatabase(wh) }),
    droppedPrint !== undefined && memory?.dropped?.fingerprint === droppedPrint ? memory.dropped.rows : retentionDroppedTotals(wh, {}),
  ]);
  if (memory && catalogKey !== undefined) memory.catalog = { key: catalogKey, context: catalog };
  if (memory && droppedPrint !== undefined) memory.dropped = { fingerprint: droppedPrint, rows: drops };
  const { classified, stored, policies } = catalog;
  const pending = new Map(mutations.map((m) => [m.table, m.pending]));
  const dropped = new Map<string, number>();
  for (const d of drops) dropped.set(d.table_name, (dropped.get(d.table_name) ?? 0) + d.rows);
  const ageOptions = (p: RetentionPolicy): AgeOptions => ({
    timeColumn: p.time_column,
    cutoffMs: p.days === null ? null : now.getTime() - p.days * DAY_MS,
    contentCutoffMs: p.content_days === null ? null : now.getTime() - p.content_days * DAY_MS,
    keys: p.keys,
    contentColumns: p.content_columns,
  });
  // The new parts of every table with kept statistics, in one read.
  const wanted = memory && fingerprints
    ? policies.filter((p) => stored.some((t) => t.name === p.table)).flatMap((p) => {
      const parts = freshParts(p.table, ageOptions(p), fingerprints.active(p.table), memory.ages);
      return parts?.length ? [{ table: p.table, timeColumn: p.time_column, parts }] : [];
    })
    : [];
  const prefetched = await partAgesOf(wh, wanted);
  const rows: RetentionStatusRow[] = [];
  for (const t of stored) {
    const p: RetentionPolicy | undefined = policies.find((x) => x.table === t.name);
    const personal = classified.some((c) => c.table === t.name && c.classification && holdsPersonalData(c.classification));
    const ttl = parseTableTtl(t.create_table_query);
    const base = {
      snapshot_at: now.toISOString(),
      table: t.name,
      engine: t.engine,
      partition_key: t.partition_key,
      ttl_configured: ttl?.expression ?? '',
      // The bytes of the parts listed (what the table's total is) when the catalogue is kept.
      bytes_total: fingerprints ? fingerprints.bytes(t.name) : t.total_bytes,
      pending_mutations: pending.get(t.name) ?? 0,
      rows_dropped_on_arrival: dropped.get(t.name) ?? 0,
    };
    if (!p) {
      rows.push({
        ...base, policy_id: '', policy_days: null, content_policy_days: null, time_column: '',
        retention_basis: personal ? '' : 'no personal data', ttl_matches_policy: !personal, oldest_event_time: null, newest_event_time: null,
        rows_total: fingerprints ? fingerprints.rows(t.name) : t.total_rows, rows_past_policy: 0, rows_held_past_policy: 0, rows_content_past_policy: 0,
        status: personal ? 'WARN' : 'OK', breach_reason: personal ? 'holds personal data but has no retention policy' : '',
      });
      continue;
    }
    const stats = await ageStatsKept(wh, t.name, ageOptions(p), fingerprints, memory?.ages, prefetched.get(t.name));
    const matches = ttlMatches(p, ttl);
    const state = retentionState({
      days: p.days, ttl_matches: matches, rows_past_policy: stats.past_policy, held_past_policy: stats.held_past_policy,
      content_past_policy: stats.content_past_policy, pending_mutations: base.pending_mutations,
    });
    rows.push({
      ...base,
      policy_id: p.policy_id,
      policy_days: p.days,
      content_policy_days: p.content_days,
      retention_basis: p.basis,
      time_column: p.time_column,
      ttl_matches_policy: matches,
      oldest_event_time: stats.oldest,
      newest_event_time: stats.newest,
      rows_total: stats.rows,
      rows_past_policy: stats.past_policy,
      rows_held_past_policy: stats.held_past_policy,
      rows_content_past_policy: stats.content_past_policy,
      status: state.status,
      breach_reason: state.reason,
    });
  }
  return rows;
}
