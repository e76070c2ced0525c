import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { AppDeps, FileStore, Job } from '../app/deps.ts';
import { privacyConfig } from '../reports/compliance/config.ts';
import { DASHBOARDS } from './catalog.ts';
import { dashboardPayload } from './payload.ts';
import { snapshotHtml } from './pages/snapshot.ts';
import { parseQuery } from './query.ts';
import type { Viewer } from './source.ts';

/** Archived snapshots hold no personal data: contacts stay pseudonymous whoever reads the archive. */
export const ARCHIVE_VIEWER: Viewer = { actor: 'scheduler', role: 'system', personal: false, wabas: 'all' };

export function snapshotDir(dataDir: string, day: string): string {
  return join(dataDir, 'snapshots', day);
}

/**
 * Writes every dashboard's snapshot of the last 30 days to `DATA_DIR/snapshots/<day>/<dashboard>.html`.
 * Idempotent by day: a second run the same day replaces the files (written aside, then renamed).
 */
export async function writeSnapshots(deps: AppDeps, now: Date): Promise<string[]> {
  const query = parseQuery({}, now);
  const dir = snapshotDir(deps.config.dataDir, query.to);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const d of DASHBOARDS) {
    const payload = await dashboardPayload(d, { deps, query, viewer: ARCHIVE_VIEWER, now });
    const { html } = snapshotHtml(payload);
    const file = join(dir, `${d.id}.html`);
    writeFileSync(`${file}.tmp`, html);
    renameSync(`${file}.tmp`, file);
    await deps.audit.record({
      actor: ARCHIVE_VIEWER.actor,
      role: 'system',
      action: 'dashboards.snapshot',
      params: { dashboard: d.id, from: query.from, to: query.to, archived: `snapshots/${query.to}/${d.id}.html` },
      exportSha256: createHash('sha256').update(html).digest('hex'),
    });
    written.push(file);
  }
  return written;
}

export function snapshotJob(deps: AppDeps): Job {
  const log = deps.log.child({ job: 'dashboards.snapshots' });
  return {
    name: 'dashboards.snapshots',
    // After the compliance jobs (02:30, 03:15), so the archive shows the night's checks.
    schedule: '0 45 3 * * *',
    async run(now: Date) {
      const files = await writeSnapshots(deps, now);
      const expired = expireSnapshots(deps.config.dataDir, privacyConfig(deps.config.file).retention.snapshot_days, now);
      log.info({ files: files.length, expired_days: expired.length }, 'dashboard snapshots archived');
    },
  };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function snapshotDays(dataDir: string): string[] {
  const root = join(dataDir, 'snapshots');
  return existsSync(root) ? readdirSync(root).filter((d) => DAY.test(d)).sort() : [];
}

/** Retention: removes the days archived more than `days` days before `now`; returns them. */
export function expireSnapshots(dataDir: string, days: number, now: Date): string[] {
  const oldest = new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  const gone = snapshotDays(dataDir).filter((d) => d < oldest);
  for (const d of gone) rmSync(snapshotDir(dataDir, d), { recursive: true, force: true });
  return gone;
}

/**
 * Archived snapshots show customers by pseudonym (never by number), which still singles out the
 * person: on erasure every snapshot naming them is removed (the day's other dashboards stay).
 */
export function snapshotStore(dataDir: string): FileStore {
  const naming = (needles: readonly string[]) => {
    const out: string[] = [];
    for (const d of snapshotDays(dataDir)) {
      for (const f of readdirSync(snapshotDir(dataDir, d)).filter((n) => n.endsWith('.html'))) {
        const file = join(snapshotDir(dataDir, d), f);
        const text = readFileSync(file, 'utf8');
        if (needles.some((n) => text.includes(n))) out.push(file);
      }
    }
    return out;
  };
  return {
    name: 'dashboard_snapshots',
    async erase({ ids, pseudonyms }) {
      const needles = [...ids, ...pseudonyms].filter((n) => n !== '');
      const files = naming(needles);
      for (const f of files) rmSync(f, { force: true });
      return { before: files.length, after: naming(needles).length, method: 'archived snapshot files naming the subject removed' };
    },
  };
}
