import { randomUUID } from 'node:crypto';
import { anchorAuditHeads } from '../../app/audit-verify.ts';
import type { AppDeps, Job } from '../../app/deps.ts';
import { suppressedSubjects } from '../../warehouse/queries/compliance/erasure.ts';
import { insertSnapshots } from '../../warehouse/queries/compliance/snapshots.ts';
import { subjectIdsReceivedSince } from '../../warehouse/queries/compliance/subjects.ts';
import { privacyConfig } from './config.ts';
import { crossBorder } from './crossborder.ts';
import { eraseSubject } from './erasure.ts';
import { holdsReport } from './holds.ts';
import { purgeErased } from './purge.ts';
import { inventory, ropaRows } from './inventory.ts';
import { sha256 } from './package.ts';
import { applyRetention, purgeContent, retentionStatus } from './retention-run.ts';
import { chTime, register } from './rights.ts';
import { parseSubjectId } from './subject.ts';
import { runAuditVerification } from './verify.ts';
import { labelRefresh } from '../labels/refresh.ts';

/**
 * Nightly work: enforce retention (TTLs from the config, content purge, re-erasure of subjects
 * that came back through a re-delivery) and keep a dated snapshot of every compliance report,
 * with its SHA-256, for the evidence trail. Snapshots hold keyed hashes, never raw numbers.
 */

const SYSTEM = { actor: 'system:compliance', role: 'system' as const };
const DAY_MS = 86_400_000;

export async function saveSnapshot(deps: AppDeps, report: string, rows: readonly unknown[], now: Date): Promise<string> {
  const content = JSON.stringify(rows);
  const hash = sha256(content);
  await insertSnapshots(deps.warehouse, [{ snapshot_id: `snap_${randomUUID()}`, taken_at: now.getTime(), report, rows: rows.length, sha256: hash, content }]);
  await deps.audit.record({ ...SYSTEM, action: `compliance.${report}`, params: { snapshot: true }, rows: rows.length, exportSha256: hash });
  return hash;
}

/** Erased subjects seen again in bodies received since `since` (missed by the ingest screen) are erased again. */
export async function sweepSuppressed(deps: AppDeps, since: Date): Promise<number> {
  const suppressed = new Set((await suppressedSubjects(deps.warehouse, {})).map((r) => r.subject_hash));
  if (suppressed.size === 0) return 0;
  const seen = await subjectIdsReceivedSince(deps.warehouse, { since: chTime(since) });
  let erased = 0;
  for (const { id } of seen) {
    const subject = parseSubjectId(id);
    if (!subject || !suppressed.has(deps.pseudonyms.subject(id))) continue;
    await eraseSubject(deps, SYSTEM, { subject, legalGround: 'suppression sweep: data of an erased subject received again', register: false });
    erased++;
  }
  return erased;
}

export async function runRetention(deps: AppDeps, now: Date) {
  const cfg = privacyConfig(deps.config.file);
  const applied = await applyRetention(deps.warehouse, cfg);
  if (applied.changed.length || applied.failed.length) {
    await deps.audit.record({ ...SYSTEM, action: 'compliance.retention_apply', params: { changed: applied.changed, failed: applied.failed.map((f) => f.table) } });
  }
  const purged = await purgeContent(deps.warehouse, cfg, now);
  const reErased = await sweepSuppressed(deps, new Date(now.getTime() - 2 * DAY_MS));
  // Label events past their retention leave the label sets held in memory too.
  await labelRefresh(deps.warehouse).changed([]);
  const status = await retentionStatus(deps.warehouse, cfg, now);
  await saveSnapshot(deps, 'retention_status', status, now);
  return { applied, purged, reErased, status };
}

export async function runSnapshot(deps: AppDeps, now: Date) {
  const cfg = privacyConfig(deps.config.file);
  const inv = await inventory(deps.warehouse, cfg, deps.config.ingest.retainMs);
  await saveSnapshot(deps, 'pii_inventory', inv, now);
  await saveSnapshot(deps, 'records_of_processing', ropaRows(inv, cfg), now);
  await saveSnapshot(deps, 'cross_border', await crossBorder(deps.warehouse, cfg), now);
  await saveSnapshot(deps, 'legal_holds', await holdsReport(deps), now);
  await saveSnapshot(deps, 'rights_requests', await register(deps, new Date(0), new Date(now.getTime() + DAY_MS)), now);
  const verification = await runAuditVerification(deps, SYSTEM);
  // Publish the heads only while every chain is intact; a broken chain keeps its last good anchor.
  if (verification.result === 'ok') await anchorAuditHeads(deps.warehouse, deps.auditAnchors, now);
  return verification;
}

export function complianceJobs(deps: AppDeps): Job[] {
  const log = deps.log.child({ module: 'compliance' });
  return [
    {
      name: 'compliance.retention',
      schedule: '0 30 2 * * *',
      async run(now) {
        const r = await runRetention(deps, now);
        log.child({ job: 'compliance.retention' }).info(
          { changed: r.applied.changed, failed: r.applied.failed.length, purged: r.purged, re_erased: r.reErased, breaches: r.status.filter((s) => s.status === 'BREACH').length },
          'retention enforced',
        );
      },
    },
    {
      // Checks every minute; rewrites parts only once the oldest lightweight erasure has waited purge_minutes.
      name: 'compliance.erasure_purge',
      schedule: '0 * * * * *',
      async run() {
        const r = await purgeErased(deps);
        if (r.purged.length > 0 || r.left.length > 0) log.child({ job: 'compliance.erasure_purge' }).info({ purged: r.purged.length, tables: r.tables, left: r.left }, 'erased rows purged from disk');
      },
    },
    {
      name: 'compliance.snapshot',
      schedule: '0 15 3 * * *',
      async run(now) {
        const v = await runSnapshot(deps, now);
        log.child({ job: 'compliance.snapshot' }).info({ audit: v.result, entries: v.entries_checked }, 'compliance snapshot taken');
      },
    },
  ];
}
