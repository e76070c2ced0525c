import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Warehouse } from '../warehouse/client.ts';
import type { Pseudonymizer } from './pseudonym.ts';
import type { ItemRows } from '../warehouse/tables.ts';
import type { AuditKey } from './audit-key.ts';
import type { AnchorPublisher } from './audit-anchor.ts';
import type { Identity } from './identity/index.ts';

/** One entry of the access audit: who did what, with parameters already free of raw identifiers. */
export interface AuditEntry {
  actor: string;
  /** The actor's roles joined by `+` (`manager`, `finance+privacy`), or `system`. */
  role: string;
  action: string;
  params: Record<string, unknown>;
  rows?: number;
  exportSha256?: string;
}

export interface AccessAudit {
  record(entry: AuditEntry): Promise<void>;
  /** Resolves once every entry recorded so far is appended (or failed): the service's stop waits for it. */
  idle?(): Promise<void>;
}

/** What the composition root hands to every route module and job. */
export interface AppDeps {
  config: Config;
  warehouse: Warehouse;
  log: Logger;
  audit: AccessAudit;
  /** The access audit's key and where its anchors go (verification and `audit anchor` use them). */
  auditKey: AuditKey;
  auditAnchors: AnchorPublisher;
  pseudonyms: Pseudonymizer;
  /** The clock, injectable so live reports and jobs can be tested at a fixed instant. */
  now(): Date;
  /** People, sessions and service tokens (absent: only API_TOKENS sign anyone in). */
  identity?: Identity;
  /** This instance's ingest backlog at an instant (absent outside a running service). */
  ingestBacklog?(now: number): { backlog_bytes: number; backlog_age_seconds: number };
  /** Files on this instance's disk that hold personal data outside the warehouse (erasure clears them). */
  fileStores?: FileStore[];
}

/** A store of files holding personal data (the ingest log, archived dashboard snapshots). */
export interface FileStore {
  name: string;
  /** Removes what names the subject; counts what named it before and what still does after. */
  erase(subject: { ids: readonly string[]; pseudonyms: readonly string[] }): Promise<{ before: number; after: number; method: string }>;
}

/** A scheduled job: idempotent by period, safe to run on every instance at once. */
export interface Job {
  name: string;
  /** node-cron expression (seconds field allowed). */
  schedule: string;
  run(now: Date): Promise<void>;
}

/**
 * What one batch of the ingest loader stored: the typed item rows as normalized (after the erasure
 * screen) and the receipt-time range of its bodies. Reports derive exactly what it touched.
 */
export interface LoadedBatch {
  rows: ItemRows;
  /** Earliest and latest receipt time (epoch ms) of the batch's bodies. */
  receivedFrom: number;
  receivedTo: number;
}

/**
 * A derivation that follows the loads (SLA waits, billing facts). The dispatcher coalesces: batches
 * stored while a follower runs are handed to its next call together. Idempotent, like jobs.
 */
export interface Follower {
  name: string;
  /** Followers whose calls for the same batches finish before this one's starts (it reads what they derive). */
  after?: readonly string[];
  /** `more`: work is left (a bounded call); the dispatcher calls again before the batches count as followed. */
  follow(batches: LoadedBatch[]): Promise<void | { more: boolean }>;
  /** Batches that will not be followed (left to the scheduled job): drop what was derived from earlier ones. */
  dropped?(batches: readonly LoadedBatch[]): void;
}
