import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { tableFromIPC } from 'apache-arrow';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppDeps } from '../../app/deps.ts';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { PHONE_ID, WABA } from '../fixtures/meta.ts';
import { authHeader, http, postSigned, startTestService } from '../helpers/service.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { addSlaCli } from '../../reports/sla/cli.ts';
import { refreshWaits } from '../../reports/sla/job.ts';
import { parseReportParams } from '../../reports/sla/params.ts';
import { runAggregateSets, runReport } from '../../reports/sla/report.ts';
import { slaSettings } from '../../reports/sla/settings.ts';
import { businessAppEcho, customerMessage, messageStatus } from './bodies.ts';

// End to end: signed webhook bodies → ingest → the SLA job → the API. Every expected value below is
// worked out by hand from the timeline (all times Monday 4 March 2024 UTC unless noted; São Paulo is
// UTC-3 without DST, open Mon–Fri 09:00–18:00 local = 12:00–21:00Z).
//
// Policy "standard": FRT 30 business minutes, NRT 1 h calendar, reply to a business message 2 h calendar.
// Chat A  11:50 text → 12:20 human ana (FRT 1800 s, business 1200 s from the 12:00Z opening, due 12:30 → achieved)
//         13:00 text → 13:00:30 bot, 13:40 human bo (NRT human 2400 s, due 14:00 → achieved; any: 30 s bot)
//         15:00 text → 15:10 human send that later FAILS, 16:30 echo (NRT 5400 s, due 16:00 → breached)
//         16:31 reaction (opens nothing)
// Chat B  10:00 campaign template, 10:30 button reply, never answered: reply_to_business due 12:30 → breached
//         by now (Tue 09:00Z); window closes Tue 10:30Z, 1.5 h after now → "window closing"
// Chat C  Tue 08:30Z text, unanswered: FRT open, due = Tue opening 12:00Z + 30 min = 12:30Z
// Chat D  12:00 text, 12:10 human reply; a text at 11:00 arrives late: the wait starts at 11:00 (4200 s,
//         business 600 s, due 12:30 → achieved) and the 12:00 wait disappears.

const NOW = new Date('2024-03-05T09:00:00Z');
const A = '5511900000001';
const B = '5511900000002';
const C = '5511900000003';
const D = '5511900000004';
const h = (ag: string, tm = 'care') => `v1;src=h;ag=${ag};tm=${tm}`;

const FIRST_BATCH = [
  customerMessage(A, 'wamid.A1', '2024-03-04T11:50:00Z'),
  messageStatus(A, 'wamid.O1', 'sent', '2024-03-04T12:20:00Z', { tag: h('ana'), category: 'service' }),
  messageStatus(A, 'wamid.O1', 'delivered', '2024-03-04T12:20:05Z', { tag: h('ana'), category: 'service' }),
  messageStatus(A, 'wamid.O1', 'read', '2024-03-04T12:25:00Z', { tag: h('ana') }),
  customerMessage(A, 'wamid.A2', '2024-03-04T13:00:00Z'),
  messageStatus(A, 'wamid.O2', 'sent', '2024-03-04T13:00:30Z', { tag: 'v1;src=b;ag=bot1;tm=care', category: 'service' }),
  messageStatus(A, 'wamid.O3', 'sent', '2024-03-04T13:40:00Z', { tag: h('bo'), category: 'service' }),
  customerMessage(A, 'wamid.A3', '2024-03-04T15:00:00Z'),
  messageStatus(A, 'wamid.O4', 'sent', '2024-03-04T15:10:00Z', { tag: h('ana'), category: 'service' }),
  businessAppEcho(A, 'wamid.E5', '2024-03-04T16:30:00Z'),
  customerMessage(A, 'wamid.A4', '2024-03-04T16:31:00Z', 'reaction'),
  messageStatus(B, 'wamid.O6', 'sent', '2024-03-04T10:00:00Z', { tag: 'v1;src=c;tm=mkt', category: 'marketing' }),
  messageStatus(B, 'wamid.O6', 'delivered', '2024-03-04T10:00:02Z', { tag: 'v1;src=c;tm=mkt', category: 'marketing' }),
  customerMessage(B, 'wamid.B1', '2024-03-04T10:30:00Z', 'button'),
  customerMessage(C, 'wamid.C1', '2024-03-05T08:30:00Z'),
  customerMessage(D, 'wamid.D2', '2024-03-04T12:00:00Z'),
  messageStatus(D, 'wamid.O7', 'sent', '2024-03-04T12:10:00Z', { tag: h('ana'), category: 'service' }),
];
const LATE_BATCH = [
  messageStatus(A, 'wamid.O4', 'failed', '2024-03-04T15:10:02Z'),
  customerMessage(D, 'wamid.D1', '2024-03-04T11:00:00Z'),
  // Meta delivers duplicates: the same body again changes nothing.
  customerMessage(A, 'wamid.A1', '2024-03-04T11:50:00Z'),
];

