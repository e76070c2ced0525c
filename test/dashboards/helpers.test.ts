import { describe, expect, it } from 'vitest';
import { percentilePoints } from '../../dashboards/charts/percentiles.ts';
import { attainmentBars } from '../../dashboards/charts/managers/attainment.ts';
import { hourOfWeekCells } from '../../dashboards/charts/managers/hour-of-week.ts';
import { waitingBars } from '../../dashboards/charts/managers/waiting-now.ts';
import { windowBars } from '../../dashboards/charts/managers/window-closing.ts';
import { busiest, RESPONDER_COLUMNS } from '../../dashboards/charts/managers/responder-table.ts';
import { CSAT_COLUMNS } from '../../dashboards/charts/managers/csat.ts';
import { cumulative } from '../../dashboards/charts/finance/free-tier.ts';
import { monthEndLabels } from '../../dashboards/charts/finance/forecast.ts';
import { parseTier, tierBars } from '../../dashboards/charts/finance/volume-tier.ts';
import { requestState } from '../../dashboards/charts/privacy/rights-requests.ts';
import { retentionBars } from '../../dashboards/charts/privacy/retention.ts';
import { signedEvents } from '../../dashboards/charts/privacy/consent.ts';
import { chainLines } from '../../dashboards/charts/privacy/audit-chain.ts';
import { tableCells } from '../../dashboards/charts/table.ts';
import { minutes, percent } from '../../dashboards/charts/spec.ts';
import { inputs, NOW, percentileRows } from './chart-inputs.ts';

describe('units', () => {
  it.each([
    [120, 2],
    [90, 1.5],
    [0, 0],
    [null, null],
    [Number.NaN, null],
  ])('minutes(%s) = %s', (s, m) => expect(minutes(s)).toBe(m));
  it.each([
    [3, 4, 75],
    [1, 3, 33.3],
    [0, 0, null],
  ])('percent(%s, %s) = %s', (a, b, p) => expect(percent(a, b)).toBe(p));
});

describe('percentile points', () => {
  it('drops p90 below n = 10 and p95 below n = 20', () => {
    const pts = percentilePoints(percentileRows, ['p50', 'p90', 'p95']);
    // n = 25: all three; n = 12: p50, p90; n = 3: p50 only.
    expect(pts.map((p) => `${p.period} ${p.percentile} ${p.minutes}`)).toEqual([
      '2025-03-10 p50 2',
      '2025-03-10 p90 10',
      '2025-03-10 p95 15',
      '2025-03-11 p50 1',
      '2025-03-11 p90 5',
      '2025-03-12 p50 0.5',
    ]);
  });
});

describe('attainment', () => {
  it('is achieved / decided, worst first, undecided policies left out', () => {
    expect(attainmentBars(inputs.attainment)).toEqual([
      { policy: 'VIP FRT 5 min', attainment: 50, achieved: 1, breached: 1, open: 0, label: '50% of 2' },
      { policy: 'Standard FRT 15 min', attainment: 75, achieved: 3, breached: 1, open: 2, label: '75% of 4' },
    ]);
  });
});

describe('hour of week', () => {
  it('names ISO weekdays and drops impossible cells', () => {
    const cells = hourOfWeekCells([...inputs['hour-of-week'], { weekday: 8, hour: 1, n: 1, p50: 1 }, { weekday: 1, hour: 24, n: 1, p50: 1 }]);
    expect(cells.map((c) => `${c.day} ${c.hour} ${c.p50_minutes}`)).toEqual(['Mon 9 5', 'Mon 10 2', 'Sun 23 60']);
  });
});

describe('live lists at 12:00', () => {
  it('waiting now: elapsed minutes, past target once due', () => {
    expect(waitingBars(inputs['waiting-now'], NOW).map((w) => [w.contact, w.waiting_minutes, w.state])).toEqual([
      ['c-aaaa', 30, 'past target'],
      ['c-bbbb', 5, 'within target'],
    ]);
  });
  it('window closing: hours left, soonest first, closed windows gone', () => {
    expect(windowBars(inputs['window-closing'], NOW).map((w) => [w.contact, w.hours_left, w.urgency])).toEqual([
      ['c-aaaa', 0.5, 'under 1 h'],
      ['c-cccc', 3, 'under 4 h'],
    ]);
  });
});

