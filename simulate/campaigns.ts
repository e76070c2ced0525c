// Business-initiated traffic: marketing campaigns (and the opt-outs they provoke), order updates,
// verification codes, and what customers do in reply.
import { customerDelay, customerTurn } from './customers.ts';
import { sendMessage, userPreference } from './outbound.ts';
import type { Customer } from './people.ts';
import type { TemplateSpec } from './tenants.ts';
import { DAY, type Chat, type OutSpec, type WabaState, type World } from './world.ts';

const H = 3600;

/** A campaign: the CRM picks known customers, skipping opt-outs it has processed (mostly). */
export function runCampaign(world: World, waba: WabaState, t: number, size: number): void {
  const r = waba.rng;
  const known = waba.customers.length;
  if (known === 0) return;
  // Now and then a list is exported before the suppression list is applied.
  const dirtyList = r.chance(0.1);
  const picked = new Set<number>();
  for (let i = 0; i < size * 2 && picked.size < Math.min(size, known); i++) picked.add(r.int(known));
  let at = t;
  const campaign = `cmp-${waba.clock.date(t)}`;
  for (const idx of picked) {
    const c = waba.customers[idx]!;
    const learned = waba.crmOptouts.get(c.waId);
    if (!dirtyList && learned !== undefined && learned <= at) continue;
    at += r.range(0, 1);
    const sendAt = at;
    world.at(sendAt, waba, () => campaignSend(world, waba, c, waba.promo, campaign));
  }
}

function campaignSend(world: World, waba: WabaState, c: Customer, template: TemplateSpec, campaign: string): void {
  const r = waba.rng;
  const chat = world.chat(waba, waba.spec.campaignPhone, c);
  const res = sendMessage(world, chat, world.now, { template, src: 'c', agent: campaign, team: 'growth', engaged: false });
  world.count('campaign_sends');
  if (res.failed) return;
  const x = r.next();
  if (x < 0.08) {
    world.at(res.T + customerDelay(r) + r.range(60, 3 * H), waba, () => customerTurn(world, chat, world.now, 'button'));
  } else if (x < 0.11) {
    world.at(res.T + r.range(30, 6 * H), waba, () => customerTurn(world, chat, world.now, 'stop'));
  } else if (x < 0.13 && !waba.metaStopped.has(chat.waId)) {
    world.at(res.T + r.range(60, 12 * H), waba, () => preferenceChange(world, chat));
  }
}

/** Stop in WhatsApp's own menu; some people resume days later. */
function preferenceChange(world: World, chat: Chat): void {
  const r = chat.waba.rng;
  if (chat.waba.metaStopped.has(chat.waId)) return;
  userPreference(world, chat, world.now, 'stop');
  if (r.chance(0.3)) world.at(world.now + r.range(2 * DAY, 20 * DAY), chat.waba, () => {
    if (chat.waba.metaStopped.has(chat.waId)) userPreference(world, chat, world.now, 'resume');
  });
}

function notification(world: World, chat: Chat, template: TemplateSpec, agent: string, team: string, engaged = false, extra: Partial<OutSpec> = {}) {
  return sendMessage(world, chat, world.now, { template, src: 'n', agent, team, engaged, ...extra });
}

/** An opening hour (local) on a day `days` after t, for notifications sent by batch jobs. */
function workHour(waba: WabaState, t: number, days: number): number {
  const r = waba.rng;
  const date = waba.clock.date(t + days * DAY);
  return waba.clock.at(date, `${String(r.range(8, 18)).padStart(2, '0')}:${String(r.range(0, 59)).padStart(2, '0')}`) + r.range(0, 59);
}

/** The life of an order: confirmation now, dispatch and delivery notices on later days, a survey. */
export function orderUpdates(world: World, chat: Chat, t: number): void {
  const waba = chat.waba;
  const r = waba.rng;
  const send = (template: TemplateSpec, replyChance: number) => {
    // The order system labels the customer with the order's stage; its survey tool tags `cs=`.
    const extra = template.purpose === 'survey'
      ? world.truth.csat.surveySpec(world, chat, template.name)
      : world.truth.labels.orderSpec(template.purpose, chat.key.waba_id, chat.waId);
    const res = notification(world, chat, template, 'order-updates', 'ops', false, extra);
    if (!res.failed && r.chance(replyChance)) world.at(res.T + customerDelay(r) + r.range(60, 2 * H), waba, () => customerTurn(world, chat, world.now, 'follow'));
  };
  world.at(t + r.range(600, 2 * H), waba, () => send(waba.template('order_confirmed'), 0.02));
  world.at(workHour(waba, t, r.range(1, 2)), waba, () => send(waba.template('order_shipped'), 0.1));
  const deliveredDay = r.range(3, 6);
  world.at(workHour(waba, t, deliveredDay), waba, () => send(waba.template('order_delivered'), 0.04));
  if (r.chance(0.3)) world.at(workHour(waba, t, deliveredDay + 1), waba, () => send(waba.template('survey'), 0.05));
}

/** A verification code: the user is waiting for it, so it is read within seconds. */
export function otp(world: World, waba: WabaState, t: number, c: Customer): void {
  world.at(t, waba, () => {
    const chat = world.chat(waba, c.home, c);
    notification(world, chat, waba.template('otp'), 'auth-service', 'identity', true);
    world.count('otp_sends');
  });
}
