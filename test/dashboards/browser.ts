import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { TEST_TOKENS } from '../helpers/service.ts';

/** Chromium (Debian's by default, `CHROMIUM_PATH` to use another), headless, without the background services that would reach the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A page that remembers every console error and uncaught exception. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

export async function watchedPage(browser: Browser, opts: { offline?: boolean } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, offline: opts.offline ?? false });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    // The login page (not a dashboard page) declares no icon, so Chromium asks for /favicon.ico.
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/** Signs in through the login page, as a person would. */
export async function signIn(w: WatchedPage, base: string, role: keyof typeof TEST_TOKENS): Promise<void> {
  await w.page.goto(`${base}/login`);
  await w.page.fill('#token', TEST_TOKENS[role]);
  await Promise.all([w.page.waitForURL(`${base}/dashboards`), w.page.click('button[type=submit]')]);
}

export interface FigureState {
  id: string;
  rendered: string | null;
  marks: number;
  empty: string;
}

/** Waits until the page script has drawn (or given up), then reads what each figure shows. */
export async function figures(page: Page): Promise<FigureState[]> {
  await page.waitForSelector('main[data-state=ready], main[data-state=error]', { timeout: 60_000 });
  return page.$$eval('figure.chart', (figs) =>
    figs.map((f) => ({
      id: f.getAttribute('data-chart') ?? '',
      rendered: f.getAttribute('data-rendered'),
      // Items of the chart's own marks (not axes or legends) in vega's SVG.
      marks: f.querySelectorAll('svg .role-mark > *').length,
      empty: (f.querySelector('.empty:not([hidden])')?.textContent ?? '').trim(),
    })),
  );
}
