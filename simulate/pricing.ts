// Meta's pricing eras as the generator applies them: which `pricing`/`conversation` objects an
// outbound message carries, decided from the WABA-local date of the message.
import type { Json } from './inbound.ts';
import type { IdFactory } from './ids.ts';

export type Era = 'CBP_2022' | 'CBP_2023' | 'PMP';
export type TemplateCategory = 'marketing' | 'utility' | 'authentication';

export const SERVICE_FREE_FROM = '2024-11-01';

export function eraOf(localDate: string): Era {
  if (localDate < '2023-06-01') return 'CBP_2022';
  if (localDate < '2025-07-01') return 'CBP_2023';
  return 'PMP';
}

interface OpenConversation {
  id: string;
  category: string;
  until: number;
}

/** Per chat: open CBP conversations, the pending ad referral and an open free-entry-point window. */
export class ChatPricing {
  open: OpenConversation[] = [];
  referralAt: number | null = null;
  fep: { id: string; until: number } | null = null;
}

export interface OutboundKind {
  template: TemplateCategory | null;
  authInternational: boolean;
}

export interface PricingDecision {
  model: 'CBP' | 'PMP';
  category: string; // as in pricing.category
  type?: 'regular' | 'free_customer_service' | 'free_entry_point';
  billable: boolean;
  pricing: Json;
  conversation?: { id: string; origin: string; expiration: number };
  /** Set when this message opened a CBP conversation. */
  opened?: { id: string; freeTier: boolean };
}

const DAY = 86_400;

/** Per WABA: the CBP free tier counters (first N conversations of each WABA-local month). */
export class PricingBook {
  private used = new Map<string, number>();

  constructor(private readonly freeTier: number, private readonly ids: IdFactory) {}

  private takeFreeTier(month: string): boolean {
    const n = this.used.get(month) ?? 0;
    if (n >= this.freeTier) return false;
    this.used.set(month, n + 1);
    return true;
  }

  /**
   * Decides pricing for a message sent at T. `csw` = the customer service window is open (a user
   * message in the last 24 h). Opens a free-entry-point window when this is the business's first
   * message within 24 h of an ad referral.
   */
  price(chat: ChatPricing, T: number, localDate: string, month: string, kind: OutboundKind, csw: boolean): PricingDecision {
    const era = eraOf(localDate);
    if (chat.referralAt !== null && T - chat.referralAt < DAY && (!chat.fep || chat.fep.until <= T)) {
      const until = T + 3 * DAY;
      chat.fep = { id: this.ids.conversationId(), until };
      chat.referralAt = null;
      if (era !== 'PMP') {
        // The free-entry-point conversation closes every other open conversation.
        for (const c of chat.open) this.billableOf.delete(c.id);
        chat.open = [{ id: chat.fep.id, category: 'referral_conversion', until }];
        this.billableOf.set(chat.fep.id, false);
        return this.cbp(chat.fep.id, 'referral_conversion', false, until, { id: chat.fep.id, freeTier: false });
      }
    }
    if (era === 'PMP') return this.pmp(chat, T, kind, csw);
    this.expire(chat, T);
    const fep = chat.open.find((c) => c.category === 'referral_conversion');
    if (fep) return this.cbp(fep.id, fep.category, false, fep.until);

    let category: string;
    if (era === 'CBP_2022') {
      const any = chat.open[chat.open.length - 1];
      if (any) return this.cbp(any.id, any.category, this.wasBillable(any), any.until);
      category = csw ? 'user_initiated' : 'business_initiated';
    } else if (kind.template === null) {
      const any = chat.open[chat.open.length - 1];
      if (any) return this.cbp(any.id, any.category, this.wasBillable(any), any.until);
      category = 'service';
    } else {
      category = kind.template === 'authentication' && kind.authInternational ? 'authentication-international' : kind.template;
      const same = chat.open.find((c) => c.category === category);
      if (same) return this.cbp(same.id, same.category, this.wasBillable(same), same.until);
    }

    let billable = true;
    let freeTier = false;
    if (era === 'CBP_2022' || category === 'service') {
      if (category === 'service' && localDate >= SERVICE_FREE_FROM) billable = false;
      else if (this.takeFreeTier(month)) {
        billable = false;
        freeTier = true;
      }
    }
    const conv = { id: this.ids.conversationId(), category, until: T + DAY };
    chat.open.push(conv);
    this.billableOf.set(conv.id, billable);
    return this.cbp(conv.id, category, billable, conv.until, { id: conv.id, freeTier });
  }

  /** Billable flag of each open conversation, repeated on every message inside it. */
  private billableOf = new Map<string, boolean>();

  private wasBillable(c: OpenConversation): boolean {
    return this.billableOf.get(c.id) ?? true;
  }

  /** Forgets conversations that can no longer receive messages (keeps memory flat). */
  expire(chat: ChatPricing, T: number): void {
    for (const c of chat.open) if (c.until <= T) this.billableOf.delete(c.id);
    chat.open = chat.open.filter((c) => c.until > T);
  }

  private cbp(id: string, category: string, billable: boolean, until: number, opened?: PricingDecision['opened']): PricingDecision {
    const origin = category === 'authentication-international' ? 'authentication_international' : category;
    return {
      model: 'CBP',
      category,
      billable,
      pricing: { billable, pricing_model: 'CBP', category },
      conversation: { id, origin, expiration: until },
      ...(opened ? { opened } : {}),
    };
  }

  private pmp(chat: ChatPricing, T: number, kind: OutboundKind, csw: boolean): PricingDecision {
    if (chat.fep && chat.fep.until > T) {
      return {
        model: 'PMP', category: 'referral_conversion', type: 'free_entry_point', billable: false,
        pricing: { billable: false, pricing_model: 'PMP', category: 'referral_conversion', type: 'free_entry_point' },
        conversation: { id: chat.fep.id, origin: 'referral_conversion', expiration: chat.fep.until },
      };
    }
    let category: string;
    let type: 'regular' | 'free_customer_service';
    if (kind.template === null) {
      category = 'service';
      type = 'free_customer_service';
    } else {
      category = kind.template === 'authentication' && kind.authInternational ? 'authentication-international' : kind.template;
      type = kind.template === 'utility' && csw ? 'free_customer_service' : 'regular';
    }
    const billable = type === 'regular';
    return { model: 'PMP', category, type, billable, pricing: { billable, pricing_model: 'PMP', category, type } };
  }
}
