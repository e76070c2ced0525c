import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../app/logger.ts';
import type { LoadedBatch } from '../../app/deps.ts';
import type { BodyScreen } from '../../ingest/entry.ts';
import { openIngest, type IngestPipeline } from '../../ingest/pipeline.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { generateSync, type SimOptions } from '../../simulate/engine.ts';
import type { TruthRecord } from '../../simulate/truth.ts';
import type { Service } from '../../app/server.ts';
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

/**
 * Appends a generated world's bodies to the service's ingest log (as the receiver does once a
 * signature checks), waits until all are loaded, and answers the generator's truth.
 */
export async function loadGenerated(service: Service, sim: SimOptions): Promise<TruthRecord[]> {
  const truth: TruthRecord[] = [];
  let pending: Promise<void>[] = [];
  for (const p of generateSync({ ...sim, onTruth: (r) => truth.push(r) })) {
    pending.push(service.ingest.append({ body: Buffer.from(p.body), receivedAt: Date.now(), signatureValid: true }));
    if (pending.length >= 500) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  await service.settle();
  return truth;
}
