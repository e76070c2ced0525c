import { describe, expect, it } from 'vitest';
import { HttpError } from '../../app/http-error.ts';
import { parseLabelCsv } from '../../reports/labels/csv.ts';
import { parseLabelBody, toRows } from '../../reports/labels/input.ts';
import { parseLabelFilter } from '../../reports/labels/params.ts';
import { labelsOfTag } from '../../reports/labels/tag.ts';
import { tagLabelRows } from '../../reports/labels/follow.ts';
import { STATUS } from '../../warehouse/tables.ts';
import type { LoadedBatch } from '../../app/deps.ts';

const GOOD = { wa_id: '+55 11 90000-0101', label: 'order/paid', action: 'add', at: '2024-03-04T09:00:00-03:00', source: 'shop' };

/** The 400's parameter and message, or 'ok'. */
function refusal(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    expect(e.status).toBe(400);
    return String(e.extra.body?.parameter);
  }
}

describe('label events from the API', () => {
  it('reads one event or an array, the number as digits and the time as given', () => {
    const [one] = parseLabelBody(GOOD);
    expect(one).toEqual(GOOD);
    const rows = toRows(parseLabelBody([GOOD, { contact: 'c_0123456789abcdef', label: 'new customer', action: 'remove', at: '2024-03-04T12:00:00Z' }]), 'api', 5, new Map([['c_0123456789abcdef', '5511900000999']]));
    expect(rows).toEqual([
      { waba_id: '', wa_id: '5511900000101', label: 'order/paid', action: 'add', at: Date.UTC(2024, 2, 4, 12), source: 'shop', origin: 'api', ref: '', recorded_at: 5 },
      { waba_id: '', wa_id: '5511900000999', label: 'new customer', action: 'remove', at: Date.UTC(2024, 2, 4, 12), source: 'api', origin: 'api', ref: '', recorded_at: 5 },
    ]);
  });

  it.each([
    [null, 'body'],
    ['text', 'body'],
    [[], 'body'],
    [{ ...GOOD, label: '' }, 'label'],
    [{ ...GOOD, label: 'order//paid' }, 'label'],
    [{ ...GOOD, label: '/order' }, 'label'],
    [{ ...GOOD, label: 'order/' }, 'label'],
    [{ ...GOOD, label: ' order' }, 'label'],
    [{ ...GOOD, label: '-order' }, 'label'],
    [{ ...GOOD, label: 'a;b' }, 'label'],
    [{ ...GOOD, label: 'x'.repeat(101) }, 'label'],
    [{ ...GOOD, action: 'toggle' }, 'action'],
    [{ ...GOOD, at: '2024-03-04' }, 'at'],
    [{ ...GOOD, at: '2024-03-04T09:00:00' }, 'at'],
    [{ ...GOOD, at: '9999-03-04T09:00:00Z' }, 'at'],
    [{ ...GOOD, wa_id: 'abc' }, 'wa_id'],
    [{ ...GOOD, wa_id: undefined }, 'wa_id'],
    [{ ...GOOD, contact: 'c_0123456789abcdef' }, 'wa_id'],
    [{ ...GOOD, wa_id: undefined, contact: 'c_xyz' }, 'contact'],
    [{ ...GOOD, source: '' }, 'source'],
    [{ ...GOOD, waba_id: 'x1' }, 'waba_id'],
    [{ ...GOOD, colour: 'red' }, 'body'],
    [[GOOD, { ...GOOD, label: 'a//b' }], '[1].label'],
  ])('refuses %j naming %s', (body, parameter) => {
    expect(refusal(() => parseLabelBody(body))).toBe(parameter);
  });

  it('refuses an unknown contact id', () => {
    const events = parseLabelBody({ ...GOOD, wa_id: undefined, contact: 'c_0123456789abcdef' });
    expect(refusal(() => toRows(events, 'api', 0, new Map()))).toBe('contact');
  });

  it('accepts labels in any script with single spaces', () => {
    for (const label of ['new customer', 'pedido/pago', 'VIP', 'cliente/São Paulo', 'b2b & retail', 'order/paid.v2']) expect(refusal(() => parseLabelBody({ ...GOOD, label }))).toBe('ok');
  });
});

