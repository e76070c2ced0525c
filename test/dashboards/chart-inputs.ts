/**
 * Hand-made report inputs for every chart: small, with answers worked out by hand in the tests.
 * The `now` of every context is 2025-03-12T12:00:00Z.
 */
import type { PercentileRow } from '../../dashboards/charts/percentiles.ts';

export const NOW = new Date('2025-03-12T12:00:00Z');
export const CTX = { size: { width: 640, height: 300 }, now: NOW };

export const percentileRows: PercentileRow[] = [
  { period: '2025-03-10', n: 25, p50: 120, p90: 600, p95: 900 },
  { period: '2025-03-11', n: 12, p50: 60, p90: 300, p95: 420 },
  { period: '2025-03-12', n: 3, p50: 30, p90: 90, p95: 95 },
];

export const inputs = {
  'first-response': percentileRows,
  'next-response': percentileRows,
  'time-to-read': percentileRows,
  attainment: [
    { policy: 'Standard FRT 15 min', achieved: 3, breached: 1, open: 2 },
    { policy: 'VIP FRT 5 min', achieved: 1, breached: 1, open: 0 },
    { policy: 'Never decided', achieved: 0, breached: 0, open: 4 },
  ],
  'hour-of-week': [
    { weekday: 1, hour: 9, n: 4, p50: 300 },
    { weekday: 1, hour: 10, n: 2, p50: 120 },
    { weekday: 7, hour: 23, n: 1, p50: 3600 },
  ],
  'waiting-now': [
    { contact: 'c-aaaa', phone_number_id: 'PN1', team: 'sales', started_at: '2025-03-12T11:30:00Z', due_at: '2025-03-12T11:45:00Z' },
    { contact: 'c-bbbb', phone_number_id: 'PN1', team: null, started_at: '2025-03-12T11:55:00Z', due_at: '2025-03-12T12:10:00Z' },
  ],
  'window-closing': [
    { contact: 'c-aaaa', phone_number_id: 'PN1', last_customer_message_at: '2025-03-11T12:30:00Z', window_closes_at: '2025-03-12T12:30:00Z' },
    { contact: 'c-cccc', phone_number_id: 'PN1', last_customer_message_at: '2025-03-11T15:00:00Z', window_closes_at: '2025-03-12T15:00:00Z' },
    { contact: 'c-dddd', phone_number_id: 'PN1', last_customer_message_at: '2025-03-11T10:00:00Z', window_closes_at: '2025-03-12T10:00:00Z' },
  ],
  agents: [
    { name: 'ana', n: 12, p50: 90, p90: 600, achieved: 9, breached: 3 },
    { name: 'bruno', n: 5, p50: 30, p90: 60, achieved: 5, breached: 0 },
  ],
  teams: [{ name: 'sales', n: 17, p50: 60, p90: 500, achieved: 14, breached: 3 }],
  csat: [
    { agent: 'ana', surveys: 8, responses: 6, satisfied: 5, meanScore: 4.25 },
    { agent: '(untagged)', surveys: 2, responses: 0, satisfied: 0, meanScore: null },
  ],
  'bot-vs-human': [
    { period: '2025-03-10', responder: 'human', n: 5 },
    { period: '2025-03-10', responder: 'bot', n: 7 },
    { period: '2025-03-11', responder: 'human', n: 4 },
    { period: '2025-03-11', responder: 'automation', n: 0 },
  ],
  'daily-by-category': [
    { day: '2025-03-10', category: 'marketing', count: 10, billable: 10 },
    { day: '2025-03-10', category: 'utility', count: 5, billable: 2 },
    { day: '2025-03-11', category: 'marketing', count: 8, billable: 8 },
  ],
  'free-tier': {
    limit: 1000,
    series: [
      { waba: 'Aurora', days: [{ day: '2023-02-02', used: 400 }, { day: '2023-02-01', used: 500 }, { day: '2023-02-03', used: 200 }], exhaustedOn: '2023-02-03' },
      { waba: 'Kettle', days: [{ day: '2023-02-01', used: 20 }], exhaustedOn: null },
    ],
  },
  forecast: {
    month: '2025-03',
    series: [
      {
        label: 'Aurora (USD)',
        currency: 'USD',
        actual: [{ day: '2025-03-01', cumulative: 10 }, { day: '2025-03-02', cumulative: 25 }],
        forecast: [{ day: '2025-03-02', expected: 25, lower: 25, upper: 25 }, { day: '2025-03-31', expected: 320, lower: 280, upper: 370 }],
      },
    ],
  },
  'cost-by-market': [
    { market: 'Brazil', category: 'marketing', cost: 12.5, currency: 'USD', count: 200 },
    { market: 'Brazil', category: 'utility', cost: 1.2, currency: 'USD', count: 150 },
    { market: 'India', category: 'marketing', cost: 0, currency: 'USD', count: 0 },
  ],
  'volume-tier': [
    { month: '2025-08', market: 'India', category: 'utility', volume: 120_000, tier: '100000:500000' },
    { month: '2025-08', market: 'Brazil', category: 'authentication', volume: 4_000, tier: null },
  ],
  reconciliation: [
    { day: '2025-03-10', category: 'marketing', ours: 10, meta: 12 },
    { day: '2025-03-11', category: 'utility', ours: 5, meta: 5 },
  ],
  retention: [
    { table: 'raw_webhooks_v1', policy_days: 30, oldest_age_days: 45, rows_total: 1000, rows_past_policy: 120, status: 'BREACH' },
    { table: 'messages_v1', policy_days: 365, oldest_age_days: 45, rows_total: 900, rows_past_policy: 0, status: 'OK' },
    { table: 'access_audit_v1', policy_days: null, oldest_age_days: null, rows_total: 10, rows_past_policy: 0, status: 'OK' },
  ],
  'rights-requests': [
    { request_id: 'r-1111111111', type: 'access', jurisdiction: 'GDPR', received_at: '2025-02-01T10:00:00Z', due_at: '2025-03-01T10:00:00Z', completed_at: '2025-02-10T10:00:00Z', status: 'completed' },
    { request_id: 'r-2222222222', type: 'erasure', jurisdiction: 'LGPD', received_at: '2025-02-20T10:00:00Z', due_at: '2025-03-07T10:00:00Z', completed_at: null, status: 'open' },
    { request_id: 'r-3333333333', type: 'access', jurisdiction: 'LGPD', received_at: '2025-03-10T10:00:00Z', due_at: '2025-03-25T10:00:00Z', completed_at: null, status: 'open' },
  ],
  consent: {
    events: [
      { day: '2025-03-10', action: 'opt_in', n: 5 },
      { day: '2025-03-10', action: 'opt_out', n: 2 },
      { day: '2025-03-11', action: 'opt_out', n: 1 },
    ],
    violations: [{ day: '2025-03-11', violation_type: 'AFTER_OPT_OUT', n: 1 }],
  },
  'access-audit': [
    { hour: '2025-03-10T09:00:00.000Z', action: 'dashboards.view', n: 2, actors: 'manager#2, privacy#4' },
    { hour: '2025-03-10T10:00:00.000Z', action: 'compliance.dsar', n: 1, actors: 'privacy#4' },
  ],
  'audit-chain': { ok: true, entries: 3, verified_at: '2025-03-12T12:00:00Z', first_broken_seq: null, reason: null },
  'template-funnel': [
    { template: 'promo · pt_BR', sent: 6, delivered: 4, read: 1, replied: 2, clicked: 1 },
    { template: 'order_update · en_US', sent: 2, delivered: 2, read: 0, replied: 1, clicked: 0 },
    { template: '(untagged)', sent: 0, delivered: 0, read: 0, replied: 0, clicked: 0 },
  ],
  'template-quality': [
    { at: '2025-03-10T00:00:00.000Z', template: 'promo · pt_BR', kind: 'quality', value: 'YELLOW' },
    { at: '2025-03-11T00:00:00.000Z', template: 'promo · pt_BR', kind: 'status', value: 'PAUSED' },
    { at: '2025-03-11T06:00:00.000Z', template: 'news · en_US', kind: 'category', value: 'UTILITY' },
  ],
  'template-cost': [
    { template: 'promo · pt_BR', campaign: 'bf', cost: 0.25, currency: 'USD', charged: 4 },
    { template: 'promo · pt_BR', campaign: '', cost: 0.0625, currency: 'USD', charged: 1 },
    { template: 'order_update · en_US', campaign: '', cost: 0, currency: 'USD', charged: 0 },
  ],
  ads: [
    { source_id: '120200001', source_type: 'ad', headline: 'Black Friday', referrals: 4, answered: 3, frt_p50_s: 120, free_entry_point_messages: 4 },
    { source_id: '120200002', source_type: 'post', headline: '', referrals: 1, answered: 0, frt_p50_s: null, free_entry_point_messages: 0 },
  ],
  'template-reconciliation': [
    { day: '2025-03-11', template: 'promo', language: 'pt_BR', template_id: '501', meta_sent: 6, sent: 5, meta_delivered: 4, delivered: 4, meta_read: 1, read: 1, meta_clicked: 0, clicked: 0, meta_cost: 0.3, cost: 0.25, status: 'differs' },
    { day: '2025-03-10', template: '', language: '', template_id: '999', meta_sent: 2, sent: 0, meta_delivered: 2, delivered: 0, meta_read: 0, read: 0, meta_clicked: 0, clicked: 0, meta_cost: null, cost: 0, status: 'unknown_template' },
  ],
  ...alertPanels([
    { at: '2025-03-12T11:58:00.000Z', rule_id: 'breached', title: 'Waits past their SLA due time', state: 'firing', count: 3, waba_ids: '1022' },
    { at: '2025-03-12T09:00:00.000Z', rule_id: 'chain', title: 'Access-audit chain broken', state: 'resolved', count: 1, waba_ids: '' },
  ]),
} as const;

/** The alerts panel is on three dashboards under three ids, with the same rows. */
function alertPanels<R>(rows: R): { 'alerts-managers': R; 'alerts-finance': R; 'alerts-privacy': R } {
  return { 'alerts-managers': rows, 'alerts-finance': rows, 'alerts-privacy': rows };
}

/** What each chart receives when its report has nothing. */
export const emptyInputs: Record<string, unknown> = {
  'free-tier': { limit: null, series: [] },
  forecast: { month: '2025-03', series: [] },
  consent: { events: [], violations: [] },
  'audit-chain': { ok: true, entries: 0, verified_at: '2025-03-12T12:00:00Z', first_broken_seq: null, reason: null },
};
