// Meta's delivery habits: items wait until their posting time, close ones share a POST (several
// entries, changes, statuses), some bodies are re-delivered byte for byte, some escape non-ASCII.
import { TimeHeap } from './heap.ts';
import type { Rng } from './prng.ts';
import type { Json } from './inbound.ts';
import { signBody } from '../ingest/signature.ts';

export type ItemKind = 'message' | 'status' | 'echo' | 'user_preference' | 'management';

export interface Item {
  t: number; // posting time, unix ms
  seq: number;
  kind: ItemKind;
  waba: string;
  field: string;
  pnid?: string;
  display?: string;
  obj: Json; // the message / status / echo / preference object, or a management `value`
  contact?: { name: string; waId: string };
  subjects: string[];
  entryTime?: number; // management fields carry an integer entry.time
}

interface Redelivery {
  t: number;
  seq: number;
  body: string;
  signature: string | undefined;
}

export interface Posting {
  body: string;
  at: Date;
  signature?: string;
  duplicate?: boolean;
}

export interface DeliveryOptions {
  batchSize: number;
  duplicateRate: number;
  secret?: string | undefined;
}

const WINDOW_MS = 1500;

/** JSON with every non-ASCII UTF-16 unit written as \uXXXX (lowercase), as some of Meta's bodies are. */
export function escapeNonAscii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export class Delivery {
  private queue = new TimeHeap<Item>();
  private redeliveries = new TimeHeap<Redelivery>();
  private seq = 0;
  bodies = 0;
  duplicates = 0;
  items = 0;
  /** Postings leave in time order even when a batch closes after a re-delivery was due. */
  private lastAt = 0;

  constructor(
    private readonly r: Rng,
    private readonly opts: DeliveryOptions,
    private readonly onBody: (body: string, items: Item[]) => void,
  ) {}

  push(item: Omit<Item, 'seq'>): void {
    this.queue.push({ ...item, seq: this.seq++ } as Item);
  }

  /** Emits every body whose items were all posted before `untilMs`, in posting order. */
  *drain(untilMs: number): Generator<Posting> {
    for (;;) {
      const next = this.queue.peek();
      const dup = this.redeliveries.peek();
      const nextT = next && next.t < untilMs ? next.t : Infinity;
      const dupT = dup && dup.t < untilMs ? dup.t : Infinity;
      if (nextT === Infinity && dupT === Infinity) return;
      if (dupT <= nextT) {
        const d = this.redeliveries.pop()!;
        this.duplicates++;
        this.lastAt = Math.max(this.lastAt, d.t);
        yield { body: d.body, at: new Date(this.lastAt), ...(d.signature ? { signature: d.signature } : {}), duplicate: true };
        continue;
      }
      const group = this.takeGroup(untilMs);
      const body = this.render(group);
      const at = (this.lastAt = Math.max(this.lastAt, group[group.length - 1]!.t));
      const signature = this.opts.secret !== undefined ? signBody(this.opts.secret, body) : undefined;
      this.bodies++;
      this.items += group.length;
      this.onBody(body, group);
      if (this.r.chance(this.opts.duplicateRate)) {
        // Re-deliveries: mostly within a second or two, some after Meta's retry back-off.
        const delay = this.r.chance(0.6) ? this.r.range(50, 2000) : this.r.range(5_000, 900_000);
        this.redeliveries.push({ t: at + delay, seq: this.seq++, body, signature });
      }
      yield { body, at: new Date(at), ...(signature ? { signature } : {}) };
    }
  }

  private takeGroup(untilMs: number): Item[] {
    const first = this.queue.pop()!;
    if (first.kind === 'management') return [first];
    const size = this.r.weighted<number>([[1, 45], [2, 20], [this.r.range(3, Math.max(3, this.opts.batchSize)), 35]]);
    const group = [first];
    while (group.length < Math.min(size, this.opts.batchSize)) {
      const p = this.queue.peek();
      if (!p || p.t >= untilMs || p.kind === 'management' || p.t - first.t > WINDOW_MS) break;
      group.push(this.queue.pop()!);
    }
    return group;
  }

  private render(group: Item[]): string {
    const entries = new Map<string, { id: string; time?: number; changes: Map<string, { field: string; value: Json }> }>();
    for (const item of group) {
      let entry = entries.get(item.waba);
      if (!entry) {
        entry = { id: item.waba, changes: new Map() };
        if (item.entryTime !== undefined) entry.time = item.entryTime;
        entries.set(item.waba, entry);
      }
      if (item.kind === 'management') {
        entry.changes.set(`m${item.seq}`, { field: item.field, value: item.obj });
        continue;
      }
      const key = `${item.field}|${item.pnid}|${item.kind}`;
      let change = entry.changes.get(key);
      if (!change) {
        change = { field: item.field, value: { messaging_product: 'whatsapp', metadata: { display_phone_number: item.display, phone_number_id: item.pnid } } };
        entry.changes.set(key, change);
      }
      addToValue(change.value, item);
    }
    const entryList = [...entries.values()].map((e) => ({
      id: e.id,
      ...(e.time !== undefined ? { time: e.time } : {}),
      changes: [...e.changes.values()].map((c) => (group[0]!.kind === 'management' ? { value: c.value, field: c.field } : { field: c.field, value: c.value })),
    }));
    // Key order is not fixed in Meta's bodies: some management payloads start with `entry`.
    const envelope = group[0]!.kind === 'management' && this.r.chance(0.5)
      ? { entry: entryList, object: 'whatsapp_business_account' }
      : { object: 'whatsapp_business_account', entry: entryList };
    const json = JSON.stringify(envelope);
    return this.r.chance(0.25) ? escapeNonAscii(json) : json;
  }
}

function addToValue(value: Json, item: Item): void {
  const list = (name: string): Json[] => ((value[name] as Json[] | undefined) ?? (value[name] = [])) as Json[];
  // `system` messages come without a contact, so a change holding only those has no `contacts`.
  if (item.contact && !list('contacts').some((c) => c.wa_id === item.contact!.waId)) {
    list('contacts').push({ profile: { name: item.contact.name }, wa_id: item.contact.waId });
  }
  if (item.kind === 'message') list('messages').push(item.obj);
  else if (item.kind === 'status') list('statuses').push(item.obj);
  else if (item.kind === 'echo') list('message_echoes').push(item.obj);
  else if (item.kind === 'user_preference') list('user_preferences').push(item.obj);
}
