import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { pmpMessage, statusBody, type StatusSpec } from '../billing/bodies.ts';
import { PHONE_BR, PHONE_UTC, WABA_BR, WABA_UTC, postAll, refresh } from '../billing/setup.ts';
import { authHeader, http } from '../helpers/service.ts';
import { startHttpReceiver } from './receivers.ts';
import { evaluateAlerts, saidTo, startAlertService } from './service.ts';
import { spendCache, spendItems, type SpendMemory } from '../../reports/alerts/conditions/spend.ts';
import { queryDuration } from '../../warehouse/metrics.ts';
import { partsOnce } from '../../warehouse/queries/parts.ts';

/** How many months of charges have been read. */
const chargeReads = async () =>
  (await queryDuration.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.query === 'billing.report.charge_inputs' && v.labels.outcome === 'ok')?.value ?? 0;

// Spend week on week, at an injected clock of Wednesday 2025-08-20 12:00 UTC. Marketing templates to
// Brazil cost USD 0.0625 each (a rate card uploaded from 2025-07-01). The last 7 complete days are
// 08-13…08-19, the 7 before them 08-06…08-12:
//   WABA UTC: 10 on 08-05 (before both), 2 in 08-06…12 (0.125), 3 in 08-13…19 (0.1875): +50 % > 40 %
//   WABA BR:  2 and 2 (no rise), and 5 today (an incomplete day, not counted)
// Ingest backlog: the rule reads this instance's loader figures (those /healthz shows).

const T = Date.parse('2025-08-20T12:00:00Z');
const clock = T;
let svc: Service;
let hooks: Awaited<ReturnType<typeof startHttpReceiver>>;

let stop: () => Promise<void>;

beforeAll(async () => {
  ({ svc, hooks, stop } = await startAlertService((hook) => ({
    tenants: [
      { waba_id: WABA_BR, name: 'Loja BR', time_zone: 'America/Sao_Paulo', currency: 'USD', phone_numbers: [{ phone_number_id: PHONE_BR }] },
      { waba_id: WABA_UTC, name: 'Global', time_zone: 'UTC', currency: 'USD', phone_numbers: [{ phone_number_id: PHONE_UTC }] },
    ],
    alerts: {
      retry: { attempts: 1, backoff_ms: 1 },
      recipients: [
        { id: 'fin', role: 'finance', wabas: 'all', webhook: hook('fin') },
        { id: 'fin-br', role: 'finance', wabas: [WABA_BR], webhook: hook('fin-br') },
        { id: 'ops', role: 'admin', wabas: 'all', webhook: hook('ops') },
      ],
      rules: [
        { id: 'spend', kind: 'spend_rise', rise_percent: 40 },
        { id: 'backlog', kind: 'ingest_backlog', max_age_seconds: 300 },
      ],
    },
  }), () => clock));
});

afterAll(() => stop?.());

interface Payload {
  rule_id: string;
  state: string;
  items: Array<Record<string, unknown>>;
}
const said = (path: string) => saidTo<Payload>(hooks, path);
const evaluate = () => evaluateAlerts(svc);

let n = 0;
/** `count` delivered marketing templates to Brazil on a date (at 12:00 UTC). */
function marketing(date: string, count: number): StatusSpec[] {
  return Array.from({ length: count }, () => {
    const id = `wamid.m${n++}`;
    return pmpMessage(id, '5511987650001', `${date}T12:00:00Z`, { category: 'marketing', type: 'regular', billable: true }, [{ status: 'delivered', at: `${date}T12:00:05Z`, priced: true }]);
  }).flat();
}

