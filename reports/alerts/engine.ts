import { partsOnce } from '../../warehouse/queries/parts.ts';
import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../../app/deps.ts';
import type { Logger } from '../../app/logger.ts';
import { insertFirings, liveInstances, ruleItems, ruleItemsOf, ruleStateOf, ruleStates, writeInstanceSeen, writeRuleItems, writeRuleStates, type StoredRuleItem } from '../../warehouse/queries/alerts/store.ts';
import { ownerOf } from './owners.ts';
import { BusinessCalendar } from '../sla/calendar.ts';
import { channelsOf, createMailer } from './channels.ts';
import { auditChainItems, backlogItems, warehouseItems, type ChainCache } from './conditions/service.ts';
import { spendCache, spendItems, type SpendCache, type SpendMemory } from './conditions/spend.ts';
import { templateCache, templateItems, type TemplateCache, type TemplateMemory } from './conditions/templates.ts';
import { financeItems, type ForecastCache, type ForecastMemory } from './conditions/finance.ts';
import { privacyItems, type PrivacyCache } from './conditions/privacy.ts';
import { liveCache, slaItems, type LiveCache, type PoolMemory } from './conditions/sla.ts';
import { createLadders, ladderChange, onLadder, type LadderChanges } from './conditions/ladders.ts';
import { defaultRoles, loadAlertsConfig, type AlertRule, type AlertsConfig, type Recipient } from './config.ts';
import { createDeliverer, type Deliverer } from './delivery.ts';
import { buildMessage, type AlertMessage, type MessageState } from './message.ts';
import { isQuiet } from './quiet.ts';
import { runSchedules } from './scheduled.ts';
import { peopleOf } from './people.ts';
import { listRules, type ListedRule, type StoredRulesMemory } from './rule-store.ts';
import { emptyState, step, stateOf, stepChanges, unsavedRows, type AlertItem, type RuleState, type StepResult } from './state.ts';

/**
 * Evaluates every rule on the report outputs and routes what changed: each rule's items now →
 * `step` (fire once, resolve once, cooldown, quiet hours) → one message per recipient, cut to the
 * recipient's WABAs → the firing history and the channels. Runs after each load (rules on data the
 * loads change) and on a schedule (everything, including what the clock alone changes); runs never
 * overlap in one process. Rule state is kept in the warehouse so a restart neither repeats nor
 * forgets an announcement.
 */

/** Rules whose condition a load can change; the others wait for the scheduled evaluation. */
export const followsLoads = (rule: AlertRule) => rule.kind.startsWith('sla_') || rule.kind.startsWith('template_');

export interface EvaluationSummary {
  rules: number;
  messages: number;
  failed: string[];
}

export interface AlertEngine {
  readonly config: AlertsConfig;
  /** Whether the evaluation jobs and follower run (someone can be told). */
  readonly active: boolean;
  rules(): Promise<ListedRule[]>;
  evaluate(opts?: { loadsOnly?: boolean }): Promise<EvaluationSummary>;
  /** Sends a test message of a rule to its recipients; undefined when there is no such rule. */
  test(ruleId: string): Promise<AlertMessage[] | undefined>;
  /** Sends the scheduled dashboards that are due; answers how many went out. */
  deliverScheduled(): Promise<number>;
  /** Resolves once every message handed to a channel so far is delivered or given up. */
  idle(): Promise<void>;
  /** For the service's stop: waits for an evaluation under way, then for every delivery it handed over (retries included). */
  close(): Promise<void>;
}

/** Recipients of a rule: its roles (and its named recipients, when it names any). */
export function audienceOf(rule: AlertRule, recipients: readonly Recipient[]): Recipient[] {
  const roles = rule.roles ?? defaultRoles(rule.kind);
  return recipients.filter((r) => roles.includes(r.role) && (!rule.recipients || rule.recipients.includes(r.id)));
}

/** The items a recipient may see: those of its WABAs; service-wide items only to an all-WABA scope. */
export function inScope(r: Recipient, items: readonly AlertItem[]): AlertItem[] {
  if (r.wabas === 'all') return [...items];
  const mine = r.wabas;
  return items.filter((i) => i.waba_id !== '' && mine.includes(i.waba_id));
}

const SCHEDULE = 'schedule:';

/** A message ready to go: its channels and its row of the firing history. */
interface Outgoing {
  message: AlertMessage;
  channels: ReturnType<typeof channelsOf>;
  firing: Parameters<typeof insertFirings>[1][number];
}

