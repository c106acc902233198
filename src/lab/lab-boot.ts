// `bootwright lab boot`: powers on one of the lab's systems and follows it to the end. --pxe runs QEMU (TCG) on a
// tap of the lab bridge with the iPXE ROM of its NIC and a disk, network first and disk second, as a rack server
// set to "network, then disk"; the server's events for the system are printed as they arrive. --koan runs
// `bootwright koan --virt --vm-poll` in the namespace against a private libvirtd of the lab, as a hypervisor host
// runs it. Either way the console lands in <lab-dir>/consoles/NAME.log and the system's timeline ends the run.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openBackend } from '../cli/backend.js';
import { BootwrightError, quote } from '../errors.js';
import type { InventoryObject } from '../model/kinds.js';
import { describeEvent } from '../status/install-status.js';
import {
  baseTools,
  bootwrightCommand,
  inNamespace,
  ip,
  isAlive,
  isOurs,
  type LabOptions,
  type LabOutput,
  type LabPaths,
  labAddress,
  labBridge,
  labFlags,
  labPaths,
  labProfile,
  namespaceExists,
  readLabState,
  requireMachine,
  stopPid,
  updateLabState,
} from './lab.js';
import { labLibvirtdAlive, startLabLibvirtd, virsh } from './libvirtd.js';

/** QEMU's virtio-net-pci ROM from Debian's ipxe-qemu: iPXE for BIOS. */
const ipxeRom = '/usr/lib/ipxe/qemu/efi-virtio.rom';
const consoleTailLines = 25;

export interface LabBootOptions extends LabOptions {
  system: string;
  mode: 'pxe' | 'koan';
  timeoutMs: number;
  /** With koan: also wait for the installed VM's first boot to power off. */
  firstBoot: boolean;
}

interface LabIo {
  stdout: LabOutput & { isTTY?: boolean };
  stderr: LabOutput;
}

export async function labBoot(options: LabBootOptions, io: LabIo): Promise<number> {
  requireMachine(
    options.mode === 'pxe'
      ? [...baseTools, [ipxeRom, 'ipxe-qemu']]
      : [
          ...baseTools,
          ['libvirtd', 'libvirt-daemon-system'],
          ['virtlogd', 'libvirt-daemon-system'],
          ['virsh', 'libvirt-clients'],
          ['qemu-img', 'qemu-utils'],
          ['unshare', 'util-linux'],
        ],
    io,
  );
  const paths = labPaths(options.labDir);
  requireLabUp(options, paths);
  const system = await findSystem(options, paths);
  mkdirSync(paths.consoles, { recursive: true });
  mkdirSync(paths.disks, { recursive: true });
  const consoleLog = join(paths.consoles, `${options.system}.log`);
  writeFileSync(consoleLog, '');
  const ok =
    options.mode === 'pxe'
      ? await bootPxe(options, paths, system, consoleLog, io)
      : await bootKoan(options, paths, consoleLog, io);
  io.stdout.write(`\nbootwright --data-dir=${paths.dataDir} status --system=${options.system}\n`);
  await options.runCli(['--data-dir', paths.dataDir, 'status', `--system=${options.system}`], io);
  if (!ok) {
    io.stdout.write(`\nLast lines of the console (${consoleLog}):\n${consoleTail(consoleLog)}\n`);
    return 8;
  }
  return 0;
}

function requireLabUp(options: LabOptions, paths: LabPaths): void {
  const state = readLabState(paths, options.name);
  if (!namespaceExists(options.name) || !isOurs(state.server, 'serve')) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `Lab ${quote(options.name)} is not up; start it with "bootwright lab up ${labFlags(options)}".`,
    );
  }
}

async function findSystem(options: LabBootOptions, paths: LabPaths): Promise<InventoryObject> {
  const { backend, close } = await openBackend({ dataDir: paths.dataDir });
  try {
    return await backend.get('system', options.system);
  } catch (error) {
    if (error instanceof BootwrightError && error.code === 'E_NOT_FOUND') {
      throw new BootwrightError(
        'E_NOT_FOUND',
        `The lab has no system ${quote(options.system)}; add it with "bootwright --data-dir=${paths.dataDir} ` +
          `system add --name=${options.system} --profile=${labProfile} --mac=random".`,
      );
    }
    throw error;
  } finally {
    await close();
  }
}

function firstMac(system: InventoryObject): string | undefined {
  const first = Object.values(system.interfaces ?? {})[0];
  return first?.mac_address || undefined;
}

// ---- --pxe ----

