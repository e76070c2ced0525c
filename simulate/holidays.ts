// Public holidays of the markets the default tenants operate in, so calendars close on real dates.
import { addDays, weekdayOf } from './zone.ts';

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Easter Sunday (Gregorian, anonymous algorithm). */
export function easter(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${pad(month)}-${pad(day)}`;
}

function nthWeekday(year: number, month: number, weekday: number, n: number): string {
  let date = `${year}-${pad(month)}-01`;
  while (weekdayOf(date) !== weekday) date = addDays(date, 1);
  return addDays(date, 7 * (n - 1));
}

function lastWeekday(year: number, month: number, weekday: number): string {
  let date = addDays(month === 12 ? `${year + 1}-01-01` : `${year}-${pad(month + 1)}-01`, -1);
  while (weekdayOf(date) !== weekday) date = addDays(date, -1);
  return date;
}

export interface HolidaySet {
  holidays: string[];
  overrides: Record<string, [string, string][]>;
}

/** Brazilian national holidays (plus Carnival, which shops close for), with short days on the eves. */
export function brazil(years: number[]): HolidaySet {
  const holidays: string[] = [];
  const overrides: Record<string, [string, string][]> = {};
  for (const y of years) {
    const e = easter(y);
    holidays.push(
      `${y}-01-01`, addDays(e, -48), addDays(e, -47), addDays(e, -2), `${y}-04-21`, `${y}-05-01`,
      addDays(e, 60), `${y}-09-07`, `${y}-10-12`, `${y}-11-02`, `${y}-11-15`, `${y}-12-25`,
    );
    if (y >= 2024) holidays.push(`${y}-11-20`);
    overrides[addDays(e, -46)] = [['12:00', '18:00']]; // Ash Wednesday opens at noon
    overrides[`${y}-12-24`] = [['09:00', '13:00']];
    overrides[`${y}-12-31`] = [['09:00', '13:00']];
  }
  return { holidays: [...new Set(holidays)].sort(), overrides };
}

/** Bank holidays of England and Wales, with weekend substitutes and the one-off days of 2022–2023. */
export function england(years: number[]): HolidaySet {
  const holidays: string[] = [];
  const overrides: Record<string, [string, string][]> = {};
  for (const y of years) {
    const e = easter(y);
    let newYear = `${y}-01-01`;
    while (weekdayOf(newYear) > 5) newYear = addDays(newYear, 1);
    holidays.push(newYear, addDays(e, -2), addDays(e, 1), nthWeekday(y, 5, 1, 1), lastWeekday(y, 8, 1));
    holidays.push(y === 2022 ? '2022-06-02' : lastWeekday(y, 5, 1));
    // Christmas and Boxing Day close the shop whatever the weekday; weekend ones get substitutes.
    holidays.push(`${y}-12-25`, `${y}-12-26`);
    const xmas = weekdayOf(`${y}-12-25`);
    if (xmas === 6) holidays.push(`${y}-12-27`, `${y}-12-28`);
    else if (xmas === 7) holidays.push(`${y}-12-27`);
    else if (xmas === 5) holidays.push(`${y}-12-28`);
    overrides[`${y}-12-24`] = [['08:00', '13:00']];
  }
  holidays.push('2022-06-03', '2022-09-19', '2023-05-08');
  return { holidays: [...new Set(holidays)].sort(), overrides };
}
