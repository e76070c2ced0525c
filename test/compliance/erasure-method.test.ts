import { describe, expect, it } from 'vitest';
import { chooseMethods } from '../../reports/compliance/erasure-method.ts';

/** The choice `privacy.erasure.method = "auto"` makes, against hand-worked budgets. */

const MB = 1e6;
const tables = [
  { table: 'raw_webhooks_v1', rows: 554, bytes: 1308 * MB },
  { table: 'statuses_v1', rows: 700, bytes: 982 * MB },
  { table: 'contacts_v1', rows: 1, bytes: 6 * MB },
  { table: 'label_events_v1', rows: 12, bytes: 12 * MB },
  { table: 'billing_message_customers_v1', rows: 300, bytes: 165 * MB },
  { table: 'consent_v1', rows: 0, bytes: 0 },
];
const methods = (budget: number) => Object.fromEntries([...chooseMethods(tables, 'auto', budget)].map(([t, m]) => [t, m.method]));

describe('the erasure method per table', () => {
  it('rewrites the smallest tables while they fit the budget and masks the rest', () => {
    // 6 + 12 = 18 MB fit 100 MB; 165 more would not.
    expect(methods(100 * MB)).toEqual({
      contacts_v1: 'mutation', label_events_v1: 'mutation', consent_v1: 'mutation',
      billing_message_customers_v1: 'lightweight', statuses_v1: 'lightweight', raw_webhooks_v1: 'lightweight',
    });
    // 6 + 12 + 165 = 183 MB fit 256 MB; the statuses' 982 MB would not, nor the raw bodies'.
    expect(methods(256 * MB)).toMatchObject({ billing_message_customers_v1: 'mutation', statuses_v1: 'lightweight', raw_webhooks_v1: 'lightweight' });
    // Everything: 2,473 MB.
    expect(Object.values(methods(2473 * MB)).every((m) => m === 'mutation')).toBe(true);
    expect(methods(2472 * MB).raw_webhooks_v1).toBe('lightweight');
  });

  it('masks every table holding the subject when the budget is 0, and says why', () => {
    const chosen = chooseMethods(tables, 'auto', 0);
    expect(chosen.get('contacts_v1')).toEqual({ method: 'lightweight', why: expect.stringContaining('6.0 MB') });
    // A table without the subject's rows has nothing to rewrite.
    expect(chosen.get('consent_v1')?.method).toBe('mutation');
  });

  it('keeps one method for every table when one is configured', () => {
    for (const m of ['mutation', 'lightweight'] as const) {
      expect(new Set([...chooseMethods(tables, m, 0).values()].map((x) => x.method))).toEqual(new Set([m]));
    }
  });
});
