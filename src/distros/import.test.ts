// The seed's first step: an ISO becomes a distro and a profile with one command, and installers fetch the kernel
// and the tree straight out of the image.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { apiFixture } from '../../test/support/api-fixture.js';
import { runCli } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';

const xenKernel = Buffer.alloc(70_000, 0x5a);
xenKernel.write('XEN PV KERNEL', 0);

/** A RHEL 5.5 i386 tree as on its DVD: .discinfo, pxeboot and Xen PV kernels. */
function rhel55Iso(dir: string): string {
  const tree = join(dir, 'tree');
  const files: Record<string, string | Buffer> = {
    '.discinfo': '1272044302.784649\nRed Hat Enterprise Linux Server 5.5\ni386\n1,2,3,4,5,6\n',
    'isolinux/isolinux.cfg': 'default linux\n',
    'images/pxeboot/vmlinuz': 'pxe kernel',
    'images/pxeboot/initrd.img': 'pxe initrd',
    'images/xen/vmlinuz': xenKernel,
    'images/xen/initrd.img': 'xen initrd',
    'Server/repodata/repomd.xml': '<repomd/>',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), content);
  }
  const iso = join(dir, 'rhel-5.5-i386.iso');
  execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-J', '-V', 'RHEL_5.5_i386', '-o', iso, tree], {
    stdio: 'pipe',
  });
  return iso;
}

describe('bootwright import', () => {
  it('turns a RHEL 5.5 ISO into distros and profiles whose kernels and tree are served from the image', async (t) => {
    const fixture = await apiFixture(t);
    const iso = rhel55Iso(tempDir(t));
    await fixture.services.inventory.setSetting('server', '192.0.2.1');
    const imported = await runCli(fixture.dataDir, 'import', `--path=${iso}`, '--name=rhel-5.5');
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /import: redhat rhel5 i386/);
    assert.match(imported.stdout, /import: distro rhel-5\.5 \(created\)/);
    assert.match(imported.stdout, /import: profile rhel-5\.5-xen \(created\)/);

    const { inventory } = fixture.services;
    const xen = await inventory.get('distro', 'rhel-5.5-xen');
    assert.equal(xen.fields.kernel, 'tree:images/xen/vmlinuz');
    assert.equal(xen.fields.tree_source, iso);
    assert.equal((await inventory.get('profile', 'rhel-5.5-xen')).fields.autoinstall, 'legacy.ks');

    // Where koan downloads the Xen kernel, and the tree the kickstart's url line names.
    const kernel = await fixture.app.request('/cobbler/images/rhel-5.5-xen/vmlinuz');
    assert.deepEqual(Buffer.from(await kernel.arrayBuffer()), xenKernel);
    const ranged = await fixture.app.request('/cobbler/images/rhel-5.5-xen/vmlinuz', {
      headers: { range: 'bytes=0-12' },
    });
    assert.equal(await ranged.text(), 'XEN PV KERNEL');
    const repomd = await fixture.app.request('/cblr/links/rhel-5.5/Server/repodata/repomd.xml');
    assert.equal(await repomd.text(), '<repomd/>');
    const ks = await (await fixture.app.request('/cblr/svc/op/autoinstall/profile/rhel-5.5-xen')).text();
    assert.match(ks, /^url --url=http:\/\/192\.0\.2\.1\/cblr\/links\/rhel-5\.5-xen$/m);

    // Importing again updates what is there and never duplicates it.
    const again = await runCli(fixture.dataDir, 'import', `--path=${iso}`, '--name=rhel-5.5');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /distro rhel-5\.5 \(updated\)/);
    assert.equal((await inventory.list('distro')).length, 2);
  });

  it('copies the tree into the data directory with --mirror, showing progress as plain lines', async (t) => {
    const fixture = await apiFixture(t);
    const work = tempDir(t);
    const iso = rhel55Iso(work);
    const imported = await runCli(fixture.dataDir, 'import', `--path=${iso}`, '--name=rhel-5.5', '--mirror');
    assert.equal(imported.code, 0, imported.stderr);
    const progress = imported.stdout.split('\n').filter((line) => line.startsWith('import: copied'));
    assert.equal(progress[0]?.startsWith('import: copied 0%'), true, imported.stdout);
    assert.match(progress.at(-1) ?? '', /^import: copied 100% \(0\.1\/0\.1 MiB, 7\/7 files\)$/);
    const distro = await fixture.services.inventory.get('distro', 'rhel-5.5-xen');
    // One copy of the tree serves both the distro and its Xen twin.
    assert.equal(distro.fields.tree_source, join(fixture.dataDir, 'distro_mirror', 'rhel-5.5'));
    // The mirror no longer needs the image.
    rmSync(iso);
    const kernel = await fixture.app.request('/cobbler/images/rhel-5.5-xen/vmlinuz');
    assert.deepEqual(Buffer.from(await kernel.arrayBuffer()), xenKernel);
  });

  it('explains a path that is no installation tree', async (t) => {
    const dataDir = tempDir(t);
    const empty = tempDir(t);
    const result = await runCli(dataDir, 'import', `--path=${empty}`);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /--breed/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    const missing = await runCli(dataDir, 'import', '--path=/nonexistent.iso');
    assert.match(missing.stderr, /"\/nonexistent\.iso" does not exist/);
  });
});

describe('bootwright import from a web server', () => {
  it('detects a tree published over HTTP, and mirrors it on request', async (t) => {
    // The publishing side is another bootwright serving a directory tree at /distros/NAME/ with an index page.
    const { startServer } = await import('../serve.js');
    const tree = join(tempDir(t), 'rhel9');
    const files: Record<string, string> = {
      '.treeinfo': '[general]\nfamily = Red Hat Enterprise Linux\nversion = 9.4\narch = x86_64\n',
      'images/pxeboot/vmlinuz': 'rhel9 kernel bytes',
      'images/pxeboot/initrd.img': 'rhel9 initrd bytes',
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), content);
    }
    const publisherDir = tempDir(t);
    const publisher = await startServer({ dataDir: publisherDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => publisher.stop());
    await runCli(publisherDir, ...serveTestRootsCommand);
    const added = await runCli(
      publisherDir,
      'distro',
      'add',
      '--name=src',
      '--kernel=tree:images/pxeboot/vmlinuz',
      '--initrd=tree:images/pxeboot/initrd.img',
      `--tree-source=${tree}`,
    );
    assert.equal(added.code, 0, added.stderr);
    const url = `http://127.0.0.1:${publisher.port}/distros/src/`;

    const fixture = await apiFixture(t);
    const imported = await runCli(fixture.dataDir, 'import', `--path=${url}`, '--name=rhel9');
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /import: redhat rhel9 x86_64/);
    const distro = await fixture.services.inventory.get('distro', 'rhel9');
    assert.equal(distro.fields.tree_source, url);
    assert.deepEqual(distro.fields.autoinstall_meta, { tree: url });
    const kernel = await fixture.app.request('/cobbler/images/rhel9/vmlinuz');
    assert.equal(await kernel.text(), 'rhel9 kernel bytes');

    const mirrored = await runCli(
      fixture.dataDir,
      'import',
      `--path=${url}`,
      '--name=rhel9-local',
      '--mirror',
    );
    assert.equal(mirrored.code, 0, mirrored.stderr);
    await publisher.stop();
    const local = await fixture.app.request('/distros/rhel9-local/images/pxeboot/initrd.img');
    assert.equal(await local.text(), 'rhel9 initrd bytes');
  });
});
