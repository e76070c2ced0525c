import type { Principal } from '../../app/auth.ts';
import type { Tenant } from '../../app/config.ts';
import type { Dashboard } from '../source.ts';
import { filterChoices } from '../payload.ts';
import { queryString, type DashboardQuery } from '../query.ts';
import { esc, page, topBar } from './html.ts';

function select(name: string, label: string, options: Array<{ id: string; label: string }>, selected?: string): string {
  const opts = options.map((o) => `<option value="${esc(o.id)}"${o.id === selected ? ' selected' : ''}>${esc(o.label)}</option>`).join('');
  // A selected value that the options do not list yet (e.g. a team from the data) is kept.
  const extra = selected && !options.some((o) => o.id === selected) ? `<option value="${esc(selected)}" selected>${esc(selected)}</option>` : '';
  return `<label>${esc(label)}<select name="${name}"><option value="">All</option>${opts}${extra}</select></label>`;
}

/** The filter form; the page script submits it without a reload, but it works as a plain GET too. */
export function filterForm(d: Dashboard<unknown>, q: DashboardQuery, tenants: readonly Tenant[]): string {
  const choices = filterChoices(tenants);
  const fields = [
    `<label>From<input type="date" name="from" value="${esc(q.from)}" required></label>`,
    `<label>To<input type="date" name="to" value="${esc(q.to)}" required></label>`,
  ];
  if (d.filters.includes('waba')) fields.push(select('waba', 'WABA', choices.wabas, q.waba));
  if (d.filters.includes('phone')) fields.push(select('phone', 'Phone number', choices.phones.filter((p) => !q.waba || p.waba === q.waba), q.phone));
  if (d.filters.includes('team')) fields.push(select('team', 'Team', [], q.team));
  if (d.filters.includes('label')) fields.push(`<label>Labels<input type="text" name="label" value="${esc(q.label ?? '')}" placeholder="order/paid, vip"></label>`);
  return `<form id="filters" class="filters" method="get" action="/dashboards/${d.id}">${fields.join('\n')}<button type="submit">Apply</button></form>`;
}

/** A figure per chart: title and description now, the chart (or its empty state) once the data arrives. */
function figure(c: { id: string; title: string; description: string }, qs: string): string {
  const suffix = qs ? `?${esc(qs)}` : '';
  return `<figure class="chart" id="chart-${c.id}" data-chart="${c.id}">
<figcaption><h2>${esc(c.title)}</h2><p>${esc(c.description)}</p></figcaption>
<div class="view"></div>
<p class="empty" hidden></p>
<nav class="pictures" aria-label="Pictures of ${esc(c.title)}"><a data-picture="svg" href="${c.id}.svg${suffix}">SVG</a><a data-picture="png" href="${c.id}.png${suffix}">PNG</a></nav>
</figure>`;
}

/** `/dashboards/<d>`: server-rendered frame; the script fetches `/dashboards/<d>/data` and draws. */
export function dashboardPage(d: Dashboard<unknown>, principal: Principal, q: DashboardQuery, tenants: readonly Tenant[]): string {
  const qs = queryString(q);
  const base = `/dashboards/${d.id}/`;
  // The data of these filters, asked for while the page's scripts load (the script's first fetch).
  const first = `${base}data${qs ? `?${qs}` : ''}`;
  const figures = d.charts.map(({ chart }) => figure(chart, qs).replaceAll(`href="${chart.id}.`, `href="${base}${chart.id}.`)).join('\n');
  const body = `${topBar(principal, d.id)}
<main id="dashboard" data-dashboard="${d.id}" data-base="${base}" data-data-url="${base}data" data-first-url="${esc(first)}" data-state="loading">
<h1>${esc(d.title)}</h1>
<p class="lede">${esc(d.summary)} <a id="snapshot-link" href="${base}snapshot.html${qs ? `?${esc(qs)}` : ''}">Download a snapshot</a></p>
${filterForm(d, q, tenants)}
<p id="status" class="status" role="status">Loading…</p>
<section class="grid">
${figures}
</section>
</main>`;
  return page({ title: d.title, body, scripts: true, preload: first });
}
