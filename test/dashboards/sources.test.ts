import { describe, expect, it } from 'vitest';
import { drawsOnFreeTier, forecastSeries, monthsOf } from '../../dashboards/sources/finance.ts';
import { hourOfWeekRow, percentileRow, responderRow } from '../../dashboards/sources/managers.ts';
import { retentionRow } from '../../dashboards/sources/privacy.ts';
import type { ForecastRow } from '../../reports/billing/forecast-report.ts';
import type { RetentionStatusRow } from '../../reports/compliance/retention-run.ts';

describe('managers: SLA rows to chart rows', () => {
  it.each([
    [0, 1, 0],
    [30, 2, 6],
    [167, 7, 23],
  ])('hour of week %i is weekday %i hour %i', (how, weekday, hour) => {
    expect(hourOfWeekRow({ hour_of_week: how, answered: 3, p50_seconds: 60 })).toEqual({ weekday, hour, n: 3, p50: 60 });
  });
  it('percentiles and responders keep seconds and counts', () => {
    expect(percentileRow({ period: '2025-03-01', p50_seconds: 30, p90_seconds: null, p95_seconds: 99 }, 4)).toEqual({ period: '2025-03-01', n: 4, p50: 30, p90: null, p95: 99 });
    expect(responderRow({ agent: 'ana', answered: 5, p50_seconds: 10, p90_seconds: 20, achieved: 4, breached: 1 }, 'agent')).toEqual({
      name: 'ana',
      n: 5,
      p50: 10,
      p90: 20,
      achieved: 4,
      breached: 1,
    });
  });
});

describe('finance: billing rows to chart rows', () => {
  it('lists the months a range touches', () => {
    expect(monthsOf({ from: '2024-11-20', to: '2025-02-03' })).toEqual(['2024-11', '2024-12', '2025-01', '2025-02']);
    expect(monthsOf({ from: '2025-03-01', to: '2025-03-31' })).toEqual(['2025-03']);
  });
  it.each([
    // 2022-02 to 2023-05: every conversation draws on the 1,000 free ones, except free-entry-point ones.
    ['2023-03', 'business_initiated', true],
    ['2023-03', 'referral_conversion', false],
    // From 2023-06 only service conversations do.
    ['2023-07', 'marketing', false],
    ['2023-07', 'service', true],
    // From 2024-11 service is free and there is no free tier; per-message pricing has none either.
    ['2024-12', 'service', false],
    ['2025-08', 'utility', false],
  ])('%s %s draws on the free tier: %s', (month, category, draws) => expect(drawsOnFreeTier(month, category)).toBe(draws));

  it('forecast: cumulative cost to the as-of day, then a line to the month end with its interval', () => {
    const total = { month: '2025-03', as_of: '2025-03-03', currency: 'USD', elapsed_days: 2, remaining_days: 29, amount_to_date: 3, amount_forecast: 40, amount_low: 30, amount_high: 52 } as ForecastRow;
    const daily = new Map([
      ['2025-03-02', 2],
      ['2025-03-01', 1],
      ['2025-03-03', 5], // the as-of day itself counts (a live forecast includes today)
      ['2025-02-28', 9], // another month
    ]);
    expect(forecastSeries('Aurora', total, daily)).toEqual({
      label: 'Aurora (USD)',
      currency: 'USD',
      actual: [
        { day: '2025-03-01', cumulative: 1 },
        { day: '2025-03-02', cumulative: 3 },
        { day: '2025-03-03', cumulative: 8 },
      ],
      forecast: [
        { day: '2025-03-03', expected: 8, lower: 8, upper: 8 },
        { day: '2025-03-31', expected: 40, lower: 30, upper: 52 },
      ],
    });
  });
});

describe('privacy: retention status to chart rows', () => {
  it('ages the oldest row in days at now, whatever the time format', () => {
    const base = { table: 't', policy_days: 30, rows_total: 10, rows_past_policy: 2, status: 'BREACH' } as RetentionStatusRow;
    const now = new Date('2025-03-12T12:00:00Z');
    expect(retentionRow({ ...base, oldest_event_time: '2025-02-10 12:00:00.000' }, now).oldest_age_days).toBe(30);
    expect(retentionRow({ ...base, oldest_event_time: '2025-03-11T00:00:00Z' }, now).oldest_age_days).toBe(1.5);
    expect(retentionRow({ ...base, oldest_event_time: null }, now).oldest_age_days).toBeNull();
  });
});
