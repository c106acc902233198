// Shared by the benchmarks that run real peers beside bootwright: a list of clean-up steps run at exit whether the
// run succeeded, failed or was interrupted (SIGINT/SIGTERM), a check that a peer's binary is installed, plain-line
// logging, and a child process's output and exit as promises.

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';

export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Throws, naming the Debian package, when a peer's binary is not installed. */
export function requireBinaries(binaries: { path: string; debianPackage: string }[]): void {
  const missing = binaries.filter((binary) => !existsSync(binary.path));
  if (missing.length === 0) return;
  const lines = missing.map(
    (binary) => `  ${binary.path} is missing: apt-get install ${binary.debianPackage}`,
  );
  process.stderr.write(`This benchmark needs its peers installed:\n${lines.join('\n')}\n`);
  process.exit(2);
}

export class Cleanup {
  private steps: (() => unknown)[] = [];
  private ran = false;

  /** For helpers written for node:test (createNetnsPair): `after` registers a clean-up step. */
  readonly context = {
    after: (step: () => unknown) => {
      this.steps.push(step);
    },
  };

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  /** Runs every step once, last added first; a failing step does not stop the others. */
  async run(): Promise<void> {
    if (this.ran) return;
    this.ran = true;
    for (const step of this.steps.reverse()) {
      try {
        await step();
      } catch (error) {
        process.stderr.write(`clean-up step failed: ${String(error)}\n`);
      }
    }
  }

  /** SIGINT/SIGTERM/SIGHUP: clean up, then exit with 128 + the signal's number. */
  onSignals(): void {
    const codes = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
    for (const [signal, code] of Object.entries(codes)) {
      process.once(signal, () => {
        log(`${signal}: cleaning up`);
        void this.run().finally(() => process.exit(128 + code));
      });
    }
  }
}

/** Collects a child's stdout and stderr together. */
export function collect(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return { text: () => text };
}

export async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/** Sends SIGTERM to one child by its id and waits for it, SIGKILL after `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * On a machine with two cores or more, the load generator and the server under test each get one (taskset), so
 * that where the scheduler puts them does not swing the figures; `--no-pin` turns it off.
 */
export const pinning = !process.argv.includes('--no-pin') && cpus().length >= 2;

/** `command` run on `cpu` alone when pinning. */
export function pinnedTo(cpu: string, command: string[]): string[] {
  return pinning ? ['taskset', '-c', cpu, ...command] : command;
}

/** The command line of `bootwright serve` from source; BENCH_CPU_PROF=DIR (or `profileDir`) profiles it. */
export function serveCommand(flags: string[], profileDir = process.env.BENCH_CPU_PROF): string[] {
  return [
    process.execPath,
    '--import',
    'tsx',
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    'src/cli/run.ts',
    'serve',
    ...flags,
  ];
}

/** Until `url` answers a HEAD with 2xx (10 s at most); `output` is the server's, shown when it does not. */
export async function waitForHttp(url: string, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      if ((await fetch(url, { method: 'HEAD' })).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not come up: ${output()}`);
}
