import type { Command } from 'commander';

/**
 * The label options every `report …` command takes: `--label <l>` (repeatable, each may also be a
 * comma list) and `--label-match any|all`. They become the HTTP query's `label` and `label_match`,
 * so each report checks them with the same parser its route uses (reports/labels/params.ts).
 */

export interface LabelOpts {
  label?: string[];
  labelMatch?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Adds `--label` and `--label-match` to a report command. */
export function labelOptions(c: Command): Command {
  return c
    .option('--label <label>', 'labels in force at the row\'s time (order matches order/paid); repeat it or give a comma list', collect)
    .option('--label-match <match>', 'any (default): under any of the labels | all: under every one');
}

/** The options as the HTTP query carries them (nothing when not given). */
export function labelQuery(o: LabelOpts): Record<string, string> {
  const q: Record<string, string> = {};
  if (o.label?.length) q.label = o.label.join(',');
  if (o.labelMatch !== undefined) q.label_match = o.labelMatch;
  return q;
}
