// The businesses being simulated: two default tenants with their numbers, teams, templates and
// business-hours calendars, and the CONFIG_FILE the service is started with.
import type { CalendarSpec, Interval, Weekday } from './calendar.ts';
import { brazil, england, type HolidaySet } from './holidays.ts';
import type { CountryCode } from './people.ts';
import type { TemplateCategory } from './pricing.ts';

export interface PhoneSpec {
  phone_number_id: string;
  display_phone_number: string;
  role: 'support' | 'sales' | 'marketing';
  team: string;
  bot: boolean;
  /** WhatsApp Business app in coexistence: some human replies arrive as `smb_message_echoes`. */
  coexistence: boolean;
  /** Share of API replies sent without `biz_opaque_callback_data` (an untagged integration). */
  untaggedRate: number;
}

export interface TemplateSpec {
  id: number;
  name: string;
  language: string;
  category: TemplateCategory;
  purpose: 'campaign' | 'order_confirmed' | 'order_shipped' | 'order_delivered' | 'follow_up' | 'otp' | 'survey';
}

export interface WabaSpec {
  waba_id: string;
  name: string;
  time_zone: string;
  currency: string;
  /** The calendar's weekly hours; holidays come from `holidays`. */
  weekly: Record<Weekday, Interval[]>;
  holidays: (years: number[]) => HolidaySet;
  phones: PhoneSpec[];
  agents: Record<string, string[]>; // team → agent ids
  bot: string;
  mix: (readonly [CountryCode, number])[];
  /** Home phone (index into phones) for a customer of a country. */
  home: (country: CountryCode) => (readonly [number, number])[];
  campaignPhone: number;
  campaignWeekdays: number[]; // 1 = Monday
  campaignHour: string;
  /** Volume share: sessions per day = scale × share. */
  share: number;
  templates: TemplateSpec[];
  /** Authentication-international rates from these local dates, per recipient country. */
  authInternational: Partial<Record<CountryCode, string>>;
}

export const AURORA: WabaSpec = {
  waba_id: '102290129340398',
  name: 'Loja Aurora',
  time_zone: 'America/Sao_Paulo',
  currency: 'USD',
  weekly: {
    mon: [['09:00', '18:00']],
    tue: [['09:00', '12:00'], ['13:00', '18:00']],
    wed: [['09:00', '18:00']],
    thu: [['09:00', '18:00']],
    // Late online shift on Fridays, crossing midnight: written as two intervals.
    fri: [['09:00', '18:00'], ['20:00', '24:00']],
    sat: [['00:00', '02:00'], ['09:00', '13:00']],
    sun: [],
  },
  holidays: brazil,
  phones: [
    { phone_number_id: '109283746501928', display_phone_number: '551140035500', role: 'support', team: 'sac', bot: true, coexistence: false, untaggedRate: 0 },
    { phone_number_id: '109283746501929', display_phone_number: '5511987650001', role: 'sales', team: 'vendas', bot: false, coexistence: true, untaggedRate: 0 },
    { phone_number_id: '109283746501930', display_phone_number: '551140035599', role: 'marketing', team: 'growth', bot: false, coexistence: false, untaggedRate: 0 },
  ],
  agents: { sac: ['ana.souza', 'bruno.lima', 'carla.dias'], vendas: ['diego.rocha', 'elisa.prado'], growth: ['fabio.mendes'] },
  bot: 'aurora-bot',
  mix: [['BR', 82], ['MX', 4], ['US', 3], ['DO', 2], ['GB', 2], ['DE', 2], ['IN', 2], ['ID', 1], ['NG', 2]],
  home: () => [[0, 7], [1, 3]],
  campaignPhone: 2,
  campaignWeekdays: [2, 5],
  campaignHour: '10:00',
  share: 1,
  templates: [
    { id: 1210394857602931, name: 'promo_semanal', language: 'pt_BR', category: 'marketing', purpose: 'campaign' },
    { id: 1210394857602932, name: 'pedido_confirmado', language: 'pt_BR', category: 'utility', purpose: 'order_confirmed' },
    { id: 1210394857602933, name: 'pedido_enviado', language: 'pt_BR', category: 'utility', purpose: 'order_shipped' },
    { id: 1210394857602934, name: 'pedido_entregue', language: 'pt_BR', category: 'utility', purpose: 'order_delivered' },
    { id: 1210394857602935, name: 'retomar_atendimento', language: 'pt_BR', category: 'utility', purpose: 'follow_up' },
    { id: 1210394857602936, name: 'codigo_verificacao', language: 'pt_BR', category: 'authentication', purpose: 'otp' },
    { id: 1210394857602937, name: 'pesquisa_satisfacao', language: 'pt_BR', category: 'utility', purpose: 'survey' },
  ],
  authInternational: {},
};

