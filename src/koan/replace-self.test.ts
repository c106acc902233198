// koan acting on a host rather than a VM, against a running bootwright server: --replace-self puts the installer
// and a GRUB entry into a system mounted at --root (here a directory shaped like a Debian root), --update-files
// writes the object's rendered template_files there.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { runCli } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { startServer } from '../serve.js';
import { grubScriptName } from './replace-self.js';

async function serverWithSystem(t: TestContext) {
  const dataDir = tempDir(t);
  const files = tempDir(t);
  writeFileSync(join(files, 'vmlinuz'), 'kernel bytes '.repeat(1000));
  writeFileSync(join(files, 'initrd.img'), 'initrd bytes '.repeat(2000));
  writeFileSync(join(files, 'motd.tmpl'), 'Welcome to $hostname, installed from $profile_name.\n');
  const cli = async (...args: string[]) => {
    const result = await runCli(dataDir, ...args);
    assert.equal(result.code, 0, result.stderr);
  };
  await cli(...serveTestRootsCommand);
  await cli(
    'distro',
    'add',
    '--name=d1',
    `--kernel=${files}/vmlinuz`,
    `--initrd=${files}/initrd.img`,
    '--breed=redhat',
    '--os-version=rhel9',
  );
  await cli('profile', 'add', '--name=p1', '--distro=d1', '--kernel-options=console=ttyS0');
  await cli('template', 'edit', '--name=motd.tmpl', `--file=${files}/motd.tmpl`);
  await cli(
    'system',
    'add',
    '--name=host7',
    '--profile=p1',
    '--hostname=host7.example.org',
    '--mac=52:54:00:00:00:07',
    '--template-files=motd.tmpl=/etc/motd',
  );
  const server = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
  t.after(() => server.stop());
  await cli('setting', 'edit', '--name=server', `--value=127.0.0.1:${server.port}`);
  return { server, files };
}

function debianRoot(t: TestContext): string {
  const root = tempDir(t);
  mkdirSync(join(root, 'etc', 'grub.d'), { recursive: true });
  mkdirSync(join(root, 'etc', 'default'), { recursive: true });
  mkdirSync(join(root, 'boot'));
  writeFileSync(join(root, 'etc', 'default', 'grub'), 'GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n');
  return root;
}

describe('bootwright koan --replace-self and --update-files', () => {
  it('puts the installer in /boot and makes a GRUB entry for it the default', async (t) => {
    const { server, files } = await serverWithSystem(t);
    const root = debianRoot(t);
    const result = await runCli(
      tempDir(t),
      'koan',
      '--server=127.0.0.1',
      `--port=${server.port}`,
      '--replace-self',
      '--system=host7',
      `--root=${root}`,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      readFileSync(join(root, 'boot', 'bootwright-koan.vmlinuz'), 'utf8'),
      readFileSync(join(files, 'vmlinuz'), 'utf8'),
    );
    assert.equal(
      readFileSync(join(root, 'boot', 'bootwright-koan.initrd'), 'utf8'),
      readFileSync(join(files, 'initrd.img'), 'utf8'),
    );
    const script = readFileSync(join(root, 'etc', 'grub.d', grubScriptName), 'utf8');
    assert.match(script, /menuentry 'host7 \(bootwright install\)' \{/);
    assert.match(
      script,
      new RegExp(
        `linux /boot/bootwright-koan\\.vmlinuz inst\\.ks=http://127\\.0\\.0\\.1:${server.port}/cblr/svc/op/ks/system/host7 console=ttyS0\\n`,
      ),
    );
    assert.match(script, /initrd \/boot\/bootwright-koan\.initrd/);
    assert.match(
      readFileSync(join(root, 'etc', 'default', 'grub'), 'utf8'),
      /^GRUB_DEFAULT="host7 \(bootwright install\)"\nGRUB_TIMEOUT=5\n$/,
    );
    assert.equal(
      readFileSync(join(root, 'etc', 'default', 'grub.before-bootwright-koan'), 'utf8'),
      'GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n',
    );
    assert.match(result.stdout, /reboot to reinstall/);
    assert.match(result.stdout, /run update-grub inside/);
  });

  it('with --add-reinstall-entry adds the entry but keeps the default', async (t) => {
    const { server } = await serverWithSystem(t);
    const root = debianRoot(t);
    const result = await runCli(
      tempDir(t),
      'koan',
      `--server=127.0.0.1`,
      `--port=${server.port}`,
      '-r',
      '-y',
      'host7',
      '--add-reinstall-entry',
      `--root=${root}`,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      readFileSync(join(root, 'etc', 'grub.d', grubScriptName), 'utf8'),
      /menuentry 'Reinstall: host7'/,
    );
    assert.equal(
      readFileSync(join(root, 'etc', 'default', 'grub'), 'utf8'),
      'GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n',
    );
    assert.match(result.stdout, /reinstallation entry added/);
  });

  it('refuses a host with neither GRUB 2 nor grubby, before downloading anything', async (t) => {
    const { server } = await serverWithSystem(t);
    const root = tempDir(t);
    const result = await runCli(
      tempDir(t),
      'koan',
      '--server=127.0.0.1',
      `--port=${server.port}`,
      '--replace-self',
      '--system=host7',
      `--root=${root}`,
    );
    assert.equal(result.code, 8);
    assert.match(
      result.stderr,
      /Neither GRUB 2 \(.*etc\/grub\.d\) nor grubby is on .*; --replace-self needs one of them/,
    );
    assert.equal(existsSync(join(root, 'boot')), false);
  });

  it("writes the object's rendered template files", async (t) => {
    const { server } = await serverWithSystem(t);
    const root = tempDir(t);
    const result = await runCli(
      tempDir(t),
      'koan',
      '--server=127.0.0.1',
      `--port=${server.port}`,
      '--update-files',
      '--system=host7',
      `--root=${root}`,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      readFileSync(join(root, 'etc', 'motd'), 'utf8'),
      'Welcome to host7.example.org, installed from p1.\n',
    );
    assert.equal(result.stdout, '- file: /etc/motd\n');
  });
});
