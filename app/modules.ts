import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Router } from 'express';
import type { Command } from 'commander';
import type { AppDeps, Follower, Job } from './deps.ts';

/**
 * A report or dashboard module plugs into the service through one file, `module.ts`, in its folder
 * (`reports/<name>/module.ts`, `dashboards/module.ts`): the routes it serves and the jobs it runs.
 */
export interface ServiceModule {
  name: string;
  /** Mounts the module's routes on the API router (paths are absolute, e.g. `/api/reports/sla`). */
  routes?(router: Router, deps: AppDeps): void;
  jobs?(deps: AppDeps): Job[];
  /** Derivations run after each loaded ingest batch, on what it stored. */
  followers?(deps: AppDeps): Follower[];
  /** Adds the module's commands to the CLI; `open` gives the dependencies when a command runs. */
  cli?(program: Command, open: () => Promise<{ deps: AppDeps; close(): Promise<void> }>): void;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function modulePaths(root = ROOT): string[] {
  const paths: string[] = [];
  const reports = join(root, 'reports');
  for (const dir of existsSync(reports) ? readdirSync(reports, { withFileTypes: true }) : []) {
    const file = join(reports, dir.name, 'module.ts');
    if (dir.isDirectory() && existsSync(file)) paths.push(file);
  }
  const dashboards = join(root, 'dashboards', 'module.ts');
  if (existsSync(dashboards)) paths.push(dashboards);
  return paths.sort();
}

export async function loadModules(): Promise<ServiceModule[]> {
  const mods: ServiceModule[] = [];
  for (const p of modulePaths()) {
    const m = (await import(pathToFileURL(p).href)) as { default: ServiceModule };
    mods.push(m.default);
  }
  return mods;
}
