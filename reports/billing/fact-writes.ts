import type { Warehouse } from '../../warehouse/client.ts';

/**
 * Message-fact writes under way in this process, per warehouse. A template send stores its
 * message's charge, looked up from the facts as the send is written, and a fact written afterwards
 * copies itself onto its send: a send written while a fact write ran may have missed both, so its
 * writer asks here and looks again (reports/templates/sends.ts).
 */
export class FactWrites {
  /** Writes begun so far, and how many have not finished. */
  started = 0;
  running = 0;
  private waiters: Array<() => void> = [];

  async around<T>(write: () => Promise<T>): Promise<T> {
    this.started++;
    this.running++;
    try {
      return await write();
    } finally {
      if (--this.running === 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Resolves once no write is under way. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /** A mark to compare after a write: whether any fact write ran at any moment in between. */
  mark(): { started: number; busy: boolean } {
    return { started: this.started, busy: this.running > 0 };
  }

  overlapped(m: { started: number; busy: boolean }): boolean {
    return m.busy || this.running > 0 || this.started !== m.started;
  }
}

const byWarehouse = new WeakMap<Warehouse, FactWrites>();

export function factWrites(wh: Warehouse): FactWrites {
  let w = byWarehouse.get(wh);
  if (!w) byWarehouse.set(wh, (w = new FactWrites()));
  return w;
}
