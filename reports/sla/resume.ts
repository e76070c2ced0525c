import type { StoredWaitState } from '../../warehouse/queries/sla/follow.ts';
import type { Family } from './classify.ts';
import { isQualifyingInbound } from './classify.ts';
import { byTime, chatWaitsFrom, startCursor, type ChatMessage, type Wait, type WaitCursor, type WaitKind } from './waits.ts';

/**
 * Recomputing one chat from the thread that holds its earliest new event. Pure: given the chat's
 * messages from some time `from` on (all of them when `complete`), the earliest time a new event can
 * have changed (`changedFrom`) and the stored waits (as computed before the new events), it either
 * gives the waits from a thread start `at` on, equal to what a computation over the whole history
 * gives there, or asks to read further back.
 *
 * Everything before `changedFrom` is as before, so the thread start `at` of the last message before
 * it is still a thread start (a new event in the idle gap after that thread merges the next one
 * into it, and is thus recomputed). What a computation carries across `at` is taken from the stored
 * waits: the waits still open there (started before, answered at or after `at`, or never), and the
 * team of the latest tagged business message before it. Each is known only if the messages read
 * reach back far enough; when one that matters is not, the answer is `further`.
 */

export interface ResumeInput {
  messages: readonly ChatMessage[];
  from: number;
  complete: boolean;
  changedFrom: number;
  stored: readonly StoredWaitState[];
  idleMs: number;
}

export type Resumed =
  /**
   * `cursor`: where the computation stands after the chat's last message read, for the next call to
   * go on from; undefined when the team there is not known from what was read.
   */
  | { kind: 'waits'; at: number; waits: Wait[]; cursor: WaitCursor | undefined }
  /**
   * Read from `before` on: enough when `exact` (the start of what was missing is known), else a
   * lower bound to go beyond; `whole` when reading the whole chat is the better bet.
   */
  | { kind: 'further'; before: number; exact?: boolean; whole?: boolean };

/** Stands for a value the messages read do not show; a result that still holds it is not exact. */
const UNKNOWN_TEAM = '\u0000unknown';
const UNKNOWN_TIME = Number.NEGATIVE_INFINITY;

export function resumeChat(input: ResumeInput): Resumed {
  const { from, complete, changedFrom, idleMs } = input;
  if (!complete && changedFrom - from < idleMs) return { kind: 'further', before: changedFrom - idleMs, exact: true };
  const ordered = input.messages.filter((m) => (complete || m.at >= from) && (m.dir === 'in' || !m.failed)).sort(byTime);
  const at = threadStart(ordered, input);
  if (at === undefined) return { kind: 'further', before: from - idleMs };
  const before = ordered.filter((m) => m.at < at);
  const carried = input.stored.filter((w) => w.started_at < at && (w.responded_at === null || w.responded_at >= at)).map((w) => carry(w, before, input, at));
  const { waits, cursor } = chatWaitsFrom(
    ordered.filter((m) => m.at >= at),
    idleMs,
    startCursor({ ownerTeam: ownerTeamAt(at, before, input), open: carried }),
  );
  const unknown = waits.find((w) => w.ownerTeam === UNKNOWN_TEAM || w.lastInboundAt === UNKNOWN_TIME);
  if (unknown) {
    // A carried wait whose last inbound message was not read: read from its start.
    if (unknown.lastInboundAt === UNKNOWN_TIME) return { kind: 'further', before: unknown.startedAt, exact: true };
    // The team: from the latest stored wait before the thread on, which holds it. Without one,
    // most likely a new chat, reading it whole is cheap.
    const latest = latestStartBefore(input.stored, at);
    return latest === undefined ? { kind: 'further', before: 0, whole: true } : { kind: 'further', before: latest, exact: true };
  }
  return { kind: 'waits', at, waits, cursor: cursor.ownerTeam === UNKNOWN_TEAM ? undefined : cursor };
}

/** The start of the thread holding the last message before `changedFrom`; undefined when not read. */
function threadStart(ordered: readonly ChatMessage[], input: ResumeInput): number | undefined {
  let i = -1;
  for (let k = 0; k < ordered.length && ordered[k]!.at < input.changedFrom; k++) i = k;
  // Nothing in the idle time before the change (the caller reads at least that far): a new thread.
  if (i < 0) return input.complete ? Number.NEGATIVE_INFINITY : input.changedFrom;
  while (i > 0 && ordered[i]!.at - ordered[i - 1]!.at < input.idleMs) i--;
  if (i === 0 && !input.complete && ordered[0]!.at - input.from < input.idleMs) return undefined;
  return ordered[i]!.at;
}

/** A stored wait open at `at`, as the computation holds it there. */
function carry(w: StoredWaitState, before: readonly ChatMessage[], input: ResumeInput, at: number): Wait {
  let lastInboundAt = w.last_inbound_at;
  if (lastInboundAt >= at) {
    // Stored after later messages moved it: the last qualifying inbound message before `at` instead.
    const seen = input.complete || input.from <= w.started_at;
    lastInboundAt = seen ? w.started_at : UNKNOWN_TIME;
    for (const m of before) if (m.dir === 'in' && m.at >= w.started_at && isQualifyingInbound(m.type)) lastInboundAt = m.at;
  }
  return {
    family: w.family as Family, kind: w.kind as WaitKind, seq: w.seq, threadStartedAt: w.thread_started_at,
    initiator: w.initiator as Wait['initiator'], entryPoint: w.entry_point as Wait['entryPoint'], ownerTeam: w.owner_team,
    startWamid: w.start_wamid, startedAt: w.started_at, lastInboundAt, response: null,
  };
}

function latestStartBefore(stored: readonly StoredWaitState[], at: number): number | undefined {
  let latest: number | undefined;
  for (const w of stored) if (w.started_at < at && (latest === undefined || w.started_at > latest)) latest = w.started_at;
  return latest;
}

/**
 * Team of the latest tagged business message before `at`: from the messages read, else the owner
 * team of the latest stored wait that started within them (no tagged message followed it).
 */
function ownerTeamAt(at: number, before: readonly ChatMessage[], input: ResumeInput): string {
  for (let k = before.length - 1; k >= 0; k--) {
    const m = before[k]!;
    if (m.dir === 'out' && m.team) return m.team;
  }
  let latest: StoredWaitState | undefined;
  for (const w of input.stored) {
    if (w.started_at < at && (input.complete || w.started_at >= input.from) && (!latest || w.started_at > latest.started_at)) latest = w;
  }
  if (latest) return latest.owner_team;
  return input.complete ? '' : UNKNOWN_TEAM;
}
