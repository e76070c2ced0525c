import type { Warehouse } from '../../warehouse/client.ts';
import { Activity } from '../activity.ts';
import { relabelCharges } from '../../warehouse/queries/labels/charge-sets.ts';
import { relabelWaits, reloadLabelSpans, type LabelChange } from '../../warehouse/queries/labels/spans.ts';
import type { LabelEventRow } from '../../warehouse/schema/labels.ts';

/**
 * After the label events change (an insert from the API, a CSV import or the callback tags; an
 * erasure), the label sets in force are loaded again (dictionary `label_spans_v1`), then the stored
 * waits and charged messages the change reaches back over are written again so they carry the new
 * set (waits written from then on take it as they are written; message facts look it up as they
 * are written, and again when a round ran meanwhile: `rounds`). One refresh runs at a time; changes that come while one
 * runs go together into the next, so a stream of tagged messages costs one refresh per round, not
 * one per batch. A round starts no sooner after the last one ended than that one took: reloading
 * reads every label event (0.2–1.0 s at ten million events), and a steady stream of tags must not
 * keep a core busy with it.
 */

interface Round {
  changes: Map<string, number>;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class LabelRefresh {
  private next: Round | undefined;
  private running: Promise<void> | undefined;
  /** When the next round may start (epoch ms), and whether one is waiting for it. */
  private notBefore = 0;
  private waiting = false;
  /** The rounds, as writes a message fact's label set may have raced (reports/billing/facts-job.ts). */
  readonly rounds = new Activity();

  constructor(private readonly wh: Warehouse) {}

  /**
   * Resolves once a refresh that started after the call has finished: the label reports then show
   * these changes. Rejects when that refresh failed (the events are stored; the next change, or
   * `changed([])`, refreshes again).
   */
  changed(changes: readonly LabelChange[]): Promise<void> {
    const round = (this.next ??= newRound());
    for (const c of changes) round.changes.set(c.wa_id, Math.min(round.changes.get(c.wa_id) ?? Infinity, c.from));
    this.kick();
    return round.done;
  }

  /** Label events stored: the customers they name, each from its earliest event. */
  stored(rows: readonly Pick<LabelEventRow, 'wa_id' | 'at'>[]): Promise<void> {
    return rows.length ? this.changed(rows.map((r) => ({ wa_id: r.wa_id, from: r.at }))) : Promise.resolve();
  }

  private kick(): void {
    if (this.running || this.waiting || !this.next) return;
    const wait = this.notBefore - Date.now();
    if (wait > 0) {
      this.waiting = true;
      setTimeout(() => {
        this.waiting = false;
        this.kick();
      }, wait).unref();
      return;
    }
    const round = this.next;
    this.next = undefined;
    const started = Date.now();
    this.running = this.rounds.around(() => this.run(round.changes))
      .then(round.resolve, round.reject)
      .finally(() => {
        const ended = Date.now();
        this.notBefore = ended + (ended - started);
        this.running = undefined;
        this.kick();
      });
  }

  private async run(changes: Map<string, number>): Promise<void> {
    await reloadLabelSpans(this.wh);
    const list = [...changes].map(([wa_id, from]) => ({ wa_id, from }));
    await relabelWaits(this.wh, list);
    await relabelCharges(this.wh, list);
  }
}

function newRound(): Round {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A round nobody waits for must not end the process when it fails.
  done.catch(() => undefined);
  return { changes: new Map(), done, resolve, reject };
}

/** One refresh per warehouse (per process: the label sets are the warehouse's). */
const refreshes = new WeakMap<Warehouse, LabelRefresh>();

export function labelRefresh(wh: Warehouse): LabelRefresh {
  let r = refreshes.get(wh);
  if (!r) refreshes.set(wh, (r = new LabelRefresh(wh)));
  return r;
}
