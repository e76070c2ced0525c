import { ALL_WABAS } from '../../../warehouse/scope.ts';
import type { Pseudonymizer } from '../../../app/pseudonym.ts';
import type { Warehouse } from '../../../warehouse/client.ts';
import { liveRows, type StoredWaitRow } from '../../../warehouse/queries/sla/reports.ts';
import type { AlertRule } from '../config.ts';
import type { AlertItem } from '../state.ts';

/**
 * SLA rules on the report's live lists (everyone waiting now, windows closing), as the managers'
 * dashboard shows them: a wait past X % of its due time, past its due time, a 24-hour window
 * closing unanswered, a WABA's queue too long or too old. Items carry the pseudonymous contact id.
 */

type SlaRule = Extract<AlertRule, { kind: `sla_${string}` }>;

/** More than this many waiting at once in one rule's scope is read in part (the worst are listed anyway). */
const MAX_ROWS = 200_000;
const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const minutes = (ms: number) => Math.floor(ms / 60_000);

/** Live rows of a rule's scope, read once per evaluation for rules sharing family, scope and window. */
export type LiveCache = Map<string, Promise<StoredWaitRow[]>>;

function live(wh: Warehouse, rule: SlaRule, now: number, cache: LiveCache): Promise<StoredWaitRow[]> {
  const closing = rule.kind === 'sla_window_closing' ? Math.round(rule.within_minutes * 60_000) : 0;
  const key = JSON.stringify([rule.family, rule.scope, closing]);
  let rows = cache.get(key);
  if (!rows) {
    rows = liveRows(wh, {
      family: rule.family, from: 0, to: now, now, tz: 'UTC', waba_ids: rule.scope.wabas, phone_number_ids: rule.scope.phone_numbers,
      teams: rule.scope.teams, agents: [], responders: [], kinds: [], labels: rule.scope.labels, label_match: rule.scope.label_match, ...ALL_WABAS,
    }, closing, MAX_ROWS);
    cache.set(key, rows);
  }
  return rows;
}

function waitItem(r: StoredWaitRow, now: number, contact: (waId: string) => string, extra: Record<string, string | number | null> = {}): AlertItem {
  const due = r.due_at ?? null;
  const share = due !== null && due > r.started_at ? Math.floor((100 * (now - r.started_at)) / (due - r.started_at)) : null;
  return {
    key: r.wait_id,
    waba_id: r.waba_id,
    rank: now - r.started_at,
    detail: {
      contact: contact(r.wa_id), waba_id: r.waba_id, phone_number_id: r.phone_number_id, team: r.owner_team || r.team, kind: r.kind,
      started_at: iso(r.started_at), due_at: iso(due), waited_minutes: minutes(now - r.started_at), percent_of_due: share, ...extra,
    },
  };
}

export async function slaItems(rule: SlaRule, wh: Warehouse, pseudonyms: Pseudonymizer, now: number, cache: LiveCache): Promise<AlertItem[]> {
  const rows = await live(wh, rule, now, cache);
  const waiting = rows.filter((r) => r.list === 'waiting_now');
  const contact = (w: string) => pseudonyms.contact(w);
  switch (rule.kind) {
    case 'sla_at_risk':
      // From X % of the time between start and due on, until answered (a breach keeps it at risk).
      return waiting
        .filter((r) => r.due_at != null && r.due_at > r.started_at && (now - r.started_at) * 100 >= rule.percent * (r.due_at - r.started_at))
        .map((r) => waitItem(r, now, contact));
    case 'sla_breached':
      return waiting.filter((r) => r.due_at != null && r.due_at <= now).map((r) => waitItem(r, now, contact));
    case 'sla_window_closing':
      return rows
        .filter((r) => r.list === 'window_closing')
        .map((r) => ({ ...waitItem(r, now, contact, { window_expires_at: iso(r.window_expires_at), minutes_left: minutes(r.window_expires_at - now) }), rank: now - r.window_expires_at }));
    case 'sla_waiting_now':
      return queues(waiting, now).filter((q) =>
        (rule.max_count !== undefined && q.waiting > rule.max_count) || (rule.max_oldest_minutes !== undefined && q.oldest_ms > rule.max_oldest_minutes * 60_000));
  }
}

interface Queue extends AlertItem {
  waiting: number;
  oldest_ms: number;
}

/** Waiting now per WABA (one item each, so a recipient sees only the queues of its WABAs). */
function queues(waiting: readonly StoredWaitRow[], now: number): Queue[] {
  const by = new Map<string, { n: number; oldest: number }>();
  for (const r of waiting) {
    const q = by.get(r.waba_id) ?? { n: 0, oldest: now };
    q.n++;
    q.oldest = Math.min(q.oldest, r.started_at);
    by.set(r.waba_id, q);
  }
  return [...by].map(([waba, q]) => ({
    key: waba, waba_id: waba, rank: now - q.oldest, waiting: q.n, oldest_ms: now - q.oldest,
    detail: { waba_id: waba, waiting: q.n, oldest_wait_minutes: minutes(now - q.oldest) },
  }));
}
