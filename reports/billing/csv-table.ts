import { parse } from 'csv-parse/sync';

/**
 * Meta's CSV downloads open with title and note lines before the real header. This reads a CSV,
 * finds the header row (the first row a predicate accepts) and keeps every data row's line number,
 * so errors can name the line a finance person opens in a spreadsheet.
 */

export interface CsvRow {
  /** 1-based line number in the file. */
  line: number;
  cells: string[];
}

export interface CsvTable {
  header: string[];
  headerLine: number;
  rows: CsvRow[];
}

export class CsvError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Header cell → comparable key: lower case, punctuation and spaces collapsed to one underscore. */
export function headerKey(cell: string): string {
  return cell.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
}

export function readCsvTable(text: string, isHeader: (keys: string[]) => boolean): CsvTable {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text.replace(/^\uFEFF/, ''), {
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (e) {
    throw new CsvError([`not a readable CSV: ${(e as Error).message}`]);
  }
  const rows = records
    .map((r) => ({ line: r.info.lines, cells: r.record }))
    .filter((r) => !(r.cells[0] ?? '').startsWith('#') && r.cells.some((c) => c !== ''));
  const at = rows.findIndex((r) => isHeader(r.cells.map(headerKey)));
  if (at < 0) throw new CsvError(['no header row found']);
  return { header: rows[at]!.cells.map(headerKey), headerLine: rows[at]!.line, rows: rows.slice(at + 1) };
}
