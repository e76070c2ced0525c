// The answers the reports must find, accumulated from the generator's decisions and written as
// NDJSON records (docs/TRUTH.md describes every record).
import { createHash } from 'node:crypto';
import type { WaitRecord } from './waits.ts';
import { MARKET_NAMES, type MarketKey } from './markets.ts';
import { AgentTruth, type AgentsRecord } from './agents.ts';
import { CsatTruth, type CsatRecord } from './csat.ts';
import { LabelTruth, type LabelDayRecord, type LabelJourneyRecord } from './labels.ts';
import { ResolutionTruth, type ResolutionRecord } from './resolution.ts';
import type { AdConversionRecord } from './ads.ts';

export type OptoutSource = 'keyword' | 'user_preferences' | 'error_131050';

export interface ConversationsRecord {
  kind: 'conversations';
  waba_id: string;
  month: string;
  pricing_model: 'CBP' | 'PMP';
  unit: 'conversation' | 'message';
  category: string;
  count: number;
  billable_count: number;
  free_count: number;
  free_tier_used?: number;
}

export interface ChargesRecord {
  kind: 'charges';
  waba_id: string;
  month: string;
  market: MarketKey;
  market_name: string;
  category: string;
  type: string;
  count: number;
  billable_count: number;
}

export interface OptoutEventRecord {
  kind: 'optout_event';
  waba_id: string;
  wa_id: string;
  at: number;
  action: 'stop' | 'resume';
  source: OptoutSource | 'user_preferences';
}

export interface OptoutViolationRecord {
  kind: 'optout_violation';
  waba_id: string;
  phone_number_id: string;
  wa_id: string;
  wamid: string;
  /** Template name, or null for a free-form message counted through its pricing category. */
  template: string | null;
  sent_at: number;
  opted_out_at: number;
  source: OptoutSource;
}

export interface SubjectRecord {
  kind: 'subject';
  wa_id: string;
  waba_ids: string[];
  body_count: number;
  bodies_digest: string;
  bodies_sha256?: string[];
  events: Record<string, number>;
}

/** Template sends per WABA × template × language × campaign (untagged ones under template ''). */
export interface TemplatesRecord {
  kind: 'templates';
  waba_id: string;
  template: string;
  language: string;
  campaign: string;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  failed_131049: number;
  failed_131050: number;
  sent_not_delivered: number;
  charged: number;
  /** Sends answered (quoted, or the next message within the reply window after delivery), clicked, followed by an opt-out. */
  replied: number;
  clicked: number;
  opted_out: number;
}

/** Per click-to-WhatsApp ad (`source_id`) of a WABA (docs/TRUTH.md, `ad`). */
export interface AdRecord {
  kind: 'ad';
  waba_id: string;
  source_id: string;
  source_type: string;
  referrals: number;
  customers: number;
  answered: number;
  frt_p50_s: number | null;
  frt_p90_s: number | null;
  free_entry_point_messages: number;
  conversions: number;
}

export interface TemplateOutcome {
  accepted: boolean;
  delivered: boolean;
  read: boolean;
  priced: boolean;
  failedCode: number | null;
  charged: boolean;
}

export type TruthRecord =
  | { kind: 'config'; [k: string]: unknown }
  | WaitRecord
  | ConversationsRecord
  | ChargesRecord
  | TemplatesRecord
  | OptoutEventRecord
  | OptoutViolationRecord
  | SubjectRecord
  | LabelDayRecord
  | LabelJourneyRecord
  | CsatRecord
  | AgentsRecord
  | ResolutionRecord
  | AdRecord
  | AdConversionRecord
  | { kind: 'management'; waba_id: string; field: string; event: string; at: number; [k: string]: unknown }
  | { kind: 'summary'; [k: string]: unknown };

export type TruthSink = (record: TruthRecord) => void;

interface LedgerEvent {
  at: number;
  action: 'stop' | 'resume';
  source: OptoutSource;
}

const MOD = 1n << 256n;

interface Subject {
  wabas: Set<string>;
  bodies: number;
  digest: bigint;
  list: string[] | null;
  events: Record<string, number>;
}

export class Truth {
  private conv = new Map<string, ConversationsRecord>();
  private charges = new Map<string, ChargesRecord>();
  private templates = new Map<string, TemplatesRecord>();
  private ledger = new Map<string, LedgerEvent[]>();
  private subjects = new Map<string, Subject>();
  readonly labels = new LabelTruth();
  readonly csat = new CsatTruth();
  readonly agents = new AgentTruth();
  readonly resolution = new ResolutionTruth();

  constructor(private readonly sink: TruthSink, private readonly listBodies: boolean) {}

  emit(record: TruthRecord): void {
    if (record.kind === 'wait') {
      this.csat.observeWait(record);
      this.agents.observeWait(record);
      this.resolution.observeWait(record);
    }
    this.sink(record);
  }

  cbpConversation(waba: string, month: string, category: string, billable: boolean, freeTier: boolean): void {
    const key = `${waba}|${month}|CBP|${category}`;
    let r = this.conv.get(key);
    if (!r) {
      r = { kind: 'conversations', waba_id: waba, month, pricing_model: 'CBP', unit: 'conversation', category, count: 0, billable_count: 0, free_count: 0, free_tier_used: 0 };
      this.conv.set(key, r);
    }
    r.count++;
    if (billable) r.billable_count++;
    else r.free_count++;
    if (freeTier) r.free_tier_used!++;
  }