const contactOf = (waId: string) => 'c_' + createHmac('sha256', 'test-pii-key').update('contact\0' + waId).digest('hex').slice(0, 16);

let wh: Warehouse;
let service: Service;
const tmp = mkdtempSync(join(tmpdir(), 'sla-api-'));

async function runJob(): Promise<void> {
  const job = service.jobs.find((j) => j.name === 'sla.waits');
  await job!.run(NOW);
}

async function get(path: string, role: 'manager' | 'finance' | 'admin' | null = 'manager') {
  return http(`${service.url()}${path}`, { headers: role ? authHeader(role) : {} });
}

async function getJson(path: string, role: 'manager' | 'admin' = 'manager') {
  const r = await get(path, role);
  expect(r.status, r.text).toBe(200);
  return JSON.parse(r.text) as { columns: string[]; rows: Record<string, unknown>[] };
}

/** Runs `report sla …` in process with the given dependencies and returns what it wrote to stdout. */
async function runCli(args: string[], deps: AppDeps = service.deps): Promise<string> {
  const program = new Command().exitOverride();
  addSlaCli(program, async () => ({ deps, close: async () => undefined }));
  const chunks: Buffer[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: Uint8Array | string, cb?: (e?: Error) => void) => {
    chunks.push(Buffer.from(chunk));
    cb?.();
    return true;
  }) as typeof process.stdout.write);
  try {
    await program.parseAsync(['report', 'sla', ...args], { from: 'user' });
  } finally {
    write.mockRestore();
  }
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  const dir = tmp;
  const weekday = [['09:00', '18:00']];
  const config = {
    tenants: [{ waba_id: WABA, name: 'Loja', time_zone: 'America/Sao_Paulo', calendar: 'office', phone_numbers: [{ phone_number_id: PHONE_ID }] }],
    calendars: [{ id: 'office', versions: [{ effective_from: '2024-01-01', time_zone: 'America/Sao_Paulo', weekly: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday } }] }],
    sla: {
      job: { settle_seconds: 0 },
      policies: [{ effective_from: '2024-01-01', rules: [{ name: 'standard', frt: { minutes: 30, mode: 'business' }, nrt: { hours: 1 }, reply_to_business: { hours: 2 } }] }],
    },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  service = await startTestService(wh, { CONFIG_FILE: join(dir, 'config.json') }, { now: () => NOW });
  for (const body of FIRST_BATCH) expect((await postSigned(service, body)).status).toBe(200);
  await runJob();
});

