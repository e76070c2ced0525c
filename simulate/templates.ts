// What followed each template send, for the `templates` truth: replies (a message quoting the send,
// or the customer's next message within the reply window after its delivery), button clicks and
// opt-outs; and the template lifecycle events (quality drop, pause, reinstatement, disabling).
import { Rng } from './prng.ts';
import type { TemplatesRecord } from './truth.ts';
import type { Json } from './inbound.ts';
import type { TemplateSpec } from './tenants.ts';

/** The windows the truth applies, written into the simulation's CONFIG_FILE (`templates`). */
export const TEMPLATE_RULES = { reply_window_hours: 24, optout_window_hours: 72 } as const;
const REPLY_S = TEMPLATE_RULES.reply_window_hours * 3600;
const OPTOUT_S = TEMPLATE_RULES.optout_window_hours * 3600;
// A send older than this cannot be credited with anything still pending (delivery ≤ 3.5 days late).
const KEEP_S = 6 * 86_400;

// Customer messages that answer nothing (as the wait rules read them).
const SKIP = new Set(['reaction', 'system', 'unsupported', 'unknown', 'request_welcome', 'revoke', 'edit']);

interface Send {
  T: number;
  deliveredTs: number | null;
  pnid: string;
  rec: TemplatesRecord;
  replied: boolean;
  clicked: boolean;
  optedOut: boolean;
}

interface Pending {
  t: number;
  /** Replies match sends of the same phone number; opt-outs (null) any send to the customer. */
  pnid: string | null;
}

interface CustomerState {
  sends: Send[];
  pending: Pending[];
}

export class TemplateFollowUps {
  private readonly customers = new Map<string, CustomerState>();
  private readonly byWamid = new Map<string, Send>();

  private state(waba: string, waId: string): CustomerState {
    const k = `${waba}|${waId}`;
    let s = this.customers.get(k);
    if (!s) this.customers.set(k, (s = { sends: [], pending: [] }));
    return s;
  }

  /** A template send the report counts (`rec` is its truth record), first seen at T. */
  send(waba: string, pnid: string, waId: string, wamid: string, T: number, deliveredTs: number | null, rec: TemplatesRecord, now: number): void {
    const s = this.state(waba, waId);
    this.settle(s, now);
    const send: Send = { T, deliveredTs, pnid, rec, replied: false, clicked: false, optedOut: false };
    s.sends.push(send);
    this.byWamid.set(wamid, send);
  }

  /** A customer message; `stop` when its text is a stop keyword. */
  inbound(waba: string, pnid: string, waId: string, t: number, obj: Json, stop: boolean, now: number): void {
    const s = this.state(waba, waId);
    this.settle(s, now);
    const type = String(obj.type);
    const quoted = (obj.context as Json | undefined)?.id;
    if (SKIP.has(type)) return;
    if (typeof quoted === 'string' && quoted !== '') {
      const send = this.byWamid.get(quoted);
      const interactive = (obj.interactive as Json | undefined)?.type;
      const click = type === 'button' || (type === 'interactive' && (interactive === 'button_reply' || interactive === 'list_reply'));
      if (send && click) mark(send, 'clicked');
      else if (send) mark(send, 'replied');
    } else if (!stop) {
      s.pending.push({ t, pnid });
    }
    if (stop) s.pending.push({ t, pnid: null });
  }

  /** A `user_preferences` stop. */
  preferenceStop(waba: string, waId: string, t: number, now: number): void {
    const s = this.state(waba, waId);
    this.settle(s, now);
    s.pending.push({ t, pnid: null });
  }

  /** Resolves everything still pending (the end of the run). */
  finish(): void {
    for (const s of this.customers.values()) this.settle(s, Number.POSITIVE_INFINITY);
  }

  /**
   * Credits the pending messages of a customer that are in the past: every send with T ≤ t is made
   * by then (a send is decided at its own time or later), so the latest one is known.
   */
  private settle(s: CustomerState, now: number): void {
    if (s.pending.length > 0) {
      const later: Pending[] = [];
      for (const p of s.pending) {
        if (p.t >= now) {
          later.push(p);
          continue;
        }
        let best: Send | null = null;
        for (const send of s.sends) if (send.T <= p.t && (p.pnid === null || send.pnid === p.pnid) && (!best || send.T > best.T)) best = send;
        if (!best) continue;
        if (p.pnid === null) {
          if (p.t <= best.T + OPTOUT_S) mark(best, 'optedOut');
        } else if (best.deliveredTs !== null && p.t >= best.deliveredTs && p.t <= best.deliveredTs + REPLY_S) {
          mark(best, 'replied');
        }
      }
      s.pending = later;
    }
    if (s.sends.length > 0 && Number.isFinite(now)) s.sends = s.sends.filter((x) => x.T >= now - KEEP_S);
  }
}

const FIELD = { replied: 'replied', clicked: 'clicked', optedOut: 'opted_out' } as const;

/** Each send is counted once per kind, however many messages follow it. */
function mark(send: Send, what: keyof typeof FIELD): void {
  if (send[what]) return;
  send[what] = true;
  send.rec[FIELD[what]]++;
}

export type ManagementEmitter = (t: number, field: string, value: Json, r: Rng) => void;

/**
 * Once per run and WABA (on a fixed day, drawn from its own stream so the rest of the world stays as
 * it was): the follow-up template's quality drops to RED, Meta pauses it for three hours (FIRST_PAUSE)
 * and reinstates it; an old promotion template is disabled.
 */
export function templateLifecycle(seed: string, wabaId: string, date: string, dayStart: number, templates: { followUp: TemplateSpec; promo: TemplateSpec }, emit: ManagementEmitter): void {
  const r = Rng.derive(seed, 'template-lifecycle', wabaId, date);
  const tpl = templates.followUp;
  const ids = { message_template_id: tpl.id, message_template_name: tpl.name, message_template_language: tpl.language };
  const category = { message_template_category: tpl.category.toUpperCase() };
  const t = dayStart + r.range(9 * 3600, 12 * 3600);
  emit(t, 'message_template_quality_update', { previous_quality_score: 'YELLOW', new_quality_score: 'RED', ...ids }, r);
  const paused = t + r.range(600, 3600);
  emit(paused, 'message_template_status_update', {
    event: 'PAUSED', ...ids, reason: 'NONE', ...category,
    other_info: { title: 'FIRST_PAUSE', description: `Your WhatsApp message template ${tpl.name} has been paused for 3 hours due to low quality.` },
  }, r);
  emit(paused + 3 * 3600, 'message_template_status_update', { event: 'REINSTATED', ...ids, reason: 'NONE', ...category }, r);
  const old = templates.promo;
  const disabled = t + r.range(3600, 8 * 3600);
  emit(disabled, 'message_template_status_update', {
    event: 'DISABLED', message_template_id: old.id + 1, message_template_name: `${old.name}_legacy`, message_template_language: old.language, reason: 'NONE',
    message_template_category: 'MARKETING', disable_info: { disable_date: String(disabled) },
  }, r);
}
