import type { FileStore } from '../app/deps.ts';
import type { IngestPipeline } from './pipeline.ts';

/**
 * The ingest log as a store erasure clears: its kept segments hold exact raw bodies, so a record
 * naming the subject anywhere in its bytes (a conservative text search, which also finds shapes
 * the normalizer does not know and bodies that are not JSON) is cut from every loaded segment.
 * The other people's items of a cut body stay in the warehouse (raw table rewritten without the
 * subject); `replay` of the kept segments no longer has them.
 */
export function ingestLogStore(ingest: IngestPipeline): FileStore {
  return {
    name: 'ingest_log',
    async erase({ ids }) {
      const needles = ids.filter((id) => id !== '').map((id) => Buffer.from(id, 'utf8'));
      const names = (body: Buffer) => needles.some((n) => body.includes(n));
      const r = await ingest.log.eraseLoaded(names, () => ingest.settle());
      return { ...r, method: 'records naming the subject cut from the loaded segments (rewritten, fsynced, renamed)' };
    },
  };
}
