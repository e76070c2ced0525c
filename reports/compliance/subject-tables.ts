import type { Warehouse } from '../../warehouse/client.ts';
import { catalogColumns, STORAGELESS_ENGINES, type CatalogColumn } from '../../warehouse/queries/compliance/catalog.ts';
import type { SubjectTableSpec } from '../../warehouse/queries/compliance/subjects.ts';
import { SUBJECT_TABLES } from '../../warehouse/tables.ts';
import { isSubjectKey, keyShape, parseClassification, type Classification } from './classification.ts';
import { localDatabase } from '../../warehouse/migrate.ts';

/**
 * Which tables hold a person's rows and through which columns, read from the classification in the
 * catalogue rather than a fixed list: a table another module adds with a `pii:direct` wa_id column
 * is exported and erased without changing this code.
 */

export interface ClassifiedColumn extends CatalogColumn {
  classification: Classification | undefined;
  error: string | undefined;
}

export function classifyColumns(columns: readonly CatalogColumn[]): ClassifiedColumn[] {
  return columns.map((c) => {
    const r = parseClassification(c.comment);
    return { ...c, classification: r.ok ? r.value : undefined, error: r.ok ? undefined : r.error };
  });
}

const COLLAPSING = /^(Replicated)?(Replacing|Collapsing|VersionedCollapsing|Aggregating|Summing|Coalescing)MergeTree$/;

/** Tables with storage and at least one subject key (or, lacking one, JSON searched by id). */
export function subjectTables(columns: readonly ClassifiedColumn[]): SubjectTableSpec[] {
  const byTable = new Map<string, SubjectTableSpec>();
  for (const c of columns) {
    if (STORAGELESS_ENGINES.has(c.engine) || !c.classification) continue;
    const cls = c.classification;
    const shape = keyShape(c.type);
    const isKey = isSubjectKey(cls) && shape !== undefined;
    const isJson = cls.find === 'json' && keyShape(c.type) === 'scalar';
    if (!isKey && !isJson) continue;
    let t = byTable.get(c.table);
    if (!t) {
      t = { table: c.table, final: COLLAPSING.test(c.engine), keys: [], json: [] };
      byTable.set(c.table, t);
    }
    if (isKey) t.keys.push({ column: c.name, shape: shape! });
    else t.json.push(c.name);
  }
  return [...byTable.values()].sort((a, b) => order(a.table) - order(b.table) || a.table.localeCompare(b.table));
}

/** Ingest tables first, in their documented order, then everything else by name. */
function order(table: string): number {
  const i = SUBJECT_TABLES.findIndex((s) => s.table === table);
  return i === -1 ? SUBJECT_TABLES.length : i;
}

export async function discoverSubjectTables(wh: Warehouse): Promise<SubjectTableSpec[]> {
  return subjectTables(classifyColumns(await catalogColumns(wh, { db: localDatabase(wh) })));
}

/**
 * Every ingest table that `warehouse/tables.ts` lists as holding subjects must be found by the
 * classification too; a gap here means a subject key lost its comment.
 */
export function missingIngestTables(found: readonly SubjectTableSpec[]): string[] {
  const names = new Set(found.map((t) => t.table));
  return SUBJECT_TABLES.map((s) => s.table).filter((t) => !names.has(t));
}
