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

/** Adds days to an ISO date, zone-free. */
export function addDays(date: string, days: number): string {
  const ms = Date.parse(date + 'T00:00:00Z') + days * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

/** Day of week of an ISO date: 1 = Monday … 7 = Sunday. */
export function weekdayOf(date: string): number {
  const d = new Date(date + 'T00:00:00Z').getUTCDay();
  return d === 0 ? 7 : d;
}

export class ZoneClock {
  private parts = new Map<number, LocalParts>();
  private midnights = new Map<string, number>();

  constructor(readonly zone: string) {
    if (!DateTime.local().setZone(zone).isValid) throw new Error(`unknown time zone ${zone}`);
  }

  /** Local calendar parts of a unix-seconds instant. */
  local(t: number): LocalParts {
    const bucket = Math.floor(t / BUCKET) * BUCKET;
    let base = this.parts.get(bucket);
    if (!base) {
      if (this.parts.size > 20_000) this.parts.clear();
      const dt = DateTime.fromSeconds(bucket, { zone: this.zone });
      base = {
        date: dt.toISODate()!,
        month: dt.toFormat('yyyy-MM'),
        hour: dt.hour,
        minute: dt.minute,
        weekday: dt.weekday,
      };
      this.parts.set(bucket, base);
    }
    const extra = Math.floor((t - bucket) / 60);
    return extra === 0 ? base : { ...base, minute: base.minute + extra };
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
    const dt = DateTime.fromISO(`${date}T${hhmm}`, { zone: this.zone });
    return Math.floor(dt.toSeconds());
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
