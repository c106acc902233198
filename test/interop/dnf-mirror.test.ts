// dnf for real (issue 19): RPMs built by rpmbuild, a repository made of them by createrepo_c and served by a loopback
// origin, mirrored by `bootwright reposync`, served by `bootwright serve` at /cobbler/repo_mirror/NAME/, and read by
// Debian's real dnf, which checks repomd.xml's checksums of the metadata and primary's checksum of each package.
// The origin is closed before dnf runs, so everything dnf gets comes from the mirror.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { openRepoMirrors } from '../../src/mirror/engine.js';
import { runCli } from '../support/cli.js';
import { startOrigin } from '../support/origin-server.js';
import { buildRpms, makeRpmRepo } from '../support/rpm-repo.js';
import { startServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';

interface DnfResult {
  code: number;
  output: string;
  /** The RPMs dnf downloaded, by file name. */
  downloaded: Map<string, Buffer>;
}

describe('dnf against a dnf mirror made by bootwright reposync', () => {
  // What the suite starts (temporary directories, servers), undone in reverse order at its end.
  const cleanups: (() => unknown)[] = [];
  const context = {
    after: ((cleanup: () => unknown) => cleanups.push(cleanup)) as unknown as TestContext['after'],
  };
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  let dataDir: string;
  let originRoot: string;
  let mirrorBase: string;

  /** `dnf install --downloadonly` into an empty installroot, with only the mirror as a repository. */
  function dnfDownload(repo: string, packages: string[]): Promise<DnfResult> {
    const home = tempDir(context, 'bootwright-dnf-');
    const root = join(home, 'root');
    const cache = join(home, 'cache');
    mkdirSync(root);
    mkdirSync(cache);
    const args = [
      `--repofrompath=mirror,${mirrorBase}/cobbler/repo_mirror/${repo}/`,
      '--repo=mirror',
      '--setopt=reposdir=/dev/null',
      `--installroot=${root}`,
      '--releasever=1',
      `--setopt=cachedir=${cache}`,
      // The test packages are not signed; the checksums from the metadata are what dnf checks here.
      '--setopt=mirror.gpgcheck=0',
      '--setopt=mirror.skip_if_unavailable=0',
      '--assumeyes',
      'install',
      '--downloadonly',
      ...packages,
    ];
    const child = spawn('dnf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    return new Promise((resolve) =>
      child.on('close', (code) => {
        const downloaded = new Map<string, Buffer>();
        for (const dir of readdirSync(cache)) {
          const packagesDir = join(cache, dir, 'packages');
          if (!existsSync(packagesDir)) continue;
          for (const file of readdirSync(packagesDir, { withFileTypes: true }).filter((entry) =>
            entry.isFile(),
          ))
            downloaded.set(file.name, readFileSync(join(packagesDir, file.name)));
        }
        resolve({ code: code ?? 1, output, downloaded });
      }),
    );
  }

  async function reposync(repo: string, originUrl: string, extra: string[] = []): Promise<string> {
    const added = await runCli(
      dataDir,
      ...['repo', 'add', `--name=${repo}`, `--mirror=${originUrl}`, '--breed=yum', '--arch=x86_64', ...extra],
    );
    assert.equal(added.code, 0, added.stderr);
    const synced = await runCli(dataDir, 'reposync', `--name=${repo}`);
    assert.equal(synced.code, 0, synced.stderr + synced.stdout);
    return synced.stdout + synced.stderr;
  }

  before(async () => {
    const work = tempDir(context);
    dataDir = tempDir(context);
    const rpms = await buildRpms(work, [
      { name: 'hello-lib', provides: ['libhello'] },
      { name: 'hello-tool', requires: ['libhello'] },
      { name: 'unrelated' },
    ]);
    originRoot = join(work, 'origin');
    await makeRpmRepo(originRoot, rpms);
    const origin = await startOrigin(context, originRoot);
    await reposync('local-rpms', `${origin.url}/`);
    await reposync('only-tool', `${origin.url}/`, ['--rpm-list=hello-tool']);
    await reposync('tampered', `${origin.url}/`);
    await origin.close();

    const server = await startServeProcess([
      `--data-dir=${dataDir}`,
      '--host=127.0.0.1',
      '--port=0',
      '--tftp-port=0',
    ]);
    context.after(() => {
      server.child.kill('SIGTERM');
      return new Promise((resolve) => server.child.once('exit', resolve));
    });
    mirrorBase = server.base;
  });

  it('reads the metadata and downloads packages byte for byte as the origin has them', async () => {
    const result = await dnfDownload('local-rpms', ['hello-tool']);
    assert.equal(result.code, 0, result.output);
    // hello-tool requires libhello, which hello-lib provides: dnf resolved it from the mirror's metadata.
    assert.deepEqual([...result.downloaded.keys()].sort(), [
      'hello-lib-1.0-1.noarch.rpm',
      'hello-tool-1.0-1.noarch.rpm',
    ]);
    for (const [name, bytes] of result.downloaded)
      assert.deepEqual(bytes, readFileSync(join(originRoot, 'Packages', name)), name);
  });

  it('with an rpm_list, holds only the named package and its dependency, under metadata dnf accepts', async () => {
    const snapshot = openRepoMirrors(dataDir).currentDir('only-tool');
    assert.ok(snapshot);
    assert.deepEqual(readdirSync(join(snapshot, 'Packages')).sort(), [
      'hello-lib-1.0-1.noarch.rpm',
      'hello-tool-1.0-1.noarch.rpm',
    ]);
    const wanted = await dnfDownload('only-tool', ['hello-tool']);
    assert.equal(wanted.code, 0, wanted.output);
    assert.equal(wanted.downloaded.size, 2, wanted.output);
    // The metadata was made for the mirror's packages: dnf does not even know of the one left out.
    const other = await dnfDownload('only-tool', ['unrelated']);
    assert.notEqual(other.code, 0, other.output);
    assert.match(other.output, /No match for argument: unrelated/);
  });

  it('refuses a package in the mirror whose bytes are not those its metadata gives', async () => {
    const snapshot = openRepoMirrors(dataDir).currentDir('tampered');
    assert.ok(snapshot);
    // A new file in place of the hard link (the stored object stays as it was), same size, one byte changed.
    const path = join(snapshot, 'Packages', 'hello-lib-1.0-1.noarch.rpm');
    const bytes = Buffer.from(readFileSync(path));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    rmSync(path);
    writeFileSync(path, bytes);
    const result = await dnfDownload('tampered', ['hello-lib']);
    assert.notEqual(result.code, 0, result.output);
    assert.match(
      result.output,
      /hello-lib-1\.0-1\.noarch\.rpm: Downloading successful, but checksum doesn't match/,
    );
  });
});
