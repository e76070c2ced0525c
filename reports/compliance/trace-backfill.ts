import type { AppDeps } from '../../app/deps.ts';
import { traceText } from '../../ingest/body-filter.ts';
import { localDatabase } from '../../warehouse/migrate.ts';
import { insertRewrittenBodies } from '../../warehouse/queries/compliance/erasure-set.ts';
import { mergeRawPartition, rawPartitions, rawRowsWithoutTraceText } from '../../warehouse/queries/compliance/trace-backfill.ts';
import type { RawWebhookRow } from '../../warehouse/tables.ts';
import { subjectScreen } from './suppression.ts';

/**
 * Gives raw bodies stored before `trace_text` existed their trace text: each is stored again (same
 * key and receipt time) with it, then, with `merge`, each partition is merged so the new versions
 * replace the old. Until then the old versions keep their whole body as trace text, which is only
 * slower to search, never less complete. A body naming an erased subject is left as it is (the
 * nightly sweep erases what slipped through), so this never stores one of them again.
 */
export async function backfillTraceText(deps: AppDeps, opts: { page?: number; merge?: boolean } = {}): Promise<{ stored: number; skipped: number; partitions: number }> {
  const wh = deps.warehouse;
  const screen = subjectScreen(wh, deps.pseudonyms, deps.log);
  await screen.refresh();
  let after = '';
  let stored = 0;
  let skipped = 0;
  for (;;) {
    const rows = await rawRowsWithoutTraceText(wh, { after, limit: opts.page ?? 20_000 }, undefined);
    if (rows.length === 0) break;
    after = rows.at(-1)!.body_sha256;
    // One body per key: a key with two different bodies (an erasure in progress) is left alone.
    const byKey = new Map<string, typeof rows>();
    for (const r of rows) byKey.set(r.body_sha256, [...(byKey.get(r.body_sha256) ?? []), r]);
    const out: RawWebhookRow[] = [];
    for (const versions of byKey.values()) {
      const r = versions[0]!;
      let parsed: unknown;
      try {
        parsed = JSON.parse(r.body);
      } catch {
        skipped++;
        continue;
      }
      if (versions.some((v) => v.body !== r.body) || screen.screen(parsed, r.subject_ids, r.body) !== undefined) {
        skipped++;
        continue;
      }
      out.push({ ...r, verdict: r.verdict as RawWebhookRow['verdict'], trace_text: traceText(parsed) });
    }
    await insertRewrittenBodies(wh, out);
    stored += out.length;
  }
  const partitions = opts.merge ? (await rawPartitions(wh, { db: localDatabase(wh) }, undefined)).map((p) => p.partition_id) : [];
  for (const p of partitions) await mergeRawPartition(wh, p);
  return { stored, skipped, partitions: partitions.length };
}
