import { randomUUID } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import type { Transporter } from 'nodemailer';
import type { AppDeps } from '../../app/deps.ts';
import type { Role } from '../../app/config.ts';
import { findDashboard } from '../../dashboards/catalog.ts';
import { dashboardPayload, type ChartPayload } from '../../dashboards/payload.ts';
import { snapshotHtml } from '../../dashboards/pages/snapshot.ts';
import { parseQuery } from '../../dashboards/query.ts';
import { renderSvg, svgToPng } from '../../dashboards/render.ts';
import { mayView } from '../../dashboards/source.ts';
import { DeliveryError, type Channel } from './channels.ts';
import type { AlertsConfig, Recipient, Schedule } from './config.ts';
import type { Deliverer } from './delivery.ts';
import type { AlertMessage } from './message.ts';
import { lastOccurrence } from './occurrence.ts';

/**
 * Scheduled delivery: a dashboard mailed to one recipient at "Monday 08:00" in the recipient's zone,
 * as the snapshot page, pictures of its charts (PNG/SVG) and each chart's data as CSV. The
 * recipient's role and WABAs are checked when it is sent, as they stand then: a role that may not
 * open the dashboard gets nothing, and the data is read with the recipient's scope and without
 * personal data. Sent once per occurrence; an occurrence missed while the service was down is sent
 * when it comes back, if within a day.
 */

const CATCH_UP_MS = 86_400_000;

export interface Attachment {
  filename: string;
  content: Buffer | string;
  contentType: string;
}

/** What a schedule's mail carries, read as the recipient may see it. */
export async function scheduleAttachments(deps: AppDeps, s: Schedule, r: Recipient, now: Date): Promise<Attachment[] | 'not permitted'> {
  const d = findDashboard(s.dashboard);
  if (!d || !mayView(d, { roles: [r.role as Role] })) return 'not permitted';
  const viewer = { actor: `recipient:${r.id}`, role: r.role, personal: false, wabas: r.wabas };
  // A scoped recipient gets its WABAs' data only, one WABA at a time through the dashboard's own filter.
  const wabas: Array<string | undefined> = r.wabas === 'all' ? [undefined] : [...r.wabas];
  const out: Attachment[] = [];
  for (const waba of wabas) {
    const payload = await dashboardPayload(d, { deps, query: parseQuery(waba ? { waba } : {}, now), viewer, now });
    const name = (part: string) => `${d.id}${wabas.length > 1 ? `-${waba}` : ''}${part}`;
    if (s.attach.includes('html')) out.push({ filename: name('.html'), content: snapshotHtml(payload).html, contentType: 'text/html' });
    for (const c of payload.charts.filter((x) => !s.charts || s.charts.includes(x.id))) {
      const svg = s.attach.includes('png') || s.attach.includes('svg') ? await renderSvg(c.spec) : '';
      if (s.attach.includes('svg')) out.push({ filename: name(`-${c.id}.svg`), content: svg, contentType: 'image/svg+xml' });
      if (s.attach.includes('png')) out.push({ filename: name(`-${c.id}.png`), content: svgToPng(svg, 2), contentType: 'image/png' });
      const csv = s.attach.includes('csv') ? csvOf(c) : undefined;
      if (csv !== undefined) out.push({ filename: name(`-${c.id}.csv`), content: csv, contentType: 'text/csv' });
    }
  }
  return out;
}

/** A chart's inline rows as CSV (columns: every field of any row); none for a chart without rows. */
function csvOf(c: ChartPayload): string | undefined {
  const values = (c.spec as { data?: { values?: unknown } }).data?.values;
  if (c.empty || !Array.isArray(values) || values.length === 0) return undefined;
  const rows = values.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
  const columns = [...new Set(rows.flatMap((v) => Object.keys(v)))];
  return stringify(rows.map((v) => columns.map((k) => (typeof v[k] === 'object' && v[k] !== null ? JSON.stringify(v[k]) : v[k]))), { header: true, columns });
}

export interface ScheduleRun {
  deps: AppDeps;
  config: AlertsConfig;
  mailer: Transporter | undefined;
  deliverer: Deliverer;
  /** The occurrence last sent, per schedule id. */
  lastSent: Map<string, number>;
  persist(id: string, occurrence: number): Promise<void>;
  /** Writes the message to the firing history. */
  record(m: AlertMessage): Promise<void>;
}

/** Sends every schedule whose latest occurrence has not been sent; answers how many went out. */
export async function runSchedules(run: ScheduleRun, now: Date): Promise<number> {
  let sent = 0;
  for (const s of run.config.schedules) {
    const r = run.config.recipients.find((p) => p.id === s.recipient);
    if (!r) continue;
    const due = lastOccurrence(s.every, s.zone ?? r.zone, now.getTime());
    if (due === null || due <= (run.lastSent.get(s.id) ?? -Infinity) || now.getTime() - due > CATCH_UP_MS) continue;
    run.lastSent.set(s.id, due);
    await run.persist(s.id, due);
    const message: AlertMessage = {
      firing_id: randomUUID(), rule_id: `schedule:${s.id}`, kind: 'scheduled_report', title: `Dashboard ${s.dashboard}`, state: 'scheduled',
      at: new Date(due).toISOString(), count: 0, items: [], more: 0, link: `${run.config.dashboard_url.replace(/\/+$/, '')}/dashboards/${s.dashboard}`, recipient: r.id,
    };
    await run.record(message);
    run.deliverer.deliver(message, [scheduleChannel(run, s, r, now)]);
    sent++;
  }
  return sent;
}

function scheduleChannel(run: ScheduleRun, s: Schedule, r: Recipient, now: Date): Channel {
  return {
    name: 'email',
    async send(m) {
      if (!r.email || !run.mailer || !run.config.smtp) throw new DeliveryError('recipient has no email or no SMTP relay is configured', false);
      // Read at send time (and again on a retry): the recipient's role and WABAs as they stand then.
      const attachments = await scheduleAttachments(run.deps, s, r, now);
      if (attachments === 'not permitted') throw new DeliveryError(`role ${r.role} may not open the ${s.dashboard} dashboard`, false, 403);
      try {
        await run.mailer.sendMail({
          from: run.config.smtp.from, to: r.email, subject: `[wa-analytics] ${m.title} (${m.at.slice(0, 10)})`,
          text: `The ${s.dashboard} dashboard as of ${m.at}.\nDashboard: ${m.link}`, attachments, headers: { 'X-WA-Alert-Firing': m.firing_id },
        });
        return 250;
      } catch (e) {
        const code = (e as { responseCode?: number }).responseCode ?? 0;
        throw new DeliveryError(code ? `SMTP ${code}` : 'SMTP failed', code === 0 || code < 500, code);
      }
    },
  };
}