/** The firing-history row of a message to one recipient. */
function firingRow(message: AlertMessage, r: Recipient, items: readonly AlertItem[]): Outgoing['firing'] {
  const wabas = [...new Set(items.map((i) => i.waba_id).filter(Boolean))].sort();
  return {
    firing_id: message.firing_id, rule_id: message.rule_id, state: message.state, at: Date.parse(message.at), waba_ids: r.wabas === 'all' ? wabas : [...r.wabas],
    items: items.length, payload_json: JSON.stringify(message),
  };
}

/** The reads of one evaluation, shared by the rules of a kind. */
interface EvaluationCache {
  live: LiveCache;
  templates: TemplateCache;
  forecast: ForecastCache;
  spend: SpendCache;
  privacy: PrivacyCache;
  chain: ChainCache;
}

export function createAlertEngine(deps: AppDeps): AlertEngine {
  const config = loadAlertsConfig(deps.config.file);
  const log: Logger = deps.log.child({ module: 'alerts' });
  const calendars = new Map(deps.config.file.calendars.map((c) => [c.id, new BusinessCalendar(c)]));
  const mailer = createMailer(config);
  const deliverer: Deliverer = createDeliverer({ wh: deps.warehouse, audit: deps.audit, log, attempts: config.retry.attempts, backoffMs: config.retry.backoff_ms, concurrency: config.delivery_concurrency });
  let states: Map<string, RuleState> | undefined;
  /** The SLA threshold rules' shared tracking of the waits, from one evaluation to the next. */
  const ladders = createLadders();
  /** The open waits as last read (read again once the waits table changed). */
  const waitsRead: PoolMemory = {};
  /** The forecast as last read (read again once its tables changed or a WABA's day turned). */
  const forecastRead: ForecastMemory = {};
  /** Each WABA's month of charges as last read (read again once its tables changed). */
  const spendRead: SpendMemory = { months: new Map(), wabas: {} };
  /** The template history as last read (read again once its tables changed). */
  const templatesRead: TemplateMemory = {};
  /** The stored rules as last read (read again once their table changed). */
  const rulesRead: StoredRulesMemory = {};
  /** Per rule, what alert_rule_state_v1 holds: its last firing, and whether its items are still inside state_json. */
  const stored = new Map<string, { lastFiredAt: number | null; legacy: boolean }>();
  /** The occurrence each schedule last sent (stored as rule state `schedule:<id>`). */
  const lastSent = new Map<string, number>();
  let stateVersion = 0;
  let tail: Promise<unknown> = Promise.resolve();
  const recipientOf = (id: string) => config.recipients.find((r) => r.id === id)!;
  /** Whether anyone can be told: recipients here, or rules that name person accounts. */
  const active = config.enabled ?? (config.recipients.length > 0 || config.rules.some((r) => r.people));

  const self = deps.config.instanceId;
  /** Rules and schedules this instance owned at its last evaluation (one taken over is read afresh). */
  const held = new Set<string>();

  /**
   * Says this instance is alive and answers which keys it owns among the live instances. Without the
   * warehouse every instance evaluates everything (the unreachable warehouse is told by each).
   */
  let lastBeat = -Infinity;
  let beating: Promise<void> | undefined;
  /**
   * Others count an instance as live for `liveness_seconds` after its heartbeat, so one every quarter
   * of that is enough. Nothing waits for it (this instance counts itself live whether or not its
   * read sees the write): its insert runs beside the evaluation.
   */
  function heartbeat(now: number): void {
    if (beating || now - lastBeat < config.liveness_seconds * 250) return;
    beating = writeInstanceSeen(deps.warehouse, [{ instance_id: self, seen_at: now }])
      .then(() => void (lastBeat = now), (e: unknown) => log.warn({ err: e }, 'instance heartbeat failed'))
      .finally(() => void (beating = undefined));
  }

  async function ownership(now: number): Promise<(key: string) => boolean> {
    try {
      heartbeat(now);
      const rows = await liveInstances(deps.warehouse, { since_ms: now - config.liveness_seconds * 1000 });
      const live = rows.map((r) => r.instance_id);
      if (!live.includes(self)) live.push(self);
      return (key) => ownerOf(key, live) === self;
    } catch (e) {
      log.warn({ err: e }, 'instance heartbeat failed; evaluating every rule here');
      return () => true;
    }
  }

  /** A rule (or schedule) just taken over from another instance: its state as that one left it. */
  async function takeOver(key: string): Promise<void> {
    const [row] = await ruleStateOf(deps.warehouse, { rule_id: key });
    if (key.startsWith(SCHEDULE)) {
      if (row) lastSent.set(key.slice(SCHEDULE.length), (JSON.parse(row.state_json) as { occurrence: number }).occurrence);
      return;
    }
    remember(key, row, await ruleItemsOf(deps.warehouse, { rule_id: key }));
  }

  /** A rule's state as stored: its row (if any) and its item rows. */
  function remember(id: string, row: { state_json: string; last_fired_at: number | null } | undefined, items: readonly StoredRuleItem[]): void {
    states!.set(id, row || items.length ? stateOf(items, row?.last_fired_at ?? null, row?.state_json) : emptyState());
    if (row) stored.set(id, { lastFiredAt: row.last_fired_at, legacy: items.length === 0 && row.state_json !== '{}' });
    else stored.delete(id);
  }

  /** The keys this instance owns now; those it did not hold before are read afresh unless all state was just read. */
  async function claim(keys: readonly string[], now: number, fresh: boolean): Promise<Set<string>> {
    const mine = await ownership(now);
    const owned = new Set(keys.filter(mine));
    for (const k of owned) if (!fresh && !held.has(k)) await takeOver(k);
    for (const k of keys) if (owned.has(k)) held.add(k); else held.delete(k);
    return owned;
  }

  async function loadStates(): Promise<Map<string, RuleState>> {
    if (states) return states;
    const rows = await ruleStates(deps.warehouse, {});
    // Rule ids have no ':', so schedule states never meet a rule's.
    for (const r of rows) if (r.rule_id.startsWith(SCHEDULE)) lastSent.set(r.rule_id.slice(SCHEDULE.length), (JSON.parse(r.state_json) as { occurrence: number }).occurrence);
    const items = new Map<string, StoredRuleItem[]>();
    for (const it of await ruleItems(deps.warehouse, {})) {
      const list = items.get(it.rule_id);
      if (list) list.push(it);
      else items.set(it.rule_id, [it]);
    }
    states = new Map();
    const byId = new Map(rows.filter((r) => !r.rule_id.startsWith(SCHEDULE)).map((r) => [r.rule_id, r]));
    for (const id of new Set([...byId.keys(), ...items.keys()])) remember(id, byId.get(id), items.get(id) ?? []);
    return states;
  }

  async function itemsOf(rule: AlertRule, now: number, cache: EvaluationCache): Promise<AlertItem[]> {
    switch (rule.kind) {
      case 'warehouse_unreachable':
        return warehouseItems(deps.warehouse);
      case 'audit_chain_broken':
        return auditChainItems(deps, cache.chain);
      case 'ingest_backlog':
        return backlogItems(deps, rule.max_age_seconds, now);
      case 'spend_rise':
        return spendItems(rule, deps, now, cache.spend);
      case 'template_paused':
      case 'template_quality':
      case 'template_recategorised':
        return templateItems(rule, deps, now, cache.templates);
      case 'forecast_over_budget':
      case 'free_tier_running_out':
        return financeItems(rule, deps, now, cache.forecast);
      case 'rights_request_due':
      case 'retention_breach':
        return privacyItems(rule, deps, now, cache.privacy);
      default:
        return slaItems(rule, deps.warehouse, deps.pseudonyms, now, cache.live);
    }
  }

  /** One message per recipient with items in scope, each with its channels and its firing-history row. */
  async function messagesOf(rule: AlertRule, state: MessageState, items: readonly AlertItem[], at: number): Promise<Outgoing[]> {
    const out: Outgoing[] = [];
    // Person accounts are read now, so a user disabled or narrowed a moment ago gets nothing.
    const people = await peopleOf(deps, rule);
    for (const r of [...audienceOf(rule, config.recipients), ...people]) {
      const mine = state === 'test' ? [] : inScope(r, items);
      if (state !== 'test' && mine.length === 0) continue;
      const message = buildMessage(rule, state, mine, { firingId: randomUUID(), at, dashboardUrl: config.dashboard_url, recipient: r.id });
      out.push({ message, channels: channelsOf(r, config, mailer), firing: firingRow(message, r, mine) });
    }
    return out;
  }

  /** Recorded in the firing history (one insert for all), then handed to their channels. */
  async function send(outgoing: readonly Outgoing[]): Promise<AlertMessage[]> {
    if (outgoing.length === 0) return [];
    await insertFirings(deps.warehouse, outgoing.map((o) => o.firing))
      .catch((e: unknown) => log.warn({ err: e, rules: [...new Set(outgoing.map((o) => o.message.rule_id))].length }, 'firing history write failed'));
    for (const o of outgoing) deliverer.deliver(o.message, o.channels);
    return outgoing.map((o) => o.message);
  }

  async function route(rule: AlertRule, state: MessageState, items: readonly AlertItem[], at: number): Promise<AlertMessage[]> {
    return send(await messagesOf(rule, state, items, at));
  }

  async function record(message: AlertMessage, r: Recipient, items: readonly AlertItem[]): Promise<void> {
    await insertFirings(deps.warehouse, [firingRow(message, r, items)]).catch((e: unknown) => log.warn({ err: e, rule: message.rule_id }, 'firing history write failed'));
  }

  /** A strictly increasing version per row, so the newest state wins even when the injected clock stands still. */
  function nextVersion(): number {
    stateVersion = Math.max(Date.now(), stateVersion + 1);
    return stateVersion;
  }

  async function writeState(ruleId: string, stateJson: string, lastFiredAt: number | null): Promise<void> {
    await writeRuleStates(deps.warehouse, [{ rule_id: ruleId, state_json: stateJson, last_fired_at: lastFiredAt, updated_at: nextVersion() }]);
  }

  /**
   * Writes what changed in what the rules track: the rows of their unsaved items (started, stopped,
   * announced, or a resolution held or sent; figures alone are not written, each evaluation reads
   * them afresh, so a restart resolves an item with the figures last written), and the rule rows
   * whose last firing changed. Item rows go out in inserts of at most `item_rows_per_insert`, rule by
   * rule, so a cycle that starts millions of items (a first cycle over a large backlog) holds one
   * insert's rows at a time. A rule's items count as saved once all its rows are written; after a
   * failed write the rest are written with the next evaluation's.
   */
  async function store(rules: ReadonlyArray<{ id: string; state: RuleState }>): Promise<void> {
    const version = nextVersion();
    let itemRows: Parameters<typeof writeRuleItems>[1][number][] = [];
    let written: RuleState[] = [];
    const flush = async () => {
      if (itemRows.length) await writeRuleItems(deps.warehouse, itemRows);
      for (const s of written) s.unsaved.clear();
      itemRows = [];
      written = [];
    };
    const ruleRows: Parameters<typeof writeRuleStates>[1][number][] = [];
    try {
      for (const { id, state } of rules) {
        if (state.unsaved.size > 0) {
          for (const row of unsavedRows(state)) {
            itemRows.push({ rule_id: id, ...row, updated_at: version });
            if (itemRows.length >= config.item_rows_per_insert) await flush();
          }
          written.push(state);
        }
        const had = stored.get(id);
        if (had ? had.legacy || had.lastFiredAt !== state.lastFiredAt : state.lastFiredAt !== null) {
          ruleRows.push({ rule_id: id, state_json: '{}', last_fired_at: state.lastFiredAt, updated_at: version });
        }
      }
      await flush();
      if (ruleRows.length) await writeRuleStates(deps.warehouse, ruleRows);
      for (const r of ruleRows) stored.set(r.rule_id, { lastFiredAt: r.last_fired_at, legacy: false });
    } catch (e) {
      log.warn({ err: e, items: itemRows.length, rules: ruleRows.length }, 'rule state write failed');
    }
  }

  async function evaluateNow(loadsOnly: boolean): Promise<EvaluationSummary> {
    const now = deps.now().getTime();
    // With the warehouse down, rules still run (one of them says so): from the state held in memory,
    // or an empty one, and with the CONFIG_FILE rules alone.
    const fresh = states === undefined;
    const known = await loadStates().catch((e: unknown) => {
      log.warn({ err: e }, 'rule state unreadable; evaluating from the state held in memory');
      return (states ??= new Map());
    });
    // One read of the tables' parts for every check of this evaluation that asks whether a table changed.
    const parts = partsOnce(deps.warehouse);
    const listed = await listRules(deps.warehouse, config, { memory: rulesRead, parts }).catch(() => config.rules.map((rule): ListedRule => ({ rule, source: 'config' })));
    const candidates = listed.map((l) => l.rule).filter((r) => !loadsOnly || followsLoads(r));
    // Several instances on one warehouse: each rule is evaluated and told by one of them.
    const owned = await claim(candidates.map((r) => r.id), now, fresh).catch(() => new Set(candidates.map((r) => r.id)));
    const rules = candidates.filter((r) => owned.has(r.id));
    // Each report is read once for the rules of its kind; each rule keeps its own scope's rows.
    const cache: EvaluationCache = { live: liveCache(rules, parts, waitsRead), templates: templateCache(rules, templatesRead, parts), forecast: { memory: forecastRead, parts }, spend: spendCache(spendRead, parts), privacy: { parts }, chain: { parts } };
    const summary: EvaluationSummary = { rules: rules.length, messages: 0, failed: [] };
    // Every rule first, then one write of the items and rules that changed, then one of the firings,
    // then the sends: a cycle that fires many rules costs a few inserts, not two per rule.
    const stepped: Array<{ rule: AlertRule; r: StepResult }> = [];
    const stateFor = (id: string) => {
      let state = known.get(id);
      if (!state) known.set(id, (state = emptyState()));
      return state;
    };
    const changes: LadderChanges = new Map();
    for (const rule of rules) {
      try {
        const opts = { quiet: isQuiet(rule.quiet, now, calendars), cooldownMs: rule.cooldown_minutes * 60_000 };
        let r: StepResult;
        if (onLadder(rule, cache.live)) {
          const change = await ladderChange(rule, rules, ladders, changes, { wh: deps.warehouse, pseudonyms: deps.pseudonyms, now, live: cache.live, stateOf: stateFor });
          r = 'all' in change ? step(stateFor(rule.id), change.all, now, opts) : stepChanges(stateFor(rule.id), change.started, change.stopped, now, opts);
        } else r = step(stateFor(rule.id), await itemsOf(rule, now, cache), now, opts);
        stepped.push({ rule, r });
      } catch (e) {
        summary.failed.push(rule.id);
        log.error({ err: e, rule: rule.id }, 'alert rule evaluation failed');
      }
    }
    // Ladders no rule of this evaluation stands on (rules changed or went to another instance) are dropped.
    for (const key of ladders.byKey.keys()) if (!changes.has(key)) ladders.byKey.delete(key);
    // Announced before it is sent: a crash in between loses a message rather than repeating it forever.
    await store(stepped.map((x) => ({ id: x.rule.id, state: x.r.state })));
    const outgoing: Outgoing[] = [];
    for (const { rule, r } of stepped) {
      try {
        if (r.fire.length) outgoing.push(...(await messagesOf(rule, 'firing', r.fire, now)));
        if (r.resolve.length) outgoing.push(...(await messagesOf(rule, 'resolved', r.resolve, now)));
      } catch (e) {
        summary.failed.push(rule.id);
        log.error({ err: e, rule: rule.id }, 'alert rule evaluation failed');
      }
    }
    summary.messages += (await send(outgoing)).length;
    return summary;
  }

  function serial<T>(work: () => Promise<T>): Promise<T> {
    const job = tail.then(work);
    tail = job.catch(() => undefined);
    return job;
  }

  return {
    config,
    active,
    rules: () => listRules(deps.warehouse, config),
    evaluate: (opts = {}) => serial(() => evaluateNow(opts.loadsOnly ?? false)),
    test: (ruleId) =>
      serial(async () => {
        const listed = (await listRules(deps.warehouse, config)).find((l) => l.rule.id === ruleId);
        if (!listed) return undefined;
        return route(listed.rule, 'test', [], deps.now().getTime());
      }),
    deliverScheduled: () =>
      serial(async () => {
        const fresh = states === undefined;
        await loadStates();
        const owned = await claim(config.schedules.map((s) => SCHEDULE + s.id), deps.now().getTime(), fresh).catch(() => undefined);
        const mine = owned ? { ...config, schedules: config.schedules.filter((s) => owned.has(SCHEDULE + s.id)) } : config;
        const persistOccurrence = (id: string, occurrence: number) => writeState(SCHEDULE + id, JSON.stringify({ occurrence }), null);
        return runSchedules({ deps, config: mine, mailer, deliverer, lastSent, persist: persistOccurrence, record: (m) => record(m, recipientOf(m.recipient), []) }, deps.now());
      }),
    idle: async () => {
      await beating;
      await deliverer.idle();
    },
    close: async () => {
      await tail;
      await beating;
      await deliverer.idle();
    },
  };
}
