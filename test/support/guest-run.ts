// What the tests that boot real guests share: `bootwright serve` started from source inside a network namespace,
// waiting for a process with a deadline, reading a serial console log, checking lines appear in order, and asking
// for the tools a test needs by their Debian packages.

import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import type { TapNamespace } from './tap-netns.js';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServeProcess {
  stderr(): string;
  stop(): Promise<void>;
}

/** `bootwright serve` on the real ports inside the namespace, from source, as `node --import tsx` runs it. */
export async function startServeInNamespace(ns: TapNamespace, dataDir: string): Promise<ServeProcess> {
  const child = ns.spawn(
    process.execPath,
    [
      ...['--import', 'tsx', join(projectRoot, 'src', 'cli', 'run.ts'), 'serve'],
      ...[`--data-dir=${dataDir}`, '--host=0.0.0.0', '--port=80', '--tftp-port=69'],
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const deadline = Date.now() + 30_000;
  while (!stdout.includes('serving http') && child.exitCode === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.match(stdout, /serving http on port 80/, `bootwright serve did not start: ${stderr}`);
  return {
    stderr: () => stderr,
    stop: async () => {
      try {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      } catch {
        // Already gone: the namespace's cleanup got to it first.
      }
      await exited(child, 10_000);
    },
  };
}

/** Resolves with the exit code, or undefined when the process is still running at the deadline (then killed). */
export async function exited(child: ChildProcess, timeoutMs: number): Promise<number | null | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, timeoutMs);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    return timedOut ? undefined : code;
  } finally {
    clearTimeout(timer);
  }
}

/** The serial console as text: without the terminal escapes SeaBIOS writes, and without carriage returns. */
export function readConsole(path: string): string {
  if (!existsSync(path)) return '(no console output)';
  const escapes = new RegExp(`${String.fromCharCode(27)}(\\[[0-9;?]*[A-Za-z]|c)`, 'g');
  return readFileSync(path, 'latin1').replace(escapes, '').replaceAll('\r', '');
}

export function assertInOrder(text: string, wanted: string[], explain: (what: string) => string): void {
  let at = 0;
  for (const line of wanted) {
    const found = text.indexOf(line, at);
    assert.notEqual(
      found,
      -1,
      explain(`Missing, or out of order: "${line}"; expected in order:\n${wanted.join('\n')}`),
    );
    at = found + line.length;
  }
}

/** `bootwright status --system` on a data directory, once it shows the steps (events land in batches). */
export async function statusOf(dataDir: string, system: string, steps: string[]): Promise<string> {
  let status = '';
  for (let tries = 0; tries < 30; tries++) {
    status = '';
    await main(['--data-dir', dataDir, 'status', '--system', system], {
      stdout: { write: (text: string) => (status += text) },
    });
    if (steps.every((step) => status.includes(step))) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return status;
}

/** Runs CLI commands on a data directory, failing the test with the command's output when one fails. */
export async function configureStore(dataDir: string, commands: string[][]): Promise<void> {
  for (const argv of commands) {
    let output = '';
    const write = (text: string) => {
      output += text;
    };
    const code = await main(['--data-dir', dataDir, ...argv], { stdout: { write }, stderr: { write } });
    assert.equal(code, 0, `bootwright ${argv.join(' ')}: ${output}`);
  }
}

export function onPath(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** What building the test guest and booting it need: [tool, Debian package]. */
export const guestTools: [string, string][] = [
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['cpio', 'cpio'],
  ['curl', 'curl'],
  ['ip', 'iproute2'],
  ['apt-get', 'apt'],
  ['dpkg-deb', 'dpkg'],
  ['ldd', 'libc-bin'],
];

/** Fails with the Debian packages to install when a tool the test needs is missing: [tool, package] pairs. */
export function assertTools(pairs: [string, string][]): void {
  const missing = pairs.filter(([tool]) => !onPath(tool)).map(([, pkg]) => pkg);
  assert.deepEqual(missing, [], `Install the Debian packages: ${[...new Set(missing)].join(', ')}.`);
}
