import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addAlertsCli } from '../../reports/alerts/cli.ts';
import type { Service } from '../../app/server.ts';
import { openRequest } from '../../reports/compliance/rights.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { statusBody, type StatusSpec } from '../billing/bodies.ts';
import { PHONE_BR, WABA_BR, WABA_UTC, postAll, refresh } from '../billing/setup.ts';
import { freePort } from '../helpers/service.ts';
import { createAlertEngine } from '../../reports/alerts/engine.ts';
import { openWarehouse } from '../../warehouse/client.ts';
import { rows } from '../helpers/warehouse.ts';
import { queryDuration } from '../../warehouse/metrics.ts';
import { startHttpReceiver } from './receivers.ts';
import { evaluateAlerts, saidTo, startAlertService } from './service.ts';

// Finance and privacy rules, each recipient a webhook of a real HTTP receiver, at an injected clock
// (2024-03-10 12:00 UTC):
// - the free tier (1,000 CBP service conversations) of WABA BR ran out on 2 March (1,001 sent): the
//   BR finance recipient is told; the recipient scoped to the other WABA is not;
// - LGPD rights requests are due 15 days after receipt. r1 received 12 days ago (due in 3 days) is
//   within the rule's 5 days; r2 received 5 days ago (due in 10) is not; r3, received 14 days ago
//   (due in 1 day), opens inside the rule's 60-minute cooldown and is told when the cooldown ends;
// - rights requests and the audit chain concern the service as a whole: only the privacy recipient
//   with every WABA in scope hears of them.

const T = Date.parse('2024-03-10T12:00:00Z');
const DAY = 86_400_000;
let clock = T;
let wh: Warehouse;
let svc: Service;
let hooks: Awaited<ReturnType<typeof startHttpReceiver>>;

let stop: () => Promise<void>;
/** Files the CLI tests write (rules to add). */
const tmp = mkdtempSync(join(tmpdir(), 'wa-alerts-svc-'));

beforeAll(async () => {
  ({ wh, svc, hooks, stop } = await startAlertService((hook) => ({
    tenants: [
      { waba_id: WABA_BR, name: 'Loja BR', time_zone: 'America/Sao_Paulo', phone_numbers: [{ phone_number_id: PHONE_BR }] },
      { waba_id: WABA_UTC, name: 'Global', time_zone: 'UTC' },
    ],
    alerts: {
      recipients: [
        { id: 'fin-br', role: 'finance', wabas: [WABA_BR], webhook: hook('fin-br') },
        { id: 'fin-utc', role: 'finance', wabas: [WABA_UTC], webhook: hook('fin-utc') },
        { id: 'dpo', role: 'privacy', wabas: 'all', webhook: hook('dpo') },
        { id: 'dpo-br', role: 'privacy', wabas: [WABA_BR], webhook: hook('dpo-br') },
      ],
      rules: [
        { id: 'free-tier', kind: 'free_tier_running_out', within_days: 3 },
        { id: 'rights', kind: 'rights_request_due', days_before: 5, cooldown_minutes: 60 },
        { id: 'chain', kind: 'audit_chain_broken' },
      ],
    },
  }), () => clock));
});

afterAll(async () => {
  await stop?.();
  rmSync(tmp, { recursive: true, force: true });
});

interface Payload {
  rule_id: string;
  state: string;
  count: number;
  items: Array<Record<string, unknown>>;
}
const said = (path: string) => saidTo<Payload>(hooks, path);
/** How many times the forecast's daily totals have been read. */
const forecastReads = async () =>
  (await queryDuration.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.query === 'billing.report.daily_totals' && v.labels.outcome === 'ok')?.value ?? 0;
const evaluate = () => evaluateAlerts(svc);
const request = (daysAgo: number) =>
  openRequest(svc.deps, { type: 'access', subjectHash: 'a'.repeat(64), jurisdiction: 'lgpd', receivedAt: new Date(clock - daysAgo * DAY), handledBy: 'dpo' });

