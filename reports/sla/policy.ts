import type { BusinessCalendar } from './calendar.ts';
import type { PolicyVersion, SlaRule, SlaTarget } from './config.ts';
import type { WaitKind } from './waits.ts';

/**
 * SLA policies: ordered rules, first match wins, in versions by effective instant. A wait is judged
 * by the version in force when it started, so a policy change never re-judges older waits.
 * Rules match on what is known when the wait starts: WABA, phone number, the chat's team (latest
 * tagged business message before the wait) and the thread's entry point (ctwa = an ad referral).
 */

export type SlaStatus = 'achieved' | 'breached' | 'open' | 'excluded';

export interface WaitFacts {
  wabaId: string;
  phoneNumberId: string;
  team: string;
  entryPoint: 'ctwa' | 'direct';
  kind: WaitKind;
  startedAt: number;
}

export interface AppliedPolicy {
  policy: string;
  /** Null when the matching rule sets no target for the wait's kind: the wait is excluded. */
  target: SlaTarget | null;
}

function matches(rule: SlaRule, w: WaitFacts): boolean {
  return (
    (!rule.waba_id || rule.waba_id.includes(w.wabaId)) &&
    (!rule.phone_number_id || rule.phone_number_id.includes(w.phoneNumberId)) &&
    (!rule.team || rule.team.includes(w.team)) &&
    (!rule.entry_point || rule.entry_point === w.entryPoint)
  );
}

function targetOf(rule: SlaRule, kind: WaitKind): SlaTarget | undefined {
  return kind === 'first' ? rule.frt : kind === 'next' ? rule.nrt : rule.reply_to_business;
}

/** The first matching rule of the version in force at the wait's start; null when no rule matches. */
export function applyPolicy(versions: readonly PolicyVersion[], w: WaitFacts): AppliedPolicy | null {
  let version: PolicyVersion | undefined;
  for (const v of versions) if (v.effectiveFrom <= w.startedAt) version = v;
  const rule = version?.rules.find((r) => matches(r, w));
  return rule ? { policy: rule.name, target: targetOf(rule, w.kind) ?? null } : null;
}

/** Deadline: start + target in calendar time, or the target's worth of open hours later. */
export function dueAt(target: SlaTarget, startedAt: number, calendar: BusinessCalendar | undefined): number | null {
  if (target.mode === 'business' && calendar) return calendar.addBusinessTime(startedAt, target.seconds);
  return startedAt + target.seconds * 1000;
}

/**
 * Status as stored by the job. An `open` wait turns `breached` once `now` reaches its due time; the
 * reports decide that when they are read (warehouse/queries/sla/reports.ts), so rows never depend
 * on the clock.
 */
export function storedStatus(due: number | null, respondedAt: number | null): SlaStatus {
  if (due === null) return 'excluded';
  if (respondedAt === null) return 'open';
  return respondedAt <= due ? 'achieved' : 'breached';
}
