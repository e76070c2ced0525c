import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Service } from '../../app/server.ts';
import { runAllOnce } from '../../reports/scheduler.ts';
import { generateSync, simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import { authHeader, http, postSigned, TEST_SECRET } from '../helpers/service.ts';
import { TEST_DATA_DIR } from '../helpers/warehouse.ts';

const dayOffset = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

/**
 * A small generated world for the dashboard tests: a week of two WABAs' traffic from the traffic
 * generator, ending two days ago (recent, so retention TTLs keep it), SLA policies so attainment has
 * something to measure, and the reports' "now" on the last afternoon so the live lists have people
 * in them.
 */
export const WORLD: SimOptions & { start: string; last: string } = { seed: 'dashboards', start: dayOffset(-8), last: dayOffset(-2), days: 7, scale: 6 };
export const WORLD_NOW = new Date(`${WORLD.last}T15:00:00Z`);

/** Jobs run at wall-clock time (they page by when rows were received), a minute on so nothing is "too recent". */
export const jobsClock = (): Date => new Date(Date.now() + 60_000);

export const SLA_POLICIES = {
  policies: [
    {
      effective_from: '2024-01-01',
      rules: [{ name: 'standard', frt: { minutes: 15, mode: 'calendar' }, nrt: { minutes: 30, mode: 'calendar' } }],
    },
  ],
};

/** Writes the CONFIG_FILE for the world (tenants and calendars from the generator) and returns its path. */
export function writeWorldConfig(o: SimOptions = WORLD, extra: Record<string, unknown> = {}): string {
  const dir = join(TEST_DATA_DIR, 'dashboards-world');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'config.json');
  const { last: _, ...sim } = o as SimOptions & { last?: string };
  writeFileSync(file, JSON.stringify({ ...simulationConfig(sim), sla: SLA_POLICIES, ...extra }, null, 2));
  return file;
}

