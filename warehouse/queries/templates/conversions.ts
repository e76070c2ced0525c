import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { AD_CONVERSIONS } from '../../schema/templates.ts';

/** Reported ad conversions (a repeated event_id replaces the earlier row). */
export const insertConversions = defineInsert({ name: 'templates.ad_conversions.insert', table: AD_CONVERSIONS.name, row: AD_CONVERSIONS.row });

/** The ad referrals of the given customers (click id and time), to tie a conversion given by contact to one. */
export const contactReferrals = defineQuery({
  name: 'templates.ad_conversions.contact_referrals',
  sql: `SELECT waba_id, wa_id, toUnixTimestamp64Milli(ts) AS ts_ms, referral_ctwa_clid AS ctwa_clid
        FROM {{db}}.messages_v1
        WHERE waba_id IN {wabas:Array(String)} AND wa_id IN {wa_ids:Array(String)} AND referral_ctwa_clid != ''
        LIMIT 1 BY waba_id, wamid`,
  params: z.object({ wabas: z.array(z.string()), wa_ids: z.array(z.string()) }),
  row: z.object({ waba_id: z.string(), wa_id: z.string(), ts_ms: z.coerce.number(), ctwa_clid: z.string() }),
  format: 'compact',
});
