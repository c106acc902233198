// The edges of package mirroring end to end: a tiny dnf repository (rpmbuild, createrepo_c) on a loopback origin,
// `bootwright reposync` over the CLI as an operator runs it, then `bootwright serve` handing out the mirror at
// /cobbler/repo_mirror/NAME/ byte for byte, `repo report` showing it, a reposync through --server following its
// task, and `repo remove` taking the mirror away.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dataPaths } from '../../src/config/paths.js';
import { startServer } from '../../src/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { runCli } from '../support/cli.js';
import { projectRoot } from '../support/guest-run.js';
import { startOrigin } from '../support/origin-server.js';
import { buildRpms, makeRpmRepo } from '../support/rpm-repo.js';
import { tempDir } from '../support/temp-dir.js';

describe('reposync from the CLI, served by bootwright serve', () => {
  it('mirrors a dnf repository, serves it as the origin has it, reports it, syncs through --server and frees it', async (t) => {
    const originRoot = tempDir(t);
    const rpms = await buildRpms(tempDir(t), [
      { name: 'bw-hello' },
      { name: 'bw-world', requires: ['bw-hello'] },
    ]);
    await makeRpmRepo(originRoot, rpms);
    const origin = await startOrigin(t, originRoot);
    t.after(() => origin.close());

    const dataDir = tempDir(t);
    const cli = async (...argv: string[]) => {
      const result = await runCli(dataDir, ...argv);
      assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
      return result;
    };
    await cli('repo', 'add', '--name=tiny', `--mirror=${origin.url}/`);
    const synced = await cli('reposync', '--name=tiny');
    // Not a terminal: plain lines, ending with the snapshot's figures.
    assert.doesNotMatch(synced.stdout, /\r/);
    assert.match(synced.stdout, /^reposync: tiny: syncing from http:\/\/127\.0\.0\.1:\d+\/$/m);
    assert.match(
      synced.stdout,
      /^reposync: tiny: synced in [\d.]+ s \(\S+ \S+ downloaded\); serving snapshot \S+: \d+ files, 2 packages, /m,
    );

    const report = await cli('repo', 'report', '--name=tiny');
    assert.match(report.stdout, /^Mirror Packages {16}: 2$/m);
    assert.match(report.stdout, /^Mirror Size On Disk {12}: \d+ bytes/m);
    assert.doesNotMatch((await runCli(dataDir, 'check')).stdout, /Repo "tiny"/);

    const server = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => server.stop());
    const base = `http://127.0.0.1:${server.port}`;
    const repomd = await fetch(`${base}/cobbler/repo_mirror/tiny/repodata/repomd.xml`);
    assert.equal(repomd.status, 200);
    assert.ok(
      Buffer.from(await repomd.arrayBuffer()).equals(readFileSync(join(originRoot, 'repodata/repomd.xml'))),
      'repomd.xml as the origin has it',
    );
    const packageName = rpms
      .map((rpm) => rpm.split('/').pop() as string)
      .find((name) => name.startsWith('bw-hello'));
    const rpm = await fetch(`${base}/cobbler/repo_mirror/tiny/Packages/${packageName}`);
    assert.ok(
      Buffer.from(await rpm.arrayBuffer()).equals(
        readFileSync(join(originRoot, 'Packages', packageName as string)),
      ),
    );

    // Through the server: the task's lines come back to this terminal, and the repo is synced again.
    const remote = await cli('--server', base, 'reposync', '--name=tiny', '--tries=2');
    assert.match(remote.stdout, /^reposync: task \S+_Reposync_[0-9a-f]{32} on http:/m);
    assert.match(
      remote.stdout,
      /^reposync: tiny: synced in [\d.]+ s .*; serving snapshot \S+: \d+ files, 2 packages/m,
    );
    assert.match(
      (await cli('--server', base, 'repo', 'report', '--name=tiny')).stdout,
      /^Mirror Packages {16}: 2$/m,
    );

    // The timeline has the syncs, and the files served.
    await server.stop();
    const store = openStore(dataPaths(dataDir).storeUrl);
    const events = await store.events.query({});
    await store.close();
    const types = events.map((event) => event.type);
    assert.equal(types.filter((type) => type === 'reposync.done').length, 2);
    assert.ok(types.includes('http.repo'));

    // Removed, the repo's mirror goes with it.
    await cli('repo', 'remove', '--name=tiny');
    const after = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => after.stop());
    const gone = await fetch(`http://127.0.0.1:${after.port}/cobbler/repo_mirror/tiny/repodata/repomd.xml`);
    assert.equal(gone.status, 404);
  });

  it('stops at Ctrl-C with one line, and the next run finishes the mirror', async (t) => {
    const originRoot = tempDir(t);
    const rpms = await buildRpms(tempDir(t), [{ name: 'bw-slow-a' }, { name: 'bw-slow-b' }]);
    await makeRpmRepo(originRoot, rpms);
    const origin = await startOrigin(t, originRoot);
    // Packages come slowly until the test says otherwise, so that the interrupt lands mid-sync.
    let slow = true;
    origin.hook = (path, _request, response, body) => {
      if (!slow || !path.endsWith('.rpm') || !body) return false;
      setTimeout(() => response.writeHead(200, { 'content-length': body.length }).end(body), 10_000).unref();
      return true;
    };
    const dataDir = tempDir(t);
    assert.equal((await runCli(dataDir, 'repo', 'add', '--name=slow', `--mirror=${origin.url}/`)).code, 0);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'run.ts'), '--data-dir', dataDir, 'reposync'],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!origin.requests.some((request) => request.path.endsWith('.rpm')) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    const code = await exited;
    assert.notEqual(code, 0, stdout);
    assert.equal(
      stderr.trim(),
      'bootwright: reposync was interrupted; run it again and it resumes where it stopped.',
    );
    slow = false;
    const again = await runCli(dataDir, 'reposync');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^reposync: slow: synced in .*: \d+ files, 2 packages/m);
  });
});