afterAll(async () => {
  await service?.stop();
  await wh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const WAIT_FIELDS = ['contact', 'kind', 'thread_started_at', 'started_at', 'responded_at', 'response_seconds', 'business_response_seconds', 'responder', 'agent', 'team', 'sla_policy', 'sla_target_seconds', 'sla_mode', 'due_at', 'sla_status', 'replied_in_window', 'window_missed'];
const pick = (r: Record<string, unknown>) => WAIT_FIELDS.map((f) => r[f]);
const RANGE = 'from=2024-03-04&to=2024-03-05&tz=America/Sao_Paulo';

describe('SLA reports end to end', () => {
  it('before the late events: the failed send still answers, and D starts at 12:00', async () => {
    const { rows: waits } = await getJson(`/api/reports/sla/waits?${RANGE}&kind=next`);
    expect(waits.map((r) => [r.started_at, r.response_seconds])).toEqual([
      ['2024-03-04T13:00:00.000Z', 2400],
      ['2024-03-04T15:00:00.000Z', 600],
    ]);
    const { rows: d } = await getJson(`/api/reports/sla/waits?${RANGE}&kind=first`);
    expect(d.map((r) => r.started_at)).toContain('2024-03-04T12:00:00.000Z');
  });

  it('late events recompute their chats; wait rows match the hand-computed values', async () => {
    const versionsOfA = async () =>
      (await rows<{ start_wamid: string; version: string }>(
        wh,
        `SELECT start_wamid, toString(version) AS version FROM {{db}}.sla_waits_v1 FINAL WHERE family = 'human' AND wa_id = {a:String} ORDER BY start_wamid`,
        { a: A },
      )).map((r) => BigInt(r.version));
    const before = await versionsOfA();
    for (const body of LATE_BATCH) expect((await postSigned(service, body)).status).toBe(200);
    await runJob();
    const { columns, rows: waits } = await getJson(`/api/reports/sla/waits?${RANGE}`);
    expect(columns.slice(0, 20)).toEqual([
      'waba_id', 'phone_number_id', 'contact', 'family', 'kind', 'thread_started_at', 'started_at', 'responded_at', 'response_seconds',
      'business_response_seconds', 'responder', 'agent', 'team', 'sla_policy', 'sla_target_seconds', 'sla_mode', 'due_at', 'sla_status',
      'replied_in_window', 'window_missed',
    ]);
    expect(waits.every((r) => r.waba_id === WABA && r.phone_number_id === PHONE_ID && r.family === 'human')).toBe(true);
    const z = (hm: string, day = '04') => `2024-03-${day}T${hm}:00.000Z`;
    expect(waits.map(pick)).toEqual([
      [contactOf(B), 'reply_to_business', z('10:00'), z('10:30'), null, null, null, '', '', '', 'standard', 7200, 'calendar', z('12:30'), 'breached', null, false],
      [contactOf(D), 'first', z('11:00'), z('11:00'), z('12:10'), 4200, 600, 'human', 'ana', 'care', 'standard', 1800, 'business', z('12:30'), 'achieved', true, false],
      [contactOf(A), 'first', z('11:50'), z('11:50'), z('12:20'), 1800, 1200, 'human', 'ana', 'care', 'standard', 1800, 'business', z('12:30'), 'achieved', true, false],
      [contactOf(A), 'next', z('11:50'), z('13:00'), z('13:40'), 2400, 2400, 'human', 'bo', 'care', 'standard', 3600, 'calendar', z('14:00'), 'achieved', true, false],
      [contactOf(A), 'next', z('11:50'), z('15:00'), z('16:30'), 5400, 5400, 'human', '', '', 'standard', 3600, 'calendar', z('16:00'), 'breached', true, false],
      [contactOf(C), 'first', z('08:30', '05'), z('08:30', '05'), null, null, null, '', '', '', 'standard', 1800, 'business', z('12:30', '05'), 'open', null, false],
    ]);
    expect(waits[2]).toMatchObject({ time_to_deliver_seconds: 5, time_to_read_seconds: 300 });
    // Recomputing chat A rewrote only its changed wait (A3): A1 and A2 keep the rows they had.
    const after = await versionsOfA();
    expect(before).toHaveLength(3);
    expect([after[0] === before[0], after[1] === before[1], after[2]! > before[2]!]).toEqual([true, true, true]);
  });

  it('the any family counts the bot', async () => {
    const { rows: waits } = await getJson(`/api/reports/sla/waits?${RANGE}&family=any&responder=bot`);
    expect(waits.map((r) => [r.family, r.kind, r.started_at, r.response_seconds, r.responder, r.agent])).toEqual([
      ['any', 'next', '2024-03-04T13:00:00.000Z', 30, 'bot', 'bot1'],
    ]);
  });

  it('running the job again, or from a second instance at once, changes nothing', async () => {
    const before = await rows(wh, 'SELECT * FROM {{db}}.sla_waits_v1 FINAL ORDER BY wait_id');
    await Promise.all([runJob(), refreshWaits(wh, slaSettings(service.deps.config.file))]);
    const again = await refreshWaits(wh, slaSettings(service.deps.config.file));
    expect([again.mode, again.written, again.deleted]).toEqual(['idle', 0, 0]);
    expect(await rows(wh, 'SELECT * FROM {{db}}.sla_waits_v1 FINAL ORDER BY wait_id')).toEqual(before);
    expect(before).toHaveLength(12);
  });

  it('aggregates: exact quantiles, attainment and n per kind', async () => {
    const { rows: agg } = await getJson(`/api/reports/sla?${RANGE}&period=none&group_by=kind`);
    const fields = ['kind', 'waits', 'answered', 'mean_seconds', 'p50_seconds', 'p99_seconds', 'business_mean_seconds', 'business_p50_seconds', 'achieved', 'breached', 'open', 'attainment_pct'];
    expect(agg.map((r) => fields.map((f) => r[f]))).toEqual([
      // first: answered 1800 and 4200 s; quantile = value at rank ⌊p·n⌋ of the sorted values → 4200.
      ['first', 3, 2, 3000, 4200, 4200, 900, 1200, 2, 0, 1, 100],
      ['next', 2, 2, 3900, 5400, 5400, 3900, 5400, 1, 1, 0, 50],
      ['reply_to_business', 1, 0, null, null, null, null, null, 0, 1, 0, 0],
    ]);
  });

  it('aggregates: only the figures asked for, with the same hand-computed values', async () => {
    const asked = await getJson(`/api/reports/sla?${RANGE}&period=none&group_by=kind&columns=answered,p50_seconds,breached`);
    expect(asked.columns).toEqual(['period', 'kind', 'family', 'answered', 'p50_seconds', 'breached']);
    expect(asked.rows.map((r) => Object.values(r))).toEqual([
      ['', 'first', 'human', 2, 4200, 0],
      ['', 'next', 'human', 2, 5400, 1],
      ['', 'reply_to_business', 'human', 0, null, 1],
    ]);
    // Without any percentile asked, the cells are the same.
    const counts = await getJson(`/api/reports/sla?${RANGE}&period=none&group_by=kind&columns=waits,attainment_pct,replies_read`);
    expect(counts.rows.map((r) => Object.values(r))).toEqual([
      ['', 'first', 'human', 3, 100, 1],
      ['', 'next', 'human', 2, 50, 0],
      ['', 'reply_to_business', 'human', 1, 0, 0],
    ]);
    // A figure worked out from others: A1's reply was read, D's was not; no next reply was read.
    const rate = await getJson(`/api/reports/sla?${RANGE}&period=none&group_by=kind&columns=read_rate_lower_bound`);
    expect(rate.rows.map((r) => Object.values(r))).toEqual([
      ['', 'first', 'human', 0.5],
      ['', 'next', 'human', 0],
      ['', 'reply_to_business', 'human', null],
    ]);
    const csv = await get(`/api/reports/sla?${RANGE}&period=none&group_by=kind&columns=business_p50_seconds&format=csv`);
    expect(parse(csv.text, { columns: true })).toEqual([
      { period: '', kind: 'first', family: 'human', business_p50_seconds: '1200' },
      { period: '', kind: 'next', family: 'human', business_p50_seconds: '5400' },
      { period: '', kind: 'reply_to_business', family: 'human', business_p50_seconds: '' },
    ]);
  });

  it('aggregates by day follow the requested zone', async () => {
    // In Tokyo (UTC+9) the 15:00Z wait falls on Tuesday; in São Paulo everything but C is Monday.
    const tokyo = await getJson(`/api/reports/sla?from=2024-03-04&to=2024-03-05&tz=asia/tokyo&group_by=`);
    expect(tokyo.rows.map((r) => [r.period, r.waits])).toEqual([['2024-03-04', 4], ['2024-03-05', 2]]);
    const saoPaulo = await getJson(`/api/reports/sla?${RANGE}&group_by=`);
    expect(saoPaulo.rows.map((r) => [r.period, r.waits])).toEqual([['2024-03-04', 5], ['2024-03-05', 1]]);
  });

  it('aggregates by hour of the week in the business zone (0 = Monday 00:00)', async () => {
    // São Paulo local start times: B Mon 07:30, D 08:00, A1 08:50, A2 10:00, A3 12:00, C Tue 05:30.
    const { rows: agg } = await getJson(`/api/reports/sla?${RANGE}&period=none&group_by=hour_of_week`);
    expect(agg.map((r) => [r.hour_of_week, r.waits])).toEqual([[7, 1], [8, 2], [10, 1], [12, 1], [29, 1]]);
  });

  it('several groupings read at once give each grouping its hand-computed cells', async () => {
    const p = parseReportParams('aggregates', { from: '2024-03-04', to: '2024-03-05', tz: 'America/Sao_Paulo' }, slaSettings(service.deps.config.file), NOW, 'all');
    const [byKind, byDay, byHour, byHourAnswered] = await runAggregateSets(service.deps, p, [
      { period: 'none', dims: ['kind'] },
      { period: 'day', dims: [] },
      { period: 'none', dims: ['hour_of_week'] },
      { period: 'none', dims: ['hour_of_week'], kinds: ['first', 'next'] },
    ]);
    // The same figures as the one-grouping tests above.
    expect(byKind!.rows.map((r) => [r.period, r.kind, r.waits, r.answered, r.mean_seconds, r.p50_seconds, r.business_p50_seconds, r.achieved, r.breached, r.open])).toEqual([
      ['', 'first', 3, 2, 3000, 4200, 1200, 2, 0, 1],
      ['', 'next', 2, 2, 3900, 5400, 5400, 1, 1, 0],
      ['', 'reply_to_business', 1, 0, null, null, null, 0, 1, 0],
    ]);
    expect(byDay!.rows.map((r) => [r.period, r.waits, 'kind' in r])).toEqual([['2024-03-04', 5, false], ['2024-03-05', 1, false]]);
    expect(byHour!.rows.map((r) => [r.period, r.hour_of_week, r.waits])).toEqual([['', 7, 1], ['', 8, 2], ['', 10, 1], ['', 12, 1], ['', 29, 1]]);
    // First and next responses only: B (Mon 07:30) is the reply to the business.
    expect(byHourAnswered!.rows.map((r) => [r.period, r.hour_of_week, r.waits])).toEqual([['', 8, 2], ['', 10, 1], ['', 12, 1], ['', 29, 1]]);
    // The same as the report asked for those kinds alone.
    const { rows: alone } = await getJson(`/api/reports/sla?${RANGE}&period=none&group_by=hour_of_week&kind=first,next`);
    expect(byHourAnswered!.rows).toEqual(alone);
    expect(byKind!.columns.map((c) => c.name)).toContain('kind');
  });

  it('the CLI prints the same report to stdout', async () => {
    const out = await runCli(['--kind', 'breaches', '--from', '2024-03-04', '--to', '2024-03-05', '--tz', 'America/Sao_Paulo', '--format', 'csv']);
    const records = parse(out, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => [r.contact, r.kind, r.overdue_seconds])).toEqual([[contactOf(B), 'reply_to_business', '73800'], [contactOf(A), 'next', '1800']]);
  });

  it('open waits turn breached and miss their window as time passes (read time, not stored)', async () => {
    // A day and a half later (Wed 12:00Z): C passed its deadline (Tue 12:30Z) and its window (Wed
    // 08:30Z); B's window closed Tue 10:30Z. Answered waits keep their values.
    const later = { ...service.deps, now: () => new Date('2024-03-06T12:00:00Z') };
    const out = await runCli(['--kind', 'waits', '--from', '2024-03-04', '--to', '2024-03-05', '--tz', 'America/Sao_Paulo'], later);
    const { rows: waits } = JSON.parse(out) as { rows: Record<string, unknown>[] };
    expect(waits.map((r) => [r.contact, r.kind, r.sla_status, r.window_missed])).toEqual([
      [contactOf(B), 'reply_to_business', 'breached', true],
      [contactOf(D), 'first', 'achieved', false],
      [contactOf(A), 'first', 'achieved', false],
      [contactOf(A), 'next', 'achieved', false],
      [contactOf(A), 'next', 'breached', false],
      [contactOf(C), 'first', 'breached', true],
    ]);
  });

  it('breaches and live lists as of now', async () => {
    const { rows: breaches } = await getJson(`/api/reports/sla/breaches?${RANGE}`);
    // B: now − due = Tue 09:00 − Mon 12:30 = 73800 s; A3: 16:30 − 16:00 = 1800 s.
    expect(breaches.map((r) => [r.contact, r.kind, r.overdue_seconds])).toEqual([[contactOf(B), 'reply_to_business', 73800], [contactOf(A), 'next', 1800]]);
    const { rows: live } = await getJson(`/api/reports/sla/live`);
    // B waits 22.5 h; its window closes at Tue 10:30Z, 5400 s after now. C waits 30 min.
    expect(live.map((r) => [r.list, r.contact, r.elapsed_seconds, r.window_left_seconds, r.sla_status])).toEqual([
      ['waiting_now', contactOf(B), 81000, 5400, 'breached'],
      ['waiting_now', contactOf(C), 1800, 84600, 'open'],
      ['window_closing', contactOf(B), 81000, 5400, 'breached'],
    ]);
    // The top of each list only (what the dashboard reads): the longest wait, the soonest window.
    const p = { ...parseReportParams('live', {}, slaSettings(service.deps.config.file), NOW, 'all'), perList: 1 };
    const top = (await runReport(service.deps, 'live', p, true)).rows;
    expect(top.map((r) => [r.list, r.contact])).toEqual([['waiting_now', B], ['window_closing', B]]);
  });

  it('roles: manager and admin may read, finance may not, no token is refused; admin sees wa_id', async () => {
    expect((await get(`/api/reports/sla/waits?${RANGE}`, 'finance')).status).toBe(403);
    expect((await get(`/api/reports/sla/waits?${RANGE}`, null)).status).toBe(401);
    const { rows: admin } = await getJson(`/api/reports/sla/waits?${RANGE}&kind=reply_to_business`, 'admin');
    expect(admin.map((r) => r.contact)).toEqual([B]);
  });

  it('every run is in the access audit, without customer numbers', async () => {
    // The audit entry is written before the response leaves, so it is there already.
    const audit = await rows<{ action: string; params_json: string; rows_returned: number; export_sha256: string }>(
      wh,
      `SELECT action, params_json, rows_returned, export_sha256 FROM {{db}}.access_audit_v1 WHERE action LIKE 'sla.%' ORDER BY seq`,
    );
    expect(audit.length).toBeGreaterThanOrEqual(10);
    expect(audit.map((a) => a.action)).toContain('sla.live');
    // Answered runs carry the hash of what was sent; refused ones (finance's 403) their status.
    const answered = audit.filter((a) => JSON.parse(a.params_json).status === 200);
    expect(answered.length).toBeGreaterThanOrEqual(10);
    expect(answered.every((a) => a.export_sha256.length === 64)).toBe(true);
    expect(audit.filter((a) => JSON.parse(a.params_json).status === 403).map((a) => a.export_sha256)).toEqual(['']);
    for (const waId of [A, B, C, D]) expect(audit.some((a) => a.params_json.includes(waId))).toBe(false);
  });

  it('bad input is refused with 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['tz=Mars/Olympus', 'tz'],
      ['tz=UTC%2B3', 'tz'],
      ['from=2024-03-05&to=2024-03-04', 'from'],
      ['format=xlsx', 'format'],
      ['from=2023-01-01&to=2024-03-04', 'to'],
      ['from=yesterday', 'from'],
      ['kind=fastest', 'kind'],
      ['group_by=color', 'group_by'],
      ['colour=red', 'colour'],
      ['columns=p42_seconds', 'columns'],
    ];
    for (const [query, parameter] of cases) {
      const r = await get(`/api/reports/sla?${query}`);
      expect([query, r.status]).toEqual([query, 400]);
      expect(JSON.parse(r.text).parameter).toBe(parameter);
    }
  });

  it('refuses a list larger than sla.max_export_rows with 400, in the API and the CLI, instead of holding it', async () => {
    const all = await getJson(`/api/reports/sla/waits?${RANGE}&family=any`);
    const next = await getJson(`/api/reports/sla/waits?${RANGE}&family=any&kind=next`);
    // The cap sits exactly at the size of the smaller list.
    const cap = next.rows.length;
    expect(cap).toBeGreaterThan(0);
    expect(all.rows.length).toBeGreaterThan(cap);
    const file = JSON.parse(readFileSync(join(tmp, 'config.json'), 'utf8'));
    writeFileSync(join(tmp, 'capped.json'), JSON.stringify({ ...file, sla: { ...file.sla, max_export_rows: cap } }));
    const capped = await startTestService(wh, { CONFIG_FILE: join(tmp, 'capped.json') }, { now: () => NOW });
    try {
      const refused = await http(`${capped.url()}/api/reports/sla/waits?${RANGE}&family=any`, { headers: authHeader('manager') });
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.text)).toMatchObject({ parameter: 'to', error: expect.stringContaining(`more than ${cap} rows`) });
      // Exactly the cap is served, whole.
      const exact = await http(`${capped.url()}/api/reports/sla/waits?${RANGE}&family=any&kind=next`, { headers: authHeader('manager') });
      expect(exact.status, exact.text).toBe(200);
      expect(JSON.parse(exact.text).rows).toEqual(next.rows);
      // The other lists: served whole when within the cap, refused when over it.
      for (const path of ['breaches', 'live']) {
        const whole = await getJson(`/api/reports/sla/${path}?${RANGE}&family=any`);
        const r = await http(`${capped.url()}/api/reports/sla/${path}?${RANGE}&family=any`, { headers: authHeader('manager') });
        if (whole.rows.length <= cap) {
          expect(r.status, r.text).toBe(200);
          expect(JSON.parse(r.text).rows).toEqual(whole.rows);
        } else {
          expect(r.status).toBe(400);
        }
      }
      const out = await runCli(['--kind', 'waits', '--from', '2024-03-04', '--to', '2024-03-05', '--family', 'any'], capped.deps);
      expect(out).toBe('');
      expect(process.exitCode).toBe(2);
    } finally {
      process.exitCode = undefined;
      await capped.stop();
    }
  });

  it('exports decode as CSV, Arrow and Parquet with the same values', async () => {
    const csv = await get(`/api/reports/sla/waits?${RANGE}&format=csv`);
    expect(csv.status).toBe(200);
    const records = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => [r.kind, r.response_seconds, r.sla_status])).toEqual([
      ['reply_to_business', '', 'breached'], ['first', '4200', 'achieved'], ['first', '1800', 'achieved'],
      ['next', '2400', 'achieved'], ['next', '5400', 'breached'], ['first', '', 'open'],
    ]);
    const arrow = await get(`/api/reports/sla/waits?${RANGE}&format=arrow`);
    const table = tableFromIPC(arrow.body);
    expect(table.numRows).toBe(6);
    expect(table.getChild('response_seconds')!.toArray()[1]).toBe(4200);
    expect(Number(table.getChild('started_at')!.get(1))).toBe(Date.parse('2024-03-04T11:00:00Z'));
    const parquet = await get(`/api/reports/sla/waits?${RANGE}&format=parquet`);
    const file = join(tmp, 'waits.parquet');
    writeFileSync(file, parquet.body);
    const decoded = await rows<{ kind: string; response_seconds: number | null; started_at: string }>(
      wh,
      `SELECT kind, response_seconds, toString(started_at) AS started_at FROM file({file:String}, Parquet)`,
      { file },
    );
    expect(decoded.map((r) => [r.kind, r.response_seconds, r.started_at])[1]).toEqual(['first', 4200, '2024-03-04 11:00:00.000']);
  });
});