describe('responder tables', () => {
  it('busiest first, p90 only from n = 10, attainment from decided waits', () => {
    const rows = busiest([...inputs.agents, { name: 'carla', n: 12, p50: 60, p90: 120, achieved: 0, breached: 0 }]);
    expect(rows.map((r) => r.name)).toEqual(['ana', 'carla', 'bruno']);
    const cells = tableCells(rows, RESPONDER_COLUMNS);
    const row = (i: number) => cells.filter((c) => c.row === i).map((c) => c.text);
    expect(row(0)).toEqual(['name', 'waits', 'p50', 'p90', 'attainment', 'breached']);
    expect(row(1)).toEqual(['ana', '12', '1.5 min', '10 min', '75%', '3']);
    expect(row(2)).toEqual(['carla', '12', '1 min', '2 min', '–', '0']);
    expect(row(3)).toEqual(['bruno', '5', '0.5 min', '–', '100%', '0']);
  });

  it('CSAT: share answered of surveys, CSAT of answers, mean to one decimal', () => {
    const cells = tableCells(inputs.csat, CSAT_COLUMNS);
    const row = (i: number) => cells.filter((c) => c.row === i).map((c) => c.text);
    expect(row(0)).toEqual(['agent', 'surveys', 'answered', 'CSAT', 'mean']);
    expect(row(1)).toEqual(['ana', '8', '75%', '83.3%', '4.3']);
    expect(row(2)).toEqual(['(untagged)', '2', '0%', '–', '–']);
  });
});

describe('finance', () => {
  it('cumulative free-tier use in day order', () => {
    expect(cumulative(inputs['free-tier'].series[0]!.days).map((d) => [d.day, d.cumulative])).toEqual([
      ['2023-02-01', 500],
      ['2023-02-02', 900],
      ['2023-02-03', 1100],
    ]);
  });
  it('labels the month end with its interval', () => {
    expect(monthEndLabels(inputs.forecast).map((l) => l.label)).toEqual(['320.00 USD (280.00–370.00)']);
  });
  it.each([
    ['100000:500000', { lower: 100000, upper: 500000 }],
    ['0:MAX', { lower: 0, upper: null }],
    [' 250:1000 ', { lower: 250, upper: 1000 }],
    ['tier 2', null],
    [null, null],
  ])('parseTier(%s)', (t, expected) => expect(parseTier(t)).toEqual(expected));
  it('labels tiers, biggest volume first', () => {
    expect(tierBars(inputs['volume-tier']).map((b) => [b.pair, b.label])).toEqual([
      ['India · utility', 'tier 100,000–500,000'],
      ['Brazil · authentication', 'tier not reported'],
    ]);
  });
});

describe('privacy', () => {
  const base = { request_id: 'r', type: 'access', jurisdiction: 'GDPR', received_at: '2025-03-01T00:00:00Z', due_at: '2025-03-10T00:00:00Z', status: '' };
  it.each([
    [{ ...base, completed_at: '2025-03-09T00:00:00Z' }, 'completed'],
    [{ ...base, completed_at: '2025-03-11T00:00:00Z' }, 'completed late'],
    [{ ...base, completed_at: null }, 'overdue'],
    [{ ...base, due_at: '2025-03-20T00:00:00Z', completed_at: null }, 'open'],
  ])('request state %#', (r, state) => expect(requestState(r, NOW)).toBe(state));
  it('retention: tables holding rows (or not OK), breaches first', () => {
    const rows = [
      ...inputs.retention,
      { table: 'legal_holds_v1', policy_days: null, oldest_age_days: null, rows_total: 0, rows_past_policy: 0, status: 'OK' },
      { table: 'statuses_v1', policy_days: 30, oldest_age_days: null, rows_total: 0, rows_past_policy: 0, status: 'WARN' },
    ];
    expect(retentionBars(rows).map((r) => [r.table, r.oldest_age_days])).toEqual([
      ['raw_webhooks_v1', 45],
      ['statuses_v1', 0],
      ['access_audit_v1', 0],
      ['messages_v1', 45],
    ]);
  });
  it('retention: tables named in a privacy officer\'s words, bars from one day on the log axis, a table that only left rows out', () => {
    const rows = [
      { table: 'statuses_v1', policy_days: 730, oldest_age_days: 0.2, rows_total: 5, rows_past_policy: 0, rows_dropped_on_arrival: 0, status: 'OK' },
      { table: 'messages_v1', policy_days: 730, oldest_age_days: null, rows_total: 0, rows_past_policy: 0, rows_dropped_on_arrival: 12, status: 'OK' },
      { table: 'new_table_v9', policy_days: null, oldest_age_days: 40, rows_total: 3, rows_past_policy: 0, status: 'OK' },
    ];
    expect(retentionBars(rows).map((r) => [r.label, r.bar_days, r.rows_dropped_on_arrival])).toEqual([
      ['Customer messages', 1, 12],
      ['new_table_v9', 40, 0],
      ['Delivery statuses of our messages', 1, 0],
    ]);
  });
  it('opt-outs count below zero', () => {
    expect(signedEvents([...inputs.consent.events, { day: '2025-03-12', action: 'opt_in', n: 0 }]).map((e) => e.signed)).toEqual([5, -2, -1]);
  });
  it('a broken chain names the entry', () => {
    const lines = chainLines({ ok: false, entries: 7, verified_at: 'x', first_broken_seq: 5, reason: 'previous hash does not match' });
    expect(lines.map((l) => l.text)).toEqual(['BROKEN at entry 5', 'previous hash does not match', '7 entries read · verified x']);
  });
});
