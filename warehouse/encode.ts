import type { Warehouse } from './client.ts';

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
  const data = rows.map((r) => JSON.stringify(pick(r, columns))).join('\n');
  const result = await wh.reader.exec({
    // Settings in the statement itself: the embedded engine would keep request settings for the
    // rest of the connection's session.
    query: `SELECT * FROM format(JSONEachRow, '${structure}', {data:String})
            SETTINGS output_format_arrow_compression_method = 'none', date_time_input_format = 'best_effort'
            FORMAT ${format}`,
    query_params: { data },
    clickhouse_settings: { log_comment: `encode.${format}` },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function pick(row: Record<string, unknown>, columns: readonly ColumnSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c.name] = row[c.name] ?? null;
  return out;
}
