import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../../app/deps.ts';
import { auditWho, type Principal } from '../../app/auth.ts';
import {
  activeHoldsFor, holdById, insertHold, listHolds, rebuildHeldSubjects, releaseHold,
} from '../../warehouse/queries/compliance/holds.ts';
import { countSubjectRows, linkedIdentifiers } from '../../warehouse/queries/compliance/subjects.ts';
import { discoverSubjectTables } from './subject-tables.ts';
import type { SubjectId } from './subject.ts';
import { chTime } from './rights.ts';

/**
 * Legal holds (R4; GDPR Art. 17(3)(e), 18(1)(c); LGPD Art. 16): a subject's data is kept despite
 * retention and erasure while a hold is active. The hold names the subject's ids so the retention
 * TTLs can exempt their rows (legal_hold_subjects_v1); a released hold forgets them.
 */

/** The subject's own id plus the ids linked to it in the stored events (phone ↔ BSUID, changed number). */
export async function subjectIdentifiers(deps: AppDeps, subject: SubjectId): Promise<string[]> {
  const linked = await linkedIdentifiers(deps.warehouse, { ids: [subject.id] });
  return [...new Set([subject.id, ...linked.map((r) => r.id)])].sort();
}

export interface HoldInput {
  subject: SubjectId;
  reason: string;
  legal_reference: string;
  review_at: Date | null;
}

export async function placeHold(deps: AppDeps, who: Principal, input: HoldInput) {
  const now = deps.now();
  const ids = await subjectIdentifiers(deps, input.subject);
  const hold = {
    hold_id: `hold_${randomUUID()}`,
    subject_hash: deps.pseudonyms.subject(input.subject.id),
    subject_ids: ids,
    reason: input.reason,
    legal_reference: input.legal_reference,
    approved_by: who.actor,
    start_at: now.getTime(),
    review_at: input.review_at?.getTime() ?? null,
    released_at: null,
    released_by: '',
    status: 'active' as const,
    updated_at: now.getTime(),
  };
  await insertHold(deps.warehouse, [hold]);
  await rebuildHeldSubjects(deps.warehouse);
  await deps.audit.record({
    ...auditWho(who), action: 'compliance.legal_hold',
    params: { change: 'place', hold_id: hold.hold_id, subject: hold.subject_hash, identifiers: ids.length },
  });
  return { hold_id: hold.hold_id, subject_hash: hold.subject_hash, status: hold.status, start_at: now.toISOString(), review_at: input.review_at?.toISOString() ?? null, identifiers: ids.length };
}

export async function liftHold(deps: AppDeps, who: Principal, holdId: string) {
  const [hold] = await holdById(deps.warehouse, { hold_id: holdId });
  if (!hold) return undefined;
  if (hold.status === 'active') {
    await releaseHold(deps.warehouse, { hold_id: holdId, at: chTime(deps.now()), by: who.actor });
    await rebuildHeldSubjects(deps.warehouse);
  }
  await deps.audit.record({ ...auditWho(who), action: 'compliance.legal_hold', params: { change: 'release', hold_id: holdId, subject: hold.subject_hash } });
  return { hold_id: holdId, status: 'released' };
}

export async function activeHolds(deps: AppDeps, ids: readonly string[]) {
  return activeHoldsFor(deps.warehouse, { ids: [...ids] });
}

export const HOLD_COLUMNS = [
  { name: 'hold_id', type: 'String' }, { name: 'scope', type: 'String' }, { name: 'subject_hash', type: 'String' },
  { name: 'reason', type: 'String' }, { name: 'legal_reference', type: 'String' }, { name: 'approved_by', type: 'String' },
  { name: 'start_at', type: 'String' }, { name: 'review_at', type: 'Nullable(String)' }, { name: 'end_at', type: 'Nullable(String)' },
  { name: 'released_by', type: 'String' }, { name: 'status', type: 'String' }, { name: 'review_due', type: 'Bool' },
  { name: 'rows_held', type: 'UInt64' }, { name: 'tables', type: 'String' },
];

/** R4: every hold with what it keeps now (rows and tables, for active holds). */
export async function holdsReport(deps: AppDeps) {
  const holds = await listHolds(deps.warehouse, {});
  const tables = holds.some((h) => h.status === 'active') ? await discoverSubjectTables(deps.warehouse) : [];
  const out = [];
  for (const h of holds) {
    let rows = 0;
    const where: string[] = [];
    if (h.status === 'active') {
      const [full] = await holdById(deps.warehouse, { hold_id: h.hold_id });
      for (const t of tables) {
        const n = full && full.subject_ids.length ? await countSubjectRows(deps.warehouse, t, full.subject_ids) : 0;
        if (n > 0) where.push(t.table);
        rows += n;
      }
    }
    out.push({
      hold_id: h.hold_id,
      scope: 'subject',
      subject_hash: h.subject_hash,
      reason: h.reason,
      legal_reference: h.legal_reference,
      approved_by: h.approved_by,
      start_at: h.start_at,
      review_at: h.review_at,
      end_at: h.released_at,
      released_by: h.released_by,
      status: h.status,
      review_due: h.status === 'active' && h.review_at !== null && Date.parse(h.review_at.replace(' ', 'T') + 'Z') <= deps.now().getTime(),
      rows_held: rows,
      tables: where.join(' '),
    });
  }
  return out;
}
