import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AppDeps } from '../../app/deps.ts';
import { HttpError } from '../../app/http-error.ts';
import { parseLabelCsv } from './csv.ts';
import { recordLabels } from './record.ts';

/**
 * `wa-analytics labels import <file.csv> [--source <name>]`: label events from a CSV file (header
 * `wa_id,label,action,at[,waba_id][,source]`, or `contact` for `wa_id`), checked whole before
 * anything is stored, and recorded in the access audit with the file's SHA-256.
 */

type Open = () => Promise<{ deps: AppDeps; close(): Promise<void> }>;

export function addLabelsCli(program: Command, open: Open): void {
  const labels = program.command('labels').description('labels from the business systems');
  labels
    .command('import <file>')
    .description('add and remove labels from a CSV file (wa_id or contact, label, action, at[, waba_id, source])')
    .option('--source <name>', 'source of rows without one', 'csv')
    .action(async (file: string, o: { source: string }) => {
      const bytes = readFileSync(file);
      let events;
      try {
        events = parseLabelCsv(bytes.toString('utf8'), o.source);
      } catch (e) {
        return fail(e);
      }
      const { deps, close } = await open();
      try {
        const out = await recordLabels(deps, events, 'csv').catch((e: unknown) => fail(e));
        if (!out) return;
        await deps.audit.record({ actor: 'cli', role: 'system', action: 'labels.import', params: { file_sha256: createHash('sha256').update(bytes).digest('hex'), events: out.stored }, rows: out.stored });
        console.log(`stored ${out.stored} label events (${out.added} added, ${out.removed} removed)`);
      } finally {
        await close();
      }
    });
}

/** Bad input: its message on one line, exit code 2; anything else is thrown. */
function fail(e: unknown): undefined {
  if (!(e instanceof HttpError)) throw e;
  process.stderr.write(`labels import: ${e.message}\n`);
  process.exitCode = 2;
  return undefined;
}
