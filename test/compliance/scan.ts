import type { Warehouse } from '../../warehouse/client.ts';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rows } from '../helpers/warehouse.ts';

/**
 * Looks for a text in every String-like or Array column of every table of the test database, raw
 * bodies included, counting rows hidden by a lightweight DELETE too. Independent of the code under
 * test: it reads the catalogue itself and does not use the classification.
 */
export async function scanFor(wh: Warehouse, needles: readonly string[]): Promise<Array<{ table: string; column: string; rows: number }>> {
  const cols = await rows<{ table: string; name: string; type: string }>(
    wh,
    `SELECT c.table AS table, c.name AS name, c.type AS type FROM system.columns c
     INNER JOIN system.tables t ON t.database = c.database AND t.name = c.table
     WHERE c.database = {db:String} AND t.engine NOT IN ('View', 'MaterializedView', 'Dictionary')`,
    { db: wh.database },
  );
  const hits: Array<{ table: string; column: string; rows: number }> = [];
  const byTable = new Map<string, string[]>();
  for (const c of cols) if (/String|Array|Map|JSON/.test(c.type)) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c.name]);
  for (const [table, names] of byTable) {
    const exprs = names.map((n, i) => `countIf(multiSearchAny(toString(\`${n}\`), {needles:Array(String)})) AS c${i}`);
    const [r] = await rows<Record<string, string>>(wh, `SELECT ${exprs.join(', ')} FROM {{db}}.\`${table}\` SETTINGS apply_deleted_mask = 0`, { needles });
    names.forEach((n, i) => {
      const k = Number(r?.[`c${i}`] ?? 0);
      if (k > 0) hits.push({ table, column: n, rows: k });
    });
  }
  return hits;
}

/** A file-system read, or undefined when what it reads is gone: a merge may remove a part's folder or file between listing and reading it. */
function present<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Every file under a folder that contains one of the needles, with the needle found. */
export function filesContaining(dir: string, needles: readonly string[]): Array<{ file: string; needle: string }> {
  const hits: Array<{ file: string; needle: string }> = [];
  const walk = (d: string) => {
    for (const name of present(() => readdirSync(d)) ?? []) {
      const p = join(d, name);
      const st = present(() => statSync(p));
      if (st?.isDirectory()) walk(p);
      else if (st?.isFile()) {
        const buf = present(() => readFileSync(p));
        if (buf) for (const n of needles) if (buf.includes(Buffer.from(n, 'utf8'))) hits.push({ file: p, needle: n });
      }
    }
  };
  walk(dir);
  return hits;
}
