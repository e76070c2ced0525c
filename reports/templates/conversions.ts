import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Ad conversions a business reports (`POST /api/ads/conversions`): an outcome (`event`: lead,
 * purchase…) at a time, for an ad click (`ctwa_clid`) or a customer (`wa_id`, tied to their latest
 * referral at or before it when stored). Pure: the body in, checked items or every problem out.
 */

export const conversionItemSchema = z.object({
  waba_id: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).optional().describe('the WABA (else the `waba_id` query parameter)'),
  event_id: z.string().min(1).max(200).optional().describe('your id of the outcome: a repeat replaces it (default: a hash of the item)'),
  ctwa_clid: z.string().min(1).max(512).optional().describe('the click id of the referral'),
  wa_id: z.string().regex(/^\d{6,20}$/).optional().describe('the customer, when the click id is not known'),
  event: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).describe('lead, purchase…'),
  at: z.union([z.string(), z.number()]).describe('ISO 8601 instant or Unix seconds'),
  value: z.number().nonnegative().finite().nullable().optional(),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
}).strict();

export const conversionBodySchema = z.union([z.object({ conversions: z.array(conversionItemSchema) }), z.array(conversionItemSchema), conversionItemSchema]);

export interface ConversionItem {
  waba_id: string;
  event_id: string;
  ctwa_clid: string | null;
  wa_id: string | null;
  event: string;
  at_ms: number;
  value: number | null;
  currency: string;
}

export class ConversionError extends Error {
  constructor(readonly problems: string[]) {
    super(`${problems.length} problem(s) in the conversions; nothing was stored`);
  }
}

const MAX_ITEMS = 10_000;
const EARLIEST = Date.UTC(2014, 0, 1);

function instant(at: string | number): number | null {
  const ms = typeof at === 'number' ? at * 1000 : /^\d{4}-\d\d-\d\dT.*(Z|[+-]\d\d:?\d\d)$/.test(at) ? Date.parse(at) : NaN;
  return Number.isFinite(ms) && ms >= EARLIEST ? Math.round(ms) : null;
}

/** Reads a body (JSON text, or as parsed); throws ConversionError naming every item at fault (then nothing is stored). */
export function parseConversions(body: unknown, defaultWaba: string | undefined, nowMs: number): ConversionItem[] {
  let doc = body;
  if (typeof body === 'string') {
    try {
      doc = JSON.parse(body);
    } catch (e) {
      throw new ConversionError([`not readable JSON: ${(e as Error).message.slice(0, 200)}`]);
    }
  }
  const list: unknown[] = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && 'conversions' in doc ? ((doc as { conversions: unknown }).conversions as unknown[]) : [doc];
  if (!Array.isArray(list) || list.length === 0) throw new ConversionError(['no conversions: send {"conversions": [...]}, an array, or one object']);
  if (list.length > MAX_ITEMS) throw new ConversionError([`more than ${MAX_ITEMS} conversions: split the request`]);
  const problems: string[] = [];
  const out: ConversionItem[] = [];
  list.forEach((raw, i) => {
    const where = `item ${i + 1}`;
    const parsed = conversionItemSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 5)) problems.push(`${where}: ${issue.path.join('.') || 'item'}: ${issue.message}`);
      return;
    }
    const c = parsed.data;
    const waba = c.waba_id ?? defaultWaba;
    const at = instant(c.at);
    const before = problems.length;
    if (!waba) problems.push(`${where}: no waba_id (give it in the item or as the waba_id parameter)`);
    if ((c.ctwa_clid === undefined) === (c.wa_id === undefined)) problems.push(`${where}: give exactly one of ctwa_clid and wa_id`);
    if (at === null) problems.push(`${where}: at must be an ISO 8601 instant with its offset, or Unix seconds, after 2014`);
    else if (at > nowMs + 86_400_000) problems.push(`${where}: at is in the future`);
    if (problems.length > before) return;
    const eventId = c.event_id ?? createHash('sha256').update(JSON.stringify([waba, c.ctwa_clid ?? '', c.wa_id ?? '', c.event, at])).digest('hex');
    out.push({
      waba_id: waba!, event_id: eventId, ctwa_clid: c.ctwa_clid ?? null, wa_id: c.wa_id ?? null, event: c.event, at_ms: at!,
      value: c.value ?? null, currency: c.currency ?? '',
    });
  });
  if (problems.length) throw new ConversionError(problems.slice(0, 100));
  return out;
}

/** The click id of each item given by contact: that customer's latest referral at or before it, else a problem. */
export function tieToClicks(items: readonly ConversionItem[], referrals: ReadonlyArray<{ waba_id: string; wa_id: string; ts_ms: number; ctwa_clid: string }>): Array<ConversionItem & { ctwa_clid: string; matched_by: 'click' | 'contact' }> {
  const problems: string[] = [];
  const out = items.map((item, i) => {
    if (item.ctwa_clid !== null) return { ...item, ctwa_clid: item.ctwa_clid, matched_by: 'click' as const };
    const mine = referrals.filter((r) => r.waba_id === item.waba_id && r.wa_id === item.wa_id && r.ts_ms <= item.at_ms);
    const best = mine.reduce<(typeof mine)[number] | null>((b, r) => (!b || r.ts_ms > b.ts_ms ? r : b), null);
    if (!best) problems.push(`item ${i + 1}: no ad referral from that customer at or before ${new Date(item.at_ms).toISOString()}`);
    return { ...item, ctwa_clid: best?.ctwa_clid ?? '', matched_by: 'contact' as const };
  });
  if (problems.length) throw new ConversionError(problems.slice(0, 100));
  return out;
}
