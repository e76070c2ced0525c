import { auditRole, type Principal } from '../../app/auth.ts';
import { DASHBOARDS } from '../catalog.ts';
import { mayView } from '../source.ts';
import { SCRIPT_PATHS, STYLE_PATH } from '../assets.ts';

/** Escapes text for HTML element content and double-quoted attributes. */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The bar on every page: the dashboards this principal may open, who is signed in, sign out. */
export function topBar(principal: Principal, current?: string): string {
  const links = DASHBOARDS.filter((d) => mayView(d, principal))
    .map((d) => `<a href="/dashboards/${d.id}"${d.id === current ? ' aria-current="page"' : ''}>${esc(d.title)}</a>`)
    .join('');
  return `<header class="top">
<a class="brand" href="/dashboards">wa-analytics</a>
<nav aria-label="Dashboards">${links}</nav>
<span class="who">${esc(principal.actor)} · ${esc(auditRole(principal))}</span>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>
</header>`;
}

/**
 * A page that loads only same-origin files (the CSP refuses anything inline). `preload`: a same-origin
 * JSON address the page's script fetches first, asked for while the scripts load (the fetch must ask
 * for the same address with same-origin credentials, or the browser asks twice).
 */
export function page(opts: { title: string; body: string; scripts?: boolean; preload?: string }): string {
  const scripts = opts.scripts ? SCRIPT_PATHS.map((p) => `<script src="${p}" defer></script>`).join('\n') : '';
  const preload = opts.preload ? `<link rel="preload" as="fetch" crossorigin="anonymous" href="${esc(opts.preload)}">\n` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)} · wa-analytics</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLE_PATH}">
${preload}${scripts}
</head>
<body>
${opts.body}
</body>
</html>`;
}

export function messagePage(principal: Principal | undefined, title: string, message: string): string {
  return page({
    title,
    body: `${principal ? topBar(principal) : ''}<main><h1>${esc(title)}</h1><p class="notice">${esc(message)}</p><p><a href="/dashboards">All dashboards</a></p></main>`,
  });
}
