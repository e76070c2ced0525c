import { createHash } from 'node:crypto';
import { TupleParam } from '@clickhouse/client';
import type { AppDeps, Follower, Job, LoadedBatch } from '../../app/deps.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import {
  customersLoadedSince, customersOfWamids, derivedSends, insertTemplateSends, saveSendsState, sendsState, statusCount, type DerivedSend,
} from '../../warehouse/queries/templates/sends.ts';
import { chargeAllSends, chargesOf } from '../../warehouse/queries/templates/charges.ts';
import { mergeTable } from '../../warehouse/queries/parts.ts';
import { TEMPLATE_SENDS } from '../../warehouse/schema/templates.ts';
import { factWrites } from '../billing/fact-writes.ts';
import { templatesConfig, type TemplatesConfig } from './config.ts';

/**
 * The derived template sends (migration 0410): what the templates report sums. A customer's sends
 * are rebuilt whole from every stored row of that customer, so a reply, click or opt-out arriving
 * in a later batch updates the earlier send, and any rebuild is exact and idempotent.
 *
 * - The follower rebuilds the customers each loaded batch touched (statuses, customer messages,
 *   opt-outs) and writes the sends the batch can have changed (`changedSends`).
 * - The `templates.sends` job is the safety net: customers with rows stored since its watermark;
 *   and a full pass (every customer, a hash part at a time) when the table has never been filled
 *   or the reply/opt-out settings changed. A report finding the table not filled runs that pass
 *   first (`ensureSends`), so a store opened by this code reports the same numbers.
 * - Rows carry the time their rebuild began reading as version: a slower rebuild that read older
 *   rows never replaces a newer one.
 */

export const SENDS_JOB = 'templates.sends';
/** The state row marking the sends' charges filled (migration 0604). */
const CHARGES_MARK = 'templates.send_charges';
/** Customers per rebuild query (the list travels as a parameter). */
const CUSTOMERS_PER_QUERY = 2_000;
/** Statuses per part of the full pass: bounds the rows one query returns. */
const STATUSES_PER_PART = 1_500_000;
/** Rows stored just before the watermark are looked at again (a load in flight at the last run). */
const OVERLAP_MS = 5 * 60_000;

export interface SendsEnv {
  wh: Warehouse;
  cfg: TemplatesConfig;
  /** The keyed substitute that names a message in the billing facts. */
  messageKey(wamid: string): string;
}

export function sendsEnv(deps: AppDeps): SendsEnv {
  return { wh: deps.warehouse, cfg: templatesConfig(deps.config), messageKey: (w) => deps.pseudonyms.message(w) };
}

/** The settings the rows depend on: rows derived under others are rebuilt by a full pass. */
export function fingerprint(cfg: TemplatesConfig): string {
  const s = { r: cfg.reply_window_hours, o: cfg.optout_window_hours, k: [...cfg.stop_keywords].sort() };
  return createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 16);
}

function rules(cfg: TemplatesConfig) {
  return { reply_window_s: Math.round(cfg.reply_window_hours * 3600), optout_window_s: Math.round(cfg.optout_window_hours * 3600), stop_words: cfg.stop_keywords };
}

let lastVersion = 0;
/** Microseconds since the epoch, strictly increasing within the process. */
function versionNow(): number {
  lastVersion = Math.max(lastVersion + 1, Date.now() * 1000);
  return lastVersion;
}

const NO_CHARGE = { charged: 0, charge_category: '', charge_day: '1970-01-01', charge_market: '', charge_billable: 0 };
/** Keys per charge lookup (the list travels as a parameter). */
const KEYS_PER_LOOKUP = 5_000;

/**
 * Stores rebuilt sends with their facts' charges. A fact written while this ran may have been
 * looked up too early and have found no send to copy itself onto yet: then, once no fact write is
 * under way, the charges are looked up and the rows written again (same version: the later write
 * is kept). `charge: false` (the full pass) leaves the charges to one fill after every part.
 */
