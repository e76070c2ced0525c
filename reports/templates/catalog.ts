import { createHash } from 'node:crypto';
import type { CatalogRow } from '../../warehouse/schema/templates.ts';
import { CsvError } from '../billing/csv-table.ts';

/**
 * A saved Graph API `GET /<WABA_ID>/message_templates` response (`{data: [...], paging}`, or the
 * bare array; several pages may be concatenated as an array of responses): each template's id,
 * name, language, category, status, quality rating and rejection reason. Pure; every problem names
 * its item, and nothing is loaded when any item is at fault.
 */

export interface CatalogEntry {
  template_id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  quality: string;
  rejected_reason: string;
}

const MAX = 100_000;
const TEXT = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '');

function itemsOf(doc: unknown): unknown[] | null {
  if (Array.isArray(doc)) return doc.flatMap((d) => (d && typeof d === 'object' && Array.isArray((d as { data?: unknown }).data) ? (d as { data: unknown[] }).data : [d]));
  const data = (doc as { data?: unknown } | null)?.data;
  return Array.isArray(data) ? data : null;
}

export function parseCatalog(text: string): { entries: CatalogEntry[]; importId: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CsvError([`not readable JSON: ${(e as Error).message.slice(0, 200)}`]);
  }
  const items = itemsOf(doc);
  if (!items) throw new CsvError(['expected a message_templates response: {"data": [...]}']);
  if (items.length === 0) throw new CsvError(['no templates']);
  if (items.length > MAX) throw new CsvError([`more than ${MAX} templates: split the file`]);
  const problems: string[] = [];
  const entries: CatalogEntry[] = [];
  items.forEach((raw, i) => {
    const where = `item ${i + 1}`;
    if (!raw || typeof raw !== 'object') return void problems.push(`${where}: not an object`);
    const t = raw as Record<string, unknown>;
    const q = t.quality_score;
    const e: CatalogEntry = {
      template_id: TEXT(t.id), name: TEXT(t.name), language: TEXT(t.language), category: TEXT(t.category).toUpperCase(),
      status: TEXT(t.status).toUpperCase(), quality: TEXT(q && typeof q === 'object' ? (q as { score?: unknown }).score : q).toUpperCase(),
      rejected_reason: TEXT(t.rejected_reason),
    };
    const before = problems.length;
    if (!e.name) problems.push(`${where}: no name`);
    if (!e.language) problems.push(`${where}: no language`);
    for (const k of Object.keys(e) as Array<keyof CatalogEntry>) if (e[k].length > 512) problems.push(`${where}: ${k} is longer than 512 characters`);
    if (problems.length === before) entries.push(e);
  });
  if (problems.length) throw new CsvError(problems.slice(0, 100));
  return { entries, importId: createHash('sha256').update(text).digest('hex') };
}

export function catalogRows(entries: readonly CatalogEntry[], waba: string, importId: string, importedAtMs: number): CatalogRow[] {
  return entries.map((e) => ({ ...e, waba_id: waba, import_id: importId, imported_at: importedAtMs }));
}
