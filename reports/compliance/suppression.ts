import type { BodyScreen } from '../../ingest/entry.ts';
import type { Logger } from '../../app/logger.ts';
import type { Pseudonymizer } from '../../app/pseudonym.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { suppressedSubjects } from '../../warehouse/queries/compliance/erasure.ts';
import { idsInText } from '../../ingest/subject-ids.ts';
import { withoutQuoting, withoutSubjects } from '../../ingest/body-filter.ts';

/**
 * The erasure suppression list at ingest. Meta re-delivers webhooks for up to 7 days and a user
 * may write again after being erased; the receiver asks this screen before storing a body, and the
 * items of an erased subject are dropped from it (the rest of the body is stored, marked
 * `redacted`). The list holds keyed hashes only, so it never becomes a copy of the numbers.
 * One list per warehouse and process; it reloads every 30 s, so instances learn of erasures done
 * elsewhere, and the nightly sweep erases whatever slipped through in between.
 */

export interface SubjectScreen {
  screen: BodyScreen;
  ready: Promise<void>;
  refresh(): Promise<void>;
  add(subjectHash: string): void;
  size(): number;
}

const RELOAD_MS = 30_000;
const screens = new WeakMap<Warehouse, SubjectScreen>();

export function subjectScreen(wh: Warehouse, pseudonyms: Pseudonymizer, log?: Logger): SubjectScreen {
  const existing = screens.get(wh);
  if (existing) return existing;
  let hashes = new Set<string>();
  /** Hashes added in this process, kept across a reload that may have started before their insert. */
  const added = new Map<string, number>();
  let loadedAt = 0;
  let loading: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    const started = Date.now();
    loading ??= suppressedSubjects(wh, {})
      .then((rows) => {
        for (const [h, at] of added) if (at < started) added.delete(h);
        hashes = new Set([...rows.map((r) => r.subject_hash), ...added.keys()]);
        loadedAt = Date.now();
      })
      .catch((e: unknown) => log?.warn({ err: e }, 'erasure suppression list could not be loaded'))
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };

  const s: SubjectScreen = {
    screen(parsed, subjectIds, text) {
      if (Date.now() - loadedAt > RELOAD_MS) void refresh();
      if (hashes.size === 0) return undefined;
      const blocked = subjectIds.filter((id) => hashes.has(pseudonyms.subject(id)));
      // A number quoted where no known field names it (free text, shapes not yet known).
      const quoted = text === undefined ? [] : idsInText(text, 256).filter((id) => !blocked.includes(id) && hashes.has(pseudonyms.subject(id)));
      if (blocked.length === 0 && quoted.length === 0) return undefined;
      const body = blocked.length > 0 ? withoutSubjects(parsed, blocked).body : parsed;
      if (quoted.length === 0) return body;
      const gone = new Set([...blocked, ...quoted]);
      return withoutQuoting(body, (json) => idsInText(json, 256).some((id) => gone.has(id)));
    },
    ready: refresh(),
    refresh,
    add(subjectHash) {
      added.set(subjectHash, Date.now());
      hashes.add(subjectHash);
    },
    size: () => hashes.size,
  };
  screens.set(wh, s);
  return s;
}
