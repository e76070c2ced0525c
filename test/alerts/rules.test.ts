import { describe, expect, it } from 'vitest';
import { calendarSchema } from '../../app/config.ts';
import { BusinessCalendar } from '../../reports/sla/calendar.ts';
import { isQuiet } from '../../reports/alerts/quiet.ts';
import { emptyState, stateOf, step, unsavedRows, type AlertItem } from '../../reports/alerts/state.ts';
import { audienceOf, inScope } from '../../reports/alerts/engine.ts';
import { ruleSchema, type Recipient } from '../../reports/alerts/config.ts';

// The pure parts of alerting: quiet hours read in local time across DST changes, and the step that
// turns the items holding now into firing and resolved messages (once each, grouped, cooldown,
// quiet hours). Expected values are worked out by hand in the comments.

const at = (iso: string) => Date.parse(iso);
const item = (key: string, rank = 0, waba_id = 'W1'): AlertItem => ({ key, waba_id, rank, detail: { contact: `c_${key}` } });
const keys = (xs: readonly { key: string }[]) => xs.map((x) => x.key);

describe('quiet hours', () => {
  const night = { zone: 'America/New_York', from: '22:00', to: '07:00' };
  // New York: EST (UTC−5) until 2026-03-08 02:00 local, EDT (UTC−4) until 2026-11-01 02:00 local.
  it.each([
    ['2026-03-07T11:30:00Z', true], // 06:30 EST
    ['2026-03-07T12:30:00Z', false], // 07:30 EST
    ['2026-03-08T10:30:00Z', true], // 06:30 EDT, the first morning after the spring change
    ['2026-03-08T11:30:00Z', false], // 07:30 EDT: the same UTC time as the quiet 06:30 EST the day before
    ['2026-03-08T03:00:00Z', true], // 22:00 EST on 7 March: the window starts
    ['2026-10-31T11:30:00Z', false], // 07:30 EDT
    ['2026-11-01T11:30:00Z', true], // 06:30 EST, after the autumn change
    ['2026-11-01T12:00:00Z', false], // 07:00 EST: the window ends
    ['2026-11-01T05:30:00Z', true], // 01:30 EDT, the first of the two 01:30s
    ['2026-11-01T06:30:00Z', true], // 01:30 EST, the second
  ])('22:00–07:00 New York at %s: quiet %s', (iso, quiet) => {
    expect(isQuiet(night, at(iso), new Map())).toBe(quiet);
  });

  it('a window that does not cross midnight', () => {
    const lunch = { zone: 'Europe/Berlin', from: '12:00', to: '13:00' };
    expect(isQuiet(lunch, at('2026-07-01T10:30:00Z'), new Map())).toBe(true); // 12:30 CEST
    expect(isQuiet(lunch, at('2026-01-15T10:30:00Z'), new Map())).toBe(false); // 11:30 CET
    expect(isQuiet(lunch, at('2026-01-15T11:30:00Z'), new Map())).toBe(true); // 12:30 CET
  });

  it('quiet while the business calendar is closed, across the London change on 29 March 2026', () => {
    const hours: [string, string][] = [['09:00', '18:00']];
    const cal = new BusinessCalendar(calendarSchema.parse({
      id: 'uk', versions: [{ effective_from: '2020-01-01', time_zone: 'Europe/London', weekly: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours }, holidays: ['2026-04-03'] }],
    }));
    const calendars = new Map([['uk', cal]]);
    const q = { calendar: 'uk' };
    expect(isQuiet(q, at('2026-03-23T08:30:00Z'), calendars)).toBe(true); // Mon 08:30 GMT: not open yet
    expect(isQuiet(q, at('2026-03-30T08:30:00Z'), calendars)).toBe(false); // Mon 09:30 BST: open
    expect(isQuiet(q, at('2026-03-30T17:30:00Z'), calendars)).toBe(true); // Mon 18:30 BST: closed
    expect(isQuiet(q, at('2026-03-28T12:00:00Z'), calendars)).toBe(true); // Saturday
    expect(isQuiet(q, at('2026-04-03T12:00:00Z'), calendars)).toBe(true); // Good Friday, a holiday
  });
});

