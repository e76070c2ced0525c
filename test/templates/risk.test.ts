import { describe, expect, it } from 'vitest';
import type { TemplateRow } from '../../reports/templates/performance.ts';
import { riskRows } from '../../reports/templates/risk.ts';
import type { TemplateChange } from '../../warehouse/queries/templates/history.ts';

/** Quality risk from hand-made report rows: each expected verdict worked out in the comments. */

const row = (template: string, c: { sent: number; delivered: number; failed: number; opted_out: number }): TemplateRow => ({
  waba_id: 'W', day: '', campaign: '', template, language: 'pt_BR', category: 'marketing',
  read: 0, replied: 0, clicked: 0, failed_131049: 0, failed_131050: 0, sent_not_delivered: 0, charged: 0, billable: 0, unpriced: 0,
  cost: 0, currency: 'USD', untagged: 0, from_send_log: 0, delivery_rate: null, read_rate: null, reply_rate: null, click_rate: null, optout_rate: null,
  ...c,
});
const change = (template: string, field: string, value: string, at: string): TemplateChange => ({
  waba_id: 'W', at, field, template_id: '1', template, language: 'pt_BR', event: '', previous: '', value, reason: '',
});

describe('quality risk', () => {
  const current = [
    // opt-outs 4/40 = 0.1 against 1/50 = 0.02 before: rose fivefold with 4 ≥ 3 events → rising
    row('promo', { sent: 40, delivered: 40, failed: 0, opted_out: 4 }),
    // failures 2/(48+2) = 0.04 against 0.01 before, but only 2 events → ok
    row('order', { sent: 50, delivered: 48, failed: 2, opted_out: 0 }),
    // rated RED → high whatever its rates
    row('news', { sent: 10, delivered: 10, failed: 0, opted_out: 0 }),
    row('', { sent: 99, delivered: 0, failed: 99, opted_out: 0 }), // untagged: no template to rate
  ];
  const previous = [
    row('promo', { sent: 50, delivered: 50, failed: 0, opted_out: 1 }),
    row('order', { sent: 100, delivered: 99, failed: 1, opted_out: 0 }),
  ];
  const changes = [
    change('news', 'message_template_quality_update', 'YELLOW', '2025-09-01T00:00:00.000Z'),
    change('news', 'message_template_quality_update', 'RED', '2025-09-03T00:00:00.000Z'),
    change('order', 'message_template_status_update', 'APPROVED', '2025-08-01T00:00:00.000Z'),
  ];

  it('ranks high, then rising, then ok, with the counts beside every rate', () => {
    const rows = riskRows(current, previous, changes);
    expect(rows.map((r) => [r.template, r.risk, r.quality, r.status])).toEqual([
      ['news', 'high', 'RED', ''],
      ['promo', 'rising', '', ''],
      ['order', 'ok', '', 'APPROVED'],
    ]);
    expect(rows[1]).toMatchObject({ sent: 40, opted_out: 4, optout_rate: 0.1, sent_before: 50, opted_out_before: 1, optout_rate_before: 0.02 });
    expect(rows[2]).toMatchObject({ failed: 2, failure_rate: 0.04, failed_before: 1, failure_rate_before: 0.01, status_since: '2025-08-01T00:00:00.000Z' });
    expect(rows[0]).toMatchObject({ quality_since: '2025-09-03T00:00:00.000Z' });
  });

  it('a paused template is high even with no sends in the range', () => {
    const rows = riskRows([], previous, [change('promo', 'message_template_status_update', 'PAUSED', '2025-09-02T00:00:00.000Z')]);
    expect(rows.map((r) => [r.template, r.risk, r.sent, r.sent_before])).toEqual([['promo', 'high', 0, 50]]);
  });
});
