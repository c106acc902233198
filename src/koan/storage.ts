// The disks of a virtual machine, from --virt-path (or the server's virt_path) as Koan reads it (cobbler-koan.md
// §7.5), plus libvirt storage pools, which Koan lacks: a directory (NAME-diskN inside), a new file, an existing
// /dev device, an LVM volume group `VG` or `VG:LV` (created with lvcreate when missing), or `pool:NAME`.
// Everything is checked before anything is created, and what was created is removed again when a later step fails,
// so a refused install leaves no half-made disk behind.

import { existsSync, statSync } from 'node:fs';
import { rm, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BootwrightError, quote } from '../errors.js';
import type { RunCommand } from './run-command.js';

export type DiskFormat = 'raw' | 'qcow2' | 'qcow' | 'qed' | 'vmdk';

export type DiskSpec =
  | { type: 'file'; path: string; sizeGiB: number; format: DiskFormat; create: boolean; nativeIo: boolean }
  | { type: 'block'; path: string; sizeGiB: number; lvm?: { vg: string; lv: string; create: boolean } }
  | { type: 'volume'; pool: string; volume: string; sizeGiB: number; format: DiskFormat; create: boolean };

export interface DiskRequest {
  /** VM name: disks are NAME-disk0, NAME-disk1... */
  name: string;
  /** --virt-path, else the server's virt_path; "" for the default directory. */
  virtPath: string;
  sizesGiB: number[];
  drivers: string[];
  /** The default directory: /var/lib/libvirt/images for qemu/kvm, /var/lib/xen/images for Xen. */
  defaultDir: string;
  forcePath: boolean;
}

const GiB = 1024 ** 3;

function formatOf(driver: string | undefined): { format: DiskFormat; nativeIo: boolean } {
  if (driver === 'aio') return { format: 'raw', nativeIo: true };
  if (driver === 'qcow2' || driver === 'qcow' || driver === 'qed' || driver === 'vmdk')
    return { format: driver, nativeIo: false };
  return { format: 'raw', nativeIo: false };
}

function existingImage(path: string, forcePath: boolean): void {
  if (existsSync(path) && !forcePath) {
    throw new BootwrightError(
      'E_INVALID',
      `Disk image ${path} already exists; remove it, choose another --virt-path, or say --force-path to overwrite it.`,
    );
  }
}