  pmpMessage(waba: string, month: string, market: MarketKey, category: string, type: string, billable: boolean): void {
    const key = `${waba}|${month}|PMP|${category}`;
    let r = this.conv.get(key);
    if (!r) {
      r = { kind: 'conversations', waba_id: waba, month, pricing_model: 'PMP', unit: 'message', category, count: 0, billable_count: 0, free_count: 0 };
      this.conv.set(key, r);
    }
    r.count++;
    if (type === 'regular') r.billable_count++;
    else r.free_count++;
    const ck = `${waba}|${month}|${market}|${category}|${type}`;
    let c = this.charges.get(ck);
    if (!c) {
      c = { kind: 'charges', waba_id: waba, month, market, market_name: MARKET_NAMES[market], category, type, count: 0, billable_count: 0 };
      this.charges.set(ck, c);
    }
    c.count++;
    if (billable) c.billable_count++;
  }

  templateSend(waba: string, template: string, language: string, campaign: string, o: TemplateOutcome): TemplatesRecord {
    const key = `${waba}|${template}|${language}|${campaign}`;
    let r = this.templates.get(key);
    if (!r) {
      r = { kind: 'templates', waba_id: waba, template, language, campaign, sent: 0, delivered: 0, read: 0, failed: 0, failed_131049: 0, failed_131050: 0, sent_not_delivered: 0, charged: 0, replied: 0, clicked: 0, opted_out: 0 };
      this.templates.set(key, r);
    }
    if (o.accepted) r.sent++;
    if (o.delivered) r.delivered++;
    if (o.read) r.read++;
    if (o.failedCode !== null) r.failed++;
    if (o.failedCode === 131049) r.failed_131049++;
    if (o.failedCode === 131050) r.failed_131050++;
    if (o.priced && !o.delivered) r.sent_not_delivered++;
    if (o.charged) r.charged++;
    return r;
  }

  optout(waba: string, waId: string, at: number, action: 'stop' | 'resume', source: OptoutSource): void {
    const key = `${waba}|${waId}`;
    let events = this.ledger.get(key);
    if (!events) this.ledger.set(key, (events = []));
    events.push({ at, action, source });
    this.sink({ kind: 'optout_event', waba_id: waba, wa_id: waId, at, action, source });
  }

  /** Start of the opt-out in force just before `at` (events of the same second do not count yet). */
  optedOutSince(waba: string, waId: string, at: number): LedgerEvent | null {
    const events = this.ledger.get(`${waba}|${waId}`);
    if (!events) return null;
    let since: LedgerEvent | null = null;
    for (const e of [...events].sort((a, b) => a.at - b.at)) {
      if (e.at >= at) break;
      if (e.action === 'resume') since = null;
      else if (!since) since = e;
    }
    return since;
  }

  marketingSent(waba: string, pnid: string, waId: string, wamid: string, template: string | null, sentAt: number): void {
    const since = this.optedOutSince(waba, waId, sentAt);
    if (!since) return;
    this.sink({ kind: 'optout_violation', waba_id: waba, phone_number_id: pnid, wa_id: waId, wamid, template, sent_at: sentAt, opted_out_at: since.at, source: since.source });
  }

  /** One distinct body: every wa_id it carries gets the body and its items' counts. */
  body(body: string, items: readonly { kind: string; subjects: readonly string[]; waba: string }[]): string {
    const sha = createHash('sha256').update(body).digest('hex');
    const seen = new Set<string>();
    for (const item of items) {
      for (const waId of item.subjects) {
        let s = this.subjects.get(waId);
        if (!s) {
          s = { wabas: new Set(), bodies: 0, digest: 0n, list: this.listBodies ? [] : null, events: {} };
          this.subjects.set(waId, s);
        }
        s.wabas.add(item.waba);
        s.events[item.kind] = (s.events[item.kind] ?? 0) + 1;
        if (!seen.has(waId)) {
          seen.add(waId);
          s.bodies++;
          s.digest = (s.digest + BigInt('0x' + sha)) % MOD;
          s.list?.push(sha);
        }
      }
    }
    return sha;
  }

  finish(summary: Record<string, unknown>): void {
    const byKey = <T>(m: Map<string, T>) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, v]) => v);
    for (const r of byKey(this.conv)) this.sink(r);
    for (const r of byKey(this.charges)) this.sink(r);
    for (const r of byKey(this.templates)) this.sink(r);
    for (const r of [...this.labels.records(), ...this.csat.records(), ...this.agents.records(), ...this.resolution.records()]) this.sink(r);
    for (const [waId, s] of [...this.subjects.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const rec: SubjectRecord = {
        kind: 'subject', wa_id: waId, waba_ids: [...s.wabas].sort(), body_count: s.bodies,
        bodies_digest: s.digest.toString(16).padStart(64, '0'), events: s.events,
      };
      if (s.list) rec.bodies_sha256 = [...s.list].sort();
      this.sink(rec);
    }
    this.sink({ kind: 'summary', ...summary });
  }
}
