// libvirt domain XML for a virtual install, written here rather than through virt-install. Each VM has two
// definitions, as virt-install makes them (cobbler-koan.md §7.2 steps 7-8):
// - the install definition boots the installer's kernel and initrd directly (or the network, for --virt-pxe-boot)
//   with the command line that names the autoinstall file, and is destroyed by a reboot, a power-off or a crash, so
//   the end of the install is visible as "shut off" and how it ended as the reason;
// - the installed definition boots the guest's own disk (Xen PV: pygrub reads the guest's boot config from it) and
//   restarts on reboot, as a server should.
// ACPI is on in both: without it an installer's `poweroff` leaves the guest running.

import type { DiskFormat, DiskSpec } from './storage.js';

export type VirtType = 'qemu' | 'kvm' | 'xenpv' | 'xenfv';
export const virtTypes: readonly VirtType[] = ['qemu', 'kvm', 'xenpv', 'xenfv'];
export type Graphics = 'vnc' | 'spice' | 'none';
export type DiskBus = 'virtio' | 'ide' | 'scsi' | 'sata';
export const diskBuses: readonly DiskBus[] = ['virtio', 'ide', 'scsi', 'sata'];
export const netModels = ['virtio', 'e1000', 'ne2k_pci', 'pcnet', 'rtl8139'] as const;

export interface DomainNic {
  bridge: string;
  mac?: string;
}

export interface DirectBoot {
  kernel: string;
  initrd: string;
  cmdline: string;
}

/** An installer on an ISO image (a Cobbler image object): the VM boots it from a CD-ROM drive. */
export interface CdromBoot {
  cdrom: string;
}

export type InstallBoot = DirectBoot | CdromBoot | 'network';

export interface DomainSpec {
  name: string;
  uuid: string;
  virtType: VirtType;
  arch: string;
  ramMiB: number;
  vcpus: number;
  disks: readonly DiskSpec[];
  nics: readonly DomainNic[];
  graphics: Graphics;
  diskBus: DiskBus;
  netModel: string;
  /** qemu/kvm machine type, e.g. pc or q35. */
  machine?: string;
  /** The installer: its kernel and initrd, an ISO image, or the network (PXE). */
  install: InstallBoot;
  /** Where the serial console is copied (through virtlogd); none when absent. */
  consoleLog?: string;
  /** Xen PV's boot loader for the installed definition. */
  pygrub?: string;
}

export type Phase = 'install' | 'installed';

function xmlEscape(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll("'", '&apos;')
    .replaceAll('"', '&quot;');
}

const isXen = (type: VirtType) => type === 'xenpv' || type === 'xenfv';

function osSection(spec: DomainSpec, phase: Phase): string[] {
  const install = phase === 'install' ? spec.install : undefined;
  const direct = typeof install === 'object' && 'kernel' in install ? install : undefined;
  const bootLines = direct
    ? [
        `    <kernel>${xmlEscape(direct.kernel)}</kernel>`,
        `    <initrd>${xmlEscape(direct.initrd)}</initrd>`,
        `    <cmdline>${xmlEscape(direct.cmdline)}</cmdline>`,
      ]
    : [];
  if (spec.virtType === 'xenpv') {
    const type = `    <type arch='${xmlEscape(spec.arch)}' machine='xenpv'>linux</type>`;
    const loader =
      phase === 'installed'
        ? [`  <bootloader>${xmlEscape(spec.pygrub ?? '/usr/bin/pygrub')}</bootloader>`]
        : [];
    return [...loader, '  <os>', type, ...bootLines, '  </os>'];
  }
  const machine = spec.virtType === 'xenfv' ? 'xenfv' : (spec.machine ?? 'pc');
  const lines = [
    '  <os>',
    `    <type arch='${xmlEscape(spec.arch)}' machine='${xmlEscape(machine)}'>hvm</type>`,
  ];
  if (spec.virtType === 'xenfv') lines.push(`    <loader type='rom'>/usr/lib/xen/boot/hvmloader</loader>`);
  lines.push(...bootLines);
  if (install === 'network') lines.push(`    <boot dev='network'/>`);
  if (typeof install === 'object' && 'cdrom' in install) lines.push(`    <boot dev='cdrom'/>`);
  lines.push(`    <boot dev='hd'/>`, '  </os>');
  return lines;
}

function targetDev(spec: DomainSpec, index: number): { dev: string; bus: string } {
  const letter = String.fromCharCode('a'.charCodeAt(0) + index);
  if (isXen(spec.virtType)) return { dev: `xvd${letter}`, bus: 'xen' };
  switch (spec.diskBus) {
    case 'virtio':
      return { dev: `vd${letter}`, bus: 'virtio' };
    case 'ide':
      return { dev: `hd${letter}`, bus: 'ide' };
    default:
      return { dev: `sd${letter}`, bus: spec.diskBus };
  }
}

