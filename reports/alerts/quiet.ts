import { DateTime } from 'luxon';
import type { BusinessCalendar } from '../sla/calendar.ts';
import type { Quiet } from './config.ts';

/**
 * Whether a rule holds its messages at an instant: inside a daily window of local wall-clock time
 * (read in the zone by luxon, so the window follows DST: 22:00–07:00 in New York is 03:00–12:00 UTC
 * in winter and 02:00–11:00 UTC in summer), or while the named business calendar is closed.
 * A window whose end is before its start crosses midnight.
 */
export function isQuiet(quiet: Quiet | undefined, at: number, calendars: ReadonlyMap<string, BusinessCalendar>): boolean {
  if (!quiet) return false;
  if ('calendar' in quiet) {
    const cal = calendars.get(quiet.calendar);
    // Open at `at` exactly when the next second holds open time.
    return cal ? cal.businessSeconds(at, at + 1000) === 0 : false;
  }
  const local = DateTime.fromMillis(at, { zone: quiet.zone }).toFormat('HH:mm');
  const { from, to } = quiet;
  if (from === to) return false;
  return from < to ? local >= from && local < to : local >= from || local < to;
}
