// The simulated world: tenants, customers and chats, and the primitives every behaviour uses to make
// something happen (a customer message, a business message with its statuses, an echo…). Each
// primitive tells the truth what was decided, at the moment it is decided.
import { BusinessCalendar } from './calendar.ts';
import { Delivery, type Item } from './delivery.ts';
import { TimeHeap } from './heap.ts';
import { IdFactory } from './ids.ts';
import { makeCustomer, type Customer } from './people.ts';
import { ChatPricing, PricingBook } from './pricing.ts';
import { Rng } from './prng.ts';
import type { PlannedStatus } from './statuses.ts';
import type { Json } from './inbound.ts';
import { calendarOf, yearsBetween, type PhoneSpec, type TemplateSpec, type WabaSpec } from './tenants.ts';
import { Truth, type OptoutSource } from './truth.ts';
import { isStopKeyword } from './texts.ts';
import { ChatWaits, type ChatKey } from './waits.ts';
import type { TurnKind } from './customers.ts';
import { ZoneClock, addDays } from './zone.ts';
import { TemplateFollowUps } from './templates.ts';
import { AdsTruth } from './ads.ts';

export const DAY = 86_400;

export interface Action {
  t: number;
  seq: number;
  waba: WabaState | null;
  run: () => void;
}

export class Chat {
  readonly key: ChatKey;
  lastInbound = -Infinity;
  lastCustomerText = '';
  lastBizWamid: string | null = null;
  lastOutSec = -1;
  /** A business answer is already on its way. */
  pending = false;
  botStep = 0;
  handedOff = false;
  agent: string | null = null;
  closedNoticeAt = -Infinity;
  turnsLeft = 0;
  menuChoice: string | null = null;
  lastTurn: TurnKind | null = null;
  readonly pricing = new ChatPricing();
  readonly waits: ChatWaits;

  constructor(readonly waba: WabaState, readonly pnIndex: number, readonly customer: Customer, readonly waId: string, emitWait: ConstructorParameters<typeof ChatWaits>[2]) {
    this.key = { waba_id: waba.spec.waba_id, phone_number_id: this.pn.phone_number_id, wa_id: waId };
    this.waits = new ChatWaits(this.key, waba.calendar, emitWait);
  }

  get pn(): PhoneSpec {
    return this.waba.spec.phones[this.pnIndex]!;
  }

  csw(t: number): boolean {
    return t - this.lastInbound < DAY;
  }
}

export class WabaState {
  readonly clock: ZoneClock;
  readonly calendar: BusinessCalendar;
  readonly pricing: PricingBook;
  readonly rng: Rng;
  readonly startT: number;
  readonly endT: number;
  readonly customers: Customer[] = [];
  readonly waIds = new Set<string>();
  readonly chats = new Map<string, Chat>();
  readonly templateCategory = new Map<string, TemplateSpec['category']>();
  /** When the business's CRM learned of an opt-out (it honours them only after a lag). */
  readonly crmOptouts = new Map<string, number>();
  /** Marketing stopped inside WhatsApp: Meta refuses marketing templates (131050). */
  readonly metaStopped = new Set<string>();
  promo: TemplateSpec;

  constructor(readonly spec: WabaSpec, readonly index: number, readonly seed: string, start: string, end: string, freeTier: number, readonly poolSize: number, ids: IdFactory) {
    this.clock = new ZoneClock(spec.time_zone);
    this.calendar = new BusinessCalendar(calendarOf(spec, yearsBetween(start, end)));
    this.pricing = new PricingBook(freeTier, ids);
    this.rng = Rng.derive(seed, 'waba', spec.waba_id);
    this.startT = this.clock.midnight(start);
    this.endT = this.clock.midnight(addDays(end, 1));
    for (const t of spec.templates) this.templateCategory.set(t.name, t.category);
    this.promo = this.template('campaign');
  }

  template(purpose: TemplateSpec['purpose']): TemplateSpec {
    return this.spec.templates.find((t) => t.purpose === purpose)!;
  }

  /** A customer for a new contact: mostly new people while the pool fills, then returning ones. */
  pickCustomer(r: Rng): Customer {
    const n = this.customers.length;
    if (n < this.poolSize && (n < 20 || r.chance(0.6))) {
      const c = makeCustomer(Rng.derive(this.seed, 'customer', this.spec.waba_id, n), n, this.spec.mix, 1, (w) => this.waIds.has(w));
      c.home = Rng.derive(this.seed, 'home', this.spec.waba_id, n).weighted(this.spec.home(c.country));
      if (c.stoppedAtMeta) this.metaStopped.add(c.waId);
      this.waIds.add(c.waId);
      this.customers.push(c);
      return c;
    }
    return this.customers[r.int(n)]!;
  }
}

