// `bootwright image|menu ...` as a Cobbler user types `cobbler image ...`: every action of the kinds, a system on
// an image, and the refusals a user meets, each one line with the fix.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../test/support/cli.js';
import { tempDir } from '../../test/support/temp-dir.js';

describe('bootwright image and menu', () => {
  it('adds, edits, copies, renames, finds, reports and removes images and menus', async (t) => {
    const dir = tempDir(t);
    const ok = async (...argv: string[]) => {
      const result = await runCli(dir, ...argv);
      assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr, '');
      return result.stdout;
    };
    const fails = async (code: number, pattern: RegExp, ...argv: string[]) => {
      const result = await runCli(dir, ...argv);
      assert.equal(result.code, code, `${argv.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.split('\n').length, 2, 'one line');
    };

    assert.equal(await ok('menu', 'add', '--name=tools', '--display-name=Rescue tools'), '');
    await ok('image', 'add', '--name=memtest', '--file=/srv/images/memtest.img', '--image-type=memdisk');
    await ok('image', 'edit', '--name=memtest', '--menu=tools', '--comment=RAM test');
    await ok(
      'image',
      'add',
      '--name=win',
      '--file=nfs1:/exports/win.iso',
      '--image-type=iso',
      '--virt-ram=4096',
    );
    await ok('image', 'copy', '--name=win', '--newname=win-copy');
    await ok('image', 'rename', '--name=win-copy', '--newname=win-eval');
    assert.equal(await ok('image', 'list'), 'memtest\nwin\nwin-eval\n');
    assert.equal(await ok('image', 'find', '--image-type=iso'), 'win\nwin-eval\n');
    assert.equal(await ok('menu', 'list'), 'tools\n');

    const report = await ok('image', 'report', '--name=memtest');
    assert.match(report, /^Name +: memtest$/m);
    assert.match(report, /^File +: \/srv\/images\/memtest\.img$/m);
    assert.match(report, /^Image Type +: memdisk$/m);
    assert.match(report, /^Menu +: tools$/m);
    assert.match(report, /^Virt RAM +: <<inherit>>$/m);
    assert.match(await ok('menu', 'report', '--name=tools'), /^Display Name +: Rescue tools$/m);

    await ok('system', 'add', '--name=w1', '--image=win', '--mac=52:54:00:00:03:01');
    const dumpvars = await ok('system', 'dumpvars', '--name=w1');
    assert.match(dumpvars, /^image_name : win$/m);
    assert.match(dumpvars, /^virt_ram : 4096$/m);
    assert.match(dumpvars, /^distro_name : N\/A$/m);

    await fails(
      2,
      /^bootwright: --image-type "floppy" is not one of: direct, iso, memdisk, virt-clone\.$/m,
      'image',
      'edit',
      '--name=win',
      '--image-type=floppy',
    );
    await fails(
      2,
      /^bootwright: --file "http:\/\/h\/w\.iso" is not valid: it is a URL, and images are files or NFS exports; give \/path\/file, host:\/path\/file or user@host:\/path\/file\.$/m,
      'image',
      'edit',
      '--name=win',
      '--file=http://h/w.iso',
    );
    await fails(2, /System "w2" needs --profile=NAME or --image=NAME/, 'system', 'add', '--name=w2');
    await fails(5, /Cannot remove image "win": system "w1" depends on it/, 'image', 'remove', '--name=win');
    assert.equal(
      await ok('image', 'remove', '--name=win', '--recursive'),
      'removed system w1\nremoved image win\n',
    );
    await ok('menu', 'remove', '--name=tools');
    assert.match(await ok('image', 'report', '--name=memtest'), /^Menu +: $/m);

    const list = await ok('list');
    assert.match(list, /\nimages:\n {3}memtest\n {3}win-eval\nmgmtclasses:\npackages:\nfiles:\nmenus:\n/);
  });

  it('lists the image fields in its help, as the field table has them', async (t) => {
    const help = await runCli(tempDir(t), 'image', 'add', '--help');
    assert.equal(help.code, 0);
    for (const flag of [
      '--file=PATH',
      '--image-type=CHOICE',
      '--network-count=N',
      '--menu=NAME',
      '--parent=NAME',
    ]) {
      assert.ok(help.stdout.includes(flag), flag);
    }
    assert.match(help.stdout, /--image-type=CHOICE +What the file is \(direct, iso, memdisk, virt-clone\)/);
    assert.match(
      (await runCli(tempDir(t), 'system', 'add', '--help')).stdout,
      /--image=NAME +Image, for a system/,
    );
  });
});
