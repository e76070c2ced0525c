import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { BusinessCalendar, type CalendarSpec } from '../../simulate/calendar.ts';
import { easter, england } from '../../simulate/holidays.ts';
import { marketOf } from '../../simulate/markets.ts';
import { Rng } from '../../simulate/prng.ts';
import { configFile, DEFAULT_WABAS } from '../../simulate/tenants.ts';

const config = configFile(DEFAULT_WABAS, '2025-01-01', '2025-12-31');
const [aurora, kettle] = config.calendars.map((c) => new BusinessCalendar(c)) as [BusinessCalendar, BusinessCalendar];
const sp = (iso: string) => DateTime.fromISO(iso, { zone: 'America/Sao_Paulo' }).toSeconds();
const ldn = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/London' }).toSeconds();

/** Brute force: walk in 15-minute steps and ask whether the local wall clock is inside an interval. */
function slowBusinessSeconds(spec: CalendarSpec, a: number, b: number): number {
  const v = spec.versions[0]!;
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
  let total = 0;
  for (let t = a; t < b; t += 900) {
    const dt = DateTime.fromSeconds(t, { zone: v.time_zone });
    const date = dt.toISODate()!;
    if (v.holidays.includes(date)) continue;
    const spans = v.overrides[date] ?? v.weekly[days[dt.weekday - 1]!];
    const hm = dt.toFormat('HH:mm');
    if (spans.some(([s, e]) => hm >= s && hm < e)) total += 900;
  }
  return total;
}

describe('business calendars', () => {
  it('counts a Friday-to-Monday wait across the late Friday shift that crosses midnight', () => {
    // Fri 17:00–18:00, 20:00–24:00, Sat 00:00–02:00, 09:00–13:00, Mon 09:00–10:00.
    expect(aurora.businessSeconds(sp('2025-11-07T17:00'), sp('2025-11-10T10:00'))).toBe(3600 + 4 * 3600 + 2 * 3600 + 4 * 3600 + 3600);
  });

  it('closes holidays all day and applies overrides (short Christmas Eve)', () => {
    expect(aurora.businessSeconds(sp('2025-12-25T00:00'), sp('2025-12-26T00:00'))).toBe(0);
    expect(aurora.businessSeconds(sp('2025-12-24T00:00'), sp('2025-12-25T00:00'))).toBe(4 * 3600);
    expect(kettle.businessSeconds(ldn('2025-12-25T00:00'), ldn('2025-12-27T00:00'))).toBe(0);
  });

  it('follows daylight saving time in local hours', () => {
    // London moves to BST on Sunday 2025-03-30: Saturday 13:00 → Monday 09:00 is 1 h + 1 h open.
    expect(kettle.businessSeconds(ldn('2025-03-29T13:00'), ldn('2025-03-31T09:00'))).toBe(7200);
    expect(kettle.isOpen(ldn('2025-03-31T08:30'))).toBe(true);
    expect(kettle.isOpen(ldn('2025-03-31T12:45'))).toBe(false);
  });

  it('agrees with a brute-force walk on random waits', () => {
    const r = new Rng('calendar');
    for (const [cal, spec] of [[aurora, config.calendars[0]!], [kettle, config.calendars[1]!]] as const) {
      for (let i = 0; i < 60; i++) {
        const a = 1_735_689_600 + r.int(360 * 96) * 900;
        const b = a + r.int(5 * 96) * 900;
        expect(cal.businessSeconds(a, b)).toBe(slowBusinessSeconds(spec, a, b));
      }
    }
  });

  it('adds business time and finds the next opening', () => {
    const fri = sp('2025-11-07T17:30');
    expect(aurora.addBusinessSeconds(fri, 3600)).toBe(sp('2025-11-07T20:30'));
    expect(aurora.nextOpen(sp('2025-11-09T12:00'))).toBe(sp('2025-11-10T09:00'));
    expect(aurora.addBusinessSeconds(sp('2025-11-09T12:00'), 0)).toBe(sp('2025-11-10T09:00'));
  });

  it('knows the movable feasts and bank-holiday substitutes', () => {
    expect(easter(2025)).toBe('2025-04-20');
    expect(easter(2024)).toBe('2024-03-31');
    const uk = england([2022]).holidays;
    expect(uk).toContain('2022-12-27'); // Christmas on Sunday → Tuesday substitute
    expect(uk).toContain('2022-09-19');
  });

  it('maps recipients to markets by the longest calling-code prefix', () => {
    expect(marketOf('18095551234')).toBe('REST_OF_LATIN_AMERICA');
    expect(marketOf('14155551234')).toBe('NORTH_AMERICA');
    expect(marketOf('5511987654321')).toBe('BR');
    expect(marketOf('2348031234567')).toBe('NG');
    expect(marketOf('5215512345678')).toBe('MX');
    expect(marketOf('81312345678')).toBe('OTHER');
  });
});
