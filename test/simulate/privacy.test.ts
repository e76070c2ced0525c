import { describe, expect, it } from 'vitest';
import { records, run, sha256 } from './fixture.ts';
import { parseBodies, recomputeViolations, subjectsOf } from './independent.ts';

const OPTS = { seed: 'optouts', start: '2024-03-01', days: 45, scale: 20, subjectBodies: true };

describe('privacy truth agrees with the bodies', () => {
  it('every marketing send after an opt-out, and nothing else, is a violation', () => {
    const r = run(OPTS);
    const truth = records(r, 'optout_violation');
    const mine = recomputeViolations(parseBodies(r.bodies));
    expect(truth.length).toBeGreaterThan(5);
    expect(new Set(truth.map((v) => v.source))).toContain('keyword');
    expect(truth.some((v) => v.template !== null)).toBe(true);
    expect(mine.map((v) => `${v.wamid}|${v.optedOutAt}|${v.source}`).sort()).toEqual(
      truth.map((v) => `${v.wamid}|${v.opted_out_at}|${v.source}`).sort(),
    );
  });

  it('opt-out signals of every kind occur', () => {
    const events = records(run(OPTS), 'optout_event');
    expect(new Set(events.map((e) => e.source))).toEqual(new Set(['keyword', 'user_preferences', 'error_131050']));
    expect(events.some((e) => e.action === 'resume')).toBe(true);
  });

  it('each subject lists exactly the bodies that carry its wa_id', () => {
    const r = run(OPTS);
    const carried = new Map<string, Set<string>>();
    for (const body of r.bodies) {
      const h = sha256(body);
      for (const id of subjectsOf(body)) (carried.get(id) ?? carried.set(id, new Set()).get(id)!).add(h);
    }
    const subjects = records(r, 'subject');
    expect(subjects.length).toBe(carried.size);
    for (const s of subjects) {
      const mine = [...(carried.get(s.wa_id) ?? [])].sort();
      expect(s.bodies_sha256).toEqual(mine);
      expect(s.body_count).toBe(mine.length);
      const digest = mine.reduce((acc, h) => (acc + BigInt('0x' + h)) % (1n << 256n), 0n).toString(16).padStart(64, '0');
      expect(s.bodies_digest).toBe(digest);
    }
  });

  it('each subject counts the items that carry it, by kind', () => {
    const r = run(OPTS);
    const counts = new Map<string, Record<string, number>>();
    const add = (id: string, kind: string) => {
      const c = counts.get(id) ?? counts.set(id, {}).get(id)!;
      c[kind] = (c[kind] ?? 0) + 1;
    };
    for (const body of r.bodies) {
      for (const e of JSON.parse(body).entry) for (const c of e.changes) {
        for (const m of c.value.messages ?? []) for (const id of new Set([m.from, m.system?.wa_id].filter(Boolean))) add(id, 'message');
        for (const s of c.value.statuses ?? []) add(s.recipient_id, 'status');
        for (const x of c.value.message_echoes ?? []) add(x.to, 'echo');
        for (const u of c.value.user_preferences ?? []) add(u.wa_id, 'user_preference');
      }
    }
    for (const s of records(r, 'subject')) expect(s.events).toEqual(counts.get(s.wa_id));
  });

  it('some subjects changed number, with both numbers carried by the system message', () => {
    const r = run(OPTS);
    const system = r.bodies.filter((b) => b.includes('"user_changed_number"'));
    expect(system.length).toBeGreaterThan(0);
    const ids = subjectsOf(system[0]!);
    const subjects = new Set(records(r, 'subject').map((s) => s.wa_id));
    for (const id of ids) expect(subjects).toContain(id);
  });
});