async function store(env: SendsEnv, rows: readonly DerivedSend[], version: number, charge = true): Promise<void> {
  const keyed = rows.map((r) => ({ ...r, message_key: env.messageKey(r.wamid), version }));
  if (!charge) return insertTemplateSends(env.wh, keyed.map((r) => ({ ...r, ...NO_CHARGE })));
  await factWrites(env.wh).settled(async () => {
    const charges = new Map<string, typeof NO_CHARGE>();
    for (let i = 0; i < keyed.length; i += KEYS_PER_LOOKUP) {
      const keys = keyed.slice(i, i + KEYS_PER_LOOKUP).map((r) => new TupleParam([r.waba_id, r.message_key]));
      for (const { waba_id, message_key, ...c } of await chargesOf(env.wh, { keys })) charges.set(`${waba_id}\0${message_key}`, c);
    }
    await insertTemplateSends(env.wh, keyed.map((r) => ({ ...r, ...(charges.get(`${r.waba_id}\0${r.message_key}`) ?? NO_CHARGE) })));
  });
}

/** Every stored send with its fact's charge, then merged (the fill wrote a second row for most). */
async function chargeAll(env: SendsEnv): Promise<void> {
  await factWrites(env.wh).settled(() => chargeAllSends(env.wh, {}, undefined));
  await mergeTable(env.wh, TEMPLATE_SENDS.name);
}

/** Charges for the sends stored before they held them (migration 0604), once; marked done after. */
async function fillCharges(env: SendsEnv): Promise<void> {
  await chargeAll(env);
  await saveSendsState(env.wh, [{ job: CHARGES_MARK, fingerprint: '', backfilled: 1, watermark_ms: Date.now(), updated_at: Date.now() }]);
}

/**
 * What the state rows say, in one read: whether a full pass filled the sends under today's settings
 * (and the job's watermark), and whether their charges are filled (a new store's full pass marks both).
 */
async function filled(env: SendsEnv): Promise<{ sends: boolean; charges: boolean; watermark_ms: number }> {
  const rows = await sendsState(env.wh, { jobs: [SENDS_JOB, CHARGES_MARK] });
  const sends = rows.find((r) => r.job === SENDS_JOB);
  return {
    sends: sends?.backfilled === 1 && sends.fingerprint === fingerprint(env.cfg),
    charges: rows.some((r) => r.job === CHARGES_MARK && r.backfilled === 1),
    watermark_ms: sends?.watermark_ms ?? 0,
  };
}

/**
 * Rebuilds the sends of the given customers (WABA, wa_id): every one, or those `keep` selects from
 * the rebuilt rows (the follower: the sends a batch can change). Returns the sends written.
 */
export async function rebuildCustomers(
  env: SendsEnv, customers: ReadonlyArray<readonly [string, string]>, keep: (rows: readonly DerivedSend[]) => readonly DerivedSend[] = (rows) => rows,
): Promise<number> {
  let n = 0;
  for (let i = 0; i < customers.length; i += CUSTOMERS_PER_QUERY) {
    const page = customers.slice(i, i + CUSTOMERS_PER_QUERY).map((c) => new TupleParam([c[0], c[1]]));
    const version = versionNow();
    const rows = keep(await derivedSends(env.wh, { customers: page, parts: 1, part: 0, ...rules(env.cfg) }));
    await store(env, rows, version);
    n += rows.length;
  }
  return n;
}

const sendKey = (waba: string, wamid: string) => `${waba}\0${wamid}`;

/** Sends of one chat or customer, oldest first: the one a later event belongs to is the last sent at or before it. */
class SendTimeline {
  private readonly lists = new Map<string, DerivedSend[]>();
  constructor(rows: readonly DerivedSend[], private readonly keyOf: (waba: string, phone: string, waId: string) => string) {
    for (const r of rows) {
      const k = keyOf(r.waba_id, r.phone_number_id, r.wa_id);
      const list = this.lists.get(k) ?? [];
      list.push(r);
      this.lists.set(k, list);
    }
    for (const list of this.lists.values()) list.sort((a, b) => a.first_ts - b.first_ts);
  }

