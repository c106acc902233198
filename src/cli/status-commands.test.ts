import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeBootFiles } from '../../test/support/boot-files.js';
import { runCli } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { dataPaths } from '../config/paths.js';
import { openStore } from '../store/open-store.js';

describe('status, watch and check', () => {
  it("prints the install table and one system's steps from the store", async (t) => {
    const dataDir = tempDir(t);
    const store = openStore(dataPaths(dataDir).storeUrl);
    const start = Date.now() - 120_000;
    await store.events.append([
      { type: 'dhcp.discover', system: 'vm9', time: start },
      { type: 'tftp.sent', system: 'vm9', time: start + 2000, detail: { path: 'pxelinux.0', bytes: 42 } },
      { type: 'install.pre', system: 'vm9', source: '192.0.2.100', time: start + 30_000 },
      { type: 'install.pre', system: 'vm10', source: '192.0.2.101', time: start },
      { type: 'install.post', system: 'vm10', source: '192.0.2.101', time: start + 60_000 },
    ]);
    await store.close();
    const table = await runCli(dataDir, 'status');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^192\.0\.2\.101 \| system:vm10 \| .* \| finished$/m);
    assert.match(table.stdout, /^192\.0\.2\.100 \| system:vm9 {2}\| .* \| installing \(1m 3\ds\)$/m);
    const steps = await runCli(dataDir, 'status', '--system=vm9');
    assert.deepEqual(
      steps.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.slice(21)),
      ['DHCP discover', 'TFTP sent pxelinux.0 (42 bytes)', 'install started'],
    );
    assert.match(steps.stdout.split('\n')[1] ?? '', /\+2\.0s/);
    assert.match((await runCli(dataDir, 'status', '--system=nope')).stdout, /No events for system nope yet/);
  });

  it('follows new events as plain lines when not on a terminal', async (t) => {
    const dataDir = tempDir(t);
    const store = openStore(dataPaths(dataDir).storeUrl);
    t.after(() => store.close());
    await store.events.append([{ type: 'dhcp.discover', system: 'old' }]);
    const watching = runCli(dataDir, 'watch', '--system=vm9', '--timeout=2');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await store.events.append([
      { type: 'http.autoinstall', system: 'vm9', detail: {} },
      { type: 'http.autoinstall', system: 'other', detail: {} },
      { type: 'install.post', system: 'vm9' },
    ]);
    const { code, stdout } = await watching;
    assert.equal(code, 0);
    assert.deepEqual(
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.slice(10).trim()),
      ['vm9               autoinstall file fetched', 'vm9               install finished'],
    );
  });

  it('lists what would stop an install, with the fix, and fails', async (t) => {
    const dataDir = tempDir(t);
    // A kernel removed after its distro was added (a missing one is refused at add).
    const files = makeBootFiles(join(tempDir(t), 'nonexistent'));
    assert.equal((await runCli(dataDir, ...serveTestRootsCommand)).code, 0);
    const added = await runCli(
      dataDir,
      'distro',
      'add',
      '--name=d',
      `--kernel=${files.kernel}`,
      `--initrd=${files.initrd}`,
    );
    assert.equal(added.code, 0, added.stderr);
    rmSync(files.kernel);
    const checked = await runCli(dataDir, 'check');
    assert.notEqual(checked.code, 0);
    assert.match(
      checked.stdout,
      /Setting server is 127\.0\.0\.1, which other machines cannot reach\.\n {3}fix: bootwright setting edit --name=server/,
    );
    assert.match(checked.stdout, new RegExp(`Distro d: its kernel ${files.kernel} is not a readable file`));
    assert.match(checked.stderr, /problems found/);
  });

  it('warns while the root password hash is the well-known default, and not after it is changed', async (t) => {
    const dataDir = tempDir(t);
    const before = await runCli(dataDir, 'check');
    assert.match(
      before.stdout,
      /\d+\. Setting default_password_crypted is still the well-known default \(the password "cobbler"\), so every machine installed with it has a root password anyone knows\.\n {3}fix: bootwright setting edit --name=default_password_crypted --value="\$\(openssl passwd -6\)"\n/,
    );
    const changed = await runCli(
      dataDir,
      'setting',
      'edit',
      '--name=default_password_crypted',
      '--value=$6$Qx0dTm1y$ZQ2wJ0a3pS5GxHkq8q1V0',
    );
    assert.equal(changed.code, 0, changed.stderr);
    assert.doesNotMatch((await runCli(dataDir, 'check')).stdout, /default_password_crypted/);
  });
});