async function bootPxe(
  options: LabBootOptions,
  paths: LabPaths,
  system: InventoryObject,
  consoleLog: string,
  io: LabIo,
): Promise<boolean> {
  const mac = firstMac(system);
  if (mac === undefined) {
    throw new BootwrightError(
      'E_INVALID',
      `System ${quote(options.system)} has no MAC address to PXE boot with; give it one with "bootwright ` +
        `--data-dir=${paths.dataDir} system edit --name=${options.system} --mac=random".`,
    );
  }
  const state = readLabState(paths, options.name);
  const running = state.guests[options.system];
  if (isOurs(running?.pid, 'qemu-system')) {
    throw new BootwrightError(
      'E_IN_USE',
      `System ${quote(options.system)} is already running in the lab (QEMU pid ${running.pid}); wait for it, or stop the lab with "bootwright lab down ${labFlags(options)}".`,
    );
  }
  const disk = join(paths.disks, `${options.system}.img`);
  if (!existsSync(disk)) {
    // Sparse: it takes no space until the installer writes to it.
    writeFileSync(disk, '');
    truncateSync(disk, 1024 * 1024 * 1024);
  }
  const tap = addTap(
    options.name,
    Object.values(state.guests).flatMap((guest) => guest.tap ?? []),
  );
  const [command, args] = inNamespace(options.name, 'qemu-system-x86_64', [
    ...['-machine', 'pc,accel=tcg', '-m', '512', '-smp', '1'],
    // -nographic has SeaBIOS copy the screen to the serial port: iPXE's and pxelinux's lines reach the log too.
    ...['-nographic', '-monitor', 'none', '-serial', `file:${consoleLog}`],
    ...['-netdev', `tap,id=net0,ifname=${tap},script=no,downscript=no`],
    // No romfile=: QEMU finds ipxe-qemu's efi-virtio.rom on its own firmware path; this QEMU (7.2) given the same
    // file by absolute path boots without it.
    ...['-device', `virtio-net-pci,netdev=net0,mac=${mac},bootindex=1`],
    ...['-drive', `file=${disk},if=none,id=disk0,format=raw`],
    ...['-device', 'virtio-blk-pci,drive=disk0,bootindex=2'],
  ]);
  const qemu = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let qemuOutput = '';
  qemu.stdout?.setEncoding('utf8').on('data', (chunk: string) => (qemuOutput += chunk));
  qemu.stderr?.setEncoding('utf8').on('data', (chunk: string) => (qemuOutput += chunk));
  const exit = new Promise<number | null>((resolve) => {
    qemu.on('exit', (code) => resolve(code));
    qemu.on('error', () => resolve(-1));
  });
  updateLabState(paths, options.name, (lab) => {
    lab.guests[options.system] = { mode: 'pxe', tap, ...(qemu.pid === undefined ? {} : { pid: qemu.pid }) };
  });
  io.stdout.write(
    `Powered on ${options.system} (MAC ${mac}, QEMU pid ${qemu.pid}, disk ${disk}, console ${consoleLog}); ` +
      `waiting up to ${options.timeoutMs / 1000} s for it to power off.\n`,
  );
  const started = Date.now();
  try {
    const code = await followUntil(paths, options.system, exit, options.timeoutMs, io);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    if (code === 'timeout') {
      io.stderr.write(
        `bootwright: ${options.system} did not power off within ${options.timeoutMs / 1000} s; stopped it.\n`,
      );
      return false;
    }
    if (code !== 0) {
      io.stderr.write(`bootwright: QEMU exited with ${code}: ${qemuOutput.trim() || '(no output)'}\n`);
      return false;
    }
    io.stdout.write(`${options.system} powered off after ${seconds} s.\n`);
    return true;
  } finally {
    if (qemu.pid !== undefined && isAlive(qemu.pid)) await stopPid(qemu.pid);
    try {
      ip(['-n', options.name, 'link', 'delete', tap]);
    } catch {
      // the namespace went away under us (lab down)
    }
    updateLabState(paths, options.name, (lab) => {
      delete lab.guests[options.system];
    });
  }
}

