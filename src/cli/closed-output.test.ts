// `bootwright ... | head -1`: the reader goes away before the command has said everything. Each command must then
// end quietly, with status 0 and nothing on stderr, never with Node's EPIPE stack trace (issue 18, item 5). The
// real CLI runs as a child whose stdout is a pipe this test closes before the command writes a byte.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';

/** A TCP port on loopback that nothing holds right now. */
async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs the CLI with its stdout's reading end closed at once; what it exits with and writes on stderr. */
function spawnWithReaderGone(argv: string[]) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'run.ts'), ...argv],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.destroy();
  return child;
}

async function withReaderGone(argv: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawnWithReaderGone(argv);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
  return { code, stderr };
}

describe('a command whose reader goes away', () => {
  it('ends quietly with status 0: template list, snippet list, check, import, system list', async (t: TestContext) => {
    const dataDir = tempDir(t);
    const tree = join(tempDir(t), 'rhel9');
    for (const [path, content] of Object.entries({
      '.treeinfo': '[general]\nfamily = Red Hat Enterprise Linux\nversion = 9.4\narch = x86_64\n',
      'images/pxeboot/vmlinuz': 'kernel',
      'images/pxeboot/initrd.img': 'initrd',
    })) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), content);
    }
    assert.equal((await runCli(dataDir, ...serveTestRootsCommand)).code, 0);
    assert.equal(
      (await runCli(dataDir, 'repo', 'add', '--name=epel', '--mirror=http://198.51.100.7/epel/')).code,
      0,
    );
    const commands = [
      ['template', 'list'],
      ['snippet', 'list'],
      ['check'],
      ['import', `--path=${tree}`, '--name=rhel9'],
      ['repo', 'list'],
      ['--help'],
    ];
    // Two at a time: each child starts a Node with tsx, and the machine is shared.
    for (let index = 0; index < commands.length; index += 2) {
      const results = await Promise.all(
        commands
          .slice(index, index + 2)
          .map((command) => withReaderGone(['--data-dir', dataDir, ...command])),
      );
      results.forEach((result, offset) => {
        const command = (commands[index + offset] as string[]).join(' ');
        assert.equal(result.stderr, '', `${command} says nothing on stderr`);
        assert.equal(result.code, 0, `${command} exits 0`);
      });
    }
  });

  it('except serve, which goes on serving when the reader of its log goes away', async (t: TestContext) => {
    const port = await freeTcpPort();
    const child = spawnWithReaderGone([
      '--data-dir',
      tempDir(t),
      'serve',
      `--port=${port}`,
      '--tftp-port=0',
      '--host=127.0.0.1',
    ]);
    const exited = new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
    t.after(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    let answered = false;
    // It has written its start line into the closed pipe by the time it answers.
    for (let attempt = 0; attempt < 100 && !answered; attempt++) {
      answered = await fetch(`http://127.0.0.1:${port}/cobbler_api`, {
        method: 'POST',
        body: "<?xml version='1.0'?><methodCall><methodName>ping</methodName><params></params></methodCall>",
      }).then(
        (response) => response.ok,
        () => false,
      );
      if (!answered) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(answered, 'serve answers with its stdout gone');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(child.exitCode, null, 'and is still running');
  });
});
