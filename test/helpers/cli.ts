import { Command } from 'commander';
import { vi } from 'vitest';
import type { AppDeps } from '../../app/deps.ts';

type Open = () => Promise<{ deps: AppDeps; close(): Promise<void> }>;

/**
 * Runs a command in process, as `bin/wa-analytics.mjs` would, with the commands one module adds
 * (`add(program, open)`) over the test service's dependencies: what it wrote to stdout and stderr
 * and the exit code it set.
 */
export async function runCli(add: (program: Command, open: Open) => void, deps: AppDeps, argv: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const program = new Command().exitOverride();
  add(program, async () => ({ deps, close: async () => undefined }));
  const out: Buffer[] = [];
  const err: string[] = [];
  const capture = (into: Buffer[]) => ((chunk: Uint8Array | string, cb?: (e?: Error) => void) => {
    into.push(Buffer.from(chunk));
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  const errs: Buffer[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out));
  const ewrite = vi.spyOn(process.stderr, 'write').mockImplementation(capture(errs));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  // The test runner takes console.log over: what a command logs is its stdout too.
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(Buffer.from(a.join(' ') + '\n')));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errs).toString('utf8') + err.join('\n'), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    write.mockRestore();
    ewrite.mockRestore();
    error.mockRestore();
    log.mockRestore();
    process.exitCode = before;
  }
}