/** Reads --virt-path into one spec per disk, checking what can be checked without changing anything. */
export async function planDisks(request: DiskRequest, run: RunCommand): Promise<DiskSpec[]> {
  const { name, sizesGiB, drivers, forcePath } = request;
  const elements = (request.virtPath || request.defaultDir)
    .split(',')
    .map((element) => element.trim())
    .filter(Boolean);
  const sizeAt = (index: number) => sizesGiB[index] ?? sizesGiB[sizesGiB.length - 1] ?? 5;
  const driverAt = (index: number) => drivers[index] ?? drivers[drivers.length - 1];
  // One directory serves every size the server lists; explicit paths give one disk each.
  const count =
    elements.length === 1 && isDirectory(elements[0] as string)
      ? Math.max(1, sizesGiB.length)
      : elements.length;
  const disks: DiskSpec[] = [];
  for (let index = 0; index < count; index++) {
    const element = elements[Math.min(index, elements.length - 1)] as string;
    const sizeGiB = sizeAt(index);
    const diskName = `${name}-disk${index}`;
    if (element.startsWith('pool:')) {
      const pool = element.slice('pool:'.length);
      const exists = await volumeExists(run, pool, diskName);
      if (exists && !forcePath) {
        throw new BootwrightError(
          'E_INVALID',
          `Volume ${diskName} already exists in storage pool ${quote(pool)}; delete it ("virsh vol-delete ${diskName} --pool ${pool}") or say --force-path to reuse it.`,
        );
      }
      disks.push({
        type: 'volume',
        pool,
        volume: diskName,
        sizeGiB,
        ...formatOf(driverAt(index)),
        create: !exists,
      });
    } else if (element.startsWith('/dev/')) {
      if (!existsSync(element)) {
        throw new BootwrightError(
          'E_INVALID',
          `Device ${element} does not exist; name an existing block device.`,
        );
      }
      disks.push({ type: 'block', path: element, sizeGiB });
    } else if (element.startsWith('/')) {
      const path = isDirectory(element) ? join(element, diskName) : element;
      if (!isDirectory(dirname(path))) {
        throw new BootwrightError(
          'E_INVALID',
          `Directory ${dirname(path)} for disk ${path} does not exist; create it or choose another --virt-path.`,
        );
      }
      existingImage(path, forcePath);
      if (sizeGiB <= 0) {
        throw new BootwrightError(
          'E_INVALID',
          `Disk ${path} would have size 0; set virt_file_size on the server (e.g. --virt-file-size=5).`,
        );
      }
      disks.push({ type: 'file', path, sizeGiB, ...formatOf(driverAt(index)), create: true });
    } else {
      disks.push(await planLogicalVolume(run, element, diskName, sizeGiB, forcePath));
    }
  }
  await checkFreeSpace(disks);
  return disks;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function volumeExists(run: RunCommand, pool: string, volume: string): Promise<boolean> {
  let listing: string;
  try {
    listing = await run('virsh', ['vol-list', '--pool', pool]);
  } catch (error) {
    throw new BootwrightError(
      'E_INVALID',
      `Storage pool ${quote(pool)} cannot be read (${(error as Error).message}); "virsh pool-list --all" lists the pools.`,
    );
  }
  return listing.split('\n').some((line) => line.trim().split(/\s+/)[0] === volume);
}

/** `VG` or `VG:LV`: the volume group must exist; the LV is created when missing, where it fits. */
async function planLogicalVolume(
  run: RunCommand,
  element: string,
  diskName: string,
  sizeGiB: number,
  forcePath: boolean,
): Promise<DiskSpec> {
  const [vg = '', lv = diskName] = element.split(':');
  let groups: string[];
  try {
    groups = (await run('vgs', ['--noheadings', '-o', 'vg_name'])).split('\n').map((line) => line.trim());
  } catch {
    groups = [];
  }
  if (!groups.includes(vg)) {
    throw new BootwrightError(
      'E_INVALID',
      `--virt-path ${quote(element)} is neither an absolute path nor an LVM volume group on this host; give a directory, a file, /dev/..., VG[:LV] or pool:NAME.`,
    );
  }
  const volumes = (await run('lvs', ['--noheadings', '-o', 'lv_name', vg]))
    .split('\n')
    .map((line) => line.trim());
  const exists = volumes.includes(lv);
  if (exists && !forcePath) {
    throw new BootwrightError(
      'E_INVALID',
      `Logical volume ${vg}/${lv} already exists; remove it (lvremove ${vg}/${lv}) or say --force-path to reuse it.`,
    );
  }
  if (!exists) {
    const free = Number.parseFloat(
      await run('vgs', ['--noheadings', '--nosuffix', '--units', 'g', '-o', 'vg_free', vg]),
    );
    if (!(free >= sizeGiB)) {
      throw new BootwrightError(
        'E_INVALID',
        `Volume group ${vg} has ${free} GiB free, not the ${sizeGiB} GiB disk ${lv} needs; free space or lower virt_file_size.`,
      );
    }
  }
  return { type: 'block', path: `/dev/${vg}/${lv}`, sizeGiB, lvm: { vg, lv, create: !exists } };
}

/** Refuses disks that do not fit where they go, before anything is written (a sparse image would fail later). */
async function checkFreeSpace(disks: readonly DiskSpec[]): Promise<void> {
  const needed = new Map<string, number>();
  for (const disk of disks) {
    if (disk.type === 'file' && disk.create) {
      const dir = dirname(disk.path);
      needed.set(dir, (needed.get(dir) ?? 0) + disk.sizeGiB * GiB);
    }
  }
  for (const [dir, bytes] of needed) {
    const stats = await statfs(dir);
    const free = stats.bavail * stats.bsize;
    if (free < bytes) {
      throw new BootwrightError(
        'E_INVALID',
        `Not enough space in ${dir}: the disks need ${(bytes / GiB).toFixed(1)} GiB, ${(free / GiB).toFixed(1)} GiB are free; free space, lower virt_file_size or choose another --virt-path.`,
      );
    }
  }
}

/** What createDisks made, so that a failed install can take it away again. */
export interface CreatedDisks {
  remove(): Promise<void>;
}

export async function createDisks(disks: readonly DiskSpec[], run: RunCommand): Promise<CreatedDisks> {
  const undo: (() => Promise<unknown>)[] = [];
  const created: CreatedDisks = {
    async remove() {
      for (const step of undo.reverse()) await step().catch(() => undefined);
    },
  };
  try {
    for (const disk of disks) {
      if (disk.type === 'file' && disk.create) {
        await run('qemu-img', ['create', '-q', '-f', disk.format, disk.path, `${disk.sizeGiB}G`]);
        undo.push(() => rm(disk.path, { force: true }));
      } else if (disk.type === 'volume' && disk.create) {
        await run('virsh', [
          'vol-create-as',
          disk.pool,
          disk.volume,
          `${disk.sizeGiB}G`,
          '--format',
          disk.format,
        ]);
        undo.push(() => run('virsh', ['vol-delete', disk.volume, '--pool', disk.pool]));
      } else if (disk.type === 'block' && disk.lvm?.create) {
        const { vg, lv } = disk.lvm;
        await run('lvcreate', ['-y', '-L', `${disk.sizeGiB}G`, '-n', lv, vg]);
        undo.push(() => run('lvremove', ['-y', `${vg}/${lv}`]));
      }
    }
  } catch (error) {
    await created.remove();
    throw error;
  }
  return created;
}

/** A pool volume's path, for messages and for Xen, which needs it as a file. */
export async function volumePath(run: RunCommand, pool: string, volume: string): Promise<string> {
  return (await run('virsh', ['vol-path', '--pool', pool, volume])).trim();
}
