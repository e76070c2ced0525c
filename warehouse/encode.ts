import type { Warehouse } from './client.ts';
import { tracked } from './query.ts';

export interface ColumnSpec {
  name: string;
  /** ClickHouse type of the column, e.g. `String`, `Nullable(Float64)`, `DateTime64(3, 'UTC')`. */
  type: string;
}

const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAFE_TYPE = /^[A-Za-z0-9_(), ']+$/;

/**
 * Encodes report rows as Parquet or Arrow with ClickHouse itself (the `format` table function), so
 * exports carry real column types. Arrow is uncompressed: apache-arrow in JS has no LZ4 codec.
 */
export async function encodeRows(
  wh: Warehouse,
  rows: readonly Record<string, unknown>[],
  columns: readonly ColumnSpec[],
  format: 'Parquet' | 'Arrow',
): Promise<Buffer> {
  for (const c of columns) {
    if (!SAFE_NAME.test(c.name) || !SAFE_TYPE.test(c.type)) throw new Error(`unsafe column spec ${c.name}`);
  }
  const structure = columns.map((c) => `${c.name} ${c.type}`).join(', ').replaceAll("'", "\\'");
  const settings = "SETTINGS output_format_arrow_compression_method = 'none', date_time_input_format = 'best_effort'";
  if (rows.length === 0) {
    // No rows: the `format` function cannot read an empty input, and an empty file still carries
    // the columns and their types. `null` is a table function of the given structure and no rows.
    return run(wh, format, `SELECT * FROM null('${structure}') ${settings} FORMAT ${format}`);
  }
  // The rows go in as JSON text in bounded pieces, one parameter each (one string of a large export
  // would pass V8's maximum string length), numbered so the output keeps their order.
  const pieces = jsonPieces(rows, columns);
  const params = Object.fromEntries(pieces.map((p, i) => [`d${i}`, p]));
  const union = pieces.map((_, i) => `SELECT * FROM format(JSONEachRow, '__n UInt64, ${structure}', {d${i}:String})`).join(' UNION ALL ');
  return run(wh, format, `SELECT * EXCEPT __n FROM (${union}) ORDER BY __n
            ${settings}
            FORMAT ${format}`, params);
}

/** Runs one encoding statement through the tracked path (named, timed, errors as WarehouseError). */
function run(wh: Warehouse, format: string, query: string, params?: Record<string, unknown>): Promise<Buffer> {
  return tracked(`encode.${format}`, async () => {
    const result = await wh.reader.exec({
      // Settings in the statement itself: the embedded engine would keep request settings for the
      // rest of the connection's session.
      query,
      ...(params ? { query_params: params } : {}),
      clickhouse_settings: { log_comment: `encode.${format}` },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  });
}

/** Characters of JSON per piece: far below V8's limit (~512 M), large enough to keep pieces few. */
export const PIECE_CHARS = 32 * 1024 * 1024;

function jsonPieces(rows: readonly Record<string, unknown>[], columns: readonly ColumnSpec[]): string[] {
  const pieces: string[] = [];
  let piece = '';
  rows.forEach((r, n) => {
    piece += JSON.stringify(pick(r, columns, n)) + '\n';
    if (piece.length >= PIECE_CHARS) {
      pieces.push(piece);
      piece = '';
    }
  });
  if (piece || pieces.length === 0) pieces.push(piece);
  return pieces;
}

function pick(row: Record<string, unknown>, columns: readonly ColumnSpec[], n: number): Record<string, unknown> {
  const out: Record<string, unknown> = { __n: n };
  for (const c of columns) out[c.name] = row[c.name] ?? null;
  return out;
}
