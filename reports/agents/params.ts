import { badParameter } from '../../app/http-error.ts';
import { onlyKnown, parseLabelFilter, parseRange, text, type LabelFilter } from '../labels/params.ts';
import type { Credit, Who } from '../../warehouse/queries/agents/performance.ts';

/** Parameters of the agent and team performance report and its drill-down to waits. */

const KNOWN = new Set(['from', 'to', 'tz', 'family', 'group_by', 'credit', 'label', 'label_match', 'waba_id', 'format']);

export interface PerformanceParams extends LabelFilter {
  from: number;
  to: number;
  waba_ids: string[];
  family: 'human' | 'any';
  who: Who;
  credit: Credit;
}

function oneOf<T extends string>(q: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const v = text(q, name) || fallback;
  if (!(allowed as readonly string[]).includes(v)) throw badParameter(name, `expected ${allowed.join(' or ')}`);
  return v as T;
}

export function parsePerformanceParams(q: Record<string, unknown>, now: Date, extra: readonly string[] = []): PerformanceParams {
  onlyKnown(q, new Set([...KNOWN, ...extra]));
  const { from, to, waba_ids } = parseRange(q, now);
  const who = oneOf(q, 'group_by', ['agent', 'team'], 'agent');
  const credit = oneOf(q, 'credit', ['answered', 'owner'], 'answered');
  if (credit === 'owner' && who === 'agent') throw badParameter('credit', 'owner credit is by team: a chat is owned by a team, not an agent (use group_by=team)');
  return { from, to, waba_ids, family: oneOf(q, 'family', ['human', 'any'], 'human'), who, credit, ...parseLabelFilter(q) };
}

/** The drill-down's query string: the cell's report parameters and its name. */
export function drillDownQuery(p: PerformanceParams, name: string): string {
  const q = new URLSearchParams({
    from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString(), family: p.family, group_by: p.who, credit: p.credit, name,
  });
  if (p.labels.length) q.set('label', p.labels.join(','));
  if (p.label_match !== 'any') q.set('label_match', p.label_match);
  if (p.waba_ids.length) q.set('waba_id', p.waba_ids.join(','));
  return `/api/reports/agents/waits?${q.toString()}`;
}

const RESOLUTION_KNOWN = new Set(['from', 'to', 'tz', 'period', 'family', 'idle_hours', 'label', 'label_match', 'waba_id', 'format']);

/** `label`: threads under the labels in force when they started. */
export interface ResolutionParams extends LabelFilter {
  from: number;
  to: number;
  tz: string;
  waba_ids: string[];
  family: 'human' | 'any';
  period: 'day' | 'week' | 'month' | 'none';
  idle_ms: number;
}

/**
 * The silence after which a thread counts as closed: `idle_hours` (up to 30 days), by default the
 * SLA's thread idle time (`sla.thread_idle_hours`), after which the next message starts a new thread.
 */
export function parseResolutionParams(q: Record<string, unknown>, now: Date, defaultIdleMs: number): ResolutionParams {
  onlyKnown(q, RESOLUTION_KNOWN);
  const { from, to, tz, waba_ids } = parseRange(q, now);
  const idle = text(q, 'idle_hours');
  const hours = idle ? Number(idle) : defaultIdleMs / 3_600_000;
  if (!Number.isFinite(hours) || hours <= 0 || hours > 720) throw badParameter('idle_hours', 'expected a number of hours above 0, at most 720');
  return {
    from, to, tz, waba_ids, family: oneOf(q, 'family', ['human', 'any'], 'human'),
    period: oneOf(q, 'period', ['day', 'week', 'month', 'none'], 'day'), idle_ms: Math.round(hours * 3_600_000),
    ...parseLabelFilter(q),
  };
}
