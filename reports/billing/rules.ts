/**
 * Meta's pricing history as data: one row per era, keyed by the local date (WABA time zone) it took
 * effect. Code reads the table; it never branches on a date. A webhook's own `pricing` fields always
 * win; these rules only fill in what a payload lacks (reference §5.1–5.3).
 */

export type PricingModel = 'NBP' | 'CBP' | 'PMP';

export interface PricingEra {
  /** First local date (YYYY-MM-DD, WABA time zone) on which the era applies. */
  from: string;
  name: string;
  model: PricingModel;
  /** What one charge is: a 24-hour conversation (CBP) or a message (NBP, PMP). */
  unit: 'conversation' | 'message';
  /** Monthly free conversations per WABA, and which categories draw on them. */
  freeTier: { limit: number; categories: 'any' | readonly string[] } | null;
  /** Categories never charged in this era; they never draw on the free tier either. */
  freeCategories: readonly string[];
  /** Per-message pricing types that are free (PMP). */
  freeTypes: readonly string[];
  /** Categories Meta sends in this era (documentation and validation of rate cards). */
  categories: readonly string[];
}

const CBP_2022 = ['user_initiated', 'business_initiated', 'referral_conversion'];
const FOUR = ['marketing', 'utility', 'authentication', 'service', 'referral_conversion'];
const WITH_AUTH_INTL = [...FOUR, 'authentication-international'];

export const PRICING_ERAS: readonly PricingEra[] = [
  { from: '0000-01-01', name: 'notification-based pricing', model: 'NBP', unit: 'message', freeTier: null, freeCategories: [], freeTypes: [], categories: [] },
  { from: '2022-02-01', name: 'conversation-based pricing', model: 'CBP', unit: 'conversation', freeTier: { limit: 1000, categories: 'any' }, freeCategories: ['referral_conversion'], freeTypes: [], categories: CBP_2022 },
  { from: '2023-06-01', name: 'four conversation categories', model: 'CBP', unit: 'conversation', freeTier: { limit: 1000, categories: ['service'] }, freeCategories: ['referral_conversion'], freeTypes: [], categories: FOUR },
  { from: '2024-06-01', name: 'authentication-international rates', model: 'CBP', unit: 'conversation', freeTier: { limit: 1000, categories: ['service'] }, freeCategories: ['referral_conversion'], freeTypes: [], categories: WITH_AUTH_INTL },
  { from: '2024-11-01', name: 'service conversations free', model: 'CBP', unit: 'conversation', freeTier: null, freeCategories: ['referral_conversion', 'service'], freeTypes: [], categories: WITH_AUTH_INTL },
  {
    from: '2025-07-01', name: 'per-message pricing', model: 'PMP', unit: 'message', freeTier: null,
    freeCategories: ['service', 'referral_conversion'], freeTypes: ['free_customer_service', 'free_entry_point'],
    categories: [...WITH_AUTH_INTL, 'marketing_lite'],
  },
];

/** The era in force on a local date (YYYY-MM-DD). */
export function eraAt(localDate: string, eras: readonly PricingEra[] = PRICING_ERAS): PricingEra {
  let found = eras[0]!;
  for (const e of eras) if (e.from <= localDate) found = e;
  return found;
}

/**
 * One spelling per category: lower case, and authentication-international with a hyphen (Meta's
 * `conversation.origin.type` and analytics use an underscore). Pre-2023 values stay as they are.
 */
export function normalizeCategory(raw: string): string {
  const c = raw.trim().toLowerCase();
  if (c === 'authentication_international') return 'authentication-international';
  return c;
}

export function normalizeModel(raw: string): PricingModel | '' {
  const m = raw.trim().toUpperCase();
  return m === 'NBP' || m === 'CBP' || m === 'PMP' ? m : '';
}

/** What a status row's `pricing` (and `conversation.origin`) said; empty strings / null when absent. */
export interface PricingPayload {
  model: string;
  category: string;
  type: string;
  billable: boolean | null;
  originType: string;
}

export interface MessagePricing {
  model: PricingModel;
  category: string;
  type: string;
  billable: boolean;
}

/**
 * A charged message (NBP, PMP). Under PMP `type` decides (billable is deprecated): regular is
 * charged, the free types are not. Missing fields come from the payload's other fields, then the era.
 */
export function resolveMessagePricing(p: PricingPayload, localDate: string, eras: readonly PricingEra[] = PRICING_ERAS): MessagePricing {
  const era = eraAt(localDate, eras);
  const model = normalizeModel(p.model) || era.model;
  const category = normalizeCategory(p.category || p.originType);
  const rules = model === era.model ? era : (latestEraOf(model, localDate, eras) ?? era);
  if (model !== 'PMP') {
    return { model, category, type: p.type.trim().toLowerCase(), billable: p.billable ?? !rules.freeCategories.includes(category) };
  }
  let type = p.type.trim().toLowerCase();
  if (!type) {
    const free = p.billable === false || (p.billable === null && rules.freeCategories.includes(category));
    type = !free ? 'regular' : category === 'referral_conversion' ? 'free_entry_point' : 'free_customer_service';
  }
  return { model, category, type, billable: !rules.freeTypes.includes(type) };
}

export interface ConversationPricing {
  model: PricingModel;
  category: string;
  /** null: the payload did not say and it depends on the free tier's use that month. */
  billable: boolean | null;
  /** The conversation draws on the free tier when it is free (payload or allocation). */
  drawsOnFreeTier: boolean;
}

/** A CBP conversation. Billable from the payload, else from the era; the free tier is allocated later. */
export function resolveConversationPricing(p: PricingPayload, localDate: string, eras: readonly PricingEra[] = PRICING_ERAS): ConversationPricing {
  const era = eraAt(localDate, eras);
  const model = normalizeModel(p.model) || era.model;
  const category = normalizeCategory(p.category || p.originType);
  const rules = model === era.model ? era : (latestEraOf(model, localDate, eras) ?? era);
  const alwaysFree = rules.freeCategories.includes(category);
  const tierCovers = rules.freeTier !== null && (rules.freeTier.categories === 'any' || rules.freeTier.categories.includes(category));
  let billable = p.billable;
  if (billable === null) billable = alwaysFree ? false : tierCovers ? null : true;
  return { model, category, billable, drawsOnFreeTier: !alwaysFree };
}

/** Free conversations a WABA gets in a month (null: no free tier that month). */
export function freeTierLimit(month: string, eras: readonly PricingEra[] = PRICING_ERAS): number | null {
  return eraAt(`${month}-01`, eras).freeTier?.limit ?? null;
}

/** A payload model other than the date's (CBP after July 2025): use that model's last era. */
function latestEraOf(model: PricingModel, localDate: string, eras: readonly PricingEra[]): PricingEra | undefined {
  const same = eras.filter((e) => e.model === model);
  const before = same.filter((e) => e.from <= localDate);
  return before[before.length - 1] ?? same[0];
}
