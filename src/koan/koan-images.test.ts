// `bootwright koan --list=images` and `--display --image=NAME` against a bootwright server, with the calls Cobbler's
// koan makes for images (app.py: get_images, get_image_as_rendered), and a system on an image as koan sees it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../test/support/cli.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { startServer } from '../serve.js';

describe('bootwright koan with image objects', () => {
  it('lists images and displays an image and a system on it from a bootwright server', async (t) => {
    const dataDir = tempDir(t);
    for (const command of [
      [
        'image',
        'add',
        '--name=win2022',
        '--file=/srv/iso/win2022.iso',
        '--image-type=iso',
        '--virt-ram=4096',
      ],
      ['image', 'add', '--name=memtest', '--file=/srv/images/memtest.img', '--image-type=memdisk'],
      ['system', 'add', '--name=w1', '--image=win2022', '--mac=52:54:00:00:05:01', '--virt-cpus=2'],
    ]) {
      const result = await runCli(dataDir, ...command);
      assert.equal(result.code, 0, result.stderr);
    }
    const server = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => server.stop());
    const koan = (...args: string[]) =>
      runCli(tempDir(t), 'koan', '--server=127.0.0.1', `--port=${server.port}`, ...args);

    const list = await koan('--list=images');
    assert.equal(list.stderr, '');
    assert.equal(list.stdout, 'memtest\nwin2022\n');

    const image = await koan('--display', '--image=win2022');
    assert.equal(image.code, 0, image.stderr);
    assert.match(image.stdout, /^ {16}name {2}: win2022$/m);
    assert.match(image.stdout, /^ {12}virt_ram {2}: 4096$/m);

    const system = await koan('--display', '--system=w1');
    assert.equal(system.code, 0, system.stderr);
    assert.match(system.stdout, /^ {16}name {2}: w1$/m);
    assert.match(system.stdout, /^ {12}virt_ram {2}: 4096$/m);

    const unknown = await koan('--display', '--image=nosuch');
    assert.equal(unknown.code, 3);
    assert.match(
      unknown.stderr,
      /has no image "nosuch"; "bootwright koan --server=127\.0\.0\.1 --list=images" lists them\./,
    );
  });
});