function driver(format: DiskFormat, nativeIo: boolean, xenPhysical = false): string {
  if (xenPhysical) return `<driver name='phy'/>`;
  return nativeIo
    ? `<driver name='qemu' type='${format}' cache='none' io='native'/>`
    : `<driver name='qemu' type='${format}'/>`;
}

function diskLines(spec: DomainSpec): string[] {
  return spec.disks.flatMap((disk, index) => {
    const { dev, bus } = targetDev(spec, index);
    const target = `      <target dev='${dev}' bus='${bus}'/>`;
    switch (disk.type) {
      case 'file':
        return [
          `    <disk type='file' device='disk'>`,
          `      ${driver(disk.format, disk.nativeIo)}`,
          `      <source file='${xmlEscape(disk.path)}'/>`,
          target,
          '    </disk>',
        ];
      case 'block':
        return [
          `    <disk type='block' device='disk'>`,
          `      ${isXen(spec.virtType) ? driver('raw', false, true) : driver('raw', true)}`,
          `      <source dev='${xmlEscape(disk.path)}'/>`,
          target,
          '    </disk>',
        ];
      default:
        return [
          `    <disk type='volume' device='disk'>`,
          `      ${driver(disk.format, false)}`,
          `      <source pool='${xmlEscape(disk.pool)}' volume='${xmlEscape(disk.volume)}'/>`,
          target,
          '    </disk>',
        ];
    }
  });
}

/** The install ISO, only in the install definition: the installed system has no use for it. */
function cdromLines(spec: DomainSpec, phase: Phase): string[] {
  if (phase !== 'install' || typeof spec.install !== 'object' || !('cdrom' in spec.install)) return [];
  return [
    `    <disk type='file' device='cdrom'>`,
    `      <driver name='qemu' type='raw'/>`,
    `      <source file='${xmlEscape(spec.install.cdrom)}'/>`,
    isXen(spec.virtType) ? `      <target dev='xvdz' bus='xen'/>` : `      <target dev='hdc' bus='ide'/>`,
    '      <readonly/>',
    '    </disk>',
  ];
}

function nicLines(spec: DomainSpec): string[] {
  return spec.nics.flatMap((nic) => [
    `    <interface type='bridge'>`,
    ...(nic.mac ? [`      <mac address='${xmlEscape(nic.mac)}'/>`] : []),
    `      <source bridge='${xmlEscape(nic.bridge)}'/>`,
    // Xen picks its own NIC (netfront for PV, its emulated NIC for HVM).
    ...(isXen(spec.virtType) ? [] : [`      <model type='${xmlEscape(spec.netModel)}'/>`]),
    '    </interface>',
  ]);
}

function consoleLines(spec: DomainSpec): string[] {
  const log = spec.consoleLog ? [`      <log file='${xmlEscape(spec.consoleLog)}' append='on'/>`] : [];
  if (spec.virtType === 'xenpv') {
    return [`    <console type='pty'>`, ...log, `      <target type='xen' port='0'/>`, '    </console>'];
  }
  return [
    `    <serial type='pty'>`,
    ...log,
    `      <target port='0'/>`,
    '    </serial>',
    `    <console type='pty'>`,
    `      <target type='serial' port='0'/>`,
    '    </console>',
  ];
}

function graphicsLines(spec: DomainSpec): string[] {
  // An automatic port: the first free from 5900, as the seed's "port 5900, 5901..." describes.
  if (spec.graphics === 'none') return [];
  return [`    <graphics type='${spec.graphics}' port='-1' autoport='yes'/>`];
}

export function domainXml(spec: DomainSpec, phase: Phase): string {
  const domainType = spec.virtType === 'kvm' ? 'kvm' : isXen(spec.virtType) ? 'xen' : 'qemu';
  const ending = phase === 'install' ? 'destroy' : 'restart';
  const lines = [
    `<domain type='${domainType}'>`,
    `  <name>${xmlEscape(spec.name)}</name>`,
    `  <uuid>${xmlEscape(spec.uuid)}</uuid>`,
    `  <memory unit='MiB'>${spec.ramMiB}</memory>`,
    `  <currentMemory unit='MiB'>${spec.ramMiB}</currentMemory>`,
    `  <vcpu>${spec.vcpus}</vcpu>`,
    ...osSection(spec, phase),
    '  <features>',
    '    <acpi/>',
    '    <apic/>',
    ...(spec.virtType === 'xenfv' ? ['    <pae/>'] : []),
    '  </features>',
    ...(spec.virtType === 'kvm' ? [`  <cpu mode='host-passthrough'/>`] : []),
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <on_reboot>${ending}</on_reboot>`,
    `  <on_crash>${ending}</on_crash>`,
    '  <devices>',
    ...diskLines(spec),
    ...cdromLines(spec, phase),
    ...nicLines(spec),
    ...consoleLines(spec),
    ...graphicsLines(spec),
    '  </devices>',
    '</domain>',
  ];
  return `${lines.join('\n')}\n`;
}
