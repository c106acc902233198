// `bootwright serve` as its own process, from source, the way the reliability tests need it: one they can SIGKILL
// and start again on the same data directory, on loopback or inside a network namespace.

import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './guest-run.js';

export interface ServeProcess {
  child: ChildProcess;
  /** The HTTP port it reported (useful with --port=0). */
  port: number;
  /** http://127.0.0.1:PORT, for a server listening on loopback. */
  base: string;
  /** Everything it printed so far, stdout and stderr together. */
  output(): string;
}

type Spawner = (command: string, args: string[], options: SpawnOptions) => ChildProcess;

/** Starts `serve` with `flags` (--data-dir=... and the rest) and waits until it listens; `spawner` picks where. */
export async function startServeProcess(flags: string[], spawner: Spawner = spawn): Promise<ServeProcess> {
  const child = spawner(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'run.ts'), 'serve', ...flags],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const deadline = Date.now() + 30_000;
  while (!/serving http on port \d+/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`bootwright serve did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const port = Number(/serving http on port (\d+)/.exec(output)?.[1]);
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => output };
}
