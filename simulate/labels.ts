// Labels from a simulated order system: each order notification carries `lb=` in its callback tag
// (docs/LABELS.md), so the order's stage is a label of the customer from the notification's `sent`
// status on. The truth keeps what the label timeline and journey reports must find.
import type { PlannedStatus } from './statuses.ts';
import type { OutSpec } from './world.ts';
import type { TemplateSpec } from './tenants.ts';

/** The stage each order notification sets (and the stage it ends). */
const ORDER_LABELS: Partial<Record<TemplateSpec['purpose'], string>> = {
  order_confirmed: 'order/paid,-order/delivered',
  order_shipped: 'order/shipped,-order/paid',
  order_delivered: 'order/delivered,-order/shipped',
};

/** The journey the truth measures: from payment to delivery. */
export const JOURNEY = { from: 'order/paid', to: 'order/delivered' } as const;

export interface LabelDayRecord {
  kind: 'label_day';
  date: string;
  label: string;
  added: number;
  removed: number;
  customers_added: number;
}

export interface LabelJourneyRecord {
  kind: 'label_journey';
  from_label: string;
  to_label: string;
  customers_started: number;
  customers_reached: number;
  mean_seconds: number | null;
  p50_seconds: number | null;
  p90_seconds: number | null;
}

/** ClickHouse's exact quantile: the value at rank ⌊p·n⌋ of the sorted values (the last for p = 1). */
export function exactQuantile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

interface Day {
  added: number;
  removed: number;
  customers: Set<string>;
}

export class LabelTruth {
  private days = new Map<string, Day>();
  private lastAt = new Map<string, number>();
  private firstFrom = new Map<string, number>();
  private toAdds = new Map<string, number[]>();

  /** The extras of an order notification's send: its labels in the tag, and their truth once planned. */
  orderSpec(purpose: TemplateSpec['purpose'], waba: string, waId: string): Partial<OutSpec> {
    const lb = ORDER_LABELS[purpose];
    if (!lb) return {};
    return { tagExtra: `;lb=${lb}`, onPlan: (_wamid, plan) => this.fromTag(waba, waId, lb, plan) };
  }

  /** The service takes a tag's labels at the message's `sent` status: without one, nothing changes. */
  private fromTag(waba: string, waId: string, lb: string, plan: readonly PlannedStatus[]): void {
    const sent = plan.find((s) => s.status === 'sent');
    if (!sent) return;
    for (const item of lb.split(',')) {
      const remove = item.startsWith('-');
      this.event(waba, waId, remove ? item.slice(1) : item, remove ? 'remove' : 'add', sent.ts);
    }
  }

  event(waba: string, waId: string, label: string, action: 'add' | 'remove', at: number): void {
    // The store keeps one row per (WABA, customer, label, time, action, source).
    const key = `${waba}|${waId}|${label}|${action}`;
    if (this.lastAt.get(key) === at) return;
    this.lastAt.set(key, at);
    const dk = `${new Date(at * 1000).toISOString().slice(0, 10)}|${label}`;
    let d = this.days.get(dk);
    if (!d) this.days.set(dk, (d = { added: 0, removed: 0, customers: new Set() }));
    if (action === 'remove') {
      d.removed++;
      return;
    }
    d.added++;
    d.customers.add(waId);
    if (label === JOURNEY.from) this.firstFrom.set(waId, Math.min(at, this.firstFrom.get(waId) ?? Infinity));
    if (label === JOURNEY.to) {
      let list = this.toAdds.get(waId);
      if (!list) this.toAdds.set(waId, (list = []));
      list.push(at);
    }
  }

  records(): Array<LabelDayRecord | LabelJourneyRecord> {
    const out: Array<LabelDayRecord | LabelJourneyRecord> = [];
    for (const [k, d] of [...this.days.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const [date, label] = k.split('|') as [string, string];
      out.push({ kind: 'label_day', date, label, added: d.added, removed: d.removed, customers_added: d.customers.size });
    }
    const seconds: number[] = [];
    for (const [waId, first] of this.firstFrom) {
      const reached = (this.toAdds.get(waId) ?? []).filter((t) => t >= first);
      if (reached.length) seconds.push(Math.min(...reached) - first);
    }
    seconds.sort((a, b) => a - b);
    out.push({
      kind: 'label_journey', from_label: JOURNEY.from, to_label: JOURNEY.to,
      customers_started: this.firstFrom.size, customers_reached: seconds.length,
      mean_seconds: seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : null,
      p50_seconds: exactQuantile(seconds, 0.5), p90_seconds: exactQuantile(seconds, 0.9),
    });
    return out;
  }
}
