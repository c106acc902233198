// What the bare-metal acceptance tests share: a lab per test (its own tap namespace, the installer guest, a store
// set up with the CLI and `bootwright serve` with full DHCP on the bridge), and machines that power on in it as a
// rack server does: QEMU (TCG) with a NIC that has an iPXE ROM, a raw disk, BIOS (SeaBIOS) or UEFI (OVMF) firmware
// and a serial console in a file. Every boot under test goes through the firmware; -kernel only prepares a disk.

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { main } from '../../src/cli/main.js';
import { buildInstallerGuest, installerMarkers } from '../../src/lab/installer-guest.js';
import { installNetworkSettings } from '../../src/lab/lab-network.js';
import { describeEvent } from '../../src/status/install-status.js';
import type { StoredEvent } from '../../src/store/store.js';
import {
  assertTools,
  configureStore,
  exited,
  guestTools,
  readConsole,
  type ServeProcess,
  startServeInNamespace,
} from '../support/guest-run.js';
import { canCreateNetns } from '../support/netns.js';
import { serveTestRootsCommand } from '../support/served-roots.js';
import { createTapNamespace, type TapNamespace } from '../support/tap-netns.js';
import { tempDir } from '../support/temp-dir.js';

/** QEMU's virtio-net-pci ROM from Debian's ipxe-qemu: iPXE for BIOS, and an iPXE SNP driver for UEFI. */
export const IPXE_ROM = '/usr/lib/ipxe/qemu/efi-virtio.rom';
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS.fd';
export const DISTRO = 'installer-x86_64';
export const PROFILE = 'installer';

export const skipUnlessRoot = canCreateNetns()
  ? false
  : 'needs root to create network namespaces and tap devices';

export interface Lab {
  ns: TapNamespace;
  work: string;
  dataDir: string;
  kernel: string;
  initrd: string;
  server: ServeProcess;
}

/**
 * The store a user prepares before `serve` (full DHCP for 192.0.2.0/24, the installer distro and a profile whose
 * installs print on the serial console), then `extra` commands, then the server.
 */
export async function startLab(t: TestContext, prefix: string, extra: string[][]): Promise<Lab> {
  assertTools(guestTools);
  assert.ok(existsSync(IPXE_ROM), `${IPXE_ROM} is missing: install the Debian package ipxe-qemu.`);
  // The namespace first: `after` hooks run in order, so its processes are killed before their files go.
  const ns = await createTapNamespace(t, { prefix });
  const work = tempDir(t, `bootwright-${prefix}-`);
  const { kernel, initrd } = buildInstallerGuest(work);
  const dataDir = join(work, 'data');
  await configureStore(dataDir, [
    ...installNetworkSettings(ns.address),
    [...serveTestRootsCommand],
    [
      ...['distro', 'add', `--name=${DISTRO}`, `--kernel=${kernel}`, `--initrd=${initrd}`],
      ...['--arch=x86_64', '--breed=redhat', '--os-version=rhel9'],
    ],
    // panic=-1: a guest whose /init dies reboots at once instead of hanging until the deadline.
    ['profile', 'add', `--name=${PROFILE}`, `--distro=${DISTRO}`, '--kernel-options=console=ttyS0 panic=-1'],
    ...extra,
  ]);
  // Started before QEMU opens the tap, while the bridge has no carrier, as on a switch port with nothing up.
  const server = await startServeInNamespace(ns, dataDir);
  t.after(() => server.stop());
  return { ns, work, dataDir, kernel, initrd, server };
}

/** An empty raw disk, as a new machine has: sparse, so it takes no space until the installer writes to it. */
export function blankDisk(lab: Lab, name: string, mebibytes = 128): string {
  const disk = join(lab.work, `${name}.img`);
  writeFileSync(disk, '');
  truncateSync(disk, mebibytes * 1024 * 1024);
  return disk;
}

