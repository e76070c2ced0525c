import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of the ingest path; one registry per app instance (tests run several). */
export function createIngestMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    received: new Counter({ name: 'wa_webhook_requests_total', help: 'Webhook POSTs received', registers: [registry] }),
    committed: new Counter({ name: 'wa_webhook_bodies_committed_total', help: 'Webhook bodies committed to the warehouse', registers: [registry] }),
    items: new Counter({ name: 'wa_webhook_items_committed_total', help: 'Messages, statuses and other items committed', registers: [registry] }),
    rejected: new Counter({ name: 'wa_webhook_rejected_total', help: 'Webhook POSTs not accepted, by reason', labelNames: ['reason'] as const, registers: [registry] }),
    unknown: new Counter({ name: 'wa_webhook_unknown_items_total', help: 'Items of a shape the normalizer does not know, by kind', labelNames: ['kind'] as const, registers: [registry] }),
    batchSize: new Histogram({ name: 'wa_ingest_batch_bodies', help: 'Bodies per warehouse commit', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000], registers: [registry] }),
    commitSeconds: new Histogram({ name: 'wa_ingest_commit_seconds', help: 'Time to commit one batch', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] }),
    queueDepth: new Gauge({ name: 'wa_ingest_queue_bodies', help: 'Bodies waiting for a commit', registers: [registry] }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
