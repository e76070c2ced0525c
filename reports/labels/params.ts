import { IANAZone } from 'luxon';
import { badParameter } from '../../app/http-error.ts';
import { instantParam } from '../range.ts';
import { labelSchema } from './input.ts';
import { TIMELINE_PERIODS, type TimelinePeriod } from '../../warehouse/queries/labels/timeline.ts';

/**
 * Parameters of the label reports, and the `label` / `label_match` filter other reports share:
 * `label=order,vip` (comma list, or the parameter repeated is refused like every other), each
 * well formed; `label_match=any` (default: a row under any of them) or `all`.
 */

type Query = Record<string, unknown>;

export interface LabelFilter {
  labels: string[];
  label_match: 'any' | 'all';
}

export function text(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badParameter(name, 'give it once, as text');
  return v.trim();
}

export function parseLabelFilter(q: Query): LabelFilter {
  const labels = [...new Set((text(q, 'label') ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
  for (const l of labels) {
    const r = labelSchema.safeParse(l);
    if (!r.success) throw badParameter('label', `"${l.slice(0, 40)}": ${r.error.issues[0]!.message}`);
  }
  if (labels.length > 20) throw badParameter('label', 'at most 20 labels');
  const match = text(q, 'label_match') || 'any';
  if (match !== 'any' && match !== 'all') throw badParameter('label_match', 'expected any or all');
  return { labels, label_match: match };
}

const DAY_MS = 86_400_000;
const KNOWN = new Set(['from', 'to', 'tz', 'period', 'label', 'label_match', 'waba_id', 'format', 'from_label', 'to_label']);
const BILLING_KNOWN = new Set(['month', 'waba_id', 'label', 'label_match', 'format']);

export interface TimelineParams extends LabelFilter {
  from: number;
  to: number;
  tz: string;
  period: TimelinePeriod;
  waba_ids: string[];
}

/**
 * `from` (default 30 days before `to`) and `to` (default now; a date includes its day), as ISO dates
 * (midnight UTC) or date-times; `tz` (default UTC) for the buckets; `waba_id` a comma list.
 */
export function parseRange(q: Query, now: Date): { from: number; to: number; tz: string; waba_ids: string[] } {
  // A date as `to` includes that day.
  const toDate = instantParam(q, 'to');
  const to = toDate ? toDate.getTime() + (/^\d{4}-\d\d-\d\d$/.test(String(q.to).trim()) ? DAY_MS : 0) : now.getTime();
  const from = instantParam(q, 'from')?.getTime() ?? to - 30 * DAY_MS;
  if (from > to) throw badParameter('from', 'is after to');
  const tz = text(q, 'tz') || 'UTC';
  if (!IANAZone.isValidZone(tz)) throw badParameter('tz', 'expected an IANA zone such as America/Sao_Paulo');
  const waba_ids = (text(q, 'waba_id') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { from, to, tz, waba_ids };
}

/** Refuses a parameter the report does not know, naming it. */
export function onlyKnown(q: Query, known: ReadonlySet<string>): void {
  const unknown = Object.keys(q).find((k) => !known.has(k));
  if (unknown) throw badParameter(unknown.slice(0, 40), `unknown parameter; expected one of ${[...known].join(', ')}`);
}

export function parseTimelineParams(q: Query, now: Date): TimelineParams {
  onlyKnown(q, KNOWN);
  const period = text(q, 'period') || 'day';
  if (!(period in TIMELINE_PERIODS)) throw badParameter('period', `expected ${Object.keys(TIMELINE_PERIODS).join(', ')}`);
  return { ...parseRange(q, now), period: period as TimelinePeriod, ...parseLabelFilter(q) };
}

/** The journey report's two labels (each required, well formed). */
export function parseJourneyLabels(q: Query): { from_label: string; to_label: string } {
  const one = (name: 'from_label' | 'to_label') => {
    const v = text(q, name);
    if (!v) throw badParameter(name, 'required: a label such as new customer or order/paid');
    const r = labelSchema.safeParse(v);
    if (!r.success) throw badParameter(name, r.error.issues[0]!.message);
    return v;
  };
  return { from_label: one('from_label'), to_label: one('to_label') };
}

export interface LabelBillingParams extends LabelFilter {
  month: string;
  waba: string;
}

/** The month (YYYY-MM, required, in the WABA's zone as the billing facts are) and one WABA or all. */
export function parseLabelBillingParams(q: Query): LabelBillingParams {
  onlyKnown(q, BILLING_KNOWN);
  const month = text(q, 'month') ?? '';
  if (!/^(20\d\d|2100)-(0[1-9]|1[0-2])$/.test(month)) throw badParameter('month', 'required: a month YYYY-MM between 2000-01 and 2100-12');
  const waba = text(q, 'waba_id') ?? '';
  if (waba && !/^\d{1,20}$/.test(waba)) throw badParameter('waba_id', 'expected digits');
  return { month, waba, ...parseLabelFilter(q) };
}
