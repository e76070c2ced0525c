import type { Warehouse } from '../warehouse/client.ts';
import { encodeRows, type ColumnSpec } from '../warehouse/encode.ts';

export type { ColumnSpec };
export const FORMATS = ['json', 'csv', 'arrow', 'parquet'] as const;
export type ExportFormat = (typeof FORMATS)[number];

/** The Content-Type of each export format, for every route that sends one. */
export const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  arrow: 'application/vnd.apache.arrow.file',
  parquet: 'application/vnd.apache.parquet',
};

/**
 * A spreadsheet runs a cell that starts with = + - @ (or tab/CR) as a formula; prefixing a quote
 * makes it text. Plain numbers keep their sign.
 */
export function neutralizeCell(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (/^[=+\-@\t\r]/.test(v) && !/^[+-]?\d+(\.\d+)?$/.test(v)) return `'${v}`;
  return v;
}

/** Rows per CSV piece (see `joinPieces`). */
const CSV_ROWS_PER_PIECE = 2_000;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled;
 * values cast as csv-stringify casts them. Written here because csv-stringify took 0.25 s for an
 * access export's 3.5 MB of events (3.5–7 times this), most of the export's own work; its output is
 * the reference this is tested against (test/reports/format.test.ts).
 */
function csvField(v: unknown): string {
  const s =
    v === null || v === undefined ? ''
    : typeof v === 'string' ? v
    : typeof v === 'boolean' ? (v ? 'true' : 'false')
    : v instanceof Date ? String(v.getTime())
    : typeof v === 'object' ? JSON.stringify(v)
    : String(v as number | bigint);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(rows: readonly Record<string, unknown>[], columns: readonly ColumnSpec[]): Buffer {
  const names = columns.map((c) => c.name);
  const pieces = function* () {
    yield names.map(csvField).join(',') + '\n';
    for (let i = 0; i < rows.length; i += CSV_ROWS_PER_PIECE) {
      let piece = '';
      for (const r of rows.slice(i, i + CSV_ROWS_PER_PIECE)) piece += names.map((n) => csvField(neutralizeCell(r[n]))).join(',') + '\n';
      yield piece;
    }
  };
  return joinPieces(pieces());
}

function toJson(rows: readonly Record<string, unknown>[], columns: readonly ColumnSpec[]): Buffer {
  const pieces = function* () {
    yield `{"columns":${JSON.stringify(columns.map((c) => c.name))},"rows":[`;
    for (let i = 0; i < rows.length; i++) yield (i ? ',' : '') + JSON.stringify(rows[i]);
    yield ']}';
  };
  return joinPieces(pieces());
}

/**
 * Joins text into one Buffer through bounded strings: a large export (a million waits) as one
 * string would pass V8's maximum string length (~512 M characters) and fail.
 */
function joinPieces(pieces: Iterable<string>): Buffer {
  const buffers: Buffer[] = [];
  let text = '';
  for (const piece of pieces) {
    text += piece;
    if (text.length >= 16 * 1024 * 1024) {
      buffers.push(Buffer.from(text));
      text = '';
    }
  }
  buffers.push(Buffer.from(text));
  return Buffer.concat(buffers);
}

export async function encode(
  wh: Warehouse,
  rows: readonly Record<string, unknown>[],
  columns: readonly ColumnSpec[],
  format: ExportFormat,
): Promise<Buffer> {
  switch (format) {
    case 'json':
      return toJson(rows, columns);
    case 'csv':
      return toCsv(rows, columns);
    case 'arrow':
      return encodeRows(wh, rows, columns, 'Arrow');
    case 'parquet':
      return encodeRows(wh, rows, columns, 'Parquet');
  }
}
