// Runs the generator once per option set and keeps postings and truth in memory (small runs only).
import { createHash } from 'node:crypto';
import { generateSync, type SimOptions } from '../../simulate/engine.ts';
import type { Posting } from '../../simulate/delivery.ts';
import type { TruthRecord } from '../../simulate/truth.ts';

export interface Run {
  postings: Posting[];
  truth: TruthRecord[];
  /** Distinct bodies (duplicates removed), in first posting order. */
  bodies: string[];
  zones: Map<string, string>;
}

const cache = new Map<string, Run>();

export function run(opts: Omit<SimOptions, 'onTruth'>): Run {
  const key = JSON.stringify(opts);
  let r = cache.get(key);
  if (r) return r;
  const truth: TruthRecord[] = [];
  const postings = [...generateSync({ ...opts, onTruth: (t) => truth.push(t) })];
  const seen = new Set<string>();
  const bodies: string[] = [];
  for (const p of postings) {
    const h = sha256(p.body);
    if (!seen.has(h)) {
      seen.add(h);
      bodies.push(p.body);
    }
  }
  const config = truth.find((t) => t.kind === 'config') as unknown as { config: { tenants: { waba_id: string; time_zone: string }[] } };
  const zones = new Map(config.config.tenants.map((t) => [t.waba_id, t.time_zone]));
  r = { postings, truth, bodies, zones };
  cache.set(key, r);
  return r;
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function records<K extends TruthRecord['kind']>(r: Run, kind: K): Extract<TruthRecord, { kind: K }>[] {
  return r.truth.filter((t) => t.kind === kind) as Extract<TruthRecord, { kind: K }>[];
}

/** Runs that together cover every pricing era and its switch dates. */
export const ERA_RUNS = {
  cbp2022: { seed: 'era-2022', start: '2023-05-18', days: 20, scale: 14, freeTier: 25 },
  cbp2023: { seed: 'era-2023', start: '2024-10-20', days: 20, scale: 14, freeTier: 25 },
  pmp: { seed: 'era-pmp', start: '2025-06-22', days: 20, scale: 14, freeTier: 25 },
} satisfies Record<string, Omit<SimOptions, 'onTruth'>>;
