import { describe, expect, it } from 'vitest';
import {
  PRICING_ERAS, eraAt, freeTierLimit, normalizeCategory, resolveConversationPricing, resolveMessagePricing, type PricingEra, type PricingPayload,
} from '../../reports/billing/rules.ts';

const payload = (p: Partial<PricingPayload>): PricingPayload => ({ model: '', category: '', type: '', billable: null, originType: '', ...p });

describe('pricing eras (data keyed by effective local date)', () => {
  it.each([
    ['2021-12-31', 'NBP', 'notification-based pricing'],
    ['2022-01-31', 'NBP', 'notification-based pricing'],
    ['2022-02-01', 'CBP', 'conversation-based pricing'],
    ['2023-05-31', 'CBP', 'conversation-based pricing'],
    ['2023-06-01', 'CBP', 'four conversation categories'],
    ['2024-06-01', 'CBP', 'authentication-international rates'],
    ['2024-10-31', 'CBP', 'authentication-international rates'],
    ['2024-11-01', 'CBP', 'service conversations free'],
    ['2025-06-30', 'CBP', 'service conversations free'],
    ['2025-07-01', 'PMP', 'per-message pricing'],
    ['2026-05-01', 'PMP', 'per-message pricing'],
  ])('%s is %s (%s)', (date, model, name) => {
    expect(eraAt(date)).toMatchObject({ model, name });
  });

  it('is sorted by date', () => {
    const dates = PRICING_ERAS.map((e) => e.from);
    expect(dates).toEqual([...dates].sort());
  });

  it.each([
    ['2022-01', null],
    ['2022-02', 1000],
    ['2023-06', 1000],
    ['2024-10', 1000],
    ['2024-11', null],
    ['2025-07', null],
  ])('free tier of %s is %s', (month, limit) => {
    expect(freeTierLimit(month)).toBe(limit);
  });
});

describe('category spellings', () => {
  it.each([
    ['authentication_international', 'authentication-international'],
    ['authentication-international', 'authentication-international'],
    ['AUTHENTICATION_INTERNATIONAL', 'authentication-international'],
    ['Marketing', 'marketing'],
    ['user_initiated', 'user_initiated'],
    ['business_initiated', 'business_initiated'],
    ['referral_conversion', 'referral_conversion'],
  ])('%s → %s', (raw, want) => {
    expect(normalizeCategory(raw)).toBe(want);
  });
});

describe('charged messages: the payload first, the rules fill in', () => {
  it.each([
    ['type decides under PMP', payload({ model: 'PMP', category: 'utility', type: 'free_customer_service' }), '2025-08-01', { model: 'PMP', type: 'free_customer_service', billable: false }],
    ['regular is billable even without billable', payload({ model: 'PMP', category: 'marketing', type: 'regular' }), '2025-08-01', { model: 'PMP', type: 'regular', billable: true }],
    ['no type, billable false → free customer service', payload({ model: 'PMP', category: 'utility', billable: false }), '2025-08-01', { type: 'free_customer_service', billable: false }],
    ['no type, billable false, FEP category → free entry point', payload({ model: 'PMP', category: 'referral_conversion', billable: false }), '2025-08-01', { type: 'free_entry_point', billable: false }],
    ['no type, no billable, marketing → regular', payload({ model: 'PMP', category: 'marketing' }), '2025-08-01', { type: 'regular', billable: true }],
    ['no type, no billable, service → free', payload({ model: 'PMP', category: 'service' }), '2025-08-01', { type: 'free_customer_service', billable: false }],
    ['no model: the date says PMP', payload({ category: 'marketing', type: 'regular' }), '2025-07-01', { model: 'PMP', billable: true }],
    ['no model before 2022-02: NBP, billable unless said', payload({ category: 'marketing' }), '2021-06-01', { model: 'NBP', billable: true }],
    ['NBP billable false from the payload', payload({ model: 'NBP', billable: false }), '2021-06-01', { model: 'NBP', billable: false }],
  ])('%s', (_name, p, date, want) => {
    expect(resolveMessagePricing(p, date)).toMatchObject(want);
  });
});

describe('CBP conversations: billable from the payload, else the era', () => {
  it.each([
    ['service in a free-tier month, billable unsaid: decided by the tier', payload({ model: 'CBP', category: 'service' }), '2024-03-10', { billable: null, drawsOnFreeTier: true }],
    ['service after 2024-11-01 is free and draws nothing', payload({ model: 'CBP', category: 'service' }), '2024-11-05', { billable: false, drawsOnFreeTier: false }],
    ['marketing after 2023-06-01 is billable', payload({ model: 'CBP', category: 'marketing' }), '2024-03-10', { billable: true, drawsOnFreeTier: true }],
    ['free entry point is free and draws nothing', payload({ model: 'CBP', category: 'referral_conversion' }), '2024-03-10', { billable: false, drawsOnFreeTier: false }],
    ['2022: any type draws on the tier', payload({ model: 'CBP', category: 'business_initiated' }), '2022-05-01', { billable: null, drawsOnFreeTier: true }],
    ['the payload wins over the rules', payload({ model: 'CBP', category: 'service', billable: true }), '2024-03-10', { billable: true }],
    ['origin type when pricing has no category', payload({ model: 'CBP', originType: 'authentication_international', billable: true }), '2024-07-10', { category: 'authentication-international' }],
    ['CBP after the switch (utility conversation spanning it)', payload({ model: 'CBP', category: 'utility', billable: true }), '2025-07-03', { model: 'CBP', billable: true }],
    ['CBP after the switch, billable unsaid: the last CBP era', payload({ model: 'CBP', category: 'service' }), '2025-07-03', { model: 'CBP', billable: false }],
  ])('%s', (_name, p, date, want) => {
    expect(resolveConversationPricing(p, date)).toMatchObject(want);
  });

  it('reads another rules table without code changes', () => {
    const custom: PricingEra[] = [
      { from: '0000-01-01', name: 'test', model: 'CBP', unit: 'conversation', freeTier: { limit: 5, categories: ['utility'] }, freeCategories: [], freeTypes: [], categories: [] },
    ];
    expect(freeTierLimit('2030-01', custom)).toBe(5);
    expect(resolveConversationPricing(payload({ category: 'utility' }), '2030-01-02', custom)).toMatchObject({ model: 'CBP', billable: null });
    expect(resolveConversationPricing(payload({ category: 'service' }), '2030-01-02', custom)).toMatchObject({ billable: true });
  });
});
