import type { DeleteMethod } from '../../warehouse/queries/compliance/erasure-set.ts';

/** `privacy.erasure.method`: one way for every table, or chosen per table by what it would rewrite. */
export type ErasureMethodSetting = 'auto' | DeleteMethod;

/** A table's share of one subject: rows, and the bytes of the parts holding them. */
export interface Footprint {
  table: string;
  rows: number;
  bytes: number;
}

export interface TableMethod {
  method: DeleteMethod;
  /** Why `auto` chose it (absent for a fixed setting). */
  why?: string;
}

/**
 * How each table's rows of the subject are deleted. `auto`: the tables are taken smallest footprint
 * first and rewritten at once (a mutation: gone from disk when the receipt is made) while their
 * parts add up to no more than the budget; the rest are masked (a lightweight DELETE: gone from
 * every query at once, from disk at the next purge). A mutation rewrites every part holding one of
 * the rows, which for a person present all month is the whole of a big table: 3.4 GB and 38–50 s at
 * 10 M events on two cores, against 5.6 s masked (docs/BENCHMARKS.md).
 */
export function chooseMethods(footprints: readonly Footprint[], setting: ErasureMethodSetting, budgetBytes: number): Map<string, TableMethod> {
  const out = new Map<string, TableMethod>();
  if (setting !== 'auto') {
    for (const f of footprints) out.set(f.table, { method: setting });
    return out;
  }
  let spent = 0;
  const bySize = [...footprints].sort((a, b) => a.bytes - b.bytes || a.table.localeCompare(b.table));
  for (const f of bySize) {
    const mb = (f.bytes / 1e6).toFixed(1);
    // A table without the subject's rows deletes nothing (its receipt line says so).
    if (f.rows === 0) out.set(f.table, { method: 'mutation' });
    else if (spent + f.bytes <= budgetBytes) {
      spent += f.bytes;
      out.set(f.table, { method: 'mutation', why: `auto: its parts holding the subject (${mb} MB) fit the rewrite budget` });
    } else out.set(f.table, { method: 'lightweight', why: `auto: its parts holding the subject (${mb} MB) exceed what is left of the rewrite budget; purged at the next purge` });
  }
  return out;
}