describe('spend this week against last', () => {
  it('a rise over the threshold goes to finance of that WABA; a WABA without a rise says nothing', async () => {
    const card = ['Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service', 'Brazil,USD,0.0625,0.0068,0.0315,,0'].join('\n');
    const upload = await http(`${svc.url()}/api/billing/rate-cards?currency=USD&effective_from=2025-07-01`, {
      method: 'POST', headers: { ...authHeader('finance'), 'Content-Type': 'text/csv' }, body: card,
    });
    expect(upload.status).toBe(201);
    await postAll(svc, [
      statusBody(WABA_UTC, PHONE_UTC, [...marketing('2025-08-05', 10), ...marketing('2025-08-07', 1), ...marketing('2025-08-12', 1), ...marketing('2025-08-13', 2), ...marketing('2025-08-19', 1)]),
      statusBody(WABA_BR, PHONE_BR, [...marketing('2025-08-08', 2), ...marketing('2025-08-15', 2), ...marketing('2025-08-20', 5)]),
    ]);
    await refresh(svc);
    await evaluate();
    expect(said('fin').map((p) => [p.rule_id, p.state, p.items])).toEqual([
      ['spend', 'firing', [{ waba_id: WABA_UTC, currency: 'USD', from: '2025-08-13', to: '2025-08-19', spend: 0.1875, previous_spend: 0.125, rise_percent: 50 }]],
    ]);
    expect(said('fin-br')).toEqual([]);
    await evaluate();
    expect(said('fin')).toHaveLength(1);
  });

  it('rules of the kind read each WABA\'s month once between them, and each keeps its own scope and window', async () => {
    // Counts the report reads the rules make (the reader is the reports' connection).
    const reader = svc.deps.warehouse.reader;
    const query = reader.query.bind(reader);
    let reads = 0;
    reader.query = ((q: Parameters<typeof query>[0]) => (reads++, query(q))) as typeof reader.query;
    try {
      const rules = [
        { id: 'a', kind: 'spend_rise', rise_percent: 40, days: 7, min_amount: 0, scope: { wabas: [] } },
        { id: 'b', kind: 'spend_rise', rise_percent: 40, days: 7, min_amount: 0, scope: { wabas: [WABA_BR] } },
        { id: 'c', kind: 'spend_rise', rise_percent: 10, days: 3, min_amount: 0, scope: { wabas: [WABA_UTC] } },
      ] as const;
      const alone = [];
      reads = 0;
      for (const r of rules) alone.push(await spendItems(r as never, svc.deps, clock));
      const apart = reads;
      reads = 0;
      const cache = spendCache();
      const shared = [];
      for (const r of rules) shared.push(await spendItems(r as never, svc.deps, clock, cache));
      expect(shared).toEqual(alone);
      // The same items as hand-computed above: the week rule for UTC only, the 3-day rule (08-17…19
      // 0.0625 against 08-14…16 0) has no spend before to rise from.
      expect(shared.map((items) => items.map((i) => i.key))).toEqual([[WABA_UTC], [], []]);
      // Apart: the WABA list per rule (3) and the month of charges (every WABA's) per rule (3, k reads each).
      // Shared: the list once and the month once.
      const k = (apart - 3) / 3;
      expect(Number.isInteger(k) && k > 0).toBe(true);
      expect(reads).toBe(1 + k);
    } finally {
      reader.query = query;
    }
  });

  it('keeps each WABA\'s month from one evaluation to the next while the billing tables stand still', async () => {
    const rule = { id: 'a', kind: 'spend_rise', rise_percent: 40, days: 7, min_amount: 0, scope: { wabas: [] } };
    const memory: SpendMemory = { months: new Map(), wabas: {} };
    const cycle = () => spendItems(rule as never, svc.deps, clock, spendCache(memory, partsOnce(svc.deps.warehouse)));
    expect((await cycle()).map((i) => i.key)).toEqual([WABA_UTC]);
    const read = await chargeReads();
    expect((await cycle()).map((i) => i.key)).toEqual([WABA_UTC]);
    expect(await chargeReads()).toBe(read);
    // Two more for BR on 08-16: 4 in 08-13…19 (0.25) against 2 (0.125), +100 %. The month is read again.
    await postAll(svc, [statusBody(WABA_BR, PHONE_BR, marketing('2025-08-16', 2))]);
    await refresh(svc);
    const after = await cycle();
    expect(await chargeReads()).toBe(read + 1);
    expect(after.map((i) => [i.key, i.detail.spend, i.detail.previous_spend])).toEqual([[WABA_BR, 0.25, 0.125], [WABA_UTC, 0.1875, 0.125]]);
  });
});

describe('ingest backlog age', () => {
  // The service hands the rule its loader's own figures (/healthz shows the same).
  it('reads the running loader: nothing waiting now', () => {
    expect(svc.deps.ingestBacklog!(clock)).toEqual({ ...svc.ingest.loader.status(clock) });
    expect(svc.deps.ingestBacklog!(clock)).toMatchObject({ backlog_bytes: 0, backlog_age_seconds: 0 });
  });
  // The rule over a real held backlog: test/alerts/backlog-alerts.test.ts.
});