export interface MachineSpec {
  /** Names the console log and the lines of failure messages. */
  name: string;
  mac: string;
  disk: string;
  firmware: 'bios' | 'uefi';
  /**
   * Whether a reboot in the guest restarts the machine (a real one does) or ends QEMU (-no-reboot). A machine that
   * may reboot ends by powering off, so QEMU still exits by itself.
   */
  reboots: boolean;
  deadlineMs: number;
  /** Boot this kernel directly (QEMU -kernel) instead of through the firmware: to prepare a disk. */
  kernelBoot?: { kernel: string; initrd: string; append: string };
}

export interface MachineRun {
  /** QEMU's exit code; undefined when it was still running at the deadline (then killed). */
  code: number | null | undefined;
  seconds: number;
  console: string;
  /** `what`, then the guest console, QEMU's output and the server's stderr: every failure message carries them. */
  explain(what: string): string;
}

/**
 * Powers a machine on and waits until QEMU exits. The NIC boots first and the disk second (bootindex), as a machine
 * set to "network, then disk" in its firmware: a blank disk does not boot, and a machine its netboot config sends to
 * the local disk falls through to it.
 */
export async function runMachine(lab: Lab, machine: MachineSpec): Promise<MachineRun> {
  const consoleLog = join(lab.work, `${machine.name}-console.log`);
  const firmware =
    machine.firmware === 'uefi'
      ? ['-machine', 'q35,accel=tcg', ...ovmfDrives(lab, machine.name)]
      : ['-machine', 'pc,accel=tcg'];
  const started = Date.now();
  const guest = lab.ns.spawn(
    'qemu-system-x86_64',
    [
      ...firmware,
      ...['-m', '512', '-smp', '1', ...(machine.reboots ? [] : ['-no-reboot'])],
      // -nographic has SeaBIOS copy the screen to the serial port: iPXE's and pxelinux's lines reach the log too.
      ...['-nographic', '-monitor', 'none', '-serial', `file:${consoleLog}`],
      ...['-netdev', `tap,id=net0,ifname=${lab.ns.tap},script=no,downscript=no`],
      // No romfile=: QEMU loads its default, IPXE_ROM (given as a path, SeaBIOS no longer boots from it).
      ...['-device', `virtio-net-pci,netdev=net0,mac=${machine.mac},bootindex=1`],
      ...['-drive', `file=${machine.disk},if=none,id=disk0,format=raw`],
      ...['-device', 'virtio-blk-pci,drive=disk0,bootindex=2'],
      ...(machine.kernelBoot
        ? [
            ...['-kernel', machine.kernelBoot.kernel, '-initrd', machine.kernelBoot.initrd],
            ...['-append', machine.kernelBoot.append],
          ]
        : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let qemuOutput = '';
  guest.stdout?.setEncoding('utf8').on('data', (chunk: string) => (qemuOutput += chunk));
  guest.stderr?.setEncoding('utf8').on('data', (chunk: string) => (qemuOutput += chunk));
  const code = await exited(guest, machine.deadlineMs);
  const seconds = (Date.now() - started) / 1000;
  const guestConsole = readConsole(consoleLog);
  return {
    code,
    seconds,
    console: guestConsole,
    explain: (what: string) =>
      `${what}\n--- ${machine.name}: guest console ---\n${guestConsole}\n--- qemu ---\n${qemuOutput}\n` +
      `--- bootwright serve stderr ---\n${lab.server.stderr()}`,
  };
}

/** OVMF's code read-only and a private copy of its variable store, as libvirt gives each UEFI guest. */
function ovmfDrives(lab: Lab, name: string): string[] {
  for (const file of [OVMF_CODE, OVMF_VARS]) {
    assert.ok(existsSync(file), `${file} is missing: install the Debian package ovmf.`);
  }
  const vars = join(lab.work, `${name}-OVMF_VARS.fd`);
  copyFileSync(OVMF_VARS, vars);
  return [
    ...['-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`],
    ...['-drive', `if=pflash,format=raw,unit=1,file=${vars}`],
  ];
}

/** Fails with the whole story unless the machine powered off by itself (QEMU exit 0) before its deadline. */
export function assertPoweredOff(run: MachineRun, deadlineMs: number): void {
  assert.notEqual(
    run.code,
    undefined,
    run.explain(`The machine did not power off within ${deadlineMs / 1000} s.`),
  );
  assert.equal(run.code, 0, run.explain(`QEMU exited with ${run.code}.`));
}

/** Every event the server stored that `match` picks, oldest first; asked over the REST API from inside the namespace. */
export function machineEvents(lab: Lab, match: (event: StoredEvent) => boolean): StoredEvent[] {
  try {
    const url = `http://${lab.ns.address}/api/v1/events?limit=5000`;
    const { items } = JSON.parse(lab.ns.exec('curl', ['-sSf', '--max-time', '10', url])) as {
      items: StoredEvent[];
    };
    return items.filter(match);
  } catch {
    return [];
  }
}

/** Events in the words of `bootwright status`, one a line. */
export function describeEvents(events: readonly StoredEvent[]): string {
  return events.map((event) => `${describeEvent(event)}\n`).join('');
}

/** Waits (events are stored in batches) until `read()` holds every step, and returns the last text read. */
export async function waitForSteps(read: () => string | Promise<string>, steps: string[]): Promise<string> {
  let text = '';
  for (let tries = 0; tries < 30; tries++) {
    text = await read();
    if (steps.every((step) => text.includes(step))) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return text;
}

/** What a bootwright command prints on the lab's data directory; fails the test when it fails. */
export async function cliOutput(lab: Lab, argv: string[]): Promise<string> {
  let output = '';
  const write = (text: string) => {
    output += text;
  };
  const code = await main(['--data-dir', lab.dataDir, ...argv], { stdout: { write }, stderr: { write } });
  assert.equal(code, 0, `bootwright ${argv.join(' ')}: ${output}`);
  return output;
}

/**
 * `bootwright system add` for a machine known by its MAC, on the lab's profile; with `classes`, it also gets the
 * host name `NAME.example.org` and those puppet classes, which its first boot asks the classifier for.
 */
export function knownMachine(name: string, mac: string, classes?: string): string[] {
  return [
    ...['system', 'add', `--name=${name}`, `--profile=${PROFILE}`, `--mac=${mac}`],
    ...(classes ? [`--hostname=${name}.example.org`, `--mgmt-classes=${classes}`] : []),
  ];
}

/** The kickstart URL bootwright writes on a system's kernel command line in the lab. */
export function autoinstallUrl(lab: Lab, system: string): string {
  return `http://${lab.ns.address}/cblr/svc/op/autoinstall/system/${system}`;
}

/** The console lines of an install from `ksUrl` that ends as the kickstart says (`reboot` or `poweroff`). */
export function installLines(ksUrl: string, ending: 'reboot' | 'poweroff'): string[] {
  return [
    `${installerMarkers.fetched}${ksUrl}`,
    installerMarkers.pre,
    `${installerMarkers.installed}/dev/vda`,
    installerMarkers.post,
    installerMarkers[ending],
  ];
}

/** The console lines of the installed system's first boot from its disk, which powers off at the end. */
export function firstBootLines(ksUrl: string, system: string): string[] {
  return [
    `${installerMarkers.firstboot}installed system booted from disk`,
    `${installerMarkers.firstboot}installed: ks=${ksUrl}`,
    `${installerMarkers.firstboot}classes:`,
    `${installerMarkers.firstboot}reported firstboot of system ${system}`,
    installerMarkers.poweroff,
  ];
}

/** Fails with the console when the guest said something went wrong, installing or booting. */
export function assertNoGuestFailure(run: MachineRun): void {
  assert.ok(!run.console.includes(installerMarkers.failed), run.explain('The guest reported a failure.'));
}