/** Posts every generated body to the service, signed, a few at a time in posting order. */
export async function postWorld(service: Service, o: SimOptions = WORLD, concurrency = 8): Promise<number> {
  let posted = 0;
  let batch: Promise<unknown>[] = [];
  const { last: _, ...sim } = o as SimOptions & { last?: string };
  for (const p of generateSync({ ...sim, secret: TEST_SECRET })) {
    batch.push(
      postSigned(service.url(), p.body).then((r) => {
        if (r.status !== 200) throw new Error(`webhook answered ${r.status}`);
      }),
    );
    posted++;
    if (batch.length >= concurrency) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  await service.settle();
  return posted;
}

/**
 * Runs every module's jobs once at `now`, as `wa-analytics jobs run-once` does (a failing job is
 * logged and the rest still run); the dashboards' own snapshot job last, once the reports are current.
 */
export async function runJobs(service: Service, now: Date = jobsClock()): Promise<{ ok: string[]; failed: string[] }> {
  const mine = (j: { name: string }) => j.name.startsWith('dashboards.');
  const jobs = [...service.jobs.filter((j) => !mine(j)), ...service.jobs.filter(mine)];
  return runAllOnce(jobs, service.deps.log, () => now);
}

const CARDS = join(import.meta.dirname, '..', '..', 'reports', 'billing', 'rate-cards');

/** Loads billing's example USD rate card and volume tiers through the billing API (Aurora bills in USD). */
export async function loadExampleRateCards(service: Service): Promise<void> {
  for (const file of ['EXAMPLE-rates-USD-2025-07-01.csv', 'EXAMPLE-tiers-USD-2025-07-01.csv']) {
    const r = await http(`${service.url()}/api/billing/rate-cards?currency=USD&effective_from=2025-07-01&name=${file}`, {
      method: 'POST',
      headers: { ...authHeader('finance'), 'Content-Type': 'text/csv' },
      body: readFileSync(join(CARDS, file), 'utf8'),
    });
    if (r.status !== 201) throw new Error(`rate card ${file}: ${r.status} ${r.text.slice(0, 200)}`);
  }
}

/**
 * A saved `pricing_analytics` response for two days of the world, as finance would import it: Meta
 * counts 7 marketing messages on the first day and 3 utility messages on the second.
 */
export function metaAnalytics(waba: string, first: string) {
  const start = (day: string) => Date.parse(`${day}T03:00:00Z`) / 1000;
  const second = new Date(Date.parse(`${first}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return {
    id: waba,
    pricing_analytics: {
      data: [
        {
          data_points: [
            { start: start(first), end: start(first) + 86_400, volume: 7, pricing_category: 'MARKETING', pricing_type: 'REGULAR', country: 'BR', cost: 0.35 },
            { start: start(second), end: start(second) + 86_400, volume: 3, pricing_category: 'UTILITY', pricing_type: 'REGULAR', country: 'BR', cost: 0.03 },
          ],
        },
      ],
    },
  };
}

export async function importMetaAnalytics(service: Service, waba: string, first: string): Promise<void> {
  const r = await http(`${service.url()}/api/reports/reconciliation?waba_id=${waba}`, {
    method: 'POST',
    headers: { ...authHeader('finance'), 'Content-Type': 'application/json' },
    body: JSON.stringify(metaAnalytics(waba, first)),
  });
  if (r.status !== 201) throw new Error(`analytics import: ${r.status} ${r.text.slice(0, 200)}`);
}

/**
 * A saved `template_analytics` response, as an admin would import it: Meta counts 4 sends of a
 * template the world never names (an id we cannot match), on the first day: a difference to show.
 */
export async function importTemplateAnalytics(service: Service, waba: string, first: string): Promise<void> {
  const start = Date.parse(`${first}T00:00:00Z`) / 1000;
  const body = { data: [{ granularity: 'DAILY', data_points: [{ template_id: '990001', start, end: start + 86_400, sent: 4, delivered: 3, read: 1, clicked: [] }] }] };
  const r = await http(`${service.url()}/api/templates/analytics?waba_id=${waba}`, {
    method: 'POST',
    headers: { ...authHeader('admin'), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 201) throw new Error(`template analytics import: ${r.status} ${r.text.slice(0, 200)}`);
}

/** Two rights requests through the compliance API: one received on the first day, one on the last. */
export async function openRightsRequests(service: Service): Promise<void> {
  const requests = [
    { wa_id: '5511999990001', type: 'access', jurisdiction: 'lgpd', received_at: `${WORLD.start}T10:00:00Z` },
    { wa_id: '447700900123', type: 'erasure', jurisdiction: 'gdpr', received_at: `${WORLD.last}T09:00:00Z` },
  ];
  for (const body of requests) {
    const r = await http(`${service.url()}/api/compliance/requests`, {
      method: 'POST',
      headers: { ...authHeader('privacy'), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    // (404: a build without the compliance API's rights register; the privacy chart then stays empty.)
    if (r.status !== 201 && r.status !== 404) throw new Error(`rights request: ${r.status} ${r.text.slice(0, 200)}`);
  }
}

/**
 * Three CSAT surveys (tagged cs=) on the last day to customers of the first tenant's first number,
 * two of them answered by quick reply (5 and 2); the generator sends none.
 */
export async function sendCsatSurveys(service: Service): Promise<void> {
  const tenant = service.deps.config.file.tenants[0]!;
  const phone = tenant.phone_numbers[0]!.phone_number_id;
  const unix = (hm: string) => String(Date.parse(`${WORLD.last}T${hm}:00Z`) / 1000);
  const value = (v: Record<string, unknown>) => ({ messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: phone }, ...v });
  const body = (v: Record<string, unknown>) => JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: tenant.waba_id, changes: [{ field: 'messages', value: value(v) }] }] });
  for (const [i, answer] of [[1, '5'], [2, '2'], [3, '']] as const) {
    const customer = `551199998000${i}`;
    const survey = `wamid.CSAT${i}`;
    const bodies = [body({ statuses: [{ id: survey, status: 'sent', timestamp: unix(`1${i}:00`), recipient_id: customer, biz_opaque_callback_data: 'v1;src=a;cs=post_chat' }] })];
    if (answer) {
      bodies.push(body({
        contacts: [{ profile: { name: 'Cliente' }, wa_id: customer }],
        messages: [{ from: customer, id: `wamid.CSATR${i}`, timestamp: unix(`1${i}:05`), type: 'button', button: { payload: answer, text: answer }, context: { from: '15550001111', id: survey } }],
      }));
    }
    for (const b of bodies) {
      const r = await postSigned(service.url(), b);
      if (r.status !== 200) throw new Error(`CSAT webhook answered ${r.status}`);
    }
  }
  await service.settle();
}

/** Everything the dashboards need: rate cards, the week's webhooks, Meta's figures, rights requests, the jobs. */
export async function prepareWorld(service: Service): Promise<void> {
  await loadExampleRateCards(service);
  await postWorld(service);
  await sendCsatSurveys(service);
  await runJobs(service);
  const aurora = service.deps.config.file.tenants[0]!.waba_id;
  await importMetaAnalytics(service, aurora, WORLD.start);
  await importTemplateAnalytics(service, aurora, WORLD.start);
  await openRightsRequests(service);
  await runJobs(service);
}

/** The range the tests look at: the generated week up to today (the access audit is written in real time). */
export const WORLD_RANGE = `from=${WORLD.start}&to=${dayOffset(0)}`;
