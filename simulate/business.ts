// How the business answers: a bot within seconds that hands off to people, "we're closed"
// automations outside hours, agents who work the calendar's hours (and sometimes answer from the
// WhatsApp Business app), re-engagement templates once the 24-hour window has closed.
import { customerDelay, customerTurn, type TurnKind } from './customers.ts';
import { sendEcho, sendMessage } from './outbound.ts';
import { AGENT_REPLIES, BOT_ANSWERS, BOT_WELCOME, CLOSED, HANDOFF, OPTOUT_ACK } from './texts.ts';
import type { Chat, OutResult, World } from './world.ts';

const H = 3600;

function clamp(x: number, lo: number, hi: number): number {
  return Math.round(Math.min(hi, Math.max(lo, x)));
}

function engaged(chat: Chat, T: number): boolean {
  return T - chat.lastInbound < 600;
}

/** A customer message arrived: decide who answers and when. */
export function onInbound(world: World, chat: Chat, t: number, kind: TurnKind): void {
  const waba = chat.waba;
  const r = waba.rng;
  chat.lastTurn = kind;
  if (kind === 'stop') {
    world.at(t + r.range(2, 6), waba, () => {
      sendMessage(world, chat, world.now, { src: 'a', agent: 'optout-bot', team: chat.pn.team, engaged: true, reliable: true, text: r.pick(OPTOUT_ACK[chat.customer.lang]) });
    });
    return;
  }
  if (chat.pending) return;
  chat.pending = true;
  if (chat.pn.bot && !chat.handedOff) {
    if (chat.botStep === 0) world.at(t + r.range(0, 5), waba, () => botWelcome(world, chat));
    else if (chat.botStep === 1) world.at(t + r.range(0, 4), waba, () => botAnswer(world, chat));
    else if (kind === 'thanks') world.at(t + r.range(2, 5), waba, () => botBye(world, chat));
    else world.at(t + r.range(1, 5), waba, () => botHandoff(world, chat));
    return;
  }
  scheduleHuman(world, chat, t);
}

function bot(world: World, chat: Chat, text: string): OutResult {
  return sendMessage(world, chat, world.now, { src: 'b', agent: chat.waba.spec.bot, team: chat.pn.team, engaged: true, text });
}

function botWelcome(world: World, chat: Chat): void {
  const r = chat.waba.rng;
  chat.pending = false;
  bot(world, chat, r.pick(BOT_WELCOME[chat.customer.lang]));
  bot(world, chat, 'menu');
  chat.botStep = 1;
  if (r.chance(0.9)) world.at(world.now + r.range(4, 60), chat.waba, () => customerTurn(world, chat, world.now, 'menu'));
}

function botAnswer(world: World, chat: Chat): void {
  const r = chat.waba.rng;
  chat.pending = false;
  if (chat.menuChoice === 'menu_humano' || chat.menuChoice === 'btn_agent' || r.chance(0.45)) return botHandoff(world, chat);
  bot(world, chat, r.pick(BOT_ANSWERS[chat.customer.lang]));
  chat.botStep = 2;
  const x = r.next();
  const next: TurnKind | null = x < 0.4 ? 'thanks' : x < 0.75 ? 'follow' : null;
  if (next) world.at(world.now + clamp(r.lognormal(40, 0.8), 5, 900), chat.waba, () => customerTurn(world, chat, world.now, next));
}

function botBye(world: World, chat: Chat): void {
  chat.pending = false;
  bot(world, chat, '😊');
  chat.turnsLeft = 0;
}

function botHandoff(world: World, chat: Chat): void {
  const res = bot(world, chat, chat.waba.rng.pick(HANDOFF[chat.customer.lang]));
  chat.handedOff = true;
  chat.pending = true;
  scheduleHuman(world, chat, res.T);
}

/** Agents answer after a queue delay counted in open hours; now and then someone on call answers at night. */
function scheduleHuman(world: World, chat: Chat, t: number): void {
  const waba = chat.waba;
  const r = waba.rng;
  const cal = waba.calendar;
  chat.pending = true;
  const open = cal.isOpen(t);
  if (!open && t - chat.closedNoticeAt > 12 * H) {
    world.at(t + r.range(1, 5), waba, () => {
      const res = sendMessage(world, chat, world.now, { src: 'a', agent: 'closed-hours', team: chat.pn.team, engaged: true, reliable: true, text: r.pick(CLOSED[chat.customer.lang]) });
      chat.closedNoticeAt = res.T;
    });
  }
  let T: number;
  if (open) {
    let delay = r.lognormal(240, 1.0);
    if (r.chance(0.05)) delay *= 8; // forgotten in the queue
    T = cal.addBusinessSeconds(t, clamp(delay, 15, 6 * H));
  } else if (r.chance(0.04)) {
    T = t + clamp(r.lognormal(1200, 0.8), 60, 4 * H);
  } else {
    T = cal.addBusinessSeconds(t, clamp(r.lognormal(900, 0.9), 60, 3 * H));
  }
  world.at(T, waba, () => humanReply(world, chat));
}

function humanReply(world: World, chat: Chat): void {
  const waba = chat.waba;
  const r = waba.rng;
  const T = world.now;
  chat.pending = false;
  const team = chat.pn.team;
  const agent = (chat.agent ??= r.pick(waba.spec.agents[team]!));
  if (!chat.csw(T)) {
    // Past the 24-hour window a free-form reply is refused (131047); the agent falls back to a template.
    if (r.chance(0.65)) sendMessage(world, chat, T, { src: 'h', agent, team, engaged: false, forceFail: 131047 });
    const at = T + r.range(60, 900);
    world.at(at, waba, () => {
      sendMessage(world, chat, world.now, { template: waba.template('follow_up'), src: 'h', agent, team, engaged: false });
      if (r.chance(0.5)) world.at(world.now + customerDelay(r), waba, () => customerTurn(world, chat, world.now, 'follow'));
    });
    return;
  }
  const text = r.pick(AGENT_REPLIES[chat.customer.lang]);
  const res = chat.pn.coexistence && r.chance(0.35)
    ? sendEcho(world, chat, T, text)
    : sendMessage(world, chat, T, { src: r.chance(chat.pn.untaggedRate) ? null : 'h', agent, team, engaged: engaged(chat, T), text });
  if (res.failed) {
    if (r.chance(0.7)) {
      chat.pending = true;
      world.at(T + r.range(120, 1800), waba, () => humanReply(world, chat));
    }
    return;
  }
  afterAnswer(world, chat, res.T);
}

/** After a real answer the customer may continue, thank, react, or leave. */
function afterAnswer(world: World, chat: Chat, T: number): void {
  const waba = chat.waba;
  const r = waba.rng;
  world.truth.csat.afterHumanAnswer(world, chat, T);
  if (chat.lastTurn === 'thanks') {
    chat.turnsLeft = 0;
    return;
  }
  if (chat.turnsLeft > 0) {
    chat.turnsLeft--;
    world.at(T + customerDelay(r), waba, () => customerTurn(world, chat, world.now, 'follow'));
    return;
  }
  const x = r.next();
  if (x < 0.35) world.at(T + clamp(r.lognormal(60, 1), 3, 3600), waba, () => customerTurn(world, chat, world.now, 'thanks'));
}
