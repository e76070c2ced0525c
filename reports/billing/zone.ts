import { DateTime } from 'luxon';

/**
 * Local calendar of a WABA's IANA time zone: months and days are counted there (Meta resets the
 * free tier and volume tiers at 00:00 WABA time). Cached per quarter hour (every real UTC offset is
 * a multiple of 15 minutes), so rebuilding millions of facts stays cheap.
 */

const QUARTER_HOUR = 900_000;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const DATE = /^\d{4}-\d\d-\d\d$/;

export function isMonth(s: unknown): boolean {
  return typeof s === 'string' && MONTH.test(s);
}

export function isDate(s: unknown): boolean {
  return typeof s === 'string' && DATE.test(s) && DateTime.fromISO(s, { zone: 'UTC' }).isValid;
}

export function isZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

export class LocalCalendar {
  private dates = new Map<number, string>();

  constructor(readonly zone: string) {
    if (!isZone(zone)) throw new Error(`unknown time zone ${zone}`);
  }

  /** Local date (YYYY-MM-DD) of an instant in epoch milliseconds. */
  date(ms: number): string {
    const bucket = Math.floor(ms / QUARTER_HOUR);
    let d = this.dates.get(bucket);
    if (d === undefined) {
      if (this.dates.size > 50_000) this.dates.clear();
      d = DateTime.fromMillis(bucket * QUARTER_HOUR, { zone: this.zone }).toISODate()!;
      this.dates.set(bucket, d);
    }
    return d;
  }

  month(ms: number): string {
    return this.date(ms).slice(0, 7);
  }

  /** Epoch ms of local midnight starting a date. */
  startOf(date: string): number {
    return DateTime.fromISO(date, { zone: this.zone }).startOf('day').toMillis();
  }

  /** [start, end) of a local month in epoch ms. */
  monthRange(month: string): { start: number; end: number } {
    const start = DateTime.fromISO(`${month}-01`, { zone: this.zone }).startOf('day');
    return { start: start.toMillis(), end: start.plus({ months: 1 }).toMillis() };
  }
}

const calendars = new Map<string, LocalCalendar>();

/** One shared calendar per zone (the caches are the point). */
export function calendarOf(zone: string): LocalCalendar {
  let c = calendars.get(zone);
  if (!c) calendars.set(zone, (c = new LocalCalendar(zone)));
  return c;
}

/** Every date of a month, YYYY-MM-DD. */
export function datesOfMonth(month: string): string[] {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return Array.from({ length: days }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}

/** Calendar arithmetic on YYYY-MM-DD without a zone (plain UTC dates; hot in the forecast). */
export function addDays(date: string, days: number): string {
  const ms = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) + days * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

export function addMonths(month: string, months: number): string {
  return DateTime.fromISO(`${month}-01`, { zone: 'UTC' }).plus({ months }).toFormat('yyyy-MM');
}

/** 1 = Monday … 7 = Sunday. */
export function weekdayOf(date: string): number {
  const d = new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)))).getUTCDay();
  return d === 0 ? 7 : d;
}
