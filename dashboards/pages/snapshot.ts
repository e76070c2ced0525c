import { createHash } from 'node:crypto';
import { asset, SCRIPT_PATHS, STYLE_PATH } from '../assets.ts';
import type { DashboardPayload } from '../payload.ts';
import { esc } from './html.ts';

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Script text that cannot end its <script> element early (`</script` and `<!--` are defused). */
export function scriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON inside <script type="application/json">: `<` escaped so no markup can close the element. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * A dashboard as one HTML file: data, Vega, Vega-Lite, vega-embed, the page script and the styles
 * all inlined, so it opens from disk, offline, years later. Its own CSP allows exactly those inline
 * scripts and styles (by hash) and nothing from the network.
 */
export function snapshotHtml(payload: DashboardPayload): { html: string; csp: string } {
  const scripts = SCRIPT_PATHS.map((p) => scriptText(asset(p).body.toString('utf8')));
  const css = asset(STYLE_PATH).body.toString('utf8');
  const csp = [
    "default-src 'none'",
    `script-src ${scripts.map(sha256).join(' ')}`,
    `style-src ${sha256(css)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const q = payload.query;
  const filters = [`${q.from} to ${q.to}`, q.waba && `WABA ${q.waba}`, q.phone && `phone number ${q.phone}`, q.team && `team ${q.team}`, q.label && `labels ${q.label}`].filter(Boolean).join(' · ');
  const figures = payload.charts
    .map(
      (c) => `<figure class="chart" id="chart-${esc(c.id)}" data-chart="${esc(c.id)}">
<figcaption><h2>${esc(c.title)}</h2><p>${esc(c.description)}</p></figcaption>
<div class="view"></div>
<p class="empty" hidden></p>
</figure>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(payload.title)} · snapshot ${esc(payload.generated_at.slice(0, 10))}</title>
<style>${css}</style>
</head>
<body>
<main id="dashboard" data-dashboard="${esc(payload.dashboard)}" data-state="loading">
<h1>${esc(payload.title)}</h1>
<p class="snapshot-note">Snapshot taken ${esc(payload.generated_at)} · ${esc(filters)} · ${payload.viewer.personal ? 'includes personal data' : 'contacts pseudonymised'}</p>
<p id="status" class="status" role="status">Drawing…</p>
<section class="grid">
${figures}
</section>
</main>
<script type="application/json" id="snapshot-data">${jsonText(payload)}</script>
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body>
</html>
`;
  return { html, csp };
}
