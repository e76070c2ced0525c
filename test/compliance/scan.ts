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

/** Every file under a folder that contains one of the needles, with the needle found. */
export function filesContaining(dir: string, needles: readonly string[]): Array<{ file: string; needle: string }> {
  const hits: Array<{ file: string; needle: string }> = [];
  // A merge may remove a part's folder or file between listing and reading it: what is gone holds nothing.
  const gone = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (e) {
      if (gone(e)) return;
      throw e;
    }
    for (const name of names) {
      const p = join(d, name);
      let st;
      try {
        st = statSync(p);
      } catch (e) {
        if (gone(e)) continue;
        throw e;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        let buf: Buffer;
        try {
          buf = readFileSync(p);
        } catch (e) {
          if (gone(e)) continue;
          throw e;
        }
        for (const n of needles) if (buf.includes(Buffer.from(n, 'utf8'))) hits.push({ file: p, needle: n });
      }
    }
  };
  walk(dir);
  return hits;
}
