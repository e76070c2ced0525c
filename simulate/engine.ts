// The generator: a discrete-event simulation run in time order, one WABA-day planned at a time,
// streaming signed webhook bodies in posting order and truth records as they become known.
import { Delivery, type Posting } from './delivery.ts';
import { MARKET_NAMES } from './markets.ts';
import { planDay } from './planner.ts';
import { Rng } from './prng.ts';
import { DEFAULT_WABAS, configFile, type WabaSpec } from './tenants.ts';
import { STOP_KEYWORDS } from './texts.ts';
import { TEMPLATE_RULES } from './templates.ts';
import { Truth, type TruthRecord, type TruthSink } from './truth.ts';
import { World } from './world.ts';
import { addDays } from './zone.ts';

export interface SimOptions {
  seed: string | number;
  /** First simulated date (YYYY-MM-DD), read as each WABA's local date. On or after 2022-02-01. */
  start: string;
  /** Number of days (default 7); or give `end` (inclusive). */
  days?: number;
  end?: string;
  /** Customer contacts per day for a WABA of share 1 (default 40). */
  scale?: number;
  wabas?: WabaSpec[];
  /** Share of bodies delivered a second time, byte for byte (default 0.02). */
  duplicateRate?: number;
  /** Most items in one POST (default 8). */
  batchSize?: number;
  /** CBP free conversations per WABA per month (default 1000, Meta's figure). */
  freeTier?: number;
  /** App secret: when given, every posting carries its X-Hub-Signature-256 value. */
  secret?: string;
  /** List every body's sha256 in the subject records (memory grows with the run; for tests and small runs). */
  subjectBodies?: boolean;
  onTruth?: TruthSink;
  onDay?: (info: { date: string; index: number; days: number }) => void;
}

export interface ResolvedOptions {
  seed: string;
  start: string;
  end: string;
  days: number;
  scale: number;
  duplicateRate: number;
  batchSize: number;
  freeTier: number;
}

export function resolveOptions(o: SimOptions): ResolvedOptions {
  if (!/^\d{4}-\d\d-\d\d$/.test(o.start)) throw new Error(`start must be YYYY-MM-DD, got ${o.start}`);
  if (o.start < '2022-02-01') throw new Error('start must be on or after 2022-02-01 (conversation-based pricing)');
  let days = o.days ?? 7;
  if (o.end !== undefined) days = Math.round((Date.parse(o.end) - Date.parse(o.start)) / 86_400_000) + 1;
  if (!Number.isInteger(days) || days < 1) throw new Error('days must be a positive integer');
  const scale = o.scale ?? 40;
  if (!(scale > 0)) throw new Error('scale must be positive');
  const batchSize = o.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batch size must be a positive integer');
  const duplicateRate = o.duplicateRate ?? 0.02;
  if (!(duplicateRate >= 0 && duplicateRate < 1)) throw new Error('duplicate rate must be in [0, 1)');
  return { seed: String(o.seed), start: o.start, end: addDays(o.start, days - 1), days, scale, duplicateRate, batchSize, freeTier: o.freeTier ?? 1000 };
}

/** The CONFIG_FILE (tenants and calendars, and the template rules the truth applies) matching a simulation. */
export function simulationConfig(o: SimOptions) {
  const r = resolveOptions(o);
  return withTemplateRules(configFile(o.wabas ?? DEFAULT_WABAS, r.start, r.end));
}

function withTemplateRules<T extends object>(file: T) {
  return { ...file, templates: { ...TEMPLATE_RULES, stop_keywords: [...STOP_KEYWORDS] } };
}

const DRAIN_EVERY = 60; // seconds of simulated time between two looks at the posting queue

/** The simulation as a synchronous stream of postings (bodies in posting order). */
export function* generateSync(o: SimOptions): Generator<Posting> {
  const opts = resolveOptions(o);
  const specs = o.wabas ?? DEFAULT_WABAS;
  const sink: TruthSink = o.onTruth ?? (() => {});
  const truth = new Truth(sink, o.subjectBodies ?? false);
  // Customers are drawn from a pool of at most 25k per WABA: memory stays flat however big the run.
  const poolSize = Math.min(25_000, Math.max(60, Math.round(opts.scale * 25)));
  const world = new World(opts.seed, specs, opts.start, opts.end, opts.freeTier, poolSize, () =>
    new Delivery(Rng.derive(opts.seed, 'delivery'), { batchSize: opts.batchSize, duplicateRate: opts.duplicateRate, secret: o.secret }, (body, items) => {
      truth.body(body, items);
    }), truth);
  // Resolution is read at the end of the data: known before any thread is closed.
  truth.resolution.now = Math.max(...world.wabas.map((w) => w.endT));

  sink({
    kind: 'config',
    version: 1,
    options: { ...opts, wabas: specs.map((s) => s.waba_id), subject_bodies: o.subjectBodies ?? false },
    config: withTemplateRules(configFile(specs, opts.start, opts.end)),
    markets: MARKET_NAMES,
    stop_keywords: [...STOP_KEYWORDS],
  } satisfies TruthRecord);

  const plan = { scale: opts.scale, days: opts.days, start: opts.start, onDay: o.onDay };
  for (const waba of world.wabas) world.at(waba.startT, waba, () => planDay(world, waba, opts.start, 0, plan));

  let drainedAt = -Infinity;
  let first: number | null = null;
  let last = 0;
  const track = (p: Posting) => {
    first ??= p.at.getTime();
    last = p.at.getTime();
    return p;
  };
  for (;;) {
    const a = world.actions.pop();
    if (!a) break;
    if (a.waba && a.t >= a.waba.endT) continue; // nothing new is decided after the last day
    if (a.t >= drainedAt + DRAIN_EVERY) {
      for (const p of world.delivery.drain(a.t * 1000)) yield track(p);
      drainedAt = a.t;
    }
    world.now = a.t;
    a.run();
  }
  world.now = Number.POSITIVE_INFINITY;
  for (const waba of world.wabas) for (const chat of waba.chats.values()) chat.waits.finish();
  for (const p of world.delivery.drain(Number.POSITIVE_INFINITY)) yield track(p);

  world.followUps.finish();
  world.ads.finish(sink);
  truth.finish({
    bodies: world.delivery.bodies,
    duplicates: world.delivery.duplicates,
    postings: world.delivery.bodies + world.delivery.duplicates,
    items: world.delivery.items,
    first_posting_at: first === null ? null : new Date(first).toISOString(),
    last_posting_at: new Date(last).toISOString(),
    customers: Object.fromEntries(world.wabas.map((w) => [w.spec.waba_id, w.customers.length])),
    counts: Object.fromEntries(Object.entries(world.counts).sort()),
  });
}

/** The same stream, asynchronous: yields to the event loop so consumers can apply back-pressure. */
export async function* generate(o: SimOptions): AsyncGenerator<Posting> {
  let n = 0;
  for (const p of generateSync(o)) {
    yield p;
    if (++n % 512 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