describe('firing and resolving', () => {
  const open = { quiet: false, cooldownMs: 0 };

  it('fires once when items start, together, worst first; resolves once when they stop', () => {
    const t = at('2026-03-02T12:00:00Z');
    const s1 = step(emptyState(), [item('a', 5), item('b', 9)], t, open);
    expect(keys(s1.fire)).toEqual(['b', 'a']);
    expect(s1.resolve).toEqual([]);
    const s2 = step(s1.state, [item('a', 6), item('b', 10)], t + 60_000, open);
    expect(s2.fire).toEqual([]);
    expect(s2.resolve).toEqual([]);
    const s3 = step(s2.state, [item('b', 11)], t + 120_000, open);
    expect(s3.fire).toEqual([]);
    expect(keys(s3.resolve)).toEqual(['a']);
    expect(s3.resolve[0]!.detail).toEqual({ contact: 'c_a' });
    const s4 = step(s3.state, [], t + 180_000, open);
    expect(keys(s4.resolve)).toEqual(['b']);
    const s5 = step(s4.state, [], t + 240_000, open);
    expect([s5.fire, s5.resolve, s5.state.items.size, s5.state.resolving.size, s5.state.lastFiredAt]).toEqual([[], [], 0, 0, t]);
  });

  it('cooldown holds new firings and sends them together when it has passed', () => {
    const t = at('2026-03-02T12:00:00Z');
    const cool = { quiet: false, cooldownMs: 10 * 60_000 };
    const s1 = step(emptyState(), [item('a')], t, cool);
    expect(keys(s1.fire)).toEqual(['a']);
    const s2 = step(s1.state, [item('a'), item('b')], t + 60_000, cool); // 1 min later: held
    expect(s2.fire).toEqual([]);
    const s3 = step(s2.state, [item('a'), item('b'), item('c', 1)], t + 9 * 60_000, cool); // 9 min: held
    expect(s3.fire).toEqual([]);
    const s4 = step(s3.state, [item('a'), item('b'), item('c', 1)], t + 10 * 60_000, cool); // 10 min: both go
    expect(keys(s4.fire)).toEqual(['c', 'b']);
    expect(s4.state.lastFiredAt).toBe(t + 10 * 60_000);
    // A resolution is not held by the cooldown.
    const s5 = step(s4.state, [item('b'), item('c', 1)], t + 11 * 60_000, cool);
    expect(keys(s5.resolve)).toEqual(['a']);
  });

  it('an item held by the cooldown that stops holding is never announced', () => {
    const t = 0;
    const cool = { quiet: false, cooldownMs: 600_000 };
    const s1 = step(emptyState(), [item('a')], t, cool);
    const s2 = step(s1.state, [item('a'), item('b')], t + 1000, cool);
    const s3 = step(s2.state, [item('a')], t + 2000, cool);
    expect([s2.fire, s3.fire, s3.resolve]).toEqual([[], [], []]);
  });

  it('quiet hours hold everything; what started and stopped inside them is never announced', () => {
    const quiet = { quiet: true, cooldownMs: 0 };
    const s1 = step(emptyState(), [item('a')], 0, open); // announced before the quiet hours
    const s2 = step(s1.state, [item('b'), item('c')], 1000, quiet); // a stops, b and c start: held
    expect([s2.fire, s2.resolve]).toEqual([[], []]);
    const s3 = step(s2.state, [item('c')], 2000, quiet); // b stops again inside the quiet hours
    expect([s3.fire, s3.resolve]).toEqual([[], []]);
    const s4 = step(s3.state, [item('c')], 3000, open); // the quiet hours end
    expect(keys(s4.fire)).toEqual(['c']);
    expect(keys(s4.resolve)).toEqual(['a']);
  });

  it('an announced item that stops and starts again inside the quiet hours says nothing', () => {
    const s1 = step(emptyState(), [item('a')], 0, open);
    const s2 = step(s1.state, [], 1000, { quiet: true, cooldownMs: 0 });
    const s3 = step(s2.state, [item('a')], 2000, { quiet: true, cooldownMs: 0 });
    const s4 = step(s3.state, [item('a')], 3000, open);
    expect([s4.fire, s4.resolve]).toEqual([[], []]);
    expect(s4.state.items.get('a')!.since).toBe(0);
  });

  it('an item that stops while as many others start, or while another shows up twice, is resolved', () => {
    const s = emptyState();
    step(s, [item('a'), item('b')], 0, open);
    expect(keys(step(s, [item('b'), item('c')], 1000, open).resolve)).toEqual(['a']);
    expect(keys(step(s, [item('c'), item('c')], 2000, open).resolve)).toEqual(['b']);
    expect([...s.items.keys()]).toEqual(['c']);
  });

  it('survives a round trip through its stored rows, which are written only for what changed', () => {
    const quiet = { quiet: true, cooldownMs: 0 };
    const s = emptyState();
    step(s, [item('a'), item('b')], 0, open);
    step(s, [item('a')], 1000, quiet); // b stops: its resolution is held
    const rows = [...unsavedRows(s)];
    expect(rows.map((r) => [r.item_key, r.notified, r.resolving, r.removed])).toEqual([['a', 1, 0, 0], ['b', 1, 1, 0]]);
    expect(JSON.parse(rows[0]!.item_json)).toEqual({ waba_id: 'W1', rank: 0, detail: { contact: 'c_a' } });
    s.unsaved.clear(); // written
    // Only figures changed: nothing to write.
    step(s, [item('a', 5)], 1500, quiet);
    expect(s.unsaved.size).toBe(0);
    const stored = stateOf(rows, s.lastFiredAt);
    expect([[...stored.items.keys()], [...stored.resolving.keys()], stored.pending.size, stored.lastFiredAt, stored.unsaved.size]).toEqual([['a'], ['b'], 0, 0, 0]);
    expect(step(stateOf(rows, 0), [], 2000, open).resolve.map((i) => i.key)).toEqual(['a', 'b']);
    // A new item and a sent resolution: those rows alone.
    const r = step(stored, [item('a', 5), item('c')], 2000, open);
    expect([keys(r.fire), keys(r.resolve)]).toEqual([['c'], ['b']]);
    expect([...unsavedRows(stored)].map((x) => [x.item_key, x.removed, x.notified])).toEqual([['c', 0, 1], ['b', 1, 0]]);
  });

  it('keeps a started item that is not announced yet (held by the cooldown) across a round trip', () => {
    const cool = { quiet: false, cooldownMs: 600_000 };
    const s = emptyState();
    step(s, [item('a')], 0, cool);
    step(s, [item('a'), item('b')], 1000, cool); // b held
    const stored = stateOf([...unsavedRows(s)], s.lastFiredAt);
    expect(keys(step(stored, [item('a'), item('b')], 600_000, cool).fire)).toEqual(['b']);
  });

  it('reads a state stored before items had rows of their own', () => {
    const legacy = JSON.stringify({ items: { a: { key: 'a', waba_id: 'W1', rank: 3, detail: { contact: 'c_a' }, since: 0, notified: true } }, resolving: [] });
    const s = stateOf([], 7, legacy);
    expect([...s.items.keys(), s.lastFiredAt, ...s.unsaved]).toEqual(['a', 7, 'a']);
    expect(step(s, [], 1000, open).resolve.map((i) => [i.key, i.detail.contact])).toEqual([['a', 'c_a']]);
  });
});

