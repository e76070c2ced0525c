// An independent reading of the generated bodies, written from the definitions in docs/TRUTH.md
// (not from the generator's code), used to check the truth the generator wrote.
import { DateTime } from 'luxon';

type J = Record<string, any>;

export interface Inbound { chat: string; t: number; type: string; wamid: string; text?: string; waba: string; waId: string }
export interface Outbound {
  chat: string; waba: string; waId: string; pnid: string; wamid: string;
  statuses: { status: string; ts: number }[];
  tag?: string; pricing?: J; conversation?: J; errors: number[]; echo: boolean; echoTs?: number;
}

export interface Parsed {
  inbound: Inbound[];
  outbound: Map<string, Outbound>;
  prefs: { waba: string; waId: string; value: string; ts: number }[];
}

export function parseBodies(bodies: string[]): Parsed {
  const inbound: Inbound[] = [];
  const outbound = new Map<string, Outbound>();
  const prefs: Parsed['prefs'] = [];
  for (const body of bodies) {
    const root = JSON.parse(body) as J;
    for (const entry of root.entry as J[]) {
      const waba = entry.id as string;
      for (const change of entry.changes as J[]) {
        const v = change.value as J;
        const pnid = v.metadata?.phone_number_id as string;
        if (change.field === 'messages') {
          for (const m of (v.messages ?? []) as J[]) {
            inbound.push({ chat: `${waba}|${pnid}|${m.from}`, t: Number(m.timestamp), type: m.type, wamid: m.id, text: m.text?.body, waba, waId: m.from });
          }
          for (const s of (v.statuses ?? []) as J[]) {
            let o = outbound.get(s.id);
            if (!o) outbound.set(s.id, (o = { chat: `${waba}|${pnid}|${s.recipient_id}`, waba, waId: s.recipient_id, pnid, wamid: s.id, statuses: [], errors: [], echo: false }));
            o.statuses.push({ status: s.status, ts: Number(s.timestamp) });
            if (s.biz_opaque_callback_data) o.tag = s.biz_opaque_callback_data;
            if (s.pricing) o.pricing = s.pricing;
            if (s.conversation) o.conversation = { ...o.conversation, ...s.conversation };
            for (const e of (s.errors ?? []) as J[]) o.errors.push(e.code);
          }
        } else if (change.field === 'smb_message_echoes') {
          for (const e of v.message_echoes as J[]) {
            outbound.set(e.id, { chat: `${waba}|${pnid}|${e.to}`, waba, waId: e.to, pnid, wamid: e.id, statuses: [], errors: [], echo: true, echoTs: Number(e.timestamp) });
          }
        } else if (change.field === 'user_preferences') {
          for (const p of v.user_preferences as J[]) prefs.push({ waba, waId: p.wa_id, value: p.value, ts: Number(p.timestamp) });
        }
      }
    }
  }
  return { inbound, outbound, prefs };
}

const NOT_QUALIFYING = new Set(['reaction', 'system', 'unsupported', 'unknown', 'request_welcome', 'revoke', 'edit']);

export function outboundTime(o: Outbound): number | null {
  if (o.echo) return o.echoTs!;
  const sent = o.statuses.find((s) => s.status === 'sent');
  if (sent) return sent.ts;
  const shown = o.statuses.filter((s) => s.status === 'delivered' || s.status === 'read').map((s) => s.ts);
  return shown.length ? Math.min(...shown) : null;
}

export function tagField(tag: string | undefined, key: string): string | null {
  if (!tag) return null;
  for (const part of tag.split(';')) if (part.startsWith(key + '=')) return part.slice(key.length + 1);
  return null;
}

export interface Wait { chat: string; family: string; start: number; threadStart: number; kind: string; responseAt: number | null; cls: string | null; agent: string | null; team: string | null }

