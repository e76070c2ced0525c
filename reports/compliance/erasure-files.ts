import type { AppDeps } from '../../app/deps.ts';

/**
 * Erasure of the files on this instance's disk that hold personal data outside the warehouse: the
 * ingest log's kept segments (raw bodies) and archived dashboard snapshots (pseudonymous ids).
 * Each store counts what named the subject before and after.
 */

export interface ErasureFileEvidence {
  store: string;
  found_before: number;
  found_after: number;
  method: string;
}

export async function eraseFiles(deps: AppDeps, ids: readonly string[]): Promise<ErasureFileEvidence[]> {
  const pseudonyms = ids.map((id) => deps.pseudonyms.contact(id));
  const out: ErasureFileEvidence[] = [];
  for (const s of deps.fileStores ?? []) {
    const r = await s.erase({ ids, pseudonyms });
    out.push({ store: s.name, found_before: r.before, found_after: r.after, method: r.before > 0 ? r.method : 'nothing to erase' });
  }
  return out;
}
