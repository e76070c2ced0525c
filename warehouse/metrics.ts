import { Histogram, type Registry } from 'prom-client';

const QUERY_SECONDS = 'wa_warehouse_query_seconds';

/**
 * Duration of every warehouse call by its declared name, recorded in the one query path
 * (warehouse/query.ts). One histogram per process; the app adds it to its metrics registry.
 */
export const queryDuration = new Histogram({
  name: QUERY_SECONDS,
  help: 'Duration of warehouse queries, inserts and commands, by declared name and outcome',
  labelNames: ['query', 'outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [],
});

/** Adds the warehouse metrics to a registry (the one `/metrics` serves); safe to call once per registry. */
export function registerWarehouseMetrics(registry: Registry): void {
  if (!registry.getSingleMetric(QUERY_SECONDS)) registry.registerMetric(queryDuration);
}