describe('finance and privacy alerts', () => {
  it('the free tier that ran out goes to the finance recipient of that WABA only', async () => {
    // Before any data: nothing to tell. The forecast is kept while its tables stand still.
    await evaluate();
    const read = await forecastReads();
    await evaluate();
    expect(await forecastReads()).toBe(read);
    expect(said('fin-br')).toEqual([]);
    const sent: StatusSpec[] = Array.from({ length: 1001 }, (_, i) => ({
      wamid: `wamid.s${i}`, status: 'sent', at: new Date(Date.parse('2024-03-02T10:00:00Z') + i * 60_000).toISOString(), recipient: '5511900000000',
      conversation: { id: `svc-${i}`, origin: 'service' }, pricing: { billable: i === 1000, pricing_model: 'CBP', category: 'service' },
    }));
    await postAll(svc, [statusBody(WABA_BR, PHONE_BR, sent.slice(0, 500)), statusBody(WABA_BR, PHONE_BR, sent.slice(500))]);
    await refresh(svc);
    await evaluate();
    expect(await forecastReads()).toBe(read + 1);
    expect(said('fin-br').map((p) => [p.rule_id, p.state, p.items.map((i) => [i.waba_id, i.month, i.free_tier_limit, i.runs_out])])).toEqual([
      ['free-tier', 'firing', [[WABA_BR, '2024-03', 1000, '2024-03-02']]],
    ]);
    expect(said('fin-utc')).toEqual([]);
    expect(said('dpo')).toEqual([]);
    // A new local day is another forecast, though no table changed.
    clock += DAY;
    await evaluate();
    expect(await forecastReads()).toBe(read + 2);
    expect(said('fin-br')).toHaveLength(1);
    // The tests below are set on 10 March.
    clock = T;
  });

  it('rights requests within 5 days of their due date, with a 60-minute cooldown', async () => {
    const r1 = await request(12);
    await request(5);
    await evaluate();
    expect(said('dpo').map((p) => [p.rule_id, p.state, p.items.map((i) => [i.request_id, i.days_left])])).toEqual([['rights', 'firing', [[r1.request_id, 3]]]]);
    const r3 = await request(14);
    clock = T + 30 * 60_000;
    await evaluate();
    expect(said('dpo')).toHaveLength(1);
    clock = T + 60 * 60_000;
    await evaluate();
    expect(said('dpo').slice(1).map((p) => [p.rule_id, p.state, p.items.map((i) => i.request_id)])).toEqual([['rights', 'firing', [r3.request_id]]]);
    expect(said('dpo-br')).toEqual([]);
    // The subject's keyed hash never leaves either.
    for (const h of hooks.all) expect(h.body).not.toContain('a'.repeat(64));
  });

  it('an edited access-audit entry breaks the chain: the privacy officer is told once', async () => {
    const before = said('dpo').length;
    await evaluate();
    expect(said('dpo')).toHaveLength(before);
    await wh.writer.command({
      query: `ALTER TABLE ${wh.database}.access_audit_v1 UPDATE actor = 'someone-else' WHERE seq = 1`,
      clickhouse_settings: { mutations_sync: '2' },
    });
    await evaluate();
    await evaluate();
    const chain = said('dpo').slice(before);
    expect(chain.map((p) => [p.rule_id, p.state, p.count])).toEqual([['chain', 'firing', 1]]);
    expect(chain[0]!.items[0]!.first_broken_seq).toBe(1);
    expect(said('dpo-br')).toEqual([]);
  });
});

describe('the warehouse unreachable', () => {
  it('is told to the recipient with every WABA in scope, from the state held in memory, once', async () => {
    // A real fault: a ClickHouse server address where nothing listens.
    const down = await openWarehouse({ dataDir: tmp, clickhouse: { mode: 'server', url: `http://127.0.0.1:${await freePort()}`, user: 'default', password: '', database: 'nowhere' } });
    try {
      const file = {
        ...svc.deps.config.file,
        alerts: {
          retry: { attempts: 1, backoff_ms: 1 },
          recipients: [
            { id: 'ops', role: 'admin', wabas: 'all', webhook: { url: `${hooks.url}/ops`, secret: 'secret-of-ops-0123456789' } },
            { id: 'ops-br', role: 'admin', wabas: [WABA_BR], webhook: { url: `${hooks.url}/ops-br`, secret: 'secret-of-ops-0123456789' } },
          ],
          rules: [{ id: 'wh', kind: 'warehouse_unreachable' }],
        },
      };
      const engine = createAlertEngine({ ...svc.deps, warehouse: down, config: { ...svc.deps.config, file } });
      await engine.evaluate();
      await engine.evaluate();
      await engine.idle();
      expect(said('ops').map((p) => [p.rule_id, p.state, p.items])).toEqual([['wh', 'firing', [{ warehouse: 'server', reachable: 'no' }]]]);
      expect(said('ops-br')).toEqual([]);
    } finally {
      await down.close();
    }
  });
});

/** Runs `alerts …` in process with the service's dependencies; answers what it wrote to stdout. */
async function runCli(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  addAlertsCli(program, async () => ({ deps: svc.deps, close: async () => undefined }));
  const chunks: Buffer[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: Uint8Array | string) => {
    chunks.push(Buffer.from(chunk));
    return true;
  }) as typeof process.stdout.write);
  try {
    await program.parseAsync(['alerts', ...args], { from: 'user' });
  } finally {
    write.mockRestore();
  }
  return Buffer.concat(chunks).toString('utf8');
}

describe('alerts CLI', () => {
  it('adds, lists and removes a stored rule; a CONFIG_FILE rule cannot be replaced', async () => {
    writeFileSync(join(tmp, 'rule.json'), JSON.stringify({ id: 'retention', kind: 'retention_breach' }));
    expect(JSON.parse(await runCli(['add', join(tmp, 'rule.json')]))).toEqual({ saved: 'retention' });
    const listed = JSON.parse(await runCli(['rules'])) as Array<{ id: string; source: string }>;
    expect(listed.map((r) => [r.id, r.source])).toEqual([['free-tier', 'config'], ['rights', 'config'], ['chain', 'config'], ['retention', 'api']]);
    await runCli(['remove', 'retention']);
    expect((JSON.parse(await runCli(['rules'])) as unknown[]).length).toBe(3);
    writeFileSync(join(tmp, 'clash.json'), JSON.stringify({ id: 'chain', kind: 'audit_chain_broken' }));
    await runCli(['add', join(tmp, 'clash.json')]);
    expect(process.exitCode).toBe(2);
    process.exitCode = 0;
    const audited = await rows<{ action: string }>(wh, `SELECT action FROM {{db}}.access_audit_v1 WHERE actor = 'cli' ORDER BY seq`);
    expect(audited.map((a) => a.action)).toEqual(['alerts.rule_save', 'alerts.rules', 'alerts.rule_delete', 'alerts.rules']);
  });
});
