// Business-hours calendars in the CONFIG_FILE format, and the business-seconds arithmetic the
// truth uses: [start, end) ∩ open intervals, evaluated in local time of the version's IANA zone.
import { ZoneClock, addDays, weekdayOf } from './zone.ts';

export type Interval = [string, string]; // ["09:00", "18:00"], "24:00" allowed as an end
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface CalendarVersion {
  effective_from: string; // YYYY-MM-DD, local date
  time_zone: string;
  weekly: Record<Weekday, Interval[]>;
  holidays: string[]; // closed all day; wins over an override of the same date
  overrides: Record<string, Interval[]>; // replaces the weekly intervals of that date
}

export interface CalendarSpec {
  id: string;
  versions: CalendarVersion[];
}

const clocks = new Map<string, ZoneClock>();
export function clockFor(zone: string): ZoneClock {
  let c = clocks.get(zone);
  if (!c) {
    c = new ZoneClock(zone);
    clocks.set(zone, c);
  }
  return c;
}

const DAY = 86_400;
const SEARCH_DAYS = 60; // a calendar closed for longer than this is treated as never opening

export class BusinessCalendar {
  private readonly versions: CalendarVersion[];
  private readonly holidays: Set<string>[];
  private cache = new Map<string, [number, number][]>();

  constructor(readonly spec: CalendarSpec) {
    this.versions = [...spec.versions].sort((a, b) => a.effective_from.localeCompare(b.effective_from));
    if (this.versions.length === 0) throw new Error(`calendar ${spec.id} has no versions`);
    this.holidays = this.versions.map((v) => new Set(v.holidays));
  }

  private versionIndex(date: string): number {
    let idx = 0;
    for (let i = 0; i < this.versions.length; i++) if (this.versions[i]!.effective_from <= date) idx = i;
    return idx;
  }

  /** Zone used to read a given instant: the zone of the version in force on the first version's reading. */
  private clockAt(t: number): ZoneClock {
    const first = clockFor(this.versions[0]!.time_zone);
    return clockFor(this.versions[this.versionIndex(first.date(t))]!.time_zone);
  }

  /** Open intervals of one local date as unix-second half-open ranges, sorted, non-overlapping. */
  intervals(date: string): [number, number][] {
    let hit = this.cache.get(date);
    if (hit) return hit;
    const vi = this.versionIndex(date);
    const v = this.versions[vi]!;
    const clock = clockFor(v.time_zone);
    let spans: Interval[];
    if (this.holidays[vi]!.has(date)) spans = [];
    else spans = v.overrides[date] ?? v.weekly[WEEKDAYS[weekdayOf(date) - 1]!] ?? [];
    hit = spans
      .map(([a, b]) => [clock.at(date, a), clock.at(date, b)] as [number, number])
      .filter(([a, b]) => b > a)
      .sort((x, y) => x[0] - y[0]);
    if (this.cache.size > 4_000) this.cache.clear();
    this.cache.set(date, hit);
    return hit;
  }

  /** Seconds of [a, b) that fall inside open intervals. */
  businessSeconds(a: number, b: number): number {
    if (b <= a) return 0;
    const clock = this.clockAt(a);
    // One local day either side covers intervals of a neighbouring date that reach into [a, b).
    let date = addDays(clock.date(a), -1);
    const last = addDays(this.clockAt(b).date(b), 1);
    let total = 0;
    while (date <= last) {
      for (const [s, e] of this.intervals(date)) {
        const lo = Math.max(s, a);
        const hi = Math.min(e, b);
        if (hi > lo) total += hi - lo;
      }
      date = addDays(date, 1);
    }
    return total;
  }

  isOpen(t: number): boolean {
    const date = this.clockAt(t).date(t);
    for (const d of [addDays(date, -1), date]) {
      for (const [s, e] of this.intervals(d)) if (t >= s && t < e) return true;
    }
    return false;
  }

  /** The earliest instant ≥ t that is open, or null when nothing opens within SEARCH_DAYS. */
  nextOpen(t: number): number | null {
    let date = addDays(this.clockAt(t).date(t), -1);
    for (let i = 0; i < SEARCH_DAYS; i++) {
      for (const [s, e] of this.intervals(date)) {
        if (e > t) return Math.max(s, t);
      }
      date = addDays(date, 1);
    }
    return null;
  }

  /** The instant at which `secs` open seconds have elapsed after t (t itself may be closed). */
  addBusinessSeconds(t: number, secs: number): number {
    let left = secs;
    let date = addDays(this.clockAt(t).date(t), -1);
    for (let i = 0; i < SEARCH_DAYS; i++) {
      for (const [s, e] of this.intervals(date)) {
        if (e <= t) continue;
        const from = Math.max(s, t);
        if (from + left <= e) return from + left;
        left -= e - from;
      }
      date = addDays(date, 1);
    }
    return t + secs + SEARCH_DAYS * DAY; // a calendar that never opens: far away, but finite
  }
}