describe('recipients', () => {
  const person = (id: string, role: Recipient['role'], wabas: Recipient['wabas']): Recipient => ({ id, role, wabas, zone: 'UTC', email: `${id}@example.test` });
  const people = [person('ana', 'manager', ['W1']), person('bia', 'manager', ['W2']), person('fin', 'finance', 'all'), person('boss', 'manager', 'all')];

  it('by role (the report’s role unless the rule names roles) and by name', () => {
    const sla = ruleSchema.parse({ id: 'r', kind: 'sla_breached' });
    expect(audienceOf(sla, people).map((p) => p.id)).toEqual(['ana', 'bia', 'boss']);
    expect(audienceOf({ ...sla, recipients: ['bia', 'fin'] }, people).map((p) => p.id)).toEqual(['bia']);
    expect(audienceOf({ ...sla, roles: ['finance'] }, people).map((p) => p.id)).toEqual(['fin']);
  });

  it('each sees only the items of its WABAs; service-wide items only with every WABA in scope', () => {
    const items = [item('x', 0, 'W1'), item('y', 0, 'W2'), item('z', 0, '')];
    expect(keys(inScope(people[0]!, items))).toEqual(['x']);
    expect(keys(inScope(people[1]!, items))).toEqual(['y']);
    expect(keys(inScope(people[3]!, items))).toEqual(['x', 'y', 'z']);
  });
});
