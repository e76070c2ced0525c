import { describe, expect, it } from 'vitest';
import { forecastMonth, freeTierRunsOut, normalQuantile, weekdayProfile } from '../../reports/billing/forecast.ts';
import { addDays, datesOfMonth, weekdayOf } from '../../reports/billing/zone.ts';

/** Seeded PRNG (mulberry32) and Poisson counts: synthetic months whose end is known. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(r: () => number, lambda: number): number {
  // Normal approximation above 50 (fast, good enough for daily counts), Knuth below.
  if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, r())))));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l);
  return k - 1;
}

const WEEK = [1.25, 1.15, 1.05, 1.0, 0.95, 0.45, 0.3]; // Monday … Sunday

/** Daily counts from `from` for `days` days: weekday pattern, day-level noise (cv 10%), Poisson. */
function series(seed: number, from: string, days: number, base: number): Map<string, number> {
  const r = rng(seed);
  const out = new Map<string, number>();
  for (let i = 0; i < days; i++) {
    const d = addDays(from, i);
    const dayNoise = 1 + 0.1 * normalQuantile(Math.min(1 - 1e-9, Math.max(1e-9, r())));
    out.set(d, poisson(r, Math.max(0, base * WEEK[weekdayOf(d) - 1]! * dayNoise)));
  }
  return out;
}

const total = (m: Map<string, number>, month: string) => [...m].filter(([d]) => d.startsWith(month)).reduce((a, [, v]) => a + v, 0);

describe('weekday profile', () => {
  it('recovers a clean weekly pattern', () => {
    const days = Array.from({ length: 28 }, (_, i) => addDays('2025-03-03', i)).map((d) => [d, 100 * WEEK[weekdayOf(d) - 1]!] as const);
    const p = weekdayProfile(days);
    const mean = WEEK.reduce((a, b) => a + b) / 7;
    p.forEach((w, i) => expect(w).toBeCloseTo(WEEK[i]! / mean, 1));
  });

  it('is flat without data', () => {
    expect(weekdayProfile([])).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('month-end forecast', () => {
  it('projects a steady weekly pattern exactly', () => {
    const daily = new Map<string, number>();
    for (let i = 0; i < 120; i++) {
      const d = addDays('2025-01-01', i);
      daily.set(d, 100 * [2, 2, 2, 2, 2, 1, 1][weekdayOf(d) - 1]!);
    }
    const truth = total(daily, '2025-04');
    const f = forecastMonth({ month: '2025-04', asOf: '2025-04-11', daily });
    expect(f.forecast).toBeCloseTo(truth, 0);
    expect(f.low).toBeLessThanOrEqual(truth);
    expect(f.high).toBeGreaterThanOrEqual(truth);
    expect(f.elapsedDays).toBe(10);
    expect(f.remainingDays).toBe(20);
  });

  it.each([
    ['2025-04-06', 1],
    ['2025-04-11', 2],
    ['2025-04-21', 3],
    ['2025-04-28', 4],
  ])('covers the known April total with its interval (as of %s, seed %i)', (asOf, seed) => {
    const daily = series(seed, '2025-01-01', 120, 180);
    const truth = total(daily, '2025-04');
    const known = new Map([...daily].filter(([d]) => d < asOf));
    const f = forecastMonth({ month: '2025-04', asOf, daily: known });
    expect(f.low).toBeLessThanOrEqual(truth);
    expect(f.high).toBeGreaterThanOrEqual(truth);
    expect(f.actualToDate).toBe([...known].filter(([d]) => d.startsWith('2025-04')).reduce((a, [, v]) => a + v, 0));
  });

  it('is calibrated: a 90% interval covers most known months, and narrows as the month goes on', () => {
    let covered = 0;
    let n = 0;
    const width: Record<string, number[]> = { early: [], late: [] };
    for (let seed = 100; seed < 260; seed++) {
      const daily = series(seed, '2024-11-01', 151, 20 + (seed % 7) * 60);
      const month = '2025-03';
      const truth = total(daily, month);
      for (const [when, asOf] of [['early', '2025-03-06'], ['late', '2025-03-24']] as const) {
        const f = forecastMonth({ month, asOf, daily: new Map([...daily].filter(([d]) => d < asOf)), confidence: 0.9 });
        n++;
        if (truth >= f.low && truth <= f.high) covered++;
        width[when]!.push((f.high - f.low) / truth);
      }
    }
    expect(covered / n).toBeGreaterThan(0.8);
    expect(covered / n).toBeLessThan(0.995);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
    expect(avg(width.late!)).toBeLessThan(avg(width.early!));
  });

  it('on the first of the month leans on the weeks before', () => {
    const daily = series(7, '2025-01-01', 90, 100);
    const f = forecastMonth({ month: '2025-04', asOf: '2025-04-01', daily });
    expect(f.elapsedDays).toBe(0);
    expect(f.forecast).toBeGreaterThan(0.8 * total(daily, '2025-03'));
    expect(f.forecast).toBeLessThan(1.2 * total(daily, '2025-03'));
  });

  it('counts today so far and never forecasts below what already happened', () => {
    const daily = new Map(datesOfMonth('2025-04').map((d) => [d, 10]));
    const f = forecastMonth({ month: '2025-04', asOf: '2025-04-15', daily, today: 500 });
    expect(f.actualToDate).toBe(14 * 10 + 500);
    expect(f.forecast).toBeGreaterThanOrEqual(f.actualToDate);
    expect(f.low).toBeGreaterThanOrEqual(f.actualToDate);
  });

  it('after the month has ended, the forecast is the actual', () => {
    const daily = series(3, '2025-03-01', 61, 50);
    const f = forecastMonth({ month: '2025-03', asOf: '2025-04-15', daily });
    expect(f.forecast).toBe(total(daily, '2025-03'));
    expect(f.low).toBe(f.forecast);
    expect(f.high).toBe(f.forecast);
  });
});

describe('free tier run-out date', () => {
  const dates = datesOfMonth('2024-03');
  const perDay = (n: number, until: string) => new Map(dates.filter((d) => d < until).map((d) => [d, n]));
  it('from actual days', () => {
    expect(freeTierRunsOut(1000, dates, perDay(100, '2024-03-15'), new Map())).toEqual({ date: '2024-03-10', projected: false });
  });
  it('projected from expected days', () => {
    const expected = new Map(dates.filter((d) => d >= '2024-03-05').map((d) => [d, 50]));
    // 4 days × 100 = 400, then 50 a day: 1000 reached on day 4 + 12 = 2024-03-16
    expect(freeTierRunsOut(1000, dates, perDay(100, '2024-03-05'), expected)).toEqual({ date: '2024-03-16', projected: true });
  });
  it('not within the month', () => {
    expect(freeTierRunsOut(1000, dates, perDay(10, '2024-03-05'), new Map(dates.filter((d) => d >= '2024-03-05').map((d) => [d, 10])))).toEqual({ date: null, projected: true });
  });
});
