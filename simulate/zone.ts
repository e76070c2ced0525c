// Local time of a WABA's IANA zone, with luxon doing the DST arithmetic and small caches keeping
// the hot paths (millions of timestamps) cheap.
import { DateTime } from 'luxon';

export interface LocalParts {
  date: string; // YYYY-MM-DD
  month: string; // YYYY-MM
  hour: number;
  minute: number;
  weekday: number; // 1 = Monday … 7 = Sunday
}

const BUCKET = 900; // every real UTC offset is a multiple of 15 minutes
const DAY = 86_400;

const dayNames = new Map<number, string>();
/** ISO date of a day number (days since 1970-01-01). */
function dateOfDay(day: number): string {
  let s = dayNames.get(day);
  if (s === undefined) {
    if (dayNames.size > 50_000) dayNames.clear();
    s = new Date(day * 86_400_000).toISOString().slice(0, 10);
    dayNames.set(day, s);
  }
  return s;
}

const dayNumbers = new Map<string, number>();
function dayOf(date: string): number {
  let n = dayNumbers.get(date);
  if (n === undefined) {
    if (dayNumbers.size > 50_000) dayNumbers.clear();
    n = Math.round(Date.parse(date + 'T00:00:00Z') / 86_400_000);
    dayNumbers.set(date, n);
  }
  return n;
}

/** Adds days to an ISO date, zone-free. */
export function addDays(date: string, days: number): string {
  return dateOfDay(dayOf(date) + days);
}

/** Day of week of an ISO date: 1 = Monday … 7 = Sunday. */
export function weekdayOf(date: string): number {
  return ((((dayOf(date) + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday
}

export class ZoneClock {
  private bucketOffsets = new Map<number, number>();
  private midnights = new Map<string, number>();
  private offsets = new Map<number, number | null>();

  constructor(readonly zone: string) {
    if (!DateTime.local().setZone(zone).isValid) throw new Error(`unknown time zone ${zone}`);
  }

  private offsetSeconds(t: number): number {
    return DateTime.fromSeconds(t, { zone: this.zone }).offset * 60;
  }

  /** UTC offset in force at t. A UTC day whose two ends share an offset has no transition in it. */
  private offsetAt(t: number): number {
    const day = Math.floor(t / DAY);
    let off = this.offsets.get(day);
    if (off === undefined) {
      if (this.offsets.size > 20_000) this.offsets.clear();
      const a = this.offsetSeconds(day * DAY);
      off = a === this.offsetSeconds(day * DAY + DAY - 1) ? a : null;
      this.offsets.set(day, off);
    }
    if (off !== null) return off;
    const bucket = Math.floor(t / BUCKET) * BUCKET;
    let exact = this.bucketOffsets.get(bucket);
    if (exact === undefined) {
      exact = this.offsetSeconds(bucket);
      if (this.bucketOffsets.size > 20_000) this.bucketOffsets.clear();
      this.bucketOffsets.set(bucket, exact);
    }
    return exact;
  }

  /** Local calendar parts of a unix-seconds instant. */
  local(t: number): LocalParts {
    const lt = t + this.offsetAt(t);
    const day = Math.floor(lt / DAY);
    const date = dateOfDay(day);
    const sec = lt - day * DAY;
    return {
      date,
      month: date.slice(0, 7),
      hour: Math.floor(sec / 3600),
      minute: Math.floor((sec % 3600) / 60),
      weekday: ((((day + 3) % 7) + 7) % 7) + 1,
    };
  }

  date(t: number): string {
    return this.local(t).date;
  }

  month(t: number): string {
    return this.local(t).month;
  }

  /** Unix seconds of a local wall-clock time; "24:00" is the next day's midnight. */
  at(date: string, hhmm: string): number {
    if (hhmm === '24:00') return this.midnight(addDays(date, 1));
    if (hhmm === '00:00') return this.midnight(date);
    const local = dayOf(date) * DAY + Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3, 5)) * 60;
    // Away from any offset change (three UTC days with one offset) the arithmetic is exact.
    const day = Math.floor(local / DAY);
    this.offsetAt(day * DAY);
    const o = this.offsets.get(day);
    if (o !== null && o !== undefined && this.offsetAt((day - 1) * DAY) === o && this.offsetAt((day + 1) * DAY) === o
      && this.offsets.get(day - 1) === o && this.offsets.get(day + 1) === o) {
      return local - o;
    }
    return Math.floor(DateTime.fromISO(`${date}T${hhmm}`, { zone: this.zone }).toSeconds());
  }

  /** Unix seconds of local midnight starting `date`. */
  midnight(date: string): number {
    let s = this.midnights.get(date);
    if (s === undefined) {
      if (this.midnights.size > 5_000) this.midnights.clear();
      s = Math.floor(DateTime.fromISO(`${date}T00:00`, { zone: this.zone }).toSeconds());
      this.midnights.set(date, s);
    }
    return s;
  }

  /** Unix seconds of the first local midnight of a month "YYYY-MM". */
  monthStart(month: string): number {
    return this.midnight(month + '-01');
  }
}