  /** The sends an ASOF join on `ts >= first_ts` can pick at `ts` (the latest first time at or before it; all of a tie). */
  atOrBefore(waba: string, phone: string, waId: string, ts: number): DerivedSend[] {
    const list = this.lists.get(this.keyOf(waba, phone, waId)) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.first_ts <= ts) lo = mid + 1;
      else hi = mid;
    }
    const out: DerivedSend[] = [];
    for (let i = lo - 1; i >= 0 && list[i]!.first_ts === list[lo - 1]!.first_ts; i--) out.push(list[i]!);
    return out;
  }

  /** The sends an ASOF join picked before `send` existed: the latest sent before it (all of a tie), and its ties. */
  before(send: DerivedSend): DerivedSend[] {
    return [...this.atOrBefore(send.waba_id, send.phone_number_id, send.wa_id, send.first_ts - 1), ...this.atOrBefore(send.waba_id, send.phone_number_id, send.wa_id, send.first_ts)];
  }
}

/**
 * Of a customer's rebuilt sends, those the batches can have changed; the others' stored rows stand
 * as they are (a send's row depends on its own statuses and on the customer messages and opt-outs
 * the derivation gives it, see warehouse/queries/templates/sends.ts):
 *
 * - the sends of the batches' statuses (what Meta said of them, when they were first sent);
 * - the send each customer message quotes (a reply or a click);
 * - the send a customer message or opt-out without a quote can be given to: the last one sent at or
 *   before it, to the same number (a reply) and to the same WABA (an opt-out);
 * - the send sent before a send of the batches' statuses: a send first stored now, or first sent
 *   earlier than it seemed, takes the later replies and opt-outs that went to that one.
 *
 * A status does not make a send stop being one: its tag is the sender's and its pricing category
 * Meta's for the message, the same in each of its statuses (an imported send log, which can, rebuilds
 * its customers whole).
 *
 * Writing only these keeps a follower call's writes to what changed, not to each customer's whole
 * history: a customer sent a template every day for a year got 365 rows written for each status.
 */
export function changedSends(rows: readonly DerivedSend[], batches: readonly LoadedBatch[]): DerivedSend[] {
  const chats = new SendTimeline(rows, (waba, phone, waId) => `${waba}\0${phone}\0${waId}`);
  const customers = new SendTimeline(rows, (waba, _phone, waId) => `${waba}\0${waId}`);
  const byKey = new Map(rows.map((r) => [sendKey(r.waba_id, r.wamid), r]));
  const out = new Map<string, DerivedSend>();
  const add = (list: readonly DerivedSend[]) => {
    for (const r of list) out.set(sendKey(r.waba_id, r.wamid), r);
  };
  for (const { rows: batch } of batches) {
    for (const st of batch.statuses) {
      const send = byKey.get(sendKey(st.waba_id, st.wamid));
      if (!send) continue;
      add([send, ...chats.before(send), ...customers.before(send)]);
    }
    for (const m of batch.messages) {
      const quoted = m.context_id ? byKey.get(sendKey(m.waba_id, m.context_id)) : undefined;
      if (quoted) add([quoted]);
      add(chats.atOrBefore(m.waba_id, m.phone_number_id, m.wa_id, m.ts));
      add(customers.atOrBefore(m.waba_id, '', m.wa_id, m.ts));
    }
    for (const p of batch.preferences) add(customers.atOrBefore(p.waba_id, '', p.wa_id, p.ts));
  }
  return [...out.values()];
}

