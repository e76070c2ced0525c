import { Gauge, Histogram, type Registry } from 'prom-client';

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

/**
 * Adds the warehouse metrics to a registry (the one `/metrics` serves); safe to call once per
 * registry. With `engineMemory` (a read of it: `warehouse/queries/memory.ts`, passed in because the
 * query path imports this module), also the memory the engine tracks, read at each scrape: beside
 * the process's resident memory and JavaScript heap, it says which of them grows.
 */
export function registerWarehouseMetrics(registry: Registry, engineMemory?: () => Promise<number | undefined>): void {
  if (!registry.getSingleMetric(QUERY_SECONDS)) registry.registerMetric(queryDuration);
  if (engineMemory && !registry.getSingleMetric('wa_warehouse_memory_bytes')) {
    new Gauge({
      name: 'wa_warehouse_memory_bytes',
      help: "Memory the warehouse engine tracks as in use (embedded: part of this process's resident memory)",
      registers: [registry],
      async collect() {
        // A scrape while the warehouse is unreachable still answers, without this figure.
        const bytes = await engineMemory().catch(() => undefined);
        if (bytes !== undefined) this.set(bytes);
      },
    });
  }
}
