import { z } from 'zod';
import type { Warehouse } from '../client.ts';
import { defineQuery } from '../query.ts';

/**
 * Memory the warehouse engine tracks as in use (queries, merges, caches it counts), in bytes. Embedded,
 * this is part of the service's own resident memory; with a server, the server's.
 */
const memory = defineQuery({
  name: 'warehouse.memory',
  sql: `SELECT toInt64(value) AS bytes FROM system.metrics WHERE metric = 'MemoryTracking'`,
  params: z.object({}),
  row: z.object({ bytes: z.coerce.number() }),
});

export async function engineMemory(wh: Warehouse): Promise<number | undefined> {
  return (await memory(wh, {}))[0]?.bytes;
}
