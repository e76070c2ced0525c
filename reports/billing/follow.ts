import { TupleParam } from '@clickhouse/client';
import type { Follower, LoadedBatch } from '../../app/deps.ts';
import {
  billingJobState, conversationSummariesOf, messageSummariesOf, saveBillingJobState,
} from '../../warehouse/queries/billing/facts.ts';
import { recordLedger } from './ledger.ts';
import { rollUp, tierPeriods, writeConversationFacts, writeMessageFacts, type BillingEnv } from './facts-job.ts';

/**
 * The billing follower: after each loaded batch, the facts of exactly the wamids and conversation
 * ids its statuses touched, each rebuilt from all its statuses as the `billing.facts` job does (same
 * functions), then the rollup of every period a changed fact left or entered, and of the months
 * of any volume-tier event in the batch. Periods are saved (under its own job name, so the job's
 * state is not raced) before the facts are written and cleared after the rollup: a call that failed
 * in between is finished by the next one, whatever batches that one brings.
 */

export const BILLING_FOLLOWER = 'billing.facts';
const STATE = 'billing.follow';
/** Keys per summary query (the IN list travels as a parameter). */
const KEYS_PER_QUERY = 5_000;

export interface TouchedKeys {
  messages: Array<[string, string]>;
  conversations: Array<[string, string]>;
  tierMonths: Array<{ waba_id: string; month: string }>;
}

/**
 * What the batches touch, with the job's own filters (see touched*PageEnd in the queries); messages
 * by their keyed substitute, as the ledger and the facts name them.
 */
export function touchedKeysOf(batches: readonly LoadedBatch[], messageKey: (wamid: string) => string): TouchedKeys {
  const messages = new Map<string, [string, string]>();
  const conversations = new Map<string, [string, string]>();
  const tiers = new Map<string, { waba_id: string; month: string }>();
  for (const { rows } of batches) {
    for (const s of rows.statuses) {
      if (s.wamid) {
        const key = messageKey(s.wamid);
        messages.set(`${s.waba_id}\0${key}`, [s.waba_id, key]);
      }
      if (s.conversation_id && s.pricing_model !== 'PMP' && s.pricing_model !== 'NBP') {
        conversations.set(`${s.waba_id}\0${s.conversation_id}`, [s.waba_id, s.conversation_id]);
      }
    }
    for (const m of rows.management) {
      if (m.event === 'VOLUME_BASED_PRICING_TIER_UPDATE' && m.tier_effective_month) tiers.set(`${m.waba_id}|${m.tier_effective_month}`, { waba_id: m.waba_id, month: m.tier_effective_month });
    }
  }
  return { messages: [...messages.values()], conversations: [...conversations.values()], tierMonths: [...tiers.values()] };
}

export interface BillingFollowResult {
  messages: number;
  conversations: number;
  periods: string[];
}

export function billingFollower(env: BillingEnv): Follower {
  return {
    name: BILLING_FOLLOWER,
    async follow(batches) {
      await followFacts(env, batches);
    },
  };
}

export async function followFacts(env: BillingEnv, batches: readonly LoadedBatch[]): Promise<BillingFollowResult> {
  const { wh } = env;
  // The accounting copy first: facts are derived from it, whatever the personal tables kept.
  for (const { rows } of batches) await recordLedger(env, rows.statuses);
  const touched = touchedKeysOf(batches, env.messageKey);
  const pending = new Set((await billingJobState(wh, { job: STATE }))[0]?.pending_periods ?? []);
  const remember = async (periods: Set<string>) => {
    const before = pending.size;
    for (const p of periods) pending.add(p);
    if (pending.size > before) await saveBillingJobState(wh, { job: STATE, watermark_ms: 0, pending_periods: [...pending] });
  };
  const result: BillingFollowResult = { messages: 0, conversations: 0, periods: [] };
  for (const keys of chunks(touched.messages)) {
    result.messages += await writeMessageFacts(env, await messageSummariesOf(wh, { keys: keys.map((k) => new TupleParam(k)) }), remember);
  }
  for (const keys of chunks(touched.conversations)) {
    result.conversations += await writeConversationFacts(env, await conversationSummariesOf(wh, { keys: keys.map((k) => new TupleParam(k)) }), remember);
  }
  await remember(tierPeriods(env, touched.tierMonths));
  if (pending.size === 0) return result;
  for (const p of [...pending].sort()) {
    const [waba, month] = p.split('|') as [string, string];
    await rollUp(env, waba, month);
    result.periods.push(p);
  }
  await saveBillingJobState(wh, { job: STATE, watermark_ms: 0, pending_periods: [] });
  return result;
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += KEYS_PER_QUERY) yield items.slice(i, i + KEYS_PER_QUERY);
}