/** Every customer's sends, a hash part at a time; then the table counts as filled under today's settings. */
export async function fullPass(env: SendsEnv): Promise<number> {
  // Rows are stamped `loaded_at` by the wall clock.
  const started = Date.now();
  const statuses = (await statusCount(env.wh, {}))[0]?.n ?? 0;
  const parts = Math.max(1, Math.ceil(statuses / STATUSES_PER_PART));
  let n = 0;
  for (let part = 0; part < parts; part++) {
    const version = versionNow();
    const rows = await derivedSends(env.wh, { customers: [], parts, part, ...rules(env.cfg) });
    await store(env, rows, version, false);
    n += rows.length;
  }
  await chargeAll(env);
  await saveSendsState(env.wh, [
    { job: SENDS_JOB, fingerprint: fingerprint(env.cfg), backfilled: 1, watermark_ms: started, updated_at: Date.now() },
    { job: CHARGES_MARK, fingerprint: '', backfilled: 1, watermark_ms: started, updated_at: Date.now() },
  ]);
  return n;
}

/** The customers a batch touched; statuses that did not name their recipient are looked up by message. */
export async function touchedCustomers(env: SendsEnv, batches: readonly LoadedBatch[]): Promise<Array<[string, string]>> {
  const out = new Map<string, [string, string]>();
  const add = (waba: string, waId: string) => out.set(`${waba}\0${waId}`, [waba, waId]);
  const unnamed = new Map<string, [string, string]>();
  for (const { rows } of batches) {
    for (const s of rows.statuses) {
      if (s.recipient_id) add(s.waba_id, s.recipient_id);
      else if (s.wamid) unnamed.set(`${s.waba_id}\0${s.wamid}`, [s.waba_id, s.wamid]);
    }
    for (const m of rows.messages) if (m.wa_id) add(m.waba_id, m.wa_id);
    for (const p of rows.preferences) if (p.wa_id) add(p.waba_id, p.wa_id);
  }
  for (const c of await customersOf(env, [...unnamed.values()])) add(c[0], c[1]);
  return [...out.values()];
}

/** The customers of the given messages (WABA, wamid). */
export async function customersOf(env: SendsEnv, wamids: ReadonlyArray<readonly [string, string]>): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < wamids.length; i += CUSTOMERS_PER_QUERY) {
    const page = wamids.slice(i, i + CUSTOMERS_PER_QUERY).map((w) => new TupleParam([w[0], w[1]]));
    for (const c of await customersOfWamids(env.wh, { wamids: page })) out.push([c.waba_id, c.wa_id]);
  }
  return out;
}

export function sendsFollower(env: SendsEnv): Follower {
  return {
    name: SENDS_JOB,
    async follow(batches) {
      await rebuildCustomers(env, await touchedCustomers(env, batches), (rows) => changedSends(rows, batches));
    },
  };
}

/**
 * The job's run: a full pass when the table is not filled under today's settings, else the
 * customers with rows stored since the watermark (what a failed or dropped follower call left).
 */
export async function runSends(env: SendsEnv): Promise<{ full: boolean; sends: number }> {
  const state = await filled(env);
  if (!state.sends) return { full: true, sends: await fullPass(env) };
  if (!state.charges) await fillCharges(env);
  const started = Date.now();
  const customers = (await customersLoadedSince(env.wh, { from_ms: Math.max(0, state.watermark_ms - OVERLAP_MS) })).map((c) => [c.waba_id, c.wa_id] as const);
  const sends = await rebuildCustomers(env, customers);
  await saveSendsState(env.wh, [{ job: SENDS_JOB, fingerprint: fingerprint(env.cfg), backfilled: 1, watermark_ms: started, updated_at: Date.now() }]);
  return { full: false, sends };
}

/** One full pass at a time per process: the first report on an unfilled store starts it, later ones wait for it. */
let filling: Promise<unknown> | undefined;
export async function ensureSends(env: SendsEnv): Promise<void> {
  const state = await filled(env);
  if (state.sends && state.charges) return;
  filling ??= (state.sends ? fillCharges(env) : fullPass(env)).finally(() => (filling = undefined));
  await filling;
}

export function sendsJob(deps: AppDeps, schedule: string): Job {
  const env = sendsEnv(deps);
  return {
    name: SENDS_JOB,
    schedule,
    async run() {
      await runSends(env);
    },
  };
}
