// Runs the real CLI in-process on a data directory and captures what it prints, for tests. The environment is
// empty and stdin is closed, so that nothing from the machine running the tests (BOOTWRIGHT_SERVER, a terminal)
// changes what a command does.

import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export async function runCli(
  dataDir: string,
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['--data-dir', dataDir, ...argv], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    stdin: Readable.from([]),
  });
  return { code, stdout, stderr };
}
