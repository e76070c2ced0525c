import { createHash } from 'node:crypto';
import type { AppDeps } from '../../app/deps.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { catalogColumns, catalogTables, STORAGELESS_ENGINES } from '../../warehouse/queries/compliance/catalog.ts';
import { selectSubjectRows, type SubjectTableSpec } from '../../warehouse/queries/compliance/subjects.ts';
import { insertRewrittenBodies } from '../../warehouse/queries/compliance/erasure-set.ts';
import {
  countTraceRows, countTraceRowsEach, deleteRawVersions, deleteTraceRows, rawBodiesQuoting, rawVersionsBySha, selectTraceRows, traceCondition, type TraceNeedles, type TraceTableSpec,
} from '../../warehouse/queries/compliance/traces.ts';
import { RAW_TABLE } from '../../warehouse/tables.ts';
import { traceText, unnamedParts, withoutQuoting, withoutSubjects } from '../../ingest/body-filter.ts';
import { localDatabase } from '../../warehouse/migrate.ts';
import { isSubjectKey, keyShape } from './classification.ts';
import { classifyColumns, type ClassifiedColumn } from './subject-tables.ts';
import type { ErasureTableEvidence } from './erasure.ts';

/**
 * A conservative search for a person where no subject key points at them: quarantined bodies,
 * error texts, JSON of shapes not yet known, any text column of any table (whoever created it).
 * It looks for the person's ids, a number written with separators and the names they were seen
 * under. Rows that a subject key assigns to someone else are that person's records (a third person
 * quoting a number in their own message is their content) and are left out. Used by the access
 * export (the rows are included) and by erasure (they are deleted, and a receipt is `completed`
 * only when the search then finds nothing).
 */

/** Engines without rows to search (views, caches, `Join`/`Set` lookups rebuilt from other tables). */
const NOT_SEARCHED = new Set([...STORAGELESS_ENGINES, 'Join', 'Set', 'Null']);

/** `classified`: the catalogue already read by the caller (the access export reads it once). */
export async function traceTables(wh: Warehouse, classified?: readonly ClassifiedColumn[]): Promise<TraceTableSpec[]> {
  const db = localDatabase(wh);
  const columns = classified ?? classifyColumns(await catalogColumns(wh, { db }));
  const tables = await catalogTables(wh, { db });
  const sorting = new Map(tables.map((t) => [t.name, t.sorting_key]));
  // A table known to hold no row has nothing to find: about 7 ms a table of a search at 10 M events,
  // 14 of 47 tables there. On a cluster the count is this node's shard's only.
  const empty = new Set(wh.cluster ? [] : tables.filter((t) => t.rows_known && t.total_rows === 0).map((t) => t.name));
  const byTable = new Map<string, TraceTableSpec>();
  for (const c of columns) {
    if (NOT_SEARCHED.has(c.engine) || empty.has(c.table)) continue;
    const shape = keyShape(c.type);
    if (!shape) continue;
    let t = byTable.get(c.table);
    if (!t) {
      t = { table: c.table, text: [], arrays: [], keys: [], sortingKey: sorting.get(c.table) ?? '', prewhere: /MergeTree$|^Distributed$/.test(c.engine) };
      byTable.set(c.table, t);
    }
    if (c.classification && isSubjectKey(c.classification)) t.keys.push({ column: c.name, shape });
    // Legal-hold administration keeps ids on purpose, billing facts hold none (`find=none`); unclassified columns are searched.
    if (c.classification?.find === 'none') continue;
    (shape === 'scalar' ? t.text : t.arrays).push(c.name);
  }
  return [...byTable.values()].filter((t) => t.text.length + t.arrays.length > 0).sort((a, b) => a.table.localeCompare(b.table));
}

/** Names shorter than this are too common to search as text (an initial, a nickname). */
const MIN_NAME = 4;

/**
 * What to search for: the ids as written, each phone number also with separators between its
 * digits (anchored on its last four), and the person's names.
 */
export function traceNeedles(ids: readonly string[], names: readonly string[]): TraceNeedles {
  const phones = ids.filter((id) => /^\d{6,15}$/.test(id));
  return {
    ids: [...ids],
    needles: [...new Set([...ids, ...names.map((n) => n.trim()).filter((n) => n.length >= MIN_NAME)])],
    patterns: phones.map((p) => [...p].join('[\\s().+-]{0,3}')),
    anchors: phones.map((p) => p.slice(-4)),
  };
}

/** Names a person's own rows give them: profile names and usernames, synced contact and caller names. */
export function namesIn(rows: ReadonlyMap<string, ReadonlyArray<Record<string, unknown>>>): string[] {
  const names = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.trim() !== '') names.add(v.trim());
  };
  for (const r of rows.get('contacts_v1') ?? []) {
    add(r.profile_name);
    add(r.username);
  }
  for (const r of rows.get('management_events_v1') ?? []) {
    try {
      walkNames(JSON.parse(String(r.value_json ?? '')), add);
    } catch {
      // Not JSON: nothing to take a name from.
    }
  }
  return [...names].sort();
}

function walkNames(v: unknown, add: (s: unknown) => void, parent = ''): void {
  if (Array.isArray(v)) for (const x of v) walkNames(x, add, parent);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'full_name' || k === 'username' || (k === 'name' && parent === 'profile')) add(x);
      else walkNames(x, add, k);
    }
  }
}

/** The person's names, read from their keyed rows before anything is erased. */
export async function subjectNames(wh: Warehouse, tables: readonly SubjectTableSpec[], ids: readonly string[]): Promise<string[]> {
  const rows = new Map<string, Record<string, unknown>[]>();
  for (const t of tables) if (t.table === 'contacts_v1' || t.table === 'management_events_v1') rows.set(t.table, await selectSubjectRows(wh, t, ids));
  return namesIn(rows);
}

