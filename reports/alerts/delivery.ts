import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { AccessAudit } from '../../app/deps.ts';
import type { Logger } from '../../app/logger.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { insertDeliveries } from '../../warehouse/queries/alerts/store.ts';
import type { AlertDeliveryRow } from '../../warehouse/schema/alerts.ts';
import { DeliveryError, type Channel } from './channels.ts';
import type { AlertMessage } from './message.ts';

/**
 * Hands messages to channels in the background, so a slow relay never holds an evaluation up: a
 * delivery starts after the turn that handed it over (the evaluation finishes first), and at most
 * `concurrency` sends run at once (a backoff does not hold a place). A
 * failure that may pass (network, 429, 5xx, SMTP 4xx) is tried again after a backoff that doubles
 * each time; every attempt is a row of the delivery log, and each delivery's outcome is written to
 * the access audit (who was told what: rule, firing, recipient id and channel, no item content).
 */

export interface Deliverer {
  deliver(message: AlertMessage, channels: readonly Channel[]): void;
  /** Resolves once every delivery handed over before the call has finished (delivered or given up). */
  idle(): Promise<void>;
}

export interface DeliveryOptions {
  wh: Warehouse;
  audit: AccessAudit;
  log: Logger;
  attempts: number;
  backoffMs: number;
  /** Sends at once (`alerts.delivery_concurrency`). */
  concurrency: number;
}

export type DeliveryOutcome = 'delivered' | 'failed';

/**
 * One row at a time for the caller, in batches for the warehouse: rows handed over while an insert
 * runs go together in the next (a burst of deliveries costs a few inserts, not one each). Each
 * caller's promise settles with the insert that carried its row.
 */
export function coalescing<R>(write: (rows: R[]) => Promise<void>): (row: R) => Promise<void> {
  const waiting: Array<{ row: R; resolve(): void; reject(e: unknown): void }> = [];
  let draining: Promise<void> | undefined;
  async function drain(): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.splice(0);
      try {
        await write(batch.map((b) => b.row));
        for (const b of batch) b.resolve();
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
  }
  function kick(): void {
    draining ??= drain().finally(() => {
      draining = undefined;
      // A row handed over between the loop's last check and this line still gets written.
      if (waiting.length > 0) kick();
    });
  }
  return (row) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ row, resolve, reject });
      kick();
    });
}

export function createDeliverer(opts: DeliveryOptions): Deliverer {
  const inFlight = new Set<Promise<void>>();
  const sending = pLimit(opts.concurrency);
  const writeAttempt = coalescing<AlertDeliveryRow>((rows) => insertDeliveries(opts.wh, rows));

  async function logAttempt(row: AlertDeliveryRow): Promise<void> {
    // The log must not stop a delivery: an unreachable warehouse is itself something to alert on.
    await writeAttempt(row).catch((e: unknown) => opts.log.warn({ err: e, rule: row.rule_id }, 'delivery log write failed'));
  }

  async function deliverOne(m: AlertMessage, channel: Channel): Promise<void> {
    let outcome: DeliveryOutcome = 'failed';
    let attempt = 0;
    for (;;) {
      attempt++;
      const base = { firing_id: m.firing_id, rule_id: m.rule_id, recipient_id: m.recipient, channel: channel.name, attempt, at: Date.now() };
      try {
        const status = await sending(() => channel.send(m));
        await logAttempt({ ...base, outcome: 'delivered', status_code: status, error: '' });
        outcome = 'delivered';
        break;
      } catch (e) {
        const err = e instanceof DeliveryError ? e : new DeliveryError(`send failed: ${(e as Error)?.name ?? 'error'}`, false);
        const again = err.retryable && attempt < opts.attempts;
        await logAttempt({ ...base, at: Date.now(), outcome: again ? 'retrying' : 'failed', status_code: err.statusCode, error: err.message.slice(0, 200) });
        if (!again) break;
        await delay(opts.backoffMs * 2 ** (attempt - 1));
      }
    }
    if (outcome === 'failed') opts.log.warn({ rule: m.rule_id, firing: m.firing_id, recipient: m.recipient, channel: channel.name, attempts: attempt }, 'alert not delivered');
    await opts.audit
      .record({
        actor: 'alerts', role: 'system', action: 'alerts.delivery',
        params: { rule_id: m.rule_id, firing_id: m.firing_id, state: m.state, recipient: m.recipient, channel: channel.name, items: m.count, outcome, attempts: attempt },
      })
      .catch((e: unknown) => opts.log.error({ err: e, rule: m.rule_id }, 'alert delivery not written to the access audit'));
  }

  return {
    deliver(message, channels) {
      for (const ch of channels) {
        const p: Promise<void> = nextTurn()
          .then(() => deliverOne(message, ch))
          .catch((e: unknown) => opts.log.error({ err: e, rule: message.rule_id }, 'alert delivery failed'))
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    },
    async idle() {
      await Promise.all([...inFlight]);
    },
  };
}
