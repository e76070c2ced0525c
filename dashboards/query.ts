import { z } from 'zod';
import { HttpError } from '../app/http-error.ts';
import { BOUNDS_TEXT, yearInBounds } from '../reports/range.ts';
import { labelSchema } from '../reports/labels/input.ts';

/**
 * The filters every dashboard understands: a date range (whole UTC days, both ends included) and
 * optional WABA, phone number, team and labels (a comma list: chats under any of them). The same
 * object drives the data, the pictures and the audit.
 */
export interface DashboardQuery {
  from: string;
  to: string;
  waba?: string;
  phone?: string;
  team?: string;
  label?: string;
}

export const DEFAULT_DAYS = 30;
export const MAX_DAYS = 400;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const id = z.string().trim().max(64).regex(/^[\w.:@+-]*$/, 'letters, digits and . : @ + - _ only');

export const querySchema = z.object({
  from: z.string().regex(DAY, 'expected YYYY-MM-DD').optional().describe('first day (UTC), default 30 days before to'),
  to: z.string().regex(DAY, 'expected YYYY-MM-DD').optional().describe('last day (UTC), default today'),
  waba: id.optional().describe("a WABA id (within the viewer's scope)"),
  phone: id.optional().describe('a business phone number id'),
  team: id.optional(),
  label: z.string().max(400).refine((v) => v.split(',').every((l) => labelSchema.safeParse(l.trim()).success), 'labels such as order/paid, separated by commas').optional(),
});

/** A bad filter: 400 naming the parameter. */
export class QueryError extends HttpError {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(400, `${parameter}: ${message}`, { body: { parameter } });
  }
}

function isRealDay(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === d;
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The asked labels of a query's comma list (none without one). */
export function labelsOf(q: Pick<DashboardQuery, 'label'>): string[] {
  return (q.label ?? '').split(',').map((l) => l.trim()).filter(Boolean);
}

/** Parses the query string; empty values mean "no filter"; defaults to the last 30 days up to today. */
export function parseQuery(raw: Record<string, unknown>, now: Date): DashboardQuery {
  const flat: Record<string, string> = {};
  for (const k of ['from', 'to', 'waba', 'phone', 'team', 'label']) {
    const v = raw[k];
    if (typeof v === 'string' && v.trim() !== '') flat[k] = v.trim();
    else if (v !== undefined && typeof v !== 'string') throw new QueryError(k, 'expected a single value');
  }
  const parsed = querySchema.safeParse(flat);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new QueryError(String(issue.path[0] ?? 'query'), issue.message);
  }
  const q = parsed.data;
  for (const k of ['from', 'to'] as const) if (q[k] && !isRealDay(q[k]!)) throw new QueryError(k, `${q[k]} is not a calendar date`);
  for (const k of ['from', 'to'] as const) if (q[k] && !yearInBounds(q[k]!)) throw new QueryError(k, `must be ${BOUNDS_TEXT}`);
  const to = q.to ?? now.toISOString().slice(0, 10);
  const from = q.from ?? addDays(to, -(DEFAULT_DAYS - 1));
  if (from > to) throw new QueryError('from', 'must not be after to');
  if (daysBetween(from, to) + 1 > MAX_DAYS) throw new QueryError('to', `the range may span at most ${MAX_DAYS} days`);
  return { from, to, ...(q.waba ? { waba: q.waba } : {}), ...(q.phone ? { phone: q.phone } : {}), ...(q.team ? { team: q.team } : {}), ...(q.label ? { label: q.label } : {}) };
}

/** The range as instants: [from 00:00Z, day after to 00:00Z). */
export function rangeInstants(q: DashboardQuery): { fromIso: string; toIso: string } {
  return { fromIso: `${q.from}T00:00:00.000Z`, toIso: `${addDays(q.to, 1)}T00:00:00.000Z` };
}

/** The query back as a query string (for links to pictures and snapshots). */
export function queryString(q: DashboardQuery): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
  return p.toString();
}
