// --virt-path as koan reads it: image files made with the real qemu-img, refusals before anything is written (an
// existing image, a missing directory, a disk that does not fit), and LVM and storage pools through the commands
// they issue, with what was made taken away again when a later disk fails.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { BootwrightError } from '../errors.js';
import { type RunCommand, runCommand } from './run-command.js';
import { createDisks, type DiskRequest, planDisks } from './storage.js';

function request(virtPath: string, more: Partial<DiskRequest> = {}): DiskRequest {
  return {
    name: 'vm9',
    virtPath,
    sizesGiB: [1],
    drivers: ['raw'],
    defaultDir: '/nonexistent',
    forcePath: false,
    ...more,
  };
}

/** Answers like LVM and virsh would for a host with volume group vg0 (40 GiB free) and pool "images". */
function fakeHost(calls: string[][], failOn?: string): RunCommand {
  return async (command, args) => {
    calls.push([command, ...args]);
    if (failOn && [command, ...args].join(' ').includes(failOn))
      throw new BootwrightError('E_UNAVAILABLE', 'no space');
    if (command === 'vgs' && args.includes('vg_free')) return '  40.00\n';
    if (command === 'vgs') return '  vg0\n';
    if (command === 'lvs') return '  root\n  vm9-disk1\n';
    if (command === 'virsh' && args[0] === 'vol-list') return ' Name   Path\n---\n other  /x/other\n';
    return '';
  };
}

describe('koan storage', () => {
  it('makes NAME-diskN images in a directory with qemu-img, one per size, in the format asked', async (t: TestContext) => {
    const dir = tempDir(t);
    const disks = await planDisks(request(dir, { sizesGiB: [1, 2], drivers: ['qcow2', 'raw'] }), runCommand);
    assert.deepEqual(
      disks.map((disk) => disk.type === 'file' && [disk.path, disk.sizeGiB, disk.format]),
      [
        [join(dir, 'vm9-disk0'), 1, 'qcow2'],
        [join(dir, 'vm9-disk1'), 2, 'raw'],
      ],
    );
    await createDisks(disks, runCommand);
    const info = JSON.parse(
      execFileSync('qemu-img', ['info', '--output=json', join(dir, 'vm9-disk0')], { encoding: 'utf8' }),
    );
    assert.equal(info.format, 'qcow2');
    assert.equal(info['virtual-size'], 1024 ** 3);
  });

  it('refuses an existing image unless --force-path, and a missing directory, before writing anything', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'vm9-disk0'), 'precious');
    await assert.rejects(
      planDisks(request(dir), runCommand),
      new RegExp(
        `Disk image ${join(dir, 'vm9-disk0')} already exists; remove it, choose another --virt-path, or say --force-path`,
      ),
    );
    const forced = await planDisks(request(dir, { forcePath: true }), runCommand);
    assert.equal(forced.length, 1);
    await assert.rejects(
      planDisks(request(join(dir, 'no', 'such', 'disk.img')), runCommand),
      /Directory .*no\/such for disk .* does not exist; create it or choose another --virt-path/,
    );
    await assert.rejects(
      planDisks(request('/dev/bootwright-no-such'), runCommand),
      /Device \/dev\/bootwright-no-such does not exist/,
    );
    await assert.rejects(
      planDisks(request('novg'), fakeHost([])),
      /"novg" is neither an absolute path nor an LVM volume group/,
    );
  });

  it('refuses disks that do not fit where they go (a full disk), leaving nothing behind', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bootwright-small-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir]);
    t.after(() => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    });
    await assert.rejects(
      planDisks(request(dir, { sizesGiB: [2] }), runCommand),
      /Not enough space in .*small-\w+: the disks need 2\.0 GiB, 0\.0 GiB are free; free space, lower virt_file_size or choose another --virt-path\./,
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('uses an LVM group (creating the volume) and a storage pool, and undoes both when a later disk fails', async () => {
    const calls: string[][] = [];
    const disks = await planDisks(request('vg0,pool:images', { sizesGiB: [4, 6] }), fakeHost(calls));
    assert.deepEqual(disks, [
      {
        type: 'block',
        path: '/dev/vg0/vm9-disk0',
        sizeGiB: 4,
        lvm: { vg: 'vg0', lv: 'vm9-disk0', create: true },
      },
      {
        type: 'volume',
        pool: 'images',
        volume: 'vm9-disk1',
        sizeGiB: 6,
        format: 'raw',
        nativeIo: false,
        create: true,
      },
    ]);
    await assert.rejects(
      planDisks(request('vg0:vm9-disk1'), fakeHost([])),
      /Logical volume vg0\/vm9-disk1 already exists/,
    );
    await assert.rejects(
      planDisks(request('vg0', { sizesGiB: [50] }), fakeHost([])),
      /vg0 has 40 GiB free, not the 50 GiB/,
    );

    const made: string[][] = [];
    await assert.rejects(createDisks(disks, fakeHost(made, 'vol-create-as')), /no space/);
    assert.deepEqual(
      made.map((call) => call.slice(0, 2).join(' ')),
      ['lvcreate -y', 'virsh vol-create-as', 'lvremove -y'],
      'the volume made first is removed when the second disk fails',
    );
  });

  it('reads an existing block device as is', async () => {
    const [disk] = await planDisks(request('/dev/null'), runCommand);
    assert.deepEqual(disk, { type: 'block', path: '/dev/null', sizeGiB: 1 });
    assert.ok(existsSync('/dev/null'));
  });
});
