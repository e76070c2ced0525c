// Click-to-WhatsApp ads: each WABA runs a few ads; a referral names one of them. The truth per ad
// (docs/TRUTH.md, `ad`): referrals, customers, answered referrals and their first response times,
// free-entry-point messages, and the conversions the business reports (`ad_conversion`).
// Every draw here comes from the ads' own streams, so the rest of a seeded world stays as it was.
import { Rng } from './prng.ts';
import type { Json } from './inbound.ts';
import type { TruthRecord } from './truth.ts';

const H = 3600;
/** A referral is answered by the business's first message after it within this time (the report's reply window). */
export const ANSWER_WINDOW_S = 24 * H;
const FEP_WINDOW_S = 72 * H;

interface Ad {
  waba_id: string;
  source_id: string;
  source_type: 'ad' | 'post';
  referrals: number;
  customers: Set<string>;
  answered: number;
  gaps: number[];
  free_entry_point_messages: number;
  conversions: number;
}

interface Referral {
  ad: Ad;
  t: number;
  clid: string;
  waId: string;
  answered: boolean;
}

export interface AdConversionRecord {
  kind: 'ad_conversion';
  waba_id: string;
  /** The business's own id of the outcome (a repeated POST of it is the same conversion). */
  event_id: string;
  /** The click id, or else the customer (`wa_id`). */
  ctwa_clid: string | null;
  wa_id: string | null;
  event: 'lead' | 'purchase';
  at: number;
  value: number | null;
}

/** ClickHouse's quantileExact: the value at index ⌊level · n⌋ of the sorted values. */
export function quantileExact(sorted: readonly number[], level: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(level * sorted.length))]!;
}

export class AdsTruth {
  private readonly catalogue = new Map<string, { ads: Ad[]; pick: Rng; convert: Rng }>();
  private readonly byChat = new Map<string, Referral[]>();
  private readonly byCustomer = new Map<string, Referral[]>();
  private readonly conversions: AdConversionRecord[] = [];
  private nextEvent = 0;

  constructor(private readonly seed: string) {}

  private adsOf(waba: string) {
    let c = this.catalogue.get(waba);
    if (!c) {
      const r = Rng.derive(this.seed, 'ads', waba);
      const ads: Ad[] = Array.from({ length: 4 }, (_, i) => ({
        waba_id: waba, source_id: '1202' + r.digits(11), source_type: i === 3 ? 'post' : 'ad',
        referrals: 0, customers: new Set<string>(), answered: 0, gaps: [], free_entry_point_messages: 0, conversions: 0,
      }));
      c = { ads, pick: Rng.derive(this.seed, 'ads-pick', waba), convert: Rng.derive(this.seed, 'ads-convert', waba) };
      this.catalogue.set(waba, c);
    }
    return c;
  }

  /** A customer message carrying `referral`: it is rewritten to name one of the WABA's ads. */
  referral(waba: string, pnid: string, waId: string, t: number, referral: Json): void {
    const c = this.adsOf(waba);
    const ad = c.ads[c.pick.weighted(c.ads.map((a, i) => [i, 4 - i] as const))]!;
    referral.source_id = ad.source_id;
    referral.source_type = ad.source_type;
    if (ad.source_type === 'post') referral.source_url = `https://www.facebook.com/${ad.source_id}`;
    ad.referrals++;
    ad.customers.add(waId);
    const ref: Referral = { ad, t, clid: String(referral.ctwa_clid), waId, answered: false };
    push(this.byChat, `${waba}|${pnid}|${waId}`, ref);
    push(this.byCustomer, `${waba}|${waId}`, ref);
    // Some people buy or leave their details; the business reports it by click id or by contact.
    if (c.convert.chance(0.35)) {
      const byClick = c.convert.chance(0.7);
      const purchase = c.convert.chance(0.5);
      this.conversions.push({
        kind: 'ad_conversion', waba_id: waba, event_id: `conv-${++this.nextEvent}`,
        ctwa_clid: byClick ? ref.clid : null, wa_id: byClick ? null : waId,
        event: purchase ? 'purchase' : 'lead', at: t + c.convert.range(10 * 60, 2 * 86_400),
        value: purchase ? c.convert.range(20, 900) : null,
      });
    }
  }

  /**
   * A business message (any with statuses) at T: the first one at or after a referral answers it;
   * one priced as a free-entry-point message counts for the latest referral of its chat.
   */
  outbound(waba: string, pnid: string, waId: string, T: number, freeEntryPoint: boolean): void {
    const refs = this.byChat.get(`${waba}|${pnid}|${waId}`);
    if (!refs) return;
    for (const ref of refs) {
      if (ref.answered || ref.t > T) continue;
      ref.answered = true; // the first business message after it settles it, inside the window or not
      if (T - ref.t <= ANSWER_WINDOW_S) {
        ref.ad.answered++;
        ref.ad.gaps.push(T - ref.t);
      }
    }
    if (!freeEntryPoint) return;
    let latest: Referral | null = null;
    for (const ref of refs) if (ref.t <= T && (!latest || ref.t > latest.t)) latest = ref;
    if (latest && T <= latest.t + FEP_WINDOW_S) latest.ad.free_entry_point_messages++;
  }

  /** The conversions (credited to the ad of the click, or the customer's latest referral before it), then one record per ad. */
  finish(sink: (r: TruthRecord) => void): void {
    const byClid = new Map<string, Referral>();
    for (const refs of this.byChat.values()) for (const ref of refs) byClid.set(`${ref.ad.waba_id}|${ref.clid}`, ref);
    for (const conv of this.conversions) {
      let ref: Referral | null = null;
      if (conv.ctwa_clid !== null) ref = byClid.get(`${conv.waba_id}|${conv.ctwa_clid}`) ?? null;
      else for (const x of this.byCustomer.get(`${conv.waba_id}|${conv.wa_id}`) ?? []) if (x.t <= conv.at && (!ref || x.t > ref.t)) ref = x;
      if (ref) ref.ad.conversions++;
      sink(conv);
    }
    const ads = [...this.catalogue.values()].flatMap((c) => c.ads).filter((a) => a.referrals > 0);
    ads.sort((a, b) => (a.waba_id + a.source_id < b.waba_id + b.source_id ? -1 : 1));
    for (const a of ads) {
      const gaps = [...a.gaps].sort((x, y) => x - y);
      sink({
        kind: 'ad', waba_id: a.waba_id, source_id: a.source_id, source_type: a.source_type, referrals: a.referrals,
        customers: a.customers.size, answered: a.answered, frt_p50_s: quantileExact(gaps, 0.5), frt_p90_s: quantileExact(gaps, 0.9),
        free_entry_point_messages: a.free_entry_point_messages, conversions: a.conversions,
      });
    }
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
