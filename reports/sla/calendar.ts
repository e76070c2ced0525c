import { DateTime, IANAZone } from 'luxon';
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
/** Every real UTC offset is a multiple of 15 minutes: instants in one such slot share a local date. */
const SLOT_MS = 900_000;

/** An IANA zone name (not a fixed offset such as "UTC+3", which has no DST rules to follow). */
export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** The zone's name as the tz database spells it ("america/sao_paulo" → "America/Sao_Paulo"). */
export function zoneName(zone: string): string {
  const resolved = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
}

/** Local dates are handled as day numbers (days since 1970-01-01), their ISO text made on demand. */
const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

export class BusinessCalendar {
  private readonly versions: CalendarVersion[];
  private readonly holidays: Set<string>[];
  private readonly days = new Map<number, Span[]>();
  private readonly versionBySlot = new Map<number, string>();

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
    if (this.versions.length === 1) return this.versions[0]!.effective_from;
    const slot = Math.floor(ms / SLOT_MS);
    let v = this.versionBySlot.get(slot);
    if (v === undefined) {
      const date = DateTime.fromMillis(slot * SLOT_MS, { zone: this.versions[0]!.time_zone }).toISODate()!;
      v = this.versions[this.versionIndex(date)]!.effective_from;
      if (this.versionBySlot.size > 50_000) this.versionBySlot.clear();
      this.versionBySlot.set(slot, v);
    }
    return v;
  }

  private versionIndex(date: string): number {
    let idx = 0;
    for (let i = 0; i < this.versions.length; i++) if (this.versions[i]!.effective_from.slice(0, 10) <= date) idx = i;
    return idx;
  }

  /** Open spans contributed by one local date (a crossing interval reaches into the next date). */
  spansOf(day: number): Span[] {
    let hit = this.days.get(day);
    if (hit) return hit;
    const date = isoDay(day);
    const vi = this.versionIndex(date);
    const v = this.versions[vi]!;
    const intervals = this.holidays[vi]!.has(date) ? [] : (v.overrides[date] ?? v.weekly[WEEKDAYS[(((day + 3) % 7) + 7) % 7]!]);
    hit = intervals
      .map(([from, to]): Span => {
        const start = localInstant(v.time_zone, date, from);
        const end = to < from && to !== '24:00' ? localInstant(v.time_zone, isoDay(day + 1), to) : localInstant(v.time_zone, date, to);
        return [start, end];
      })
      .filter(([s, e]) => e > s)
      .sort((x, y) => x[0] - y[0]);
    if (this.days.size > 20_000) this.days.clear();
    this.days.set(day, hit);
    return hit;
  }

  /**
   * Visits the merged open spans in time order, from two days before `fromMs` (local dates run at
   * most 14 h off UTC and a crossing interval adds a day), until `visit` returns false or
   * SEARCH_DAYS have been looked at.
   */
  private walk(fromMs: number, visit: (start: number, end: number) => boolean): void {
    const first = Math.floor(fromMs / DAY_MS) - 2;
    let cs = 0;
    let ce = -Infinity;
    for (let day = first; day < first + SEARCH_DAYS; day++) {
      for (const [s, e] of this.spansOf(day)) {
        if (s <= ce) {
          if (e > ce) ce = e;
          continue;
        }
        if (ce > -Infinity && !visit(cs, ce)) return;
        cs = s;
        ce = e;
      }
    }
    if (ce > -Infinity) visit(cs, ce);
  }

  /** Seconds of [a, b) inside open hours. */
  businessSeconds(aMs: number, bMs: number): number {
    if (bMs <= aMs) return 0;
    let total = 0;
    this.walk(aMs, (s, e) => {
      if (s >= bMs) return false;
      const lo = Math.max(s, aMs);
      const hi = Math.min(e, bMs);
      if (hi > lo) total += hi - lo;
      return true;
    });
    return total / 1000;
  }

  /**
   * The instant at which `seconds` of open time have passed since `fromMs` (a start while closed
   * starts the clock at the next opening); null when the calendar never opens again.
   */
  addBusinessTime(fromMs: number, seconds: number): number | null {
    let left = seconds * 1000;
    let due: number | null = null;
    this.walk(fromMs, (s, e) => {
      if (e <= fromMs) return true;
      const lo = Math.max(s, fromMs);
      if (lo + left <= e) {
        due = lo + left;
        return false;
      }
      left -= e - lo;
      return true;
    });
    return due;
  }
}

/** Epoch ms of a local wall-clock time "HH:MM" on a date; "24:00" is the next day's midnight. */
function localInstant(zone: string, date: string, hhmm: string): number {
  if (hhmm === '24:00') return localInstant(zone, isoDay(Date.parse(date + 'T00:00:00Z') / DAY_MS + 1), '00:00');
  return DateTime.fromISO(`${date}T${hhmm}`, { zone }).toMillis();
}