/** Waits of both families, straight from the definitions. */
export function recomputeWaits(p: Parsed): Wait[] {
  type Ev = { t: number; dir: 'in' | 'out'; qualifying: boolean; cls: string | null; agent: string | null; team: string | null };
  const chats = new Map<string, Ev[]>();
  const add = (chat: string, e: Ev) => (chats.get(chat) ?? chats.set(chat, []).get(chat)!).push(e);
  for (const m of p.inbound) add(m.chat, { t: m.t, dir: 'in', qualifying: !NOT_QUALIFYING.has(m.type), cls: null, agent: null, team: null });
  for (const o of p.outbound.values()) {
    if (o.statuses.some((s) => s.status === 'failed')) continue;
    const t = outboundTime(o);
    if (t === null) continue;
    let cls: string | null;
    if (o.echo) cls = 'human';
    else if (!o.tag) cls = 'unknown';
    else cls = ({ h: 'human', b: 'bot', a: 'automation' } as Record<string, string>)[tagField(o.tag, 'src')!] ?? null;
    add(o.chat, { t, dir: 'out', qualifying: false, cls, agent: o.tag ? tagField(o.tag, 'ag') : null, team: o.tag ? tagField(o.tag, 'tm') : null });
  }
  const waits: Wait[] = [];
  for (const [chat, evs] of chats) {
    evs.sort((a, b) => a.t - b.t || (a.dir === b.dir ? 0 : a.dir === 'in' ? -1 : 1));
    for (const family of ['any', 'human']) {
      let last: number | null = null;
      let threadStart = 0;
      let initiator = 'customer';
      let n = 0;
      let open: Wait | null = null;
      for (const e of evs) {
        if (last === null || e.t - last >= 86_400) {
          threadStart = e.t;
          initiator = e.dir === 'in' ? 'customer' : 'business';
          n = 0;
        }
        last = e.t;
        if (e.dir === 'in' && e.qualifying && !open) {
          n++;
          open = { chat, family, start: e.t, threadStart, kind: n === 1 ? (initiator === 'customer' ? 'first' : 'reply_to_business') : 'next', responseAt: null, cls: null, agent: null, team: null };
        } else if (e.dir === 'out' && open && e.cls !== null && (family === 'any' || e.cls === 'human')) {
          waits.push({ ...open, responseAt: e.t, cls: e.cls, agent: e.agent, team: e.team });
          open = null;
        }
      }
      if (open) waits.push(open);
    }
  }
  return waits;
}

export function monthIn(zone: string, t: number): string {
  return DateTime.fromSeconds(t, { zone }).toFormat('yyyy-MM');
}

export function dateIn(zone: string, t: number): string {
  return DateTime.fromSeconds(t, { zone }).toISODate()!;
}

const normalise = (c: string) => c.replace('authentication_international', 'authentication-international');

/** CBP: distinct conversation ids, month of their earliest status, category normalised. */
export function recomputeCbp(p: Parsed, zones: Map<string, string>): Map<string, { count: number; billable: number; free: number; freeTier: number }> {
  const convs = new Map<string, { waba: string; first: number; category: string; billable: boolean }>();
  for (const o of p.outbound.values()) {
    if (o.pricing?.pricing_model !== 'CBP' || !o.conversation) continue;
    const first = Math.min(...o.statuses.map((s) => s.ts));
    const c = convs.get(o.conversation.id);
    if (!c || first < c.first) convs.set(o.conversation.id, { waba: o.waba, first, category: normalise(o.pricing.category), billable: o.pricing.billable });
  }
  const out = new Map<string, { count: number; billable: number; free: number; freeTier: number }>();
  for (const c of convs.values()) {
    const zone = zones.get(c.waba)!;
    const key = `${c.waba}|${monthIn(zone, c.first)}|${c.category}`;
    const r = out.get(key) ?? { count: 0, billable: 0, free: 0, freeTier: 0 };
    r.count++;
    if (c.billable) r.billable++;
    else r.free++;
    const serviceFree = c.category === 'service' && dateIn(zone, c.first) >= '2024-11-01';
    if (!c.billable && c.category !== 'referral_conversion' && !serviceFree) r.freeTier++;
    out.set(key, r);
  }
  return out;
}

const MARKETS: [string, string][] = [
  ['1809', 'REST_OF_LATIN_AMERICA'], ['1829', 'REST_OF_LATIN_AMERICA'], ['1849', 'REST_OF_LATIN_AMERICA'],
  ['234', 'NG'], ['55', 'BR'], ['91', 'IN'], ['62', 'ID'], ['52', 'MX'], ['44', 'GB'], ['49', 'DE'], ['1', 'NORTH_AMERICA'],
];

