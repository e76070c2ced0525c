import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPseudonymizer } from '../../app/pseudonym.ts';
import { ruleSchema } from '../../reports/alerts/config.ts';
import { isSlaRule, liveCache, slaItems } from '../../reports/alerts/conditions/sla.ts';
import { emptyState, step } from '../../reports/alerts/state.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import type { OpenWait } from '../../warehouse/queries/alerts/open-waits.ts';

// A 24-hour window closing unanswered within N minutes, from the open waits as read: which waits a
// rule names, what it says of each (hand-computed), and that a window that has closed stops the
// item. Times are minutes from T = 2026-03-02 12:00 UTC.

const T = Date.parse('2026-03-02T12:00:00Z');
const MIN = 60_000;
const KEY = 'test-pii-key';
const wait = (id: string, waba: string, expiresIn: number): OpenWait => ({
  wait_id: id, family: 'any', waba_id: waba, phone_number_id: 'P1', wa_id: `55119000000${id.slice(1)}`, owner_team: 'care', team: '', kind: 'first',
  started_at: T - 24 * 60 * MIN + expiresIn * MIN - 10 * MIN, due_at: null, window_expires_at: T + expiresIn * MIN, partition: '202603', part: '202603_1_1_0',
});
const WAITS = [wait('w1', 'W1', 30), wait('w2', 'W1', 90), wait('w3', 'W1', -5), wait('w4', 'W2', 20), wait('w5', 'W1', 60)];
const contact = (w: OpenWait) => 'c_' + createHmac('sha256', KEY).update('contact\0' + w.wa_id).digest('hex').slice(0, 16);

function rule(raw: object) {
  const r = ruleSchema.parse(raw);
  if (!isSlaRule(r)) throw new Error('an SLA rule');
  return r;
}

describe('windows closing', () => {
  const w1Only = rule({ id: 'closing-60', kind: 'sla_window_closing', within_minutes: 60, scope: { wabas: ['W1'] } });
  const everyone = rule({ id: 'closing-all', kind: 'sla_window_closing', within_minutes: 60 });

  const items = async (r: ReturnType<typeof rule>, now: number) => {
    const cache = liveCache([w1Only, everyone], async () => null);
    cache.pool = Promise.resolve(WAITS);
    return slaItems(r, {} as Warehouse, createPseudonymizer(KEY), now, cache);
  };

  it('names the waits whose window closes within the minutes, in scope, soonest first, with the time left', async () => {
    // w1 closes in 30 min and w5 in 60 (inside); w2 in 90 (outside); w3 closed 5 min ago; w4 is WABA W2.
    const got = await items(w1Only, T);
    const fired = step(emptyState(), got, T, { quiet: false, cooldownMs: 0 }).fire;
    expect(fired.map((i) => i.key)).toEqual(['w1', 'w5']);
    expect(fired[0]!.detail).toEqual({
      contact: contact(WAITS[0]!), waba_id: 'W1', phone_number_id: 'P1', team: 'care', kind: 'first', started_at: new Date(WAITS[0]!.started_at).toISOString(),
      due_at: null, waited_minutes: 24 * 60 - 30 + 10, percent_of_due: null, window_expires_at: '2026-03-02T12:30:00.000Z', minutes_left: 30,
    });
    expect((await items(everyone, T)).map((i) => i.key).sort()).toEqual(['w1', 'w4', 'w5']);
  });

  it('stops naming a wait once its window has closed: one resolution', async () => {
    const s = emptyState();
    step(s, await items(w1Only, T), T, { quiet: false, cooldownMs: 0 });
    // 45 minutes on: w1 closed 15 minutes ago; w5 closes in 15; w2 in 45 starts.
    const later = step(s, await items(w1Only, T + 45 * MIN), T + 45 * MIN, { quiet: false, cooldownMs: 0 });
    expect([later.fire.map((i) => i.key), later.resolve.map((i) => i.key)]).toEqual([['w2'], ['w1']]);
  });
});
