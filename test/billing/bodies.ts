/** Meta-shaped webhook bodies for the billing tests (reference §2, §4; account_update tier events §5.3). */

export interface StatusSpec {
  wamid: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  /** ISO instant. */
  at: string;
  recipient?: string;
  recipientUserId?: string;
  conversation?: { id: string; origin: string };
  pricing?: { billable?: boolean; pricing_model?: string; category?: string; type?: string };
  errorCode?: number;
}

const unix = (iso: string) => String(Math.floor(Date.parse(iso) / 1000));

export function status(s: StatusSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { id: s.wamid, status: s.status, timestamp: unix(s.at) };
  if (s.recipient !== undefined) out.recipient_id = s.recipient;
  if (s.recipientUserId) out.recipient_user_id = s.recipientUserId;
  if (s.conversation) {
    out.conversation = {
      id: s.conversation.id,
      ...(s.status === 'sent' ? { expiration_timestamp: unix(new Date(Date.parse(s.at) + 86_400_000).toISOString()) } : {}),
      origin: { type: s.conversation.origin },
    };
  }
  if (s.pricing) out.pricing = s.pricing;
  if (s.status === 'failed') out.errors = [{ code: s.errorCode ?? 131026, title: 'Message undeliverable', message: 'Message undeliverable', error_data: { details: 'Message undeliverable' } }];
  return out;
}

export function statusBody(waba: string, phoneNumberId: string, statuses: StatusSpec[]): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: waba,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: phoneNumberId },
              statuses: statuses.map(status),
            },
          },
        ],
      },
    ],
  });
}

export function tierEventBody(waba: string, t: { at: string; category: string; tier: string; month: string; region: string }): string {
  const time = Math.floor(Date.parse(t.at) / 1000);
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: waba,
        time,
        changes: [
          {
            field: 'account_update',
            value: {
              event: 'VOLUME_BASED_PRICING_TIER_UPDATE',
              volume_tier_info: { tier_update_time: time, pricing_category: t.category, tier: t.tier, effective_month: t.month, region: t.region },
            },
          },
        ],
      },
    ],
  });
}

/** A priced PMP message: `sent` and one of delivered/read carry pricing (never both). */
export function pmpMessage(
  wamid: string,
  recipient: string,
  sentAt: string,
  pricing: { category: string; type: string; billable?: boolean },
  then: Array<{ status: 'delivered' | 'read' | 'failed'; at: string; priced?: boolean }>,
): StatusSpec[] {
  const p = { pricing_model: 'PMP', ...pricing };
  return [
    { wamid, status: 'sent', at: sentAt, recipient, pricing: p },
    ...then.map((t) => ({ wamid, status: t.status, at: t.at, recipient, ...(t.priced ? { pricing: p } : {}) })),
  ];
}
