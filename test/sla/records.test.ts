import { describe, expect, it } from 'vitest';
import { fileConfigSchema } from '../../app/config.ts';
import { loadSlaSettings } from '../../reports/sla/config.ts';
import { groupByChat, toChatMessage } from '../../reports/sla/messages.ts';
import { waitRecords } from '../../reports/sla/records.ts';
import type { ChatEventRow } from '../../warehouse/queries/sla/events.ts';

// Stored wait rows from hand-built chats: policy versions, business time, window metrics and the
// outbound time rules. Expected values are computed by hand in the comments.

const weekdays9to17 = { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] };
const file = fileConfigSchema.parse({
  tenants: [
    { waba_id: 'W1', time_zone: 'America/Sao_Paulo', calendar: 'office', phone_numbers: [{ phone_number_id: 'P1' }, { phone_number_id: 'P2', calendar: 'late' }] },
    { waba_id: 'W2', time_zone: 'UTC', phone_numbers: [{ phone_number_id: 'P9' }] },
  ],
  calendars: [
    { id: 'office', versions: [{ effective_from: '2024-01-01', time_zone: 'America/Sao_Paulo', weekly: weekdays9to17 }] },
    { id: 'late', versions: [{ effective_from: '2024-01-01', time_zone: 'UTC', weekly: { mon: [['20:00', '22:00']] } }] },
  ],
  sla: {
    policies: [
      { effective_from: '2024-01-01', rules: [{ name: 'old', frt: { hours: 1 }, nrt: { hours: 2 } }] },
      {
        effective_from: '2024-03-01T12:00:00Z',
        rules: [
          { name: 'ads', entry_point: 'ctwa', frt: { minutes: 5 } },
          { name: 'sales', team: 'sales', nrt: { minutes: 30, mode: 'business' } },
          { name: 'standard', phone_number_id: ['P1', 'P2'], frt: { minutes: 10 }, nrt: { hours: 1, mode: 'business' } },
        ],
      },
    ],
  },
});
const settings = loadSlaSettings(file);

let seq = 0;
function row(p: Partial<ChatEventRow> & Pick<ChatEventRow, 'dir'>): ChatEventRow {
  return {
    waba_id: 'W1', phone_number_id: 'P1', wa_id: '5511999990000', wamid: `m${++seq}`, at: null, type: 'text', referral: false,
    sent: null, delivered: null, read: null, failed: false, tag: '', category: '', received: 1, rows: 1, ...p,
  };
}
const t = (iso: string) => Date.parse(iso);
const inbound = (iso: string, extra: Partial<ChatEventRow> = {}) => row({ dir: 'in', at: t(iso), ...extra });
const reply = (iso: string, extra: Partial<ChatEventRow> = {}) => row({ dir: 'out', sent: t(iso), tag: 'v1;src=h;ag=ana;tm=care', category: 'service', ...extra });

function records(rows: ChatEventRow[]) {
  const [c] = groupByChat(rows);
  return waitRecords(c!.chat, c!.messages, settings, c!.version).filter((r) => r.family === 'human');
}

describe('policies', () => {
  it('a policy change applies only to waits that start after it', () => {
    // 11:59 starts under the old policy (FRT 1 h calendar): a 30-min reply is achieved.
    const before = records([inbound('2024-03-01T11:59:00Z'), reply('2024-03-01T12:29:00Z')]);
    expect(before.map((r) => [r.sla_policy, r.sla_target_seconds, r.sla_mode, r.due_at, r.sla_status])).toEqual([['old', 3600, 'calendar', t('2024-03-01T12:59:00Z'), 'achieved']]);
    // 12:01 starts under the new one (standard FRT 10 min): the same 30-min reply is breached.
    const after = records([inbound('2024-03-01T12:01:00Z'), reply('2024-03-01T12:31:00Z')]);
    expect(after.map((r) => [r.sla_policy, r.sla_target_seconds, r.due_at, r.sla_status])).toEqual([['standard', 600, t('2024-03-01T12:11:00Z'), 'breached']]);
  });

  it('rules are ordered: the first match wins', () => {
    // An ad thread matches "ads" (FRT 5 min calendar): answered in 4 min. Its next wait also matches
    // "ads", which has no NRT target: excluded, under that policy's name.
    const ad = records([
      inbound('2024-03-04T12:00:00Z', { referral: true }),
      reply('2024-03-04T12:04:00Z'),
      inbound('2024-03-04T13:00:00Z'),
      reply('2024-03-04T13:01:00Z'),
    ]);
    expect(ad.map((r) => [r.kind, r.sla_policy, r.sla_target_seconds, r.sla_mode, r.due_at, r.sla_status])).toEqual([
      ['first', 'ads', 300, 'calendar', t('2024-03-04T12:05:00Z'), 'achieved'],
      ['next', 'ads', null, '', null, 'excluded'],
    ]);
  });

  it('a team rule matches the team that owned the chat when the wait started', () => {
    const rows = records([
      inbound('2024-03-04T12:00:00Z'), // Mon 09:00 in São Paulo (-03)
      reply('2024-03-04T12:04:00Z', { tag: 'v1;src=h;ag=ana;tm=sales' }),
      inbound('2024-03-04T19:50:00Z'), // Mon 16:50 local
      reply('2024-03-05T12:15:00Z', { tag: 'v1;src=h;ag=bo;tm=care' }), // Tue 09:15 local
    ]);
    // Wait 1: no team yet → "standard" FRT 10 min calendar, answered in 4 min (240 s, all in open hours).
    // Wait 2: owned by sales → "sales" NRT 30 business min: 10 min Mon + 20 min Tue → due Tue 09:20 local.
    //   Business time of the reply: 16:50–17:00 Mon + 09:00–09:15 Tue = 25 min; calendar 16 h 25 min.
    expect(rows.map((r) => [r.kind, r.sla_policy, r.sla_mode, r.due_at, r.business_response_seconds, r.response_seconds, r.team, r.sla_status])).toEqual([
      ['first', 'standard', 'calendar', t('2024-03-04T12:10:00Z'), 240, 240, 'sales', 'achieved'],
      ['next', 'sales', 'business', t('2024-03-05T12:20:00Z'), 1500, 59100, 'care', 'achieved'],
    ]);
  });

  it('a rule without a target for the kind, or no rule, excludes the wait', () => {
    const rows = records([inbound('2024-03-04T12:00:00Z', { phone_number_id: 'P9', waba_id: 'W2' })]);
    expect(rows.map((r) => [r.sla_policy, r.sla_status, r.due_at])).toEqual([['', 'excluded', null]]);
  });

  it('an unanswered wait is stored open with its deadline (breached is decided when read)', () => {
    const [open] = records([inbound('2024-03-04T12:00:00Z')]);
    expect([open!.sla_status, open!.due_at, open!.responded_at]).toEqual(['open', t('2024-03-04T12:10:00Z'), null]);
  });

  it('a reply exactly at the deadline is achieved, one second later breached', () => {
    const onTime = records([inbound('2024-03-04T12:00:00Z'), reply('2024-03-04T12:10:00Z')]);
    const late = records([inbound('2024-03-04T12:00:00Z'), reply('2024-03-04T12:10:01Z')]);
    expect([onTime[0]!.sla_status, late[0]!.sla_status]).toEqual(['achieved', 'breached']);
  });
});

