import type { IngestSettings } from '../app/config.ts';
import type { LoadedBatch } from '../app/deps.ts';
import type { Logger } from '../app/logger.ts';
import type { Warehouse } from '../warehouse/client.ts';
import type { BodyScreen } from './entry.ts';
import { IngestLog, LogFullError } from './ingest-log.ts';
import type { LogRecord } from './log-record.ts';
import { Loader } from './loader.ts';
import { createIngestMetrics, type IngestMetrics } from './metrics.ts';

/** The ingest log and its loader, opened together: what `serve`, `replay` and the benchmarks run. */
export interface IngestPipeline {
  log: IngestLog;
  loader: Loader;
  metrics: IngestMetrics;
  /**
   * Appends a body that did not come over HTTP (an archive, a benchmark): when the log is full it
   * waits for the loader to make room instead of refusing.
   */
  append(record: LogRecord): Promise<void>;
  /** Resolves once everything appended before the call is loaded. */
  settle(): Promise<void>;
  /** Stops the loader (loading what the log holds for up to `drainMs` first) and closes the log. */
  close(opts?: { drainMs?: number }): Promise<void>;
}

export interface PipelineOptions {
  settings: IngestSettings;
  warehouse: Warehouse;
  logger: Logger;
  metrics?: IngestMetrics;
  screen?: BodyScreen;
  onBatch?: (batch: LoadedBatch) => void;
  /** The loader starts once this resolves (migrations on a server that may still be down). */
  ready?: Promise<void>;
}

export async function openIngest(o: PipelineOptions): Promise<IngestPipeline> {
  const metrics = o.metrics ?? createIngestMetrics();
  const s = o.settings;
  const log = await IngestLog.open({ dir: s.logDir, maxBytes: s.maxLogBytes, segmentBytes: s.segmentBytes, retainMs: s.retainMs }, o.logger, metrics);
  const loader = new Loader(
    { log, warehouse: o.warehouse, metrics, logger: o.logger, ...(o.screen ? { screen: o.screen } : {}), ...(o.onBatch ? { onBatch: o.onBatch } : {}) },
    { maxBodies: s.maxBatch, maxBytes: s.maxBatchBytes, lingerMs: s.lingerMs, stallWarnSeconds: s.stallWarnSeconds },
  );
  loader.start(o.ready);
  return {
    log,
    loader,
    metrics,
    async append(record) {
      for (;;) {
        try {
          await log.append(record);
          return;
        } catch (e) {
          if (!(e instanceof LogFullError)) throw e;
          // Room comes back as the loader moves the cursor past whole segments.
          await loader.caughtUp(log.cursor + 1);
        }
      }
    },
    settle: () => loader.caughtUp(log.end),
    async close(opts = {}) {
      await loader.stop(opts);
      await log.close();
    },
  };
}
