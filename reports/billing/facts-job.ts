import type { AppDeps, Job } from '../../app/deps.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import {
  billingJobState, conversationSummaries, type ConversationSummary, type MessageSummary, factPeriods, insertConversationFacts, insertMessageFacts, messageSummaries,
  saveBillingJobState, tierEvents, touchedConversationsPageEnd, touchedMessagesPageEnd, touchedTierMonths,
} from '../../warehouse/queries/billing/facts.ts';
import { explicitFreeTierUse, rollUpPeriod, type PeriodParams } from '../../warehouse/queries/billing/rollup.ts';
import { chargeLabelSets } from '../../warehouse/queries/labels/charge-sets.ts';
import { chargeSends } from '../../warehouse/queries/templates/charges.ts';
import type { MessageFactRow } from '../../warehouse/schema/billing.ts';
import { labelRefresh } from '../labels/refresh.ts';
import { factWrites } from './fact-writes.ts';
import { billingConfig, Tenants, type BillingConfig } from './config.ts';
import { changedFacts, conversationFact, messageFact, period, touchedPeriods, type FactContext } from './facts.ts';
import { backfillLedger } from './ledger.ts';
import { loadMarketMatcher, type MarketMatcher } from './markets.ts';
import { normalizeTier } from './rate-card.ts';
import { freeTierLimit, normalizeCategory } from './rules.ts';

/**
 * The billing.facts job: statuses received since the watermark → per-wamid and per-conversation
 * facts → the daily rollup of every (WABA, month) those facts left or entered. Idempotent: a fact is
 * rebuilt from all of its statuses, a period from all of its facts, so a second instance, a rerun or
 * an overlapping window writes the same rows again. Periods still to roll up are saved with the
 * watermark before facts are written, so a crash between the two is finished by the next run.
 */

export const FACTS_JOB = 'billing.facts';

export interface FactsRunResult {
  messages: number;
  conversations: number;
  periods: string[];
  watermarkMs: number;
}

export interface BillingEnv {
  wh: Warehouse;
  tenants: Tenants;
  markets: MarketMatcher;
  cfg: BillingConfig;
  /** The keyed substitute that names a message in billing records (`Pseudonymizer.message`). */
  messageKey(wamid: string): string;
}

export function billingEnv(deps: AppDeps): BillingEnv {
  const cfg = billingConfig(deps.config);
  return {
    wh: deps.warehouse, tenants: new Tenants(deps.config.file.tenants), markets: loadMarketMatcher(cfg.calling_codes_file), cfg,
    messageKey: (wamid) => deps.pseudonyms.message(wamid),
  };
}

export async function runFacts(env: BillingEnv, now: Date, opts: { rebuild?: boolean } = {}): Promise<FactsRunResult> {
  const { wh, cfg } = env;
  const state = (await billingJobState(wh, { job: FACTS_JOB }))[0] ?? { watermark_ms: 0, pending_periods: [] };
  const watermark = opts.rebuild ? 0 : state.watermark_ms;
  const to = now.getTime() - cfg.facts.lag_seconds * 1000;
  const from = Math.max(0, watermark - cfg.facts.overlap_seconds * 1000);
  const pending = new Set(state.pending_periods);
  if (opts.rebuild) for (const p of await factPeriods(wh, {})) pending.add(period(p.waba_id, p.month));
  const result: FactsRunResult = { messages: 0, conversations: 0, periods: [], watermarkMs: Math.max(watermark, to) };
  if (to > watermark) {
    // Statuses the follower did not copy into the accounting ledger (it failed, or they predate it).
    await backfillLedger(env, from, to, cfg.facts.page_size);
    const remember = async (periods: Set<string>) => {
      const before = pending.size;
      for (const p of periods) pending.add(p);
      if (pending.size > before) await saveBillingJobState(wh, { job: FACTS_JOB, watermark_ms: watermark, pending_periods: [...pending] });
    };
    // Counts are of facts written (changed), not of keys looked at.
    result.messages = await eachPage(wh, from, to, cfg.facts.page_size, touchedMessagesPageEnd, async (page) =>
      writeMessageFacts(env, await messageSummaries(wh, page), remember, opts.rebuild));
    result.conversations = await eachPage(wh, from, to, cfg.facts.page_size, touchedConversationsPageEnd, async (page) =>
      writeConversationFacts(env, await conversationSummaries(wh, page), remember, opts.rebuild));
    await remember(tierPeriods(env, await touchedTierMonths(wh, { from_ms: from, to_ms: to })));
  }
  for (const p of [...pending].sort()) {
    const [waba, month] = p.split('|') as [string, string];
    await rollUp(env, waba, month);
    result.periods.push(p);
  }
  await saveBillingJobState(wh, { job: FACTS_JOB, watermark_ms: result.watermarkMs, pending_periods: [] });
  return result;
}

