import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import { simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import type { Posting } from '../../simulate/delivery.ts';
import type { TruthRecord } from '../../simulate/truth.ts';
import type { WaitRecord } from '../../simulate/waits.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { generateSync } from '../../simulate/engine.ts';
import { startTestService } from '../helpers/service.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';
import { startHttpReceiver } from './receivers.ts';

// Alerts against the traffic generator's truth. A generated day (two WABAs); rules on waits for a human
// response (bots answer the others within seconds), every wait kind due 60 minutes after it starts
// (calendar time). Bodies are loaded in posting order up to a cut C, later up to the answer of a wait
// open at C. Which waits are open in the store follows from the truth and the bodies loaded alone:
// the wait's first message is in them and its response (the truth's response wamid) is not. At an
// instant t an open wait is at risk once t − start ≥ 48 min (80 %) and breached once t − start ≥ 60
// min. Each evaluation must announce exactly the waits that newly hold and resolve exactly those
// announced that stopped holding (answered), each rule in one message; `list: 100` lists them all.

const OPTIONS: SimOptions = { seed: 'alerts-truth', start: '2025-03-03', days: 1, scale: 40 };
const DUE_S = 3600;
let wh: Warehouse;
let svc: Service;
let hooks: Awaited<ReturnType<typeof startHttpReceiver>>;
let clock = 0;
let waits: WaitRecord[] = [];
let postings: Posting[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'wa-alerts-truth-'));
const contact = (waId: string) => 'c_' + createHmac('sha256', 'test-pii-key').update('contact\0' + waId).digest('hex').slice(0, 16);

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  hooks = await startHttpReceiver();
  const target = { minutes: DUE_S / 60 };
  writeFileSync(join(tmp, 'config.json'), JSON.stringify({
    ...simulationConfig(OPTIONS),
    sla: { job: { settle_seconds: 0 }, policies: [{ effective_from: '2020-01-01', rules: [{ name: 'all', frt: target, nrt: target, reply_to_business: target }] }] },
    alerts: {
      recipients: [{ id: 'mgr', role: 'manager', wabas: 'all', webhook: { url: `${hooks.url}/mgr`, secret: 'secret-of-mgr-0123456789' } }],
      rules: [
        { id: 'risk80', kind: 'sla_at_risk', percent: 80, list: 100, family: 'human' },
        { id: 'breached', kind: 'sla_breached', list: 100, family: 'human' },
      ],
    },
  }));
  svc = await startTestService(wh, { CONFIG_FILE: join(tmp, 'config.json') }, { now: () => new Date(clock) });
  const truth: TruthRecord[] = [];
  postings = [...generateSync({ ...OPTIONS, onTruth: (t) => truth.push(t) })];
  waits = truth.filter((t): t is WaitRecord => t.kind === 'wait' && t.family === 'human');
}, 300_000);

/** What the loaded bodies hold: customer messages (wa_id@unix seconds) and every wamid named. */
const seen = { inbound: new Set<string>(), sent: new Set<string>() };
let posted = 0;
async function loadUntil(cut: number): Promise<void> {
  while (posted < postings.length && postings[posted]!.at.getTime() <= cut) {
    const p = postings[posted++]!;
    await svc.ingest.append({ body: Buffer.from(p.body), receivedAt: Date.now(), signatureValid: true });
    const doc = JSON.parse(p.body) as { entry: Array<{ changes: Array<{ value: { messages?: Array<{ from: string; timestamp: string }> } }> }> };
    for (const e of doc.entry) for (const c of e.changes) {
      for (const m of c.value.messages ?? []) seen.inbound.add(`${m.from}@${m.timestamp}`);
    }
    // A response is known by any item naming its wamid (a status, or an echo of a reply sent from the app).
    for (const m of p.body.matchAll(/"id":"(wamid\.[^"]+)"/g)) seen.sent.add(m[1]!);
  }
  await svc.settle();
}
const isOpen = (w: WaitRecord) => seen.inbound.has(`${w.wa_id}@${w.start}`) && (w.response_wamid === null || !seen.sent.has(w.response_wamid));
const keyOf = (w: WaitRecord) => `${contact(w.wa_id)}@${new Date(w.start * 1000).toISOString()}`;
/** Open waits at t past `share` of their due time, from the truth and the bodies loaded. */
const past = (t: number, share: number) => new Set(waits.filter((w) => isOpen(w) && t / 1000 - w.start >= share * DUE_S).map(keyOf));

afterAll(async () => {
  await svc?.stop();
  await hooks?.close();
  await wh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface Payload {
  rule_id: string;
  state: string;
  count: number;
  items: Array<{ contact: string; started_at: string }>;
}
const said = () => hooks.all.map((h) => JSON.parse(h.body) as Payload);
const listed = (p: Payload) => [...new Set(p.items.map((i) => `${i.contact}@${i.started_at}`))].sort();
const announced: Record<string, Set<string>> = { risk80: new Set(), breached: new Set() };

/**
 * Evaluates at t; answers what arrived since message `before` (the alerts follower also evaluates
 * while bodies load, at the clock then) and what the truth says should have, as [rule, state, keys].
 */
async function step(t: number, before = said().length): Promise<{ got: Array<[string, string, string[]]>; want: Array<[string, string, string[]]> }> {
  clock = t;
  await alertEngine(svc.deps).evaluate();
  await alertEngine(svc.deps).idle();
  const got = said().slice(before).map((p): [string, string, string[]] => [p.rule_id, p.state, listed(p)]).sort();
  const want: Array<[string, string, string[]]> = [];
  for (const [rule, share] of [['risk80', 0.8], ['breached', 1]] as const) {
    const now = past(t, share);
    const fire = [...now].filter((k) => !announced[rule]!.has(k)).sort();
    const resolve = [...announced[rule]!].filter((k) => !now.has(k)).sort();
    if (fire.length) want.push([rule, 'firing', fire]);
    if (resolve.length) want.push([rule, 'resolved', resolve]);
    announced[rule] = now;
  }
  return { got, want: want.sort() };
}

describe('SLA alerts against the generator truth', () => {
  // The cut: 54 minutes into the first wait a person answers only after two hours (the truth's
  // response time), so that wait is at risk at C, breached 7 minutes later and answered later still.
  let C = 0;
  let answeredAt = 0;
  it('at the cut and 7 minutes later: exactly the waits past 80 % and 100 %, once each, one message per rule', async () => {
    const late = waits.filter((w) => w.response_at !== null && w.response_at - w.start > 2 * DUE_S).sort((a, b) => a.start - b.start)[0]!;
    expect(late).toBeDefined();
    C = (late.start + 0.9 * DUE_S) * 1000;
    answeredAt = (late.response_at! + 120) * 1000;
    await loadUntil(C);
    expect(past(C, 0.8).has(keyOf(late))).toBe(true);
    const first = await step(C);
    expect(first.got).toEqual(first.want);
    const second = await step(C + 7 * 60_000);
    expect(second.got).toEqual(second.want);
    expect(await step(C + 7 * 60_000)).toEqual({ got: [], want: [] });
  });

  it('once the traffic up to its answer is loaded: the answered ones resolve, in each rule that announced them', async () => {
    // Loaded with the clock still at C + 7 min: what is answered resolves as the loads are followed.
    const before = said().length;
    await loadUntil(answeredAt);
    const during = await step(C + 7 * 60_000, before);
    expect(during.want.some(([, state]) => state === 'resolved')).toBe(true);
    expect(during.got).toEqual(during.want);
    const after = await step(answeredAt);
    expect(after.got).toEqual(after.want);
  });
});
