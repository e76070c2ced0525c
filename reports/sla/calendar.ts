import { DateTime } from 'luxon';
import type { Calendar } from '../../app/config.ts';

/**
 * Business-hours arithmetic on one versioned calendar: open seconds of [a, b) and "add business
 * time". Every local wall-clock time is turned into an instant by luxon in the version's IANA zone,
 * so DST changes are exact (a 09:00–18:00 day is 9 h long on both sides of a change; a local time
 * skipped by the spring change moves forward to the first valid instant).
 *
 * Rules of a date: the latest version whose `effective_from` ≤ that local date applies (the first
 * version also covers earlier dates); a holiday closes the whole date (it wins over an override); an
 * override replaces the weekly intervals of its date; "24:00" ends at the next midnight; an interval
 * whose end is before its start crosses midnight and ends on the next day. Instants are epoch ms.
 */

type CalendarVersion = Calendar['versions'][number];
type Span = [number, number];

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const DAY_MS = 86_400_000;
/** A calendar that stays closed this long is treated as never opening again. */
const SEARCH_DAYS = 400;

export function isValidZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function addDays(date: string, days: number): string {
  return utcDate(Date.parse(date + 'T00:00:00Z') + days * DAY_MS);
}

function weekday(date: string): (typeof WEEKDAYS)[number] {
  return WEEKDAYS[(new Date(date + 'T00:00:00Z').getUTCDay() + 6) % 7]!;
}

export class BusinessCalendar {
  private readonly versions: CalendarVersion[];
  private readonly holidays: Set<string>[];
  private readonly cache = new Map<string, Span[]>();

  constructor(readonly spec: Calendar) {
    this.versions = [...spec.versions].sort((x, y) => x.effective_from.localeCompare(y.effective_from));
    this.holidays = this.versions.map((v) => new Set(v.holidays));
    for (const v of this.versions) {
      if (!isValidZone(v.time_zone)) throw new Error(`calendar ${spec.id}: unknown time zone ${v.time_zone}`);
    }
  }

  get id(): string {
    return this.spec.id;
  }

  /** effective_from of the version in force at an instant (its local date, read in the first version's zone). */
  versionAt(ms: number): string {
    const date = DateTime.fromMillis(ms, { zone: this.versions[0]!.time_zone }).toISODate()!;
    return this.versions[this.versionIndex(date)]!.effective_from;
  }

  private versionIndex(date: string): number {
    let idx = 0;
    for (let i = 0; i < this.versions.length; i++) if (this.versions[i]!.effective_from.slice(0, 10) <= date) idx = i;
    return idx;
  }

  /** Open spans contributed by one local date (a crossing interval reaches into the next date). */
  spansOf(date: string): Span[] {
    let hit = this.cache.get(date);
    if (hit) return hit;
    const vi = this.versionIndex(date);
    const v = this.versions[vi]!;
    const intervals = this.holidays[vi]!.has(date) ? [] : (v.overrides[date] ?? v.weekly[weekday(date)]);
    hit = intervals
      .map(([from, to]): Span => {
        const start = localInstant(v.time_zone, date, from);
        let end = localInstant(v.time_zone, date, to);
        if (to < from && to !== '24:00') end = localInstant(v.time_zone, addDays(date, 1), to);
        return [start, end];
      })
      .filter(([s, e]) => e > s)
      .sort((x, y) => x[0] - y[0]);
    if (this.cache.size > 20_000) this.cache.clear();
    this.cache.set(date, hit);
    return hit;
  }

  /** Merged open spans in time order, from the day before `fromMs` onwards, for at most SEARCH_DAYS. */
  private *openSpans(fromMs: number): Generator<Span> {
    // Local dates run at most 14 h off UTC and a crossing interval adds a day: start two days early.
    let date = addDays(utcDate(fromMs), -2);
    let current: Span | undefined;
    for (let i = 0; i < SEARCH_DAYS; i++, date = addDays(date, 1)) {
      for (const [s, e] of this.spansOf(date)) {
        if (current && s <= current[1]) current = [current[0], Math.max(current[1], e)];
        else {
          if (current) yield current;
          current = [s, e];
        }
      }
    }
    if (current) yield current;
  }

  /** Seconds of [a, b) inside open hours. */
  businessSeconds(aMs: number, bMs: number): number {
    if (bMs <= aMs) return 0;
    let total = 0;
    for (const [s, e] of this.openSpans(aMs)) {
      if (s >= bMs) break;
      const lo = Math.max(s, aMs);
      const hi = Math.min(e, bMs);
      if (hi > lo) total += hi - lo;
    }
    return total / 1000;
  }

  /**
   * The instant at which `seconds` of open time have passed since `fromMs` (a start while closed
   * starts the clock at the next opening); null when the calendar never opens again.
   */
  addBusinessTime(fromMs: number, seconds: number): number | null {
    let left = seconds * 1000;
    for (const [s, e] of this.openSpans(fromMs)) {
      if (e <= fromMs) continue;
      const lo = Math.max(s, fromMs);
      if (lo + left <= e) return lo + left;
      left -= e - lo;
    }
    return null;
  }
}

/** Epoch ms of a local wall-clock time "HH:MM" on a date; "24:00" is the next day's midnight. */
function localInstant(zone: string, date: string, hhmm: string): number {
  if (hhmm === '24:00') return localInstant(zone, addDays(date, 1), '00:00');
  return DateTime.fromISO(`${date}T${hhmm}`, { zone }).toMillis();
}
