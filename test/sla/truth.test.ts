import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { generateSync, simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import type { TruthRecord } from '../../simulate/truth.ts';
import { actualWait as actual, expectedWait as expected, iso, type ApiWait, type TruthWait } from '../helpers/sla-truth.ts';
import { authHeader, http, postSigned, startTestService } from '../helpers/service.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';

// The traffic generator decides every message and writes the waits it implies (docs/TRUTH.md).
// Its bodies go through the real webhook, the SLA job runs part-way and at the end (so later
// deliveries recompute chats already stored), and every wait the API returns must equal the truth:
// kind, thread, start, response time, responder, agent, team, calendar and business seconds.

const OPTIONS: SimOptions = { seed: 'sla-truth', start: '2025-03-01', days: 7, scale: 8 };
const NOW = new Date('2025-04-01T00:00:00Z');

let wh: Warehouse;
let service: Service;
const truth: TruthRecord[] = [];
const dir = mkdtempSync(join(tmpdir(), 'sla-truth-'));

async function runJob(): Promise<void> {
  await service.jobs.find((j) => j.name === 'sla.waits')!.run(NOW);
}

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  const config = { ...simulationConfig(OPTIONS), sla: { job: { settle_seconds: 0 }, policies: [{ effective_from: '2020-01-01', rules: [{ name: 'all', frt: { minutes: 15, mode: 'business' }, nrt: { hours: 1 } }] }] } };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  service = await startTestService(wh, { CONFIG_FILE: join(dir, 'config.json') }, { now: () => NOW });
  const postings = [...generateSync({ ...OPTIONS, onTruth: (t) => truth.push(t) })];
  const half = Math.floor(postings.length / 2);
  await post(postings.slice(0, half).map((p) => p.body));
  await runJob();
  await post(postings.slice(half).map((p) => p.body));
  await runJob();
});

/** Posts bodies eight at a time (they share fsyncs and loads), in posting order within each slot; then waits until all are loaded. */
async function post(bodies: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      const r = await postSigned(service.url(), bodies[i]!);
      if (r.status !== 200) throw new Error(`posting ${i} answered ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await service.settle();
}

afterAll(async () => {
  await service?.stop();
  await wh?.close();
  rmSync(dir, { recursive: true, force: true });
});


describe('SLA waits against the generator truth', () => {
  it.each(['human', 'any'])('every %s wait matches', async (family) => {
    const res = await http(`${service.url()}/api/reports/sla/waits?from=2025-02-25&to=2025-03-15&tz=UTC&family=${family}`, { headers: authHeader('admin') });
    expect(res.status).toBe(200);
    const mine = (JSON.parse(res.text) as { rows: ApiWait[] }).rows;
    const waits = truth.filter((t): t is TruthWait => t.kind === 'wait' && t.family === family);
    expect(waits.length).toBeGreaterThan(200);
    const key = (waba: string, phone: string, waId: string, start: string | null) => `${waba}|${phone}|${waId}|${start}`;
    const byKey = new Map(mine.map((w) => [key(w.waba_id, w.phone_number_id, w.contact, w.started_at), w]));
    const mismatches: unknown[] = [];
    for (const w of waits) {
      const m = byKey.get(key(w.waba_id, w.phone_number_id, w.wa_id, iso(w.start)));
      if (!m || JSON.stringify(actual(m)) !== JSON.stringify(expected(w))) mismatches.push({ truth: w, mine: m ?? null });
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(mine).toHaveLength(waits.length);
  });

  it('covers the interesting cases', () => {
    const waits = truth.filter((t): t is TruthWait => t.kind === 'wait');
    expect(new Set(waits.map((w) => w.wait_kind))).toEqual(new Set(['first', 'next', 'reply_to_business']));
    expect(new Set(waits.map((w) => w.responder_class))).toEqual(new Set(['human', 'bot', 'automation', 'unknown', null]));
    expect(waits.some((w) => w.response_seconds !== null && w.business_response_seconds! < w.response_seconds)).toBe(true);
  });
});
