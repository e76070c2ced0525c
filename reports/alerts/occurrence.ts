import { DateTime } from 'luxon';

/**
 * When a scheduled delivery is due: "Monday 08:00", "weekdays 08:00" or "daily 08:00" in the
 * recipient's zone. Local wall-clock times become instants through luxon, so a delivery stays at
 * 08:00 local across DST changes (a time skipped by the spring change moves to the first valid
 * instant after it).
 */

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export const EVERY = /^(daily|weekdays|monday|tuesday|wednesday|thursday|friday|saturday|sunday) ([01]\d|2[0-3]):([0-5]\d)$/i;

function matchesDay(which: string, weekday: number): boolean {
  if (which === 'daily') return true;
  if (which === 'weekdays') return weekday <= 5;
  return DAYS.indexOf(which as (typeof DAYS)[number]) + 1 === weekday;
}

/** The latest scheduled instant at or before `now` (epoch ms), looking back at most eight days. */
export function lastOccurrence(every: string, zone: string, now: number): number | null {
  const m = EVERY.exec(every.trim());
  if (!m) return null;
  const which = m[1]!.toLowerCase();
  const local = DateTime.fromMillis(now, { zone });
  for (let back = 0; back <= 8; back++) {
    const day = local.minus({ days: back });
    if (!matchesDay(which, day.weekday)) continue;
    const at = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour: Number(m[2]), minute: Number(m[3]) }, { zone }).toMillis();
    if (at <= now) return at;
  }
  return null;
}
