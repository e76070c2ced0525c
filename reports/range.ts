import { DateTime } from 'luxon';
import { z } from 'zod';
import { badParameter } from '../app/http-error.ts';

/**
 * The dates a report may be asked about: years 2000 to 2100. WhatsApp Business data starts in 2018;
 * a bound keeps a typo (year 9999, year 0001, a six-digit year) from running a report over
 * millennia, overflowing the engine's DateTime64, or storing a date nobody meant. Every range
 * parameter, query or body, is checked against it once, and answered 400 naming the parameter.
 */
export const MIN_YEAR = 2000;
export const MAX_YEAR = 2100;
const EARLIEST = Date.UTC(MIN_YEAR, 0, 1);
const END = Date.UTC(MAX_YEAR + 1, 0, 1);

export const BOUNDS_TEXT = `between ${MIN_YEAR}-01-01 and ${MAX_YEAR}-12-31`;

export function inBounds(ms: number): boolean {
  return Number.isFinite(ms) && ms >= EARLIEST && ms < END;
}

/** A year-month (YYYY-MM) or date (YYYY-MM-DD) whose year is within the bounds. */
export function yearInBounds(text: string): boolean {
  const y = Number(text.slice(0, 4));
  return /^\d{4}/.test(text) && y >= MIN_YEAR && y <= MAX_YEAR;
}

const ISO_INSTANT = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d))?$/;

/**
 * A point in time given as an ISO date (midnight UTC) or a date-time with Z or an offset; never
 * JavaScript's lenient reading (`1` as 2001, `+275760-09-13`).
 */
export const instantSchema = z
  .string()
  .regex(ISO_INSTANT, 'expected an ISO date (2025-03-01) or date-time with Z or an offset (2025-03-01T09:00:00Z)')
  // luxon checks the calendar (2025-02-30 is no date; JavaScript's Date reads it as March 2).
  .transform((s) => DateTime.fromISO(s, { zone: 'utc' }))
  .refine((d) => d.isValid, 'not a calendar date')
  .transform((d) => d.toJSDate())
  .refine((d) => inBounds(d.getTime()), `must be ${BOUNDS_TEXT}`);

/** A date-time with Z or an offset (as a body field), within the bounds; stays a string. */
export const dateTimeSchema = z.iso.datetime({ offset: true }).refine((s) => inBounds(Date.parse(s)), `must be ${BOUNDS_TEXT}`);

/** An instant query parameter, or undefined when absent or empty. */
export function instantParam(q: Record<string, unknown>, name: string): Date | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  const r = instantSchema.safeParse(v);
  if (!r.success) throw badParameter(name, typeof v === 'string' ? r.error.issues[0]!.message : 'give it once, as text');
  return r.data;
}