describe('label filter parameters', () => {
  it('reads a comma list and any/all', () => {
    expect(parseLabelFilter({ label: 'order, vip,order', label_match: 'all' })).toEqual({ labels: ['order', 'vip'], label_match: 'all' });
    expect(parseLabelFilter({})).toEqual({ labels: [], label_match: 'any' });
    expect(refusal(() => parseLabelFilter({ label: 'a//b' }))).toBe('label');
    expect(refusal(() => parseLabelFilter({ label_match: 'most' }))).toBe('label_match');
    expect(refusal(() => parseLabelFilter({ label: ['a', 'b'] }))).toBe('label');
  });
});

describe('labels in callback tags', () => {
  it('reads lb= adds and -removes among other keys, leaving malformed ones out', () => {
    expect(labelsOfTag('v1;src=h;ag=ana;lb=order/paid, -new customer ;tm=care')).toEqual({
      labels: [{ label: 'order/paid', action: 'add' }, { label: 'new customer', action: 'remove' }], malformed: 0,
    });
    expect(labelsOfTag('v1;lb=ok,bad//one,-')).toEqual({ labels: [{ label: 'ok', action: 'add' }], malformed: 2 });
    expect(labelsOfTag('v2;lb=order')).toEqual({ labels: [], malformed: 0 });
    expect(labelsOfTag('')).toEqual({ labels: [], malformed: 0 });
  });

  it('takes labels from sent statuses only, at the status time, for the recipient', () => {
    const s = (status: string, tag: string, extra: Partial<typeof STATUS> = {}) => ({ ...STATUS, waba_id: 'W', wamid: 'wamid.1', recipient_id: '5511900000101', ts: 1000, status, biz_opaque_callback_data: tag, ...extra });
    const batch = { rows: { statuses: [s('sent', 'v1;lb=vip'), s('delivered', 'v1;lb=vip'), s('sent', 'v1;src=h'), s('sent', 'v1;lb=grp', { recipient_type: 'group' })] } } as unknown as LoadedBatch;
    expect(tagLabelRows([batch], 7).rows).toEqual([
      { waba_id: 'W', wa_id: '5511900000101', label: 'vip', action: 'add', at: 1000, source: 'tag', origin: 'tag', ref: 'wamid.1', recorded_at: 7 },
    ]);
  });
});

describe('CSV import', () => {
  it('reads a header and one event a line, empty cells as absent', () => {
    const events = parseLabelCsv('wa_id,contact,label,action,at\n5511900000101,,order/paid,add,2024-03-04T09:00:00Z\n,c_0123456789abcdef,vip,remove,2024-03-04T10:00:00Z\n', 'erp');
    expect(events).toEqual([
      { wa_id: '5511900000101', label: 'order/paid', action: 'add', at: '2024-03-04T09:00:00Z', source: 'erp' },
      { contact: 'c_0123456789abcdef', label: 'vip', action: 'remove', at: '2024-03-04T10:00:00Z', source: 'erp' },
    ]);
  });

  it('names the line of a bad event, an unknown column, and an empty file', () => {
    const bad = () => parseLabelCsv('wa_id,label,action,at\n5511900000101,vip,add,2024-03-04T09:00:00Z\n5511900000101,vip,maybe,2024-03-04T09:00:00Z\n');
    expect(bad).toThrow(/line 3: action/);
    expect(() => parseLabelCsv('wa_id,label,action,at,colour\n5511900000101,vip,add,2024-03-04T09:00:00Z,red\n')).toThrow(/unknown column "colour"/);
    expect(() => parseLabelCsv('wa_id,label,action,at\n')).toThrow(/no events/);
  });
});
