import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The scripts and styles the pages load, served by this service from the installed packages (no CDN,
 * so a dashboard works offline and the CSP can stay `script-src 'self'`). Read once, kept in memory.
 */
export interface Asset {
  path: string;
  type: string;
  body: Buffer;
  etag: string;
}

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));

/** A file of an installed package (found the way `require` would find the package). */
function packageFile(pkg: string, file: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const path = join(dir, pkg, file);
    if (existsSync(path)) return path;
  }
  throw new Error(`${pkg}/${file} is not installed`);
}

/** The vendor builds: UMD files that define the globals `vega`, `vegaLite` and `vegaEmbed`, in load order. */
export const VENDOR = [
  { path: '/assets/vendor/vega.min.js', file: () => packageFile('vega', 'build/vega.min.js') },
  { path: '/assets/vendor/vega-lite.min.js', file: () => packageFile('vega-lite', 'build/vega-lite.min.js') },
  { path: '/assets/vendor/vega-embed.min.js', file: () => packageFile('vega-embed', 'build/vega-embed.min.js') },
] as const;

export const OWN = [
  { path: '/assets/dashboards/dashboard.js', file: () => join(HERE, 'assets', 'dashboard.js') },
  { path: '/assets/dashboards/dashboard.css', file: () => join(HERE, 'assets', 'dashboard.css') },
] as const;

export const SCRIPT_PATHS = [...VENDOR.map((v) => v.path), OWN[0].path];
export const STYLE_PATH = OWN[1].path;

let cache: Map<string, Asset> | undefined;

/**
 * Minified vendor files end with a `sourceMappingURL` comment whose map is not shipped; dropping it
 * keeps browsers' developer tools from asking for a file that is not there.
 */
function withoutSourceMap(text: string): string {
  return text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

export function assets(): Map<string, Asset> {
  if (cache) return cache;
  const loaded = new Map<string, Asset>();
  for (const a of [...VENDOR, ...OWN]) {
    const text = withoutSourceMap(readFileSync(a.file(), 'utf8'));
    const body = Buffer.from(text, 'utf8');
    const type = a.path.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
    loaded.set(a.path, { path: a.path, type, body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` });
  }
  cache = loaded;
  return cache;
}

export function asset(path: string): Asset {
  const a = assets().get(path);
  if (!a) throw new Error(`no asset ${path}`);
  return a;
}