/** A tap on the lab bridge for one guest: bwtap0, bwtap1, ..., the first one not taken. */
function addTap(namespace: string, taken: string[]): string {
  const existing = ip(['-n', namespace, '-o', 'link', 'show']);
  let index = 0;
  while (taken.includes(`bwtap${index}`) || existing.includes(` bwtap${index}:`)) index++;
  const tap = `bwtap${index}`;
  ip(['-n', namespace, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  ip(['-n', namespace, 'link', 'set', tap, 'master', labBridge]);
  ip(['-n', namespace, 'link', 'set', tap, 'up']);
  return tap;
}

/**
 * Prints the server's events for the system as they arrive (read from the lab's store, as `bootwright watch` does)
 * until `done` resolves or the deadline passes; one plain line each, with the time since power-on.
 */
async function followUntil<T>(
  paths: LabPaths,
  system: string,
  done: Promise<T>,
  timeoutMs: number,
  io: LabIo,
): Promise<T | 'timeout'> {
  const { events, close } = await openBackend({ dataDir: paths.dataDir });
  const started = Date.now();
  let finished: { value: T } | undefined;
  void done.then((value) => {
    finished = { value };
  });
  try {
    const latest = await events.query({ system, newestFirst: true, limit: 1 });
    let afterId = latest[0]?.id ?? 0;
    const print = async () => {
      for (const event of await events.query({ system, afterId, limit: 1000 })) {
        afterId = event.id;
        const at = `+${((event.time - started) / 1000).toFixed(0)}s`.padStart(6);
        io.stdout.write(`${at}  ${describeEvent(event)}\n`);
      }
    };
    while (finished === undefined && Date.now() - started < timeoutMs) {
      await print();
      await Promise.race([done, sleep(500)]);
    }
    // Events are stored in batches: the last ones land a moment after the guest is gone.
    await sleep(1000);
    await print();
    return finished === undefined ? 'timeout' : finished.value;
  } finally {
    await close();
  }
}

// ---- --koan ----

async function bootKoan(
  options: LabBootOptions,
  paths: LabPaths,
  consoleLog: string,
  io: LabIo,
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  await ensureLibvirtd(options, paths, io);
  // A second boot of the same system is a reinstall: the old definition goes, --force-path overwrites the disk.
  if (
    virsh(['list', '--all', '--name'])
      .split('\n')
      .some((name) => name.trim() === options.system)
  ) {
    for (const args of [
      ['destroy', options.system],
      ['undefine', options.system],
    ]) {
      try {
        virsh(args);
      } catch {
        // not running
      }
    }
  }
  updateLabState(paths, options.name, (lab) => {
    lab.guests[options.system] = { mode: 'koan' };
  });
  const self = bootwrightCommand();
  const koanArgs = [
    ...['koan', `--server=${labAddress}`, '--port=80', '--virt', `--system=${options.system}`],
    ...['--virt-type=qemu', '--vm-poll', '--poll-interval=1', `--virt-path=${paths.disks}`, '--force-path'],
    ...[`--cache-dir=${join(paths.labDir, 'koan-cache')}`, `--console-log=${consoleLog}`],
  ];
  io.stdout.write(`Running: bootwright ${koanArgs.join(' ')}\n`);
  const [command, args] = inNamespace(options.name, self.command, [...self.args, ...koanArgs]);
  const koan = spawn(command, args, { cwd: self.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  koan.stdout?.setEncoding('utf8').on('data', (chunk: string) => io.stdout.write(chunk));
  koan.stderr?.setEncoding('utf8').on('data', (chunk: string) => io.stderr.write(chunk));
  const exit = new Promise<number | null>((resolve) => {
    koan.on('exit', (code) => resolve(code));
    koan.on('error', () => resolve(-1));
  });
  // The deadline's timer is cancelled when koan ends first, so that it does not keep this process alive.
  const deadlineTimer = new AbortController();
  const code = await Promise.race([
    exit,
    sleep(options.timeoutMs, 'timeout' as const, { signal: deadlineTimer.signal }).catch(
      () => 'aborted' as const,
    ),
  ]).finally(() => deadlineTimer.abort());
  updateLabState(paths, options.name, (lab) => {
    delete lab.guests[options.system];
  });
  if (code === 'timeout' || code === 'aborted') {
    if (koan.pid !== undefined) await stopPid(koan.pid);
    io.stderr.write(`bootwright: koan did not finish within ${options.timeoutMs / 1000} s; stopped it.\n`);
    return false;
  }
  if (code !== 0) return false;
  if (!options.firstBoot) return true;
  io.stdout.write(`Waiting for the first boot of ${options.system} to power off...\n`);
  while (Date.now() < deadline) {
    const state = domainState(options.system);
    if (state.startsWith('shut off')) {
      io.stdout.write(`${options.system}: ${state}.\n`);
      return true;
    }
    await sleep(1000);
  }
  io.stderr.write(`bootwright: ${options.system} did not power off within ${options.timeoutMs / 1000} s.\n`);
  return false;
}

function domainState(name: string): string {
  try {
    return virsh(['domstate', name, '--reason']).trim();
  } catch (error) {
    return (error as Error).message;
  }
}

async function ensureLibvirtd(options: LabOptions, paths: LabPaths, io: LabIo): Promise<void> {
  const state = readLabState(paths, options.name);
  if (state.libvirtd && labLibvirtdAlive(state.libvirtd)) return;
  io.stdout.write(`Starting a private libvirtd in ${options.name} (files in ${paths.libvirt})...\n`);
  let pids: Awaited<ReturnType<typeof startLabLibvirtd>>;
  try {
    pids = await startLabLibvirtd(options.name, paths.libvirt);
  } catch (error) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `Cannot start the lab's libvirtd: ${(error as Error).message}`,
    );
  }
  updateLabState(paths, options.name, (lab) => {
    lab.libvirtd = pids;
  });
}

function consoleTail(path: string): string {
  if (!existsSync(path)) return '(no console output)';
  const escapes = new RegExp(`${String.fromCharCode(27)}(\\[[0-9;?]*[A-Za-z]|c)`, 'g');
  const text = readFileSync(path, 'latin1').replace(escapes, '').replaceAll('\r', '');
  return text.trimEnd().split('\n').slice(-consoleTailLines).join('\n');
}