/** Whether a text holds a needle, as the SQL search decides it (substring, or a pattern where its anchor occurs). */
export function quotesIn(needles: TraceNeedles): (text: string) => boolean {
  const patterns = needles.patterns.map((p, i) => ({ re: new RegExp(p), anchor: needles.anchors[i] ?? '' }));
  return (text) => needles.needles.some((n) => text.includes(n)) || patterns.some((p) => text.includes(p.anchor) && p.re.test(text));
}

/**
 * Bodies kept for other people that quote the person in a part naming nobody (an error text, a
 * change of a shape not yet known), each with its body without those parts.
 */
async function sharedBodiesQuoting(wh: Warehouse, needles: TraceNeedles) {
  const quotes = quotesIn(needles);
  const found: Array<{ body_sha256: string; body: string; item_count: number; parsed: unknown; kept: unknown }> = [];
  for (const r of await rawBodiesQuoting(wh, needles)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.body);
    } catch {
      continue;
    }
    const kept = withoutQuoting(parsed, quotes);
    if (JSON.stringify(kept) !== JSON.stringify(parsed)) found.push({ ...r, parsed, kept });
  }
  return found;
}

/** Rows holding the person's traces, per table (for the access export). */
export async function traceRows(wh: Warehouse, needles: TraceNeedles, columns?: readonly ClassifiedColumn[]): Promise<Map<string, Record<string, unknown>[]>> {
  const out = new Map<string, Record<string, unknown>[]>();
  if (needles.needles.length === 0) return out;
  const tables = await traceTables(wh, columns);
  const found = await countTraceRowsEach(wh, tables, needles);
  for (const t of tables) {
    if (!found.get(t.table)) continue;
    const rows = await selectTraceRows(wh, t, needles);
    if (rows.length > 0) out.set(t.table, rows);
  }
  // A body kept for others shows only its parts that name nobody (where the person is quoted).
  const shared = (await sharedBodiesQuoting(wh, needles)).map((b) => ({ body_sha256: b.body_sha256, body: JSON.stringify(unnamedParts(b.parsed)), subject_ids: [] }));
  if (shared.length > 0) out.set(RAW_TABLE, [...(out.get(RAW_TABLE) ?? []), ...shared]);
  return out;
}

/**
 * Deletes every row holding a trace, then searches every table again: evidence for each table
 * where something was found before or remains after. `remaining` > 0 means the erasure is incomplete.
 */
export async function eraseTraces(deps: AppDeps, needles: TraceNeedles): Promise<{ evidence: ErasureTableEvidence[]; remaining: number }> {
  const wh = deps.warehouse;
  const evidence: ErasureTableEvidence[] = [];
  let remaining = 0;
  const tables = await traceTables(wh);
  const counted = await countTraceRowsEach(wh, tables, needles, true);
  for (const t of tables) {
    const before = counted.get(t.table) ?? 0;
    if (before > 0) await deleteTraceRows(wh, t, needles);
    const after = before > 0 ? await countTraceRows(wh, t, needles) : 0;
    const physical = before > 0 ? await countTraceRows(wh, t, needles, true) : 0;
    remaining += physical;
    if (before === 0) continue;
    evidence.push({
      table: `${t.table} (text search)`,
      rows_before: before,
      rows_after: after,
      rows_after_physical: physical,
      inactive_copies_after: 0,
      method: 'rows holding the number, user id or name in text, deleted by row identity (ALTER TABLE … DELETE, mutations_sync=2)',
      statement_sha256: createHash('sha256').update(traceCondition(t)).digest('hex'),
    });
  }
  const shared = await eraseSharedBodyTraces(wh, needles);
  if (shared) {
    evidence.push(shared);
    remaining += shared.rows_after;
  }
  return { evidence, remaining };
}

/**
 * Bodies kept for others lose the parts naming nobody that quote the person: each is stored again
 * without them (same key and receipt time, an insert), then the versions quoting the person are
 * deleted by key and body hash. No UPDATE: its text, kept on disk, would copy the others' bodies.
 */
async function eraseSharedBodyTraces(wh: Warehouse, needles: TraceNeedles): Promise<ErasureTableEvidence | undefined> {
  const before = await sharedBodiesQuoting(wh, needles);
  if (before.length === 0) return undefined;
  const kept = new Map(before.map((b) => [b.body_sha256, b.kept]));
  const quotes = quotesIn(needles);
  const versions = (await rawVersionsBySha(wh, { shas: [...kept.keys()] })).filter((v) => quotes(v.body));
  const rewritten = [...new Map(versions.map((v) => [v.body_sha256, v])).values()].map(({ body_hash: _h, ...v }) => {
    const body = kept.get(v.body_sha256);
    return { ...v, verdict: 'redacted' as const, body: JSON.stringify(body), trace_text: traceText(body), item_count: withoutSubjects(body, []).items, reason: 'parts quoting an erased subject removed' };
  });
  await insertRewrittenBodies(wh, rewritten);
  await deleteRawVersions(wh, versions);
  const after = (await sharedBodiesQuoting(wh, needles)).length;
  return {
    table: `${RAW_TABLE} (text search, bodies kept for others)`,
    rows_before: before.length,
    rows_after: after,
    rows_after_physical: after,
    inactive_copies_after: 0,
    method: 'stored again without the changes and items naming nobody that quote the subject (INSERT), the quoting versions deleted by key and body hash; the items of the others kept',
    statement_sha256: createHash('sha256').update('raw_bodies_quoting').digest('hex'),
  };
}
