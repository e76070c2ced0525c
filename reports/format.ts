import { stringify } from 'csv-stringify/sync';
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

export function toCsv(rows: readonly Record<string, unknown>[], columns: readonly ColumnSpec[]): Buffer {
  const names = columns.map((c) => c.name);
  const pieces = function* () {
    for (let i = 0; i === 0 || i < rows.length; i += CSV_ROWS_PER_PIECE) {
      yield stringify(
        rows.slice(i, i + CSV_ROWS_PER_PIECE).map((r) => names.map((n) => neutralizeCell(r[n]))),
        { header: i === 0, columns: names, cast: { boolean: (b) => (b ? 'true' : 'false') } },
      );
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
