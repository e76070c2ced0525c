import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { BILLING_RATE_CARDS, type RateCardRow } from '../../schema/billing.ts';

export type { RateCardRow };

/** One insert per card: a card is in the table whole or not at all. */
export const insertRateCard = defineInsert({ name: 'billing.rate_cards.insert', table: BILLING_RATE_CARDS.name, row: BILLING_RATE_CARDS.row, chunk: Number.MAX_SAFE_INTEGER });

export const storedRates = defineQuery({
  name: 'billing.rate_cards.rows',
  sql: `SELECT toString(currency) AS currency, toString(kind) AS kind, toString(effective_from) AS effective_from,
               toString(loaded_at) AS loaded_at, toString(market) AS market, toString(category) AS category, tier,
               toString(price) AS price
        FROM {{db}}.billing_rate_cards_v1
        WHERE length({currencies:Array(String)}) = 0 OR currency IN {currencies:Array(String)}`,
  params: z.object({ currencies: z.array(z.string()).default([]) }),
  row: z.object({
    currency: z.string(),
    kind: z.enum(['rates', 'tiers']),
    effective_from: z.string(),
    loaded_at: z.string(),
    market: z.string(),
    category: z.string(),
    tier: z.string(),
    price: z.string(),
  }),
});

export const rateCardLoads = defineQuery({
  name: 'billing.rate_cards.loads',
  sql: `SELECT toString(currency) AS currency, toString(kind) AS kind, toString(effective_from) AS effective_from,
               toString(loaded_at) AS loaded_at, any(source_name) AS source_name, any(source_sha256) AS source_sha256,
               any(loaded_by) AS loaded_by, count() AS entries
        FROM {{db}}.billing_rate_cards_v1
        GROUP BY currency, kind, effective_from, loaded_at
        ORDER BY currency, kind, effective_from, loaded_at`,
  params: z.object({}),
  row: z.object({
    currency: z.string(),
    kind: z.string(),
    effective_from: z.string(),
    loaded_at: z.string(),
    source_name: z.string(),
    source_sha256: z.string(),
    loaded_by: z.string(),
    entries: z.coerce.number(),
  }),
});
