import { describe, expect, it } from 'vitest';
import { ConfigError, fileConfigSchema } from '../../app/config.ts';
import { loadSlaSettings } from '../../reports/sla/config.ts';

// The `sla` section and the calendars it relies on are checked when the service starts: a mistake
// stops it with a message saying where, rather than producing wrong deadlines later.

const calendar = { id: 'office', versions: [{ effective_from: '2024-01-01', time_zone: 'Europe/Berlin', weekly: { mon: [['09:00', '17:00']] } }] };
const tenant = { waba_id: 'W', time_zone: 'Europe/Berlin', calendar: 'office', phone_numbers: [{ phone_number_id: 'P' }, { phone_number_id: 'Q', calendar: 'late' }] };
const late = { id: 'late', versions: [{ effective_from: '2024-01-01', time_zone: 'UTC', weekly: { mon: [['20:00', '22:00']] } }] };

const load = (file: unknown) => loadSlaSettings(fileConfigSchema.parse(file));

describe('SLA configuration', () => {
  it('defaults: 24 h threads, 400-day ranges, no policies', () => {
    const s = load({});
    expect([s.idleMs, s.maxRangeDays, s.policies, s.job.settle_seconds, s.zoneFor(undefined)]).toEqual([86_400_000, 400, [], 5, 'UTC']);
    expect(s.calendarFor('W', 'P')).toBeUndefined();
  });

  it('resolves calendars per phone number, then per tenant, and the tenant zone', () => {
    const s = load({ tenants: [tenant], calendars: [calendar, late] });
    expect([s.calendarFor('W', 'P')?.id, s.calendarFor('W', 'Q')?.id, s.calendarFor('X', 'P')?.id, s.zoneFor('W')]).toEqual(['office', 'late', undefined, 'Europe/Berlin']);
  });

  it('reads targets in seconds, minutes or hours and sorts policy versions', () => {
    const s = load({
      sla: {
        thread_idle_hours: 12,
        policies: [
          { effective_from: '2024-06-01T00:00:00+02:00', rules: [{ name: 'b', frt: { minutes: 5 }, nrt: { seconds: 90, mode: 'business' } }] },
          { effective_from: '2024-01-01', rules: [{ name: 'a', frt: { hours: 1.5 } }] },
        ],
      },
    });
    expect(s.idleMs).toBe(43_200_000);
    expect(s.policies.map((p) => [p.effectiveFrom, p.rules[0]!.name, p.rules[0]!.frt, p.rules[0]!.nrt ?? null])).toEqual([
      [Date.parse('2024-01-01T00:00:00Z'), 'a', { seconds: 5400, mode: 'calendar' }, null],
      [Date.parse('2024-05-31T22:00:00Z'), 'b', { seconds: 300, mode: 'calendar' }, { seconds: 90, mode: 'business' }],
    ]);
  });

  it('changing anything that shapes a wait changes the fingerprint', () => {
    const base = load({ tenants: [tenant], calendars: [calendar, late] }).fingerprint;
    expect(load({ tenants: [tenant], calendars: [calendar, late] }).fingerprint).toBe(base);
    expect(load({ tenants: [tenant], calendars: [calendar, late], sla: { thread_idle_hours: 48 } }).fingerprint).not.toBe(base);
    const holiday = { ...calendar, versions: [{ ...calendar.versions[0], holidays: ['2024-12-25'] }] };
    expect(load({ tenants: [tenant], calendars: [holiday, late] }).fingerprint).not.toBe(base);
  });

  it.each([
    ['a target with two units', { sla: { policies: [{ effective_from: '2024-01-01', rules: [{ name: 'x', frt: { minutes: 5, hours: 1 } }] }] } }, /exactly one of seconds, minutes, hours/],
    ['an unknown mode', { sla: { policies: [{ effective_from: '2024-01-01', rules: [{ name: 'x', frt: { minutes: 5, mode: 'fast' } }] }] } }, /sla/],
    ['a bad effective date', { sla: { policies: [{ effective_from: 'soon', rules: [] }] } }, /ISO date/],
    ['an unknown calendar', { tenants: [{ ...tenant, phone_numbers: [] , calendar: 'nope' }] }, /unknown calendar nope/],
    ['an unknown zone in a calendar', { calendars: [{ ...calendar, versions: [{ ...calendar.versions[0], time_zone: 'Europe/Atlantis' }] }] }, /unknown time zone Europe\/Atlantis/],
    ['an unknown tenant zone', { tenants: [{ waba_id: 'W', time_zone: 'Mars/Base' }] }, /unknown time zone Mars\/Base/],
  ])('refuses %s', (_name, file, message) => {
    expect(() => load(file)).toThrow(ConfigError);
    expect(() => load(file)).toThrow(message);
  });
});
