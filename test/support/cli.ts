// Runs the real CLI in-process and captures what it prints, for tests. The environment is empty and stdin is
// closed unless a test says otherwise, so that nothing from the machine running the tests (BOOTWRIGHT_SERVER, a
// terminal) changes what a command does.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after } from 'node:test';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** What stdin holds, or 'tty' for an empty terminal (a prompt would wait on it). */
  stdin?: string | 'tty';
  env?: NodeJS.ProcessEnv;
}

function stdinFrom(input: CliRunOptions['stdin']): NodeJS.ReadableStream & { isTTY?: boolean } {
  const stream: Readable & { isTTY?: boolean } = Readable.from(
    input === undefined || input === 'tty' ? [] : [input],
  );
  if (input === 'tty') stream.isTTY = true;
  return stream;
}

/** `bootwright ARGV...` as a user types it. */
export async function runMain(argv: string[], options: CliRunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    stdin: stdinFrom(options.stdin),
  });
  return { code, stdout, stderr };
}

/** `bootwright --data-dir DIR ARGV...`. */
export function runCli(dataDir: string, ...argv: string[]): Promise<CliRun> {
  return runMain(['--data-dir', dataDir, ...argv]);
}

/** The output of a command that must succeed: status 0 and nothing on stderr. */
export function succeeded(run: CliRun): string {
  assert.equal(run.stderr, '', 'nothing on stderr');
  assert.equal(run.code, 0);
  return run.stdout;
}

/** A failure is one line on stderr, nothing on stdout and the exit status of its error code. */
export function failed(run: CliRun, code: number, text: string): void {
  assert.equal(run.stdout, '', 'nothing on stdout');
  assert.match(run.stderr, /^bootwright: [^\n]+\n$/, 'exactly one line on stderr');
  assert.ok(
    run.stderr.includes(text),
    `stderr ${JSON.stringify(run.stderr)} mentions ${JSON.stringify(text)}`,
  );
  assert.equal(run.code, code, run.stderr);
}

/** A temporary directory for a whole suite, removed after it (tempDir wants a test's context). */
export function suiteDir(prefix = 'bootwright-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
