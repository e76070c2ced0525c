import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import type { AgentsRecord } from '../../simulate/agents.ts';
import type { CsatRecord } from '../../simulate/csat.ts';
import { simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import type { LabelDayRecord, LabelJourneyRecord } from '../../simulate/labels.ts';
import type { ResolutionRecord } from '../../simulate/resolution.ts';
import type { TruthRecord } from '../../simulate/truth.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { loadGenerated } from '../helpers/ingest.ts';
import { authHeader, http, startTestService } from '../helpers/service.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';

// The generator's order system labels customers through `lb=` tags, its survey tools send CSAT
// surveys (`cs=`) that some customers answer (some twice), and its agents answer waits
// (docs/TRUTH.md). Every figure of the label timeline and journey, CSAT and agent reports must
// equal the truth the generator wrote from its own decisions.

const SIM: SimOptions = { seed: 'labels-truth', start: '2025-03-03', days: 10, scale: 6 };
const RANGE = 'from=2025-03-02&to=2025-03-14&tz=UTC';
const NOW = new Date('2025-04-01T00:00:00Z');
/** The service's clock: moved to the end of the data to read resolution as the truth does. */
let now = NOW;

let wh: Warehouse;
let service: Service;
let truth: TruthRecord[] = [];
const dir = mkdtempSync(join(tmpdir(), 'labels-truth-'));

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  const config = { ...simulationConfig(SIM), sla: { job: { settle_seconds: 0 } } };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  service = await startTestService(wh, { CONFIG_FILE: join(dir, 'config.json') }, { now: () => now });
  truth = await loadGenerated(service, SIM);
  // Later deliveries of a chat recompute its waits: the job settles every chat once all is loaded.
  await service.jobs.find((j) => j.name === 'sla.waits')!.run(NOW);
});

afterAll(async () => {
  await service?.stop();
  await wh?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Row = Record<string, unknown>;

async function rows(path: string): Promise<Row[]> {
  const r = await http(`${service.url()}${path}&format=json`, { headers: authHeader('admin') });
  expect(r.status, r.text).toBe(200);
  return (JSON.parse(r.text) as { rows: Row[] }).rows;
}

const of = <K extends TruthRecord['kind']>(kind: K) => truth.filter((t): t is Extract<TruthRecord, { kind: K }> => t.kind === kind);

describe('labels, CSAT and agents against the generator truth', () => {
  it('counts label adds, removes and customers per day and label', async () => {
    const days = of('label_day') as LabelDayRecord[];
    expect(days.length).toBeGreaterThan(10);
    const api = await rows(`/api/reports/labels/timeline?${RANGE}&period=day`);
    expect(api).toEqual(days.map((d) => ({ period: d.date, label: d.label, added: d.added, removed: d.removed, customers_added: d.customers_added })));
  });

  it('measures the time from payment to delivery per customer', async () => {
    const [j] = of('label_journey') as LabelJourneyRecord[];
    expect(j!.customers_reached).toBeGreaterThan(3);
    const api = await rows(`/api/reports/labels/journey?${RANGE}&from_label=${j!.from_label}&to_label=${j!.to_label}`);
    expect(api).toEqual([{
      from_label: j!.from_label, to_label: j!.to_label, customers_started: j!.customers_started, customers_reached: j!.customers_reached,
      mean_seconds: j!.mean_seconds, p50_seconds: j!.p50_seconds, p90_seconds: j!.p90_seconds,
    }]);
  });

  it('finds every survey, its last answer and its credit', async () => {
    const cells = of('csat') as CsatRecord[];
    const sent = cells.reduce((n, c) => n + c.surveys_sent, 0);
    expect(sent).toBeGreaterThan(20);
    expect(cells.some((c) => c.agent === '(untagged)')).toBe(true);
    const api = await rows(`/api/reports/csat?${RANGE}&period=none&group_by=waba_id,survey,agent,team`);
    const shape = (r: Row) => [r.waba_id, r.survey, r.agent, r.team, r.surveys_sent, r.responses, [r.score_1, r.score_2, r.score_3, r.score_4, r.score_5], r.comments];
    expect(api.map(shape)).toEqual(cells.map((c) => [c.waba_id, c.survey, c.agent, c.team, c.surveys_sent, c.responses, c.scores, c.comments]));
  });

  it.each(['agent', 'team'] as const)('credits each answered wait to the %s who answered it', async (group) => {
    const cells = (of('agents') as AgentsRecord[]).filter((c) => c.group_by === group);
    expect(cells.length).toBeGreaterThan(3);
    const api = await rows(`/api/reports/agents?${RANGE}&family=human&group_by=${group}`);
    expect(cells.reduce((n, c) => n + c.handoffs, 0)).toBeGreaterThan(5);
    const shape = (r: Row) => [r[group], r.waits, r.answered, r.first_waits, r.next_waits, r.reply_waits, r.p50_seconds, r.p90_seconds, r.chats,
      r.handoffs, r.p50_after_handoff_seconds, r.p90_after_handoff_seconds];
    expect(api.map(shape)).toEqual(cells.map((c) => [c.name, c.answered, c.answered, c.first_waits, c.next_waits, c.reply_waits, c.p50_seconds, c.p90_seconds, c.chats,
      c.handoffs, c.p50_after_handoff_seconds, c.p90_after_handoff_seconds]));
  });

  it('closes threads silent for the idle time at the end of the data: resolved or still waiting', async () => {
    const days = of('resolution') as ResolutionRecord[];
    expect(days.reduce((n, d) => n + d.closed_waiting, 0)).toBeGreaterThan(3);
    expect(days.reduce((n, d) => n + d.open_threads, 0)).toBeGreaterThan(0);
    now = new Date(days[0]!.now);
    try {
      const api = await rows(`/api/reports/agents/resolution?${RANGE}&period=day&family=human&idle_hours=${days[0]!.idle_hours}`);
      const shape = (r: Row) => [r.period, r.threads, r.open_threads, r.resolved, r.closed_waiting, r.p50_resolution_seconds, r.p90_resolution_seconds];
      expect(api.map(shape)).toEqual(days.map((d) => [d.period, d.threads, d.open_threads, d.resolved, d.closed_waiting, d.p50_resolution_seconds, d.p90_resolution_seconds]));
    } finally {
      now = NOW;
    }
  });
});
