import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { AppDeps, Job } from '../app/deps.ts';
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
      log.info({ files: files.length }, 'dashboard snapshots archived');
    },
  };
}
