import { describe, expect, it } from 'vitest';
import { ERA_RUNS, records, run } from './fixture.ts';
import { parseBodies, recomputeWaits, type Wait } from './independent.ts';

const key = (chat: string, family: string, start: number) => `${chat}|${family}|${start}`;

describe('wait truth agrees with the bodies', () => {
  for (const [name, opts] of Object.entries(ERA_RUNS)) {
    it(`every wait of the ${name} run, both families`, () => {
      const r = run(opts);
      const truth = records(r, 'wait');
      const mine = recomputeWaits(parseBodies(r.bodies));
      expect(truth.length).toBeGreaterThan(200);
      expect(mine.length).toBe(truth.length);
      const byKey = new Map<string, Wait>(mine.map((w) => [key(w.chat, w.family, w.start), w]));
      let mismatches = 0;
      for (const w of truth) {
        const m = byKey.get(key(`${w.waba_id}|${w.phone_number_id}|${w.wa_id}`, w.family, w.start));
        const same = m && m.responseAt === w.response_at && m.cls === w.responder_class && m.kind === w.wait_kind
          && m.threadStart === w.thread_start && m.agent === w.agent && m.team === w.team
          && (w.response_seconds === null ? m.responseAt === null : w.response_seconds === m.responseAt! - m.start);
        if (!same && mismatches++ < 5) expect({ truth: w, recomputed: m ?? null }).toBe('consistent');
      }
      expect(mismatches).toBe(0);
    });
  }

  it('covers the cases the reports must handle', () => {
    const waits = records(run(ERA_RUNS.pmp), 'wait');
    const kinds = new Set(waits.map((w) => w.wait_kind));
    const classes = new Set(waits.map((w) => w.responder_class));
    expect([...kinds].sort()).toEqual(['first', 'next', 'reply_to_business']);
    expect(classes).toEqual(new Set(['human', 'bot', 'automation', 'unknown', null]));
    expect(waits.some((w) => w.response_at === null)).toBe(true);
    expect(waits.some((w) => w.response_seconds === 0)).toBe(true);
    // Answered outside opening hours: calendar time passes, business time does not.
    expect(waits.some((w) => w.response_seconds! > 3600 && w.business_response_seconds! < w.response_seconds! / 2)).toBe(true);
    // A bot answers the "any" wait while the "human" wait of the same message stays open longer.
    const human = new Map(waits.filter((w) => w.family === 'human').map((w) => [`${w.wa_id}|${w.start}`, w]));
    expect(waits.some((w) => w.family === 'any' && w.responder_class === 'bot' && (human.get(`${w.wa_id}|${w.start}`)?.response_at ?? Infinity) > w.response_at!)).toBe(true);
  });

  it('business seconds never exceed calendar seconds', () => {
    for (const w of records(run(ERA_RUNS.cbp2023), 'wait')) {
      if (w.response_seconds === null) continue;
      expect(w.business_response_seconds).toBeGreaterThanOrEqual(0);
      expect(w.business_response_seconds).toBeLessThanOrEqual(w.response_seconds);
    }
  });
});
