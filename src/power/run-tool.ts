// Runs a power tool (ipmitool, a fence agent, virsh) with an argument list, never a shell line, secrets on stdin
// or in the environment only, and the action's deadline as an abort: a BMC that does not answer costs its
// timeout, never the server's other work.

import { execFile } from 'node:child_process';
import { BootwrightError } from '../errors.js';

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

const packageOf: Record<string, string> = { ipmitool: 'ipmitool', virsh: 'libvirt-clients' };

/** The tool's exit status and output; throws only when it could not run or ran out of time. */
export function runTool(
  command: string,
  args: readonly string[],
  options: { signal: AbortSignal; input?: string; env?: Record<string, string>; system: string },
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        encoding: 'utf8',
        signal: options.signal,
        maxBuffer: 4 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
          LANG: 'C',
          LC_ALL: 'C',
          ...options.env,
        },
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const failure = error as NodeJS.ErrnoException & { code?: string | number };
        if (failure.code === 'ENOENT') {
          const name = command.split('/').at(-1) as string;
          const pkg = packageOf[name] ?? (name.startsWith('fence_') ? 'fence-agents' : undefined);
          reject(
            new BootwrightError(
              'E_UNAVAILABLE',
              `System ${options.system}: ${name} is not installed${pkg ? `; install the ${pkg} package` : ''}.`,
            ),
          );
          return;
        }
        if (failure.name === 'AbortError' || options.signal.aborted) {
          reject(
            new BootwrightError(
              'E_UNAVAILABLE',
              `System ${options.system}: ${command.split('/').at(-1)} did not finish in time.`,
            ),
          );
          return;
        }
        resolve({ code: typeof failure.code === 'number' ? failure.code : 1, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** The last line a tool printed on failure, for a one-line message. */
export function lastLine(run: ToolRun): string {
  const lines = `${run.stderr}\n${run.stdout}`
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.at(-1) ?? `exit status ${run.code}`;
}
