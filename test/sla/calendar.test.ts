import { describe, expect, it } from 'vitest';
import { BusinessCalendar } from '../../reports/sla/calendar.ts';
import type { Calendar } from '../../app/config.ts';

// Hand-computed business hours. Every expected value is worked out in the comment beside it, from the
// zone's real offsets (Berlin CET +1 / CEST +2, New York EST -5 / EDT -4, Sydney AEST +10 / AEDT +11).

const none: [string, string][] = [];
function weekly(days: Partial<Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', [string, string][]>>) {
  return { mon: none, tue: none, wed: none, thu: none, fri: none, sat: none, sun: none, ...days };
}
function calendar(id: string, zone: string, days: Parameters<typeof weekly>[0], extra: Partial<Calendar['versions'][number]> = {}): BusinessCalendar {
  return new BusinessCalendar({ id, versions: [{ effective_from: '2020-01-01', time_zone: zone, weekly: weekly(days), holidays: [], overrides: {}, ...extra }] });
}

const split: [string, string][] = [['09:00', '12:00'], ['13:00', '18:00']];
const berlin = calendar('berlin', 'Europe/Berlin', { mon: split, tue: split, wed: split, thu: split, fri: split, sat: [['10:00', '14:00']] }, {
  holidays: ['2024-12-25'],
  overrides: { '2024-12-24': [['09:00', '12:00']] },
});
const berlinNight = calendar('night', 'Europe/Berlin', { sat: [['22:00', '04:00']] });
const nineToFive: [string, string][] = [['09:00', '17:00']];
const sydney = calendar('sydney', 'Australia/Sydney', { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive, sun: [['00:00', '24:00']] });
const newYork = calendar('ny', 'America/New_York', { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive });
const newYorkEarlySunday = calendar('ny-sun', 'America/New_York', { sun: [['02:30', '05:00']] });
const santiago = calendar('scl', 'America/Santiago', { sat: [['00:00', '24:00']], sun: [['00:00', '24:00']] });
const versioned = new BusinessCalendar({
  id: 'v',
  versions: [
    { effective_from: '2024-06-01', time_zone: 'UTC', weekly: weekly({ mon: [['08:00', '20:00']], fri: [['08:00', '20:00']] }), holidays: [], overrides: {} },
    { effective_from: '2024-01-01', time_zone: 'UTC', weekly: weekly({ mon: nineToFive, fri: nineToFive }), holidays: [], overrides: {} },
  ],
});

const t = (iso: string) => Date.parse(iso);

