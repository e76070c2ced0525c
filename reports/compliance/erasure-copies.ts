import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { Warehouse } from '../../warehouse/client.ts';
import { defaultOldPartsLifetime, inactiveParts, type InactivePart } from '../../warehouse/queries/compliance/erasure-set.ts';

/**
 * A deletion rewrites a table's parts; the parts it replaced stay on disk, inactive, until the
 * table's `old_parts_lifetime` passes and the engine's cleanup runs, and they survive a restart
 * meanwhile. Measured with chDB: an idle table's cleanup may not run for minutes, whatever the
 * lifetime. So with the embedded engine erasure removes those copies itself (they are outside the
 * table's active set; a part a query still reads is left until the query ends). On a server it
 * waits for the cleanup, bounded, and the receipt says when the copies are due to go.
 */

const WAIT_MS = 10_000;
const STEP_MS = 200;

export async function removeOldCopies(
  wh: Warehouse,
  dataDir: string,
  tables: readonly string[],
  waitMs = WAIT_MS,
): Promise<Map<string, { parts: number; goneBy: string }>> {
  const left = new Map<string, { parts: number; goneBy: string }>();
  if (tables.length === 0) return left;
  const started = Date.now();
  // Only the copies present when the deletions finished can hold the subject; later merges copy
  // data the deletion already left out.
  const key = (p: InactivePart) => `${p.table}\0${p.name}`;
  let remaining = new Set((await inactiveParts(wh, tables)).map(key));
  const root = resolve(dataDir) + sep;
  for (;;) {
    const next = new Set<string>();
    for (const p of (await inactiveParts(wh, tables)).filter((x) => remaining.has(key(x)))) {
      const dir = resolve(p.path);
      if (wh.mode === 'embedded' && dir.startsWith(root)) {
        // refcount 1: only the table holds it (no query is reading this copy).
        if (p.refcount <= 1) await rm(dir, { recursive: true, force: true });
        if (existsSync(dir)) next.add(key(p));
      } else next.add(key(p));
    }
    remaining = next;
    if (remaining.size === 0 || Date.now() - started >= waitMs) break;
    await new Promise((r) => setTimeout(r, STEP_MS));
  }
  if (remaining.size === 0) return left;
  const lifetime = await defaultOldPartsLifetime(wh);
  const goneBy = new Date(started + (lifetime + 60) * 1000).toISOString();
  for (const k of remaining) {
    const table = k.split('\0')[0]!;
    left.set(table, { parts: (left.get(table)?.parts ?? 0) + 1, goneBy });
  }
  return left;
}
