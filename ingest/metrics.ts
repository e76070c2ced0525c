import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of the ingest path; one registry per app instance (tests run several). */
export function createIngestMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    received: new Counter({ name: 'wa_webhook_requests_total', help: 'Webhook POSTs received', registers: r }),
    rejected: new Counter({ name: 'wa_webhook_rejected_total', help: 'Webhook POSTs not accepted, by reason', labelNames: ['reason'] as const, registers: r }),
    // The ingest log.
    logAppended: new Counter({ name: 'wa_ingest_log_records_appended_total', help: 'Bodies appended and fsynced to the ingest log', registers: r }),
    logFsyncSeconds: new Histogram({ name: 'wa_ingest_log_fsync_seconds', help: 'Time of one group write + fdatasync', buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5], registers: r }),
    logBytes: new Gauge({ name: 'wa_ingest_log_bytes', help: 'Bytes of the ingest log on disk', registers: r }),
    logCorrupt: new Counter({ name: 'wa_ingest_log_damaged_total', help: 'Damaged records found inside durable segments', registers: r }),
    backlogBytes: new Gauge({ name: 'wa_ingest_backlog_bytes', help: 'Bytes of the ingest log not yet loaded into the warehouse', registers: r }),
    backlogAge: new Gauge({ name: 'wa_ingest_backlog_age_seconds', help: 'Age of the oldest body not yet loaded', registers: r }),
    // The loader.
    loaded: new Counter({ name: 'wa_ingest_bodies_loaded_total', help: 'Bodies loaded into the warehouse', registers: r }),
    items: new Counter({ name: 'wa_ingest_items_loaded_total', help: 'Messages, statuses and other items loaded', registers: r }),
    unknown: new Counter({ name: 'wa_webhook_unknown_items_total', help: 'Items of a shape the normalizer does not know, by kind', labelNames: ['kind'] as const, registers: r }),
    batchSize: new Histogram({ name: 'wa_ingest_batch_bodies', help: 'Bodies per warehouse load', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 20000], registers: r }),
    loadSeconds: new Histogram({ name: 'wa_ingest_load_seconds', help: 'Time to store one batch in the warehouse', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r }),
    loadFailures: new Counter({ name: 'wa_ingest_load_failures_total', help: 'Batch loads that failed and were retried', registers: r }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