export const KETTLE: WabaSpec = {
  waba_id: '104918273645019',
  name: 'Kettle & Co',
  time_zone: 'Europe/London',
  currency: 'GBP',
  weekly: {
    mon: [['08:00', '12:30'], ['13:30', '19:00']],
    tue: [['08:00', '12:30'], ['13:30', '19:00']],
    wed: [['08:00', '12:30'], ['13:30', '19:00']],
    thu: [['08:00', '12:30'], ['13:30', '19:00']],
    fri: [['08:00', '12:30'], ['13:30', '17:00']],
    sat: [['10:00', '14:00']],
    sun: [],
  },
  holidays: england,
  phones: [
    { phone_number_id: '114477889900112', display_phone_number: '442071838750', role: 'support', team: 'support', bot: true, coexistence: false, untaggedRate: 0.06 },
    { phone_number_id: '114477889900113', display_phone_number: '918045671234', role: 'support', team: 'india-desk', bot: false, coexistence: true, untaggedRate: 0 },
  ],
  agents: { support: ['priya.k', 'tom.h', 'grace.o'], 'india-desk': ['arjun.m', 'meera.s'] },
  bot: 'kettle-bot',
  mix: [['GB', 38], ['IN', 30], ['NG', 8], ['DE', 6], ['ID', 6], ['US', 6], ['BR', 3], ['MX', 2], ['DO', 1]],
  home: (c) => (c === 'IN' ? [[1, 9], [0, 1]] : [[0, 1]]),
  campaignPhone: 0,
  campaignWeekdays: [4],
  campaignHour: '11:00',
  share: 0.8,
  templates: [
    { id: 2130495867102841, name: 'weekly_deals', language: 'en_GB', category: 'marketing', purpose: 'campaign' },
    { id: 2130495867102842, name: 'order_confirmed', language: 'en_GB', category: 'utility', purpose: 'order_confirmed' },
    { id: 2130495867102843, name: 'order_dispatched', language: 'en_GB', category: 'utility', purpose: 'order_shipped' },
    { id: 2130495867102844, name: 'order_delivered', language: 'en_GB', category: 'utility', purpose: 'order_delivered' },
    { id: 2130495867102845, name: 'reconnect_followup', language: 'en_GB', category: 'utility', purpose: 'follow_up' },
    { id: 2130495867102846, name: 'login_code', language: 'en_GB', category: 'authentication', purpose: 'otp' },
    { id: 2130495867102847, name: 'feedback_survey', language: 'en_GB', category: 'utility', purpose: 'survey' },
  ],
  // A UK business sending codes to India and Indonesia pays the international authentication rate.
  authInternational: { ID: '2024-06-01', IN: '2024-07-01' },
};

export const DEFAULT_WABAS: WabaSpec[] = [AURORA, KETTLE];
export const TENANTS_BY_KEY: Record<string, WabaSpec> = { aurora: AURORA, kettle: KETTLE };

export function calendarId(spec: WabaSpec): string {
  return spec.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-+$/, '') + '-support';
}

/** Years whose holidays a calendar must list to cover [start, end]. */
export function yearsBetween(start: string, end: string): number[] {
  const years: number[] = [];
  for (let y = Number(start.slice(0, 4)) - 1; y <= Number(end.slice(0, 4)) + 1; y++) years.push(y);
  return years;
}

export function calendarOf(spec: WabaSpec, years: number[]): CalendarSpec {
  const h = spec.holidays(years);
  return {
    id: calendarId(spec),
    versions: [{ effective_from: '2020-01-01', time_zone: spec.time_zone, weekly: spec.weekly, holidays: h.holidays, overrides: h.overrides }],
  };
}

/** The CONFIG_FILE contents (tenants + calendars) matching a simulation. */
export function configFile(specs: WabaSpec[], start: string, end: string) {
  const years = yearsBetween(start, end);
  return {
    tenants: specs.map((s) => ({
      waba_id: s.waba_id,
      name: s.name,
      time_zone: s.time_zone,
      currency: s.currency,
      calendar: calendarId(s),
      phone_numbers: s.phones.map((p) => ({ phone_number_id: p.phone_number_id, display_phone_number: p.display_phone_number })),
    })),
    calendars: specs.map((s) => calendarOf(s, years)),
  };
}
