import { describe, expect, it } from 'vitest';
import { AnalyticsFormatError, parseMetaAnalytics } from '../../reports/billing/reconciliation.ts';

const point = (p: Record<string, unknown>) => ({ start: 1751328000, end: 1751414400, ...p });

describe("Meta's analytics responses", () => {
  it.each([
    ['the WABA node', { id: 'W1', pricing_analytics: { data: [{ data_points: [point({ volume: 3, pricing_category: 'AUTHENTICATION_INTERNATIONAL', pricing_type: 'REGULAR', cost: 0.084 })] }] } }],
    ['the edge alone', { data: [{ data_points: [point({ volume: 3, pricing_category: 'AUTHENTICATION_INTERNATIONAL', pricing_type: 'REGULAR', cost: 0.084 })] }] }],
    ['bare data points', { data_points: [point({ volume: 3, pricing_category: 'AUTHENTICATION_INTERNATIONAL', pricing_type: 'REGULAR', cost: 0.084 })] }],
  ])('reads pricing_analytics as %s', (_name, json) => {
    const a = parseMetaAnalytics(json);
    expect(a.source).toBe('pricing_analytics');
    expect(a.points).toEqual([{ startMs: 1751328000000, endMs: 1751414400000, category: 'authentication-international', type: 'regular', country: '', phone: '', tier: '', volume: 3, cost: 0.084 }]);
  });

  it.each([
    [{ conversation: 2, conversation_type: 'FREE_ENTRY_POINT', conversation_category: 'MARKETING' }, 'referral_conversion', 'free_entry_point'],
    [{ conversation: 2, conversation_type: 'REGULAR', conversation_direction: 'BUSINESS_INITIATED' }, 'business_initiated', 'regular'],
    [{ conversation: 2, conversation_type: 'FREE_TIER', conversation_category: 'UNKNOWN', conversation_direction: 'USER_INITIATED' }, 'user_initiated', 'free_tier'],
    [{ conversation: 2, conversation_type: 'REGULAR', conversation_category: 'SERVICE' }, 'service', 'regular'],
  ])('reads conversation_analytics %j as %s / %s', (p, category, type) => {
    const a = parseMetaAnalytics({ id: 'W1', conversation_analytics: { data: [{ data_points: [point(p)] }] } });
    expect(a.source).toBe('conversation_analytics');
    expect(a.points[0]).toMatchObject({ category, type, volume: 2, cost: null });
  });

  it.each([
    [[], 'expected a JSON object from the Graph API'],
    [{ hello: 1 }, 'no data[].data_points[] found: save the pricing_analytics or conversation_analytics response as returned'],
    [{ data: [{ data_points: [{ volume: 1 }] }] }, 'data point 1: missing start'],
    [{ pricing_analytics: { data: [{ data_points: [{ start: 1 }] }] } }, 'data point 1: missing volume'],
  ])('refuses %j', (json, message) => {
    expect(() => parseMetaAnalytics(json)).toThrow(new AnalyticsFormatError(message));
  });
});