/** Periods the facts are about to leave or enter: saved before the facts are written. */
export type RememberPeriods = (periods: Set<string>) => Promise<void>;

function factContext(env: BillingEnv): FactContext {
  return { calendarOf: (w) => env.tenants.calendarOf(w), markets: env.markets };
}

/**
 * Message summaries (each wamid over all its statuses) → the facts that changed, written after
 * their periods are remembered. Returns how many were written. Shared by the job and the follower.
 */
export function writeMessageFacts(env: BillingEnv, rows: readonly MessageSummary[], remember: RememberPeriods, force = false): Promise<number> {
  return writeFacts(env, rows, (s, ctx) => messageFact(s, ctx), insertLabelledFacts, remember, force);
}

/** Message facts written, then copied onto the template sends of their messages (as one fact write: fact-writes.ts). */
async function insertLabelledFacts(wh: Warehouse, facts: MessageFactRow[]): Promise<void> {
  if (facts.length === 0) return;
  await factWrites(wh).around(async () => {
    await insertWithLabelSets(wh, facts);
    // Template sends store their message's charge: those already stored take it now.
    for (let i = 0; i < facts.length; i += 5_000) await chargeSends(wh, { keys: facts.slice(i, i + 5_000).map((f) => f.wamid) }, undefined);
  });
}

/**
 * Message facts with the label set in force on each customer at its charge. A refresh round that
 * ran while the sets were looked up may have copied the customers' facts before these were
 * written: then they are looked up and written again (same version: the later write is kept).
 */
function insertWithLabelSets(wh: Warehouse, facts: MessageFactRow[]): Promise<void> {
  return labelRefresh(wh).rounds.settled(async () => {
    const sets = await chargeLabelSets(wh, facts);
    await insertMessageFacts(wh, facts.map((f) => ({ ...f, label_set: sets.get(`${f.waba_id}\0${f.wamid}`) ?? '0' })));
  });
}

/** The same for conversation summaries. */
export function writeConversationFacts(env: BillingEnv, rows: readonly ConversationSummary[], remember: RememberPeriods, force = false): Promise<number> {
  return writeFacts(env, rows, (s, ctx) => conversationFact(s, ctx), insertConversationFacts, remember, force);
}

async function writeFacts<S extends { waba_id: string; old_month: string; old_version_ms: number }, F extends { month: string; source_received_at: number }>(
  env: BillingEnv,
  rows: readonly S[],
  build: (s: S, ctx: FactContext) => F | null,
  insert: (wh: BillingEnv['wh'], facts: F[]) => Promise<void>,
  remember: RememberPeriods,
  force: boolean,
): Promise<number> {
  const ctx = factContext(env);
  const facts = changedFacts(rows.map((s) => ({ waba_id: s.waba_id, old_month: s.old_month, old_version_ms: s.old_version_ms, fact: build(s, ctx) })), force);
  await remember(touchedPeriods(facts));
  await insert(env.wh, facts.flatMap((f) => (f.fact ? [f.fact] : [])));
  return facts.length;
}