export function market(waId: string): string {
  return MARKETS.find(([p]) => waId.startsWith(p))?.[1] ?? 'OTHER';
}

/** PMP: one charge per wamid with PMP pricing that was delivered (delivered/read), month of its first delivered/read. */
export function recomputePmp(p: Parsed, zones: Map<string, string>): Map<string, { count: number; billable: number }> {
  const out = new Map<string, { count: number; billable: number }>();
  for (const o of p.outbound.values()) {
    if (o.pricing?.pricing_model !== 'PMP') continue;
    if (o.statuses.some((s) => s.status === 'failed')) continue;
    const shown = o.statuses.filter((s) => s.status === 'delivered' || s.status === 'read').map((s) => s.ts);
    if (shown.length === 0) continue;
    const key = `${o.waba}|${monthIn(zones.get(o.waba)!, Math.min(...shown))}|${market(o.waId)}|${o.pricing.category}|${o.pricing.type}`;
    const r = out.get(key) ?? { count: 0, billable: 0 };
    r.count++;
    if (o.pricing.type === 'regular') r.billable++;
    out.set(key, r);
  }
  return out;
}

const STOP = ['STOP', 'PARAR', 'SAIR', 'CANCELAR', 'BAJA', 'ABMELDEN', 'रुकें'];

/** Marketing sends after an opt-out: keyword, user_preferences stop, or a 131050 failure. */
export function recomputeViolations(p: Parsed): { wamid: string; optedOutAt: number; source: string }[] {
  const ledger = new Map<string, { at: number; action: string; source: string }[]>();
  const add = (waba: string, waId: string, at: number, action: string, source: string) =>
    (ledger.get(`${waba}|${waId}`) ?? ledger.set(`${waba}|${waId}`, []).get(`${waba}|${waId}`)!).push({ at, action, source });
  for (const m of p.inbound) if (m.type === 'text' && STOP.includes(m.text!.trim().toUpperCase())) add(m.waba, m.waId, m.t, 'stop', 'keyword');
  for (const u of p.prefs) add(u.waba, u.waId, u.ts, u.value, 'user_preferences');
  for (const o of p.outbound.values()) {
    if (o.errors.includes(131050)) add(o.waba, o.waId, o.statuses.find((s) => s.status === 'failed')!.ts, 'stop', 'error_131050');
  }
  const out: { wamid: string; optedOutAt: number; source: string }[] = [];
  for (const o of p.outbound.values()) {
    const marketing = o.pricing?.category === 'marketing' || tagField(o.tag, 'src') === 'c';
    const t = outboundTime(o);
    if (!marketing || t === null || o.echo) continue;
    let since: { at: number; source: string } | null = null;
    for (const e of [...(ledger.get(`${o.waba}|${o.waId}`) ?? [])].sort((a, b) => a.at - b.at)) {
      if (e.at >= t) break;
      if (e.action === 'resume') since = null;
      else if (!since) since = e;
    }
    if (since) out.push({ wamid: o.wamid, optedOutAt: since.at, source: since.source });
  }
  return out;
}

/** wa_ids a body carries, from the identifying fields only. */
export function subjectsOf(body: string): Set<string> {
  const ids = new Set<string>();
  const root = JSON.parse(body) as J;
  for (const entry of root.entry as J[]) {
    for (const change of entry.changes as J[]) {
      const v = change.value as J;
      for (const c of (v.contacts ?? []) as J[]) ids.add(c.wa_id);
      for (const m of (v.messages ?? []) as J[]) {
        ids.add(m.from);
        if (m.type === 'system' && m.system?.wa_id) ids.add(m.system.wa_id);
      }
      for (const s of (v.statuses ?? []) as J[]) ids.add(s.recipient_id);
      for (const e of (v.message_echoes ?? []) as J[]) ids.add(e.to);
      for (const u of (v.user_preferences ?? []) as J[]) ids.add(u.wa_id);
    }
  }
  return ids;
}
