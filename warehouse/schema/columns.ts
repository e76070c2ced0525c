import { z } from 'zod';
import type { ColumnSpec } from '../encode.ts';

/**
 * Columns declared once: each knows its ClickHouse type and the schema of the value a row carries
 * for it, so a table's row type, its insert check, its export columns and the schema test (against
 * `system.columns`) all come from one declaration. Timestamps travel as epoch milliseconds
 * (JSONEachRow reads integers into DateTime64(3) as ticks); dates as 'YYYY-MM-DD'.
 */
export interface Column<Z extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly zod: Z;
}

const col = <Z extends z.ZodType>(type: string, zod: Z): Column<Z> => ({ type, zod });

export const c = {
  string: col('String', z.string()),
  lowString: col('LowCardinality(String)', z.string()),
  date: col('Date', z.string()),
  time: col("DateTime64(3, 'UTC')", z.number()),
  bool: col('Bool', z.boolean()),
  int8: col('Int8', z.number().int()),
  uint8: col('UInt8', z.number().int()),
  uint32: col('UInt32', z.number().int()),
  uint64: col('UInt64', z.number().int()),
  /** UInt64 beyond 2^53 (versions, hashes), as decimal text. */
  uint64Text: col('UInt64', z.string().regex(/^\d+$/)),
  /** NaN (an undefined ratio or interval) travels as JSON null and is stored as the column's default. */
  float64: col('Float64', z.union([z.number(), z.nan()])),
  strings: col('Array(String)', z.array(z.string())),
  nullable: <Z extends z.ZodType>(k: Column<Z>) => col(`Nullable(${k.type})`, k.zod.nullable()),
  /** A column of one of a few values (stored as its base type). */
  oneOf: <const V extends readonly [string, ...string[]]>(k: Column, values: V) => col(k.type, z.enum(values)),
  /** Any other type, written as text (Decimal, …). */
  text: (type: string) => col(type, z.string()),
};

type Shape<C extends Record<string, Column>> = { [K in keyof C]: C[K]['zod'] };

function rowOf<const C extends Record<string, Column>>(columns: C): z.ZodObject<Shape<C>> {
  return z.object(Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, v.zod])) as Shape<C>);
}

export interface TableDef<C extends Record<string, Column> = Record<string, Column>> {
  readonly name: string;
  readonly columns: C;
  readonly row: z.ZodObject<Shape<C>>;
  /** Columns the engine computes as a row is written (MATERIALIZED): never written, read by name only. */
  readonly computed: Record<string, Column>;
}

/** A warehouse table: its name and its columns in table order (then those it computes). */
export function defineTable<const C extends Record<string, Column>>(name: string, columns: C, computed: Record<string, Column> = {}): TableDef<C> {
  return { name, columns, row: rowOf(columns), computed };
}

/** A report's rows (not stored): the row type and the export columns from one list. */
export function defineRows<const C extends Record<string, Column>>(columns: C) {
  return { columns, row: rowOf(columns), specs: columnSpecs(columns) };
}

export type RowOf<T extends { row: z.ZodType }> = z.infer<T['row']>;

/** Export columns (CSV, JSON, Parquet, Arrow) of declared columns, in their order. */
export function columnSpecs(columns: Record<string, Column>): ColumnSpec[] {
  return Object.entries(columns).map(([name, k]) => ({ name, type: k.type }));
}
