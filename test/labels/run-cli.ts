import type { Command } from 'commander';
import type { AppDeps } from '../../app/deps.ts';
import { runCli } from '../helpers/cli.ts';

type Open = () => Promise<{ deps: AppDeps; close(): Promise<void> }>;

/** Runs `report …` in process (see `runCli`). */
export function runReportCli(add: (program: Command, open: Open) => void, deps: AppDeps, args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  return runCli(add, deps, ['report', ...args]);
}