describe('business seconds of [start, response)', () => {
  const cases: [string, BusinessCalendar, string, string, number][] = [
    // Mon 09:30–11:00 CET, inside the morning interval.
    ['inside one interval', berlin, '2024-03-04T08:30:00Z', '2024-03-04T10:00:00Z', 5400],
    // Mon 11:30–13:30 CET: 11:30–12:00 + 13:00–13:30, the lunch hour is closed.
    ['across a lunch break', berlin, '2024-03-04T10:30:00Z', '2024-03-04T12:30:00Z', 3600],
    // Mon 07:00 CET (closed) to 09:15: the clock starts at the 09:00 opening.
    ['starting while closed', berlin, '2024-03-04T06:00:00Z', '2024-03-04T08:15:00Z', 900],
    // Fri 17:00 → Mon 09:30 CET: Fri 1 h + Sat 10–14 (4 h) + Mon 0.5 h.
    ['across a weekend', berlin, '2024-03-08T16:00:00Z', '2024-03-11T08:30:00Z', 19800],
    // Sat 30 Mar 13:00 CET → Mon 1 Apr 10:00 CEST (08:00Z): Sat 1 h + Mon 09:00–10:00 CEST = 07:00Z–08:00Z.
    ['northern spring change (Berlin)', berlin, '2024-03-30T12:00:00Z', '2024-04-01T08:00:00Z', 7200],
    // Fri 25 Oct 17:00 CEST → Mon 28 Oct 09:30 CET (08:30Z): 1 h + 4 h + 0.5 h.
    ['northern autumn change (Berlin)', berlin, '2024-10-25T15:00:00Z', '2024-10-28T08:30:00Z', 19800],
    // Tue 24 Dec 11:00 → Thu 26 Dec 10:00 CET: override 09–12 gives 1 h, Wed 25 a holiday, Thu 1 h.
    ['holiday and date override', berlin, '2024-12-24T10:00:00Z', '2024-12-26T09:00:00Z', 7200],
    // Sat 22:00 CET → Sun 04:00 CEST crosses midnight and loses the skipped hour: 5 h.
    ['interval crossing midnight, spring change', berlinNight, '2024-03-30T20:00:00Z', '2024-03-31T06:00:00Z', 18000],
    // Sat 22:00 CEST → Sun 04:00 CET gains the repeated hour: 7 h.
    ['interval crossing midnight, autumn change', berlinNight, '2024-10-26T19:00:00Z', '2024-10-27T05:00:00Z', 25200],
    // Sun 7 Apr 2024 in Sydney is 25 h long (AEDT → AEST), plus Mon 09:00–10:00 AEST (23:00Z–00:00Z).
    ['southern autumn change (Sydney)', sydney, '2024-04-06T12:00:00Z', '2024-04-08T00:00:00Z', 93600],
    // Sun 6 Oct 2024 in Sydney is 23 h long (AEST → AEDT); Mon opens at 22:00Z, after the end.
    ['southern spring change (Sydney)', sydney, '2024-10-05T12:00:00Z', '2024-10-06T22:00:00Z', 82800],
    // Santiago 2024: Sat 6 Apr 24:00 (-03) becomes 23:00 (-04), so the weekend is 49 h long.
    ['southern autumn change (Santiago)', santiago, '2024-04-06T03:00:00Z', '2024-04-08T04:00:00Z', 176400],
    // Santiago 2024: Sat 7 Sep 24:00 (-04) becomes Sun 01:00 (-03), so the weekend is 47 h long.
    ['southern spring change (Santiago)', santiago, '2024-09-07T04:00:00Z', '2024-09-09T03:00:00Z', 169200],
    // New York Sun 10 Mar 2024 02:30 does not exist: the interval opens at 03:30 EDT (07:30Z) until 05:00 EDT.
    ['interval starting in the skipped hour', newYorkEarlySunday, '2024-03-10T00:00:00Z', '2024-03-10T12:00:00Z', 5400],
    // Version 1 (9–17) on Fri 31 May, version 2 (8–20) from Mon 3 Jun: 1 h + 1 h.
    ['calendar versions by effective date', versioned, '2024-05-31T16:00:00Z', '2024-06-03T09:00:00Z', 7200],
    ['empty range', berlin, '2024-03-04T10:00:00Z', '2024-03-04T10:00:00Z', 0],
  ];
  it.each(cases)('%s', (_name, cal, from, to, expected) => {
    expect(cal.businessSeconds(t(from), t(to))).toBe(expected);
  });
});

describe('adding business time', () => {
  const cases: [string, BusinessCalendar, string, number, string | null][] = [
    // Fri 8 Mar 16:30 EST + 1 h: 30 min on Friday, 30 min from Mon 11 Mar 09:00 EDT (13:00Z).
    ['over a weekend with a DST change (New York)', newYork, '2024-03-08T21:30:00Z', 3600, '2024-03-11T13:30:00Z'],
    // Sat 9 Mar 12:00 EST is closed; the clock starts Mon 09:00 EDT.
    ['starting while closed', newYork, '2024-03-09T17:00:00Z', 1800, '2024-03-11T13:30:00Z'],
    // A zero target from a closed instant is the next opening.
    ['zero target while closed', newYork, '2024-03-09T17:00:00Z', 0, '2024-03-11T13:00:00Z'],
    // Fri 1 Nov 16:00 EDT + 2 h: 1 h Friday, 1 h from Mon 4 Nov 09:00 EST (14:00Z).
    ['autumn change (New York)', newYork, '2024-11-01T20:00:00Z', 7200, '2024-11-04T15:00:00Z'],
    // Fri 5 Apr 16:30 AEDT + 2 h: 30 min Friday, then Sunday opens 00:00 AEDT (Sat 13:00Z) + 1.5 h.
    ['southern zone (Sydney)', sydney, '2024-04-05T05:30:00Z', 7200, '2024-04-06T14:30:00Z'],
    // Tue 24 Dec 11:30 CET + 1 h: 30 min (override ends 12:00), holiday Wed, Thu 09:00 + 30 min.
    ['across a holiday', berlin, '2024-12-24T10:30:00Z', 3600, '2024-12-26T08:30:00Z'],
  ];
  it.each(cases)('%s', (_name, cal, from, seconds, expected) => {
    const due = cal.addBusinessTime(t(from), seconds);
    expect(due === null ? null : new Date(due).toISOString().replace('.000', '')).toBe(expected);
  });

  it('never opening gives no deadline', () => {
    expect(calendar('closed', 'UTC', {}).addBusinessTime(t('2024-01-01T00:00:00Z'), 60)).toBeNull();
  });
});
