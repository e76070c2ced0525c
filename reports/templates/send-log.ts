import { createHash } from 'node:crypto';
import type { SendLogRow } from '../../warehouse/schema/templates.ts';
import { CsvError, readCsvTable } from '../billing/csv-table.ts';

/**
 * A send log for senders that cannot tag their messages: which template, language and campaign each
 * wamid was. CSV (header `wamid, template, language, campaign[, waba_id]`; `template_name` and
 * `message_template_name` are read as `template`) or JSON (an array of such objects, or `{data: […]}`).
 * The WABA is the row's `waba_id`, else the one the import names. Pure; every problem names its line.
 */

export interface SendLogEntry {
  waba_id: string;
  wamid: string;
  template: string;
  language: string;
  campaign: string;
}

const ALIASES: Record<string, keyof SendLogEntry> = {
  wamid: 'wamid', message_id: 'wamid', id: 'wamid',
  template: 'template', template_name: 'template', message_template_name: 'template', name: 'template',
  language: 'language', template_language: 'language', message_template_language: 'language', lang: 'language',
  campaign: 'campaign', campaign_id: 'campaign', campaign_name: 'campaign',
  waba_id: 'waba_id',
};
const MAX_ROWS = 1_000_000;

function entry(raw: Record<string, string>, where: string, waba: string | undefined, problems: string[]): SendLogEntry | null {
  const e: SendLogEntry = { waba_id: raw.waba_id || waba || '', wamid: raw.wamid ?? '', template: raw.template ?? '', language: raw.language ?? '', campaign: raw.campaign ?? '' };
  const before = problems.length;
  if (!e.wamid) problems.push(`${where}: no wamid`);
  if (!e.template) problems.push(`${where}: no template`);
  if (!e.waba_id) problems.push(`${where}: no waba_id (give waba_id with the import or as a column)`);
  for (const k of ['wamid', 'template', 'language', 'campaign', 'waba_id'] as const) {
    if (e[k].length > 512) problems.push(`${where}: ${k} is longer than 512 characters`);
  }
  return problems.length > before ? null : e;
}

function fromCsv(text: string, waba: string | undefined, problems: string[]): SendLogEntry[] {
  const table = readCsvTable(text, (keys) => keys.some((k) => ALIASES[k] === 'wamid'));
  const fields = table.header.map((h) => ALIASES[h]);
  const out: SendLogEntry[] = [];
  for (const row of table.rows) {
    const raw: Record<string, string> = {};
    fields.forEach((f, i) => f && (raw[f] = (row.cells[i] ?? '').trim()));
    const e = entry(raw, `line ${row.line}`, waba, problems);
    if (e) out.push(e);
  }
  return out;
}

function fromJson(doc: unknown, waba: string | undefined, problems: string[]): SendLogEntry[] {
  const list = Array.isArray(doc) ? doc : (doc as { data?: unknown })?.data;
  if (!Array.isArray(list)) throw new CsvError(['expected a JSON array of {wamid, template, language, campaign} or {data: [...]}']);
  const out: SendLogEntry[] = [];
  list.forEach((item, i) => {
    const raw: Record<string, string> = {};
    if (item && typeof item === 'object') {
      for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
        const f = ALIASES[k.toLowerCase()];
        if (f && (typeof v === 'string' || typeof v === 'number')) raw[f] = String(v).trim();
      }
    }
    const e = entry(raw, `item ${i + 1}`, waba, problems);
    if (e) out.push(e);
  });
  return out;
}

/** Reads a send log; throws CsvError with every problem when any row is at fault (nothing is loaded). */
export function parseSendLog(text: string, waba?: string): { entries: SendLogEntry[]; importId: string } {
  const problems: string[] = [];
  const trimmed = text.trimStart();
  const entries = trimmed.startsWith('[') || trimmed.startsWith('{') ? fromJson(parseJson(trimmed), waba, problems) : fromCsv(text, waba, problems);
  if (entries.length > MAX_ROWS) problems.push(`more than ${MAX_ROWS} rows: split the file`);
  if (problems.length) throw new CsvError(problems.slice(0, 100));
  if (entries.length === 0) throw new CsvError(['no rows']);
  return { entries, importId: createHash('sha256').update(text).digest('hex') };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CsvError([`not readable JSON: ${(e as Error).message.slice(0, 200)}`]);
  }
}

export function sendLogRows(entries: readonly SendLogEntry[], importId: string, importedAtMs: number): SendLogRow[] {
  return entries.map((e) => ({ ...e, import_id: importId, imported_at: importedAtMs }));
}
