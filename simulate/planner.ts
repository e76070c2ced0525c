// One WABA-day at a time: how many customers get in touch (daily and weekly seasonality, quieter
// holidays), when, which campaigns and codes go out, and the occasional management event.
import { orderUpdates, otp, runCampaign } from './campaigns.ts';
import { startSession } from './customers.ts';
import { management } from './outbound.ts';
import { templateLifecycle } from './templates.ts';
import { hashSeed } from './prng.ts';
import type { TemplateSpec } from './tenants.ts';
import type { WabaState, World } from './world.ts';
import { addDays } from './zone.ts';

// Relative contact volume per local hour: a late-morning peak and an evening one.
const HOURS = [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.2, 3.2, 3.6, 3.5, 3.0, 3.1, 3.3, 3.2, 3.0, 2.9, 2.8, 3.0, 3.2, 2.8, 1.8, 0.8];
const HOUR_WEIGHTS = HOURS.map((w, h) => [h, w] as const);
const WEEKDAY = [0, 1.15, 1.05, 1.0, 1.0, 0.95, 0.75, 0.6]; // index 1 = Monday

export interface PlanOptions {
  scale: number;
  days: number;
  start: string;
  onDay?: ((info: { date: string; index: number; days: number }) => void) | undefined;
}

function hhmm(h: number, m: number): string {
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** A local instant of `date` drawn from the hourly profile, shifted for night owls. */
function drawTime(waba: WabaState, date: string, shift: number): number {
  const r = waba.rng;
  const h = Math.min(23, Math.max(0, r.weighted(HOUR_WEIGHTS) + shift));
  return waba.clock.at(date, hhmm(h, r.int(60))) + r.int(60);
}

export function planDay(world: World, waba: WabaState, date: string, index: number, o: PlanOptions): void {
  const r = waba.rng;
  if (waba.index === 0) o.onDay?.({ date, index, days: o.days });
  if (index + 1 < o.days) world.at(waba.clock.midnight(addDays(date, 1)), waba, () => planDay(world, waba, addDays(date, 1), index + 1, o));

  const local = waba.clock.local(waba.clock.midnight(date) + 3600);
  const holiday = waba.calendar.spec.versions[0]!.holidays.includes(date);
  const growth = 1 + 0.015 * (index / 30);
  const mean = o.scale * waba.spec.share * WEEKDAY[local.weekday]! * (holiday ? 0.6 : 1) * growth;

  const sessions = r.poisson(mean);
  for (let i = 0; i < sessions; i++) {
    const customer = waba.pickCustomer(r);
    const t = drawTime(waba, date, customer.hourShift);
    const referral = r.chance(0.08);
    const purchase = r.chance(0.12);
    world.at(t, waba, () => {
      const chat = startSession(world, waba, world.now, customer, { referral, purchase });
      if (purchase) orderUpdates(world, chat, world.now);
    });
  }

  const codes = r.poisson(mean * 0.12);
  for (let i = 0; i < codes; i++) otp(world, waba, drawTime(waba, date, 0), waba.pickCustomer(r));

  if (date.endsWith('-01') || index === 0) newPromo(world, waba, date);
  if (waba.spec.campaignWeekdays.includes(local.weekday) && !holiday) {
    const [h, m] = waba.spec.campaignHour.split(':').map(Number) as [number, number];
    const t = waba.clock.at(date, hhmm(h, m)) + r.range(0, 1200);
    world.at(t, waba, () => runCampaign(world, waba, world.now, Math.max(3, Math.round(mean * 1.5))));
  }
  managementEvents(world, waba, date, index, o);
}

function templateId(waba: WabaState, name: string): number {
  return 1_000_000_000_000_000 + (hashSeed(waba.spec.waba_id + name)[0] % 900_000_000) * 1_000_000;
}

/** Each month a new campaign template is submitted; a few are rejected once and fixed. */
function newPromo(world: World, waba: WabaState, date: string): void {
  const r = waba.rng;
  const base = `${waba.template('campaign').name}_${date.slice(0, 7).replace('-', '_')}`;
  const lang = waba.spec.templates[0]!.language;
  let t = waba.clock.at(date, '08:' + String(r.range(0, 50)).padStart(2, '0'));
  let name = base;
  if (r.chance(0.25)) {
    management(world, waba, t, 'message_template_status_update', {
      event: 'REJECTED', message_template_id: templateId(waba, name), message_template_name: name,
      message_template_language: lang, reason: 'INCORRECT_CATEGORY', message_template_category: 'MARKETING',
    });
    name = `${base}_v2`;
    t += r.range(1800, 7200);
  }
  const promo: TemplateSpec = { id: templateId(waba, name), name, language: lang, category: 'marketing', purpose: 'campaign' };
  management(world, waba, t, 'message_template_status_update', {
    event: 'APPROVED', message_template_id: promo.id, message_template_name: name,
    message_template_language: lang, reason: 'NONE', message_template_category: 'MARKETING',
  });
  world.at(t, waba, () => {
    waba.templateCategory.set(name, 'marketing');
    waba.promo = promo;
  });
}

const QUALITY = ['GREEN', 'YELLOW', 'RED'];

function managementEvents(world: World, waba: WabaState, date: string, index: number, o: PlanOptions): void {
  const r = waba.rng;
  const at = (h: number) => waba.clock.at(date, hhmm(h, r.int(60))) + r.int(60);
  if (r.chance(0.08)) {
    const tpl = r.pick(waba.spec.templates);
    const prev = r.pick(QUALITY);
    const next = r.pick(QUALITY.filter((q) => q !== prev));
    management(world, waba, at(r.range(0, 23)), 'message_template_quality_update', {
      previous_quality_score: prev, new_quality_score: next, message_template_id: tpl.id,
      message_template_name: tpl.name, message_template_language: tpl.language,
    });
  }
  if (r.chance(0.03)) {
    const pn = r.pick(waba.spec.phones);
    const up = r.chance(0.6);
    management(world, waba, at(r.range(0, 23)), 'phone_number_quality_update', {
      display_phone_number: pn.display_phone_number, event: up ? 'UPGRADE' : 'DOWNGRADE',
      old_limit: up ? 'TIER_1K' : 'TIER_10K', current_limit: up ? 'TIER_10K' : 'TIER_1K',
      max_daily_conversations_per_business: up ? 'TIER_10K' : 'TIER_1K',
    });
  }
  // Meta re-classifies the survey template as marketing: announced, then applied a day later.
  if (o.days >= 3 && index === Math.floor(o.days * 0.4)) {
    const survey = waba.template('survey');
    const t = at(10);
    management(world, waba, t, 'template_category_update', {
      message_template_id: survey.id, message_template_name: survey.name, message_template_language: survey.language,
      correct_category: 'MARKETING', new_category: 'UTILITY', category_update_timestamp: t + 86_400,
    });
    management(world, waba, t + 86_400, 'template_category_update', {
      message_template_id: survey.id, message_template_name: survey.name, message_template_language: survey.language,
      previous_category: 'UTILITY', new_category: 'MARKETING',
    });
    world.at(t + 86_400, waba, () => waba.templateCategory.set(survey.name, 'marketing'));
  }
  if (o.days >= 3 && index === Math.floor(o.days * 0.6)) {
    templateLifecycle(world.seed, waba.spec.waba_id, date, waba.clock.midnight(date), { followUp: waba.template('follow_up'), promo: waba.promo },
      (t, field, value, rng) => management(world, waba, t, field, value, rng));
  }
  if (date.endsWith('-01') && date >= '2025-10-01') {
    const t = waba.clock.midnight(date) + r.range(0, 3600);
    management(world, waba, t, 'account_update', {
      event: 'VOLUME_BASED_PRICING_TIER_UPDATE',
      volume_tier_info: {
        tier_update_time: t, pricing_category: 'UTILITY', tier: r.pick(['0:250000', '250001:2000000']),
        effective_month: date.slice(0, 7), region: waba.spec.mix[0]![0] === 'BR' ? 'Brazil' : 'India',
      },
    });
  }
}