/** Volume tiers are portfolio-wide: a tier month touches that month of every WABA of the portfolio. */
export function tierPeriods(env: BillingEnv, months: Iterable<{ waba_id: string; month: string }>): Set<string> {
  const out = new Set<string>();
  for (const t of months) for (const w of env.tenants.portfolioOf(t.waba_id)) out.add(period(w, t.month));
  return out;
}

type PageEnd = (wh: Warehouse, p: { from_ms: number; to_ms: number; after_waba: string; after_key: string; limit: number }) => Promise<Array<{ waba_id: string; key: string }>>;
type Page = { from_ms: number; to_ms: number; after_waba: string; after_key: string; upto_waba: string; upto_key: string };

async function eachPage(wh: Warehouse, from: number, to: number, limit: number, pageEnd: PageEnd, work: (page: Page) => Promise<number>): Promise<number> {
  let after = { waba: '', key: '' };
  let total = 0;
  for (;;) {
    const end = (await pageEnd(wh, { from_ms: from, to_ms: to, after_waba: after.waba, after_key: after.key, limit }))[0];
    if (!end) return total;
    total += await work({ from_ms: from, to_ms: to, after_waba: after.waba, after_key: after.key, upto_waba: end.waba_id, upto_key: end.key });
    after = { waba: end.waba_id, key: end.key };
  }
}

/** Recomputes one period of the rollup, with the month's volume tiers and free tier. */
export async function rollUp(env: BillingEnv, waba: string, month: string): Promise<void> {
  await rollUpPeriod(env.wh, await periodInputs(env, waba, month));
}

/** A period's volume tiers and the free tier left for conversations the payloads did not mark. */
export async function periodInputs(env: BillingEnv, waba: string, month: string): Promise<PeriodParams> {
  const limit = freeTierLimit(month);
  const used = limit === null ? 0 : ((await explicitFreeTierUse(env.wh, { waba, month }))[0]?.used ?? 0);
  const tiers = volumeTiers(await tierEvents(env.wh, { wabas: env.tenants.portfolioOf(waba), month }), env.markets);
  return {
    waba,
    month,
    free_left: Math.max(0, (limit ?? 0) - used),
    tier_categories: tiers.map((t) => t.category),
    tier_markets: tiers.map((t) => t.market),
    tier_since_ms: tiers.map((t) => t.sinceMs),
    tiers: tiers.map((t) => t.tier),
  };
}

export interface VolumeTier {
  category: string;
  market: string;
  tier: string;
  sinceMs: number;
}

/**
 * Tier events → tiers in force from their update time. Duplicates (same category, market and tier,
 * also from other WABAs of the portfolio) keep the smallest update time. Regions that name no known
 * market are dropped.
 */
export function volumeTiers(events: ReadonlyArray<{ tier: string; tier_category: string; tier_region: string; update_ms: number }>, markets: MarketMatcher): VolumeTier[] {
  const best = new Map<string, VolumeTier>();
  for (const e of events) {
    const market = markets.resolve(e.tier_region);
    const tier = normalizeTier(e.tier);
    if (!market || !tier) continue;
    const category = normalizeCategory(e.tier_category);
    const key = `${category}|${market}|${tier}`;
    const had = best.get(key);
    if (!had || e.update_ms < had.sinceMs) best.set(key, { category, market, tier, sinceMs: e.update_ms });
  }
  return [...best.values()].sort((a, b) => a.sinceMs - b.sinceMs);
}

export function factsJob(deps: AppDeps): Job {
  const env = billingEnv(deps);
  const log = deps.log.child({ job: FACTS_JOB });
  return {
    name: FACTS_JOB,
    schedule: env.cfg.facts.schedule,
    async run(now) {
      const r = await runFacts(env, now);
      if (r.messages || r.conversations || r.periods.length) log.info({ messages: r.messages, conversations: r.conversations, periods: r.periods.length }, 'billing facts updated');
    },
  };
}