describe('business time and windows', () => {
  it('uses the phone number calendar before the tenant calendar', () => {
    // P2 → calendar "late" (Mon 20–22 UTC): Mon 19:00 → Mon 21:30 is 1.5 business hours.
    const [r] = records([inbound('2024-03-04T19:00:00Z', { phone_number_id: 'P2' }), reply('2024-03-04T21:30:00Z', { phone_number_id: 'P2' })]);
    expect([r!.calendar_id, r!.business_response_seconds, r!.response_seconds]).toEqual(['late', 5400, 9000]);
  });

  it('without a calendar business time equals calendar time', () => {
    const chat = { waba_id: 'W2', phone_number_id: 'P9' };
    const [r] = records([inbound('2024-03-02T10:00:00Z', chat), reply('2024-03-03T10:00:30Z', chat)]);
    expect([r!.calendar_id, r!.business_response_seconds, r!.response_seconds]).toEqual(['', 86430, 86430]);
  });

  it('the window runs 24 h from the last customer message before the reply', () => {
    // Messages at 00:00 and 10:00; the window closes at 10:00 next day.
    const inside = records([inbound('2024-03-02T00:00:00Z'), inbound('2024-03-02T10:00:00Z'), reply('2024-03-03T09:59:59Z')]);
    expect(inside.map((r) => [r.window_expires_at, r.replied_in_window, r.response_template])).toEqual([[t('2024-03-03T10:00:00Z'), true, false]]);
    const late = records([inbound('2024-03-02T00:00:00Z'), inbound('2024-03-02T10:00:00Z'), reply('2024-03-03T10:00:00Z', { category: 'utility' })]);
    expect(late.map((r) => [r.replied_in_window, r.response_template])).toEqual([[false, true]]);
    const open = records([inbound('2024-03-02T00:00:00Z'), inbound('2024-03-02T10:00:00Z')]);
    expect(open.map((r) => [r.window_expires_at, r.replied_in_window])).toEqual([[t('2024-03-03T10:00:00Z'), null]]);
  });

  it('times to deliver and read the reply; none when the sent status is missing', () => {
    const [r] = records([inbound('2024-03-02T00:00:00Z'), reply('2024-03-02T00:01:00Z', { delivered: t('2024-03-02T00:01:03Z'), read: t('2024-03-02T00:05:00Z') })]);
    expect([r!.time_to_deliver_seconds, r!.time_to_read_seconds]).toEqual([3, 240]);
    const [noSent] = records([inbound('2024-03-02T00:00:00Z'), reply('2024-03-02T00:01:00Z', { sent: null, read: t('2024-03-02T00:02:00Z') })]);
    expect([noSent!.response_seconds, noSent!.time_to_deliver_seconds, noSent!.time_to_read_seconds]).toEqual([120, null, null]);
  });
});

describe('outbound message time', () => {
  it.each([
    ['sent status', { sent: 100_000, delivered: 103_000, read: 110_000 }, 100_000],
    ['no sent: earliest of delivered and read', { delivered: 103_000, read: 101_000 }, 101_000],
    ['only delivered', { delivered: 103_000 }, 103_000],
    ['only failed: no time, dropped', { failed: true }, null],
  ])('%s', (_name, statuses, expected) => {
    const m = toChatMessage(row({ dir: 'out', ...statuses }));
    expect(m ? m.at : null).toBe(expected);
  });

  it('the version grows with the latest receipt and the number of items', () => {
    const a = groupByChat([inbound('2024-03-02T00:00:00Z', { received: 5000, rows: 1 })])[0]!.version;
    const b = groupByChat([inbound('2024-03-02T00:00:00Z', { received: 5000, rows: 1 }), reply('2024-03-02T00:01:00Z', { received: 5000, rows: 2 })])[0]!.version;
    const c = groupByChat([inbound('2024-03-02T00:00:00Z', { received: 5001, rows: 1 })])[0]!.version;
    expect(BigInt(b) > BigInt(a)).toBe(true);
    expect(BigInt(c) > BigInt(b)).toBe(true);
  });
});
