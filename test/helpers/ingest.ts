import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../app/logger.ts';
import type { LoadedBatch } from '../../app/deps.ts';
import type { BodyScreen } from '../../ingest/entry.ts';
import { openIngest, type IngestPipeline } from '../../ingest/pipeline.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { testConfig } from './service.ts';

/**
 * A real ingest log (in a fresh temporary folder, or `dir`) and its loader over the worker's
 * warehouse, for tests that load bodies without the HTTP service: replay, seeded stores.
 */
export async function openTestIngest(
  wh: Warehouse,
  opts: { dir?: string; env?: Record<string, string>; screen?: BodyScreen; onBatch?: (b: LoadedBatch) => void } = {},
): Promise<IngestPipeline> {
  const settings = { ...testConfig(opts.env).ingest, logDir: opts.dir ?? mkdtempSync(join(tmpdir(), 'wa-ingest-log-')) };
  return openIngest({
    settings,
    warehouse: wh,
    logger: createLogger('test-ingest', 'silent'),
    ...(opts.screen ? { screen: opts.screen } : {}),
    ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
  });
}
