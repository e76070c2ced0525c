import { describe, expect, it } from 'vitest';
import { parseQuery, QueryError, queryString, rangeInstants } from '../../dashboards/query.ts';
import { pictureSize } from '../../dashboards/render.ts';

const NOW = new Date('2025-03-12T18:00:00Z');

describe('dashboard filters', () => {
  it('defaults to the 30 days up to today', () => {
    expect(parseQuery({}, NOW)).toEqual({ from: '2025-02-11', to: '2025-03-12' });
  });
  it('keeps filters, drops empty ones', () => {
    expect(parseQuery({ from: '2025-03-01', to: '2025-03-02', waba: 'W1', phone: '', team: 'sales' }, NOW)).toEqual({
      from: '2025-03-01',
      to: '2025-03-02',
      waba: 'W1',
      team: 'sales',
    });
    expect(parseQuery({ label: ' order/paid, vip ' }, NOW)).toEqual({ from: '2025-02-11', to: '2025-03-12', label: 'order/paid, vip' });
  });
  it.each([
    [{ from: '2025-3-1' }, 'from'],
    [{ to: '2025-02-30' }, 'to'],
    [{ from: '2025-03-05', to: '2025-03-01' }, 'from'],
    [{ from: '2024-01-01', to: '2025-03-01' }, 'to'],
    [{ waba: ['a', 'b'] }, 'waba'],
    [{ team: '<script>' }, 'team'],
    [{ label: 'order//paid' }, 'label'],
    [{ label: 'vip,<b>' }, 'label'],
  ])('refuses %j naming %s', (raw, parameter) => {
    let err: unknown;
    try {
      parseQuery(raw, NOW);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).parameter).toBe(parameter);
  });
  it('turns whole days into instants, the last day included', () => {
    expect(rangeInstants({ from: '2025-03-01', to: '2025-03-31' })).toEqual({ fromIso: '2025-03-01T00:00:00.000Z', toIso: '2025-04-01T00:00:00.000Z' });
  });
  it('writes the query back', () => {
    expect(queryString({ from: '2025-03-01', to: '2025-03-02', phone: 'PN 1' })).toBe('from=2025-03-01&to=2025-03-02&phone=PN+1');
  });
});

describe('picture size', () => {
  const own = { width: 640, height: 300 };
  it.each([
    [{}, { size: own, scale: 1 }],
    [{ width: '800', height: '400', scale: '2' }, { size: { width: 800, height: 400 }, scale: 2 }],
    [{ width: '10', height: '99999', scale: '9' }, { size: { width: 120, height: 2400 }, scale: 4 }],
    [{ width: '-5', height: 'abc' }, { size: own, scale: 1 }],
  ])('%j', (raw, expected) => expect(pictureSize(raw, own)).toEqual(expected));
});