export interface OutSpec {
  template?: TemplateSpec;
  src: 'h' | 'b' | 'a' | 'c' | 'n' | null; // null: sent without biz_opaque_callback_data
  agent: string;
  team: string;
  text?: string;
  forceFail?: number; // an error code that refuses the message outright
  engaged: boolean;
  /** Random failures are off for this send (used for automated acknowledgements). */
  reliable?: boolean;
  /** Draw this send's randomness from another stream (behaviours added later keep the WABA's stream as it was). */
  rng?: Rng;
  /** More keys for the callback tag (`;lb=…`, `;cs=…`), after the usual ones. */
  tagExtra?: string;
  /** Told the message's planned statuses (labels and surveys take effect at its `sent`). */
  onPlan?: (wamid: string, plan: PlannedStatus[]) => void;
}

export interface OutResult {
  wamid: string;
  T: number;
  failed: boolean;
  refused: boolean;
}

export class World {
  readonly actions = new TimeHeap<Action>();
  readonly wabas: WabaState[];
  readonly ids: IdFactory;
  readonly rng: Rng;
  readonly delivery: Delivery;
  readonly truth: Truth;
  /** What followed template sends, and ads (their own truth, settled at the end of the run). */
  readonly followUps = new TemplateFollowUps();
  readonly ads: AdsTruth;
  now = 0;
  private seq = 0;
  private factSeq = 0;
  counts: Record<string, number> = {};

  constructor(readonly seed: string, specs: WabaSpec[], start: string, end: string, freeTier: number, poolSize: number, delivery: (w: World) => Delivery, truth: Truth) {
    this.rng = Rng.derive(seed, 'world');
    this.ids = new IdFactory(Rng.derive(seed, 'ids'));
    this.wabas = specs.map((s, i) => new WabaState(s, i, seed, start, end, freeTier, poolSize, this.ids));
    this.truth = truth;
    this.ads = new AdsTruth(seed);
    this.delivery = delivery(this);
  }

  count(what: string, n = 1): void {
    this.counts[what] = (this.counts[what] ?? 0) + n;
  }

  at(t: number, waba: WabaState | null, run: () => void): void {
    this.actions.push({ t: Math.max(t, this.now), seq: this.seq++, waba, run });
  }

  chat(waba: WabaState, pnIndex: number, customer: Customer): Chat {
    const key = `${pnIndex}|${customer.waId}`;
    let chat = waba.chats.get(key);
    if (!chat) {
      chat = new Chat(waba, pnIndex, customer, customer.waId, (w) => this.truth.emit(w));
      waba.chats.set(key, chat);
    }
    return chat;
  }

  private push(item: Omit<Item, 'seq'>): void {
    this.delivery.push(item);
    this.count(`items.${item.kind}`);
  }

  /** Posting delay after the event: usually a second or two, now and then minutes. */
  latencyMs(r: Rng): number {
    return r.chance(0.01) ? r.range(10_000, 300_000) : r.range(150, 2500);
  }

  inbound(chat: Chat, t: number, obj: Json, opts: { qualifying: boolean; contact?: boolean; subjects?: string[]; rng?: Rng }): void {
    // Behaviours with their own PRNG stream pass it, so the WABA's stream draws what it drew before.
    const r = opts.rng ?? chat.waba.rng;
    const pn = chat.pn;
    if (obj.referral) this.ads.referral(chat.key.waba_id, pn.phone_number_id, chat.waId, t, obj.referral as Json);
    this.push({
      t: t * 1000 + this.latencyMs(r), kind: 'message', waba: chat.key.waba_id, field: 'messages', pnid: pn.phone_number_id, display: pn.display_phone_number,
      obj, ...(opts.contact === false ? {} : { contact: { name: chat.customer.name, waId: chat.waId } }),
      subjects: [...new Set([chat.waId, ...(opts.subjects ?? [])])],
    });
    if (obj.type !== 'system') chat.lastInbound = Math.max(chat.lastInbound, t);
    chat.waits.add({ dir: 'in', t, seq: this.nextFactSeq(), wamid: String(obj.id), qualifying: opts.qualifying }, this.now);
    this.count(`inbound.${String(obj.type)}`);
    const body = obj.type === 'text' ? String((obj.text as Json).body) : null;
    this.followUps.inbound(chat.key.waba_id, pn.phone_number_id, chat.waId, t, obj, body !== null && isStopKeyword(body), this.now);
    if (body !== null && isStopKeyword(body)) {
      this.optout(chat.waba, chat.waId, t, 'stop', 'keyword');
      // The CRM suppresses the number only after someone processes the STOP.
      if (!chat.waba.crmOptouts.has(chat.waId)) chat.waba.crmOptouts.set(chat.waId, t + r.range(2, 7) * DAY);
    }
  }

  nextFactSeq(): number {
    return this.factSeq++;
  }

  /** Records an opt-out signal; repeated ones too, the ledger keeps every signal. */
  optout(waba: WabaState, waId: string, t: number, action: 'stop' | 'resume', source: OptoutSource): void {
    this.truth.optout(waba.spec.waba_id, waId, t, action, source);
  }
}
