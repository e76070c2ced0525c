import { auditRole, type Principal } from '../../app/auth.ts';
import { DASHBOARDS } from '../catalog.ts';
import { mayView, scopeRefusal } from '../source.ts';
import { esc, page, topBar } from './html.ts';

/** `/dashboards`: the dashboards this principal's role and WABA scope may open, and nothing else. */
export function indexPage(principal: Principal): string {
  const visible = DASHBOARDS.filter((d) => mayView(d, principal) && !scopeRefusal(d, principal.wabas, undefined));
  const cards = visible
    .map(
      (d) => `<li data-dashboard="${d.id}"><h2><a href="/dashboards/${d.id}">${esc(d.title)}</a></h2>
<p>${esc(d.summary)}</p><p>${d.charts.length} charts</p></li>`,
    )
    .join('\n');
  const body = visible.length
    ? `<ul class="cards">${cards}</ul>`
    : `<p class="notice">Your role (${esc(auditRole(principal))}) has no dashboards.</p>`;
  return page({ title: 'Dashboards', body: `${topBar(principal)}<main><h1>Dashboards</h1>${body}</main>` });
}
