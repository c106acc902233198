// `bootwright lab`: an install network of its own on this machine, for trying bootwright and one's templates on
// real VMs without touching a real network. A network namespace (named after the lab) holds a bridge at 192.0.2.1/24
// (RFC 5737, documentation only) and a detached `bootwright serve` with full DHCP on it; the lab has its own data
// directory, seeded on the first `up` with the test installer guest as a distro and a profile `lab`. What runs is
// recorded by pid in <lab-dir>/lab.json, so that `status` and `down` find it from any later command.

import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { CliMain } from '../cli/invocation.js';
import { onPath } from '../config/on-path.js';
import { defaultServedRoots } from '../config/served-paths.js';
import { BootwrightError } from '../errors.js';
import { buildInstallerGuest } from './installer-guest.js';
import { installNetworkSettings } from './lab-network.js';
import { type LibvirtdPids, stopLabLibvirtd } from './libvirtd.js';

export const labAddress = '192.0.2.1';
export const labBridge = 'bwlab0';
export const labDistro = 'lab-installer';
export const labProfile = 'lab';
export const defaultLabName = 'bootwright-lab';

export interface LabPaths {
  labDir: string;
  state: string;
  dataDir: string;
  guest: string;
  cache: string;
  consoles: string;
  disks: string;
  serverLog: string;
  libvirt: string;
}

export function labPaths(labDir: string): LabPaths {
  return {
    labDir,
    state: join(labDir, 'lab.json'),
    dataDir: join(labDir, 'data'),
    guest: join(labDir, 'guest'),
    cache: join(labDir, 'cache'),
    consoles: join(labDir, 'consoles'),
    disks: join(labDir, 'disks'),
    serverLog: join(labDir, 'server.log'),
    libvirt: join(labDir, 'libvirt'),
  };
}

export interface LabGuest {
  /** QEMU's pid for a PXE boot; absent for a koan guest, which libvirt runs. */
  pid?: number;
  tap?: string;
  mode: 'pxe' | 'koan';
}

export interface LabState {
  name: string;
  server?: number;
  libvirtd?: LibvirtdPids;
  guests: Record<string, LabGuest>;
}

export interface LabOutput {
  write(text: string): unknown;
}

export function readLabState(paths: LabPaths, name: string): LabState {
  try {
    const state = JSON.parse(readFileSync(paths.state, 'utf8')) as LabState;
    return { ...state, name, guests: state.guests ?? {} };
  } catch {
    return { name, guests: {} };
  }
}

/** Read, change and write in one synchronous step, so that two boots in one process never lose each other's change. */
export function updateLabState(paths: LabPaths, name: string, change: (state: LabState) => void): LabState {
  const state = readLabState(paths, name);
  change(state);
  mkdirSync(paths.labDir, { recursive: true });
  writeFileSync(`${paths.state}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${paths.state}.tmp`, paths.state);
  return state;
}

// ---- what the machine needs ----

/** [tool, Debian package] pairs; each missing package is one line of the message. */
export function missingPackages(pairs: readonly [tool: string, pkg: string][]): string[] {
  const missing = pairs.filter(([tool]) => (tool.startsWith('/') ? !existsSync(tool) : !onPath(tool)));
  return [...new Set(missing.map(([, pkg]) => pkg))];
}

/** Fails with one line per missing Debian package (and first of all when not root). */
export function requireMachine(
  pairs: readonly [tool: string, pkg: string][],
  io: { stderr: LabOutput },
): void {
  if (process.getuid?.() !== 0) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      '"bootwright lab" needs root: it creates a network namespace, a bridge and tap devices; run it with sudo.',
    );
  }
  const packages = missingPackages(pairs);
  if (packages.length === 0) return;
  for (const pkg of packages.slice(0, -1)) io.stderr.write(`bootwright: missing Debian package ${pkg}\n`);
  throw new BootwrightError(
    'E_UNAVAILABLE',
    `missing Debian package ${packages.at(-1)} (install with: apt-get install ${packages.join(' ')})`,
  );
}

export const baseTools: [string, string][] = [
  ['ip', 'iproute2'],
  ['qemu-system-x86_64', 'qemu-system-x86'],
];
/** What building the installer guest takes (src/lab/installer-guest.ts). */
const guestTools: [string, string][] = [
  ['apt-get', 'apt'],
  ['dpkg-deb', 'dpkg'],
  ['cpio', 'cpio'],
  ['ldd', 'libc-bin'],
];

// ---- processes ----

/** Running and not a zombie (a killed detached process lingers as one until init reaps it). */
export function isAlive(pid: number | undefined): pid is number {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Alive and its command line holds `word`: a recorded pid that the kernel gave to another program is not ours. */
export function isOurs(pid: number | undefined, word: string): pid is number {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(word);
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 5_000): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // gone already
    }
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (!isAlive(pid)) return;
  }
}

/**
 * How to run this very bootwright as a child process: the compiled CLI, or from source with tsx (then from the
 * project directory, where `--import tsx` resolves).
 */
export function bootwrightCommand(): { command: string; args: string[]; cwd: string } {
  const here = fileURLToPath(import.meta.url);
  const root = join(dirname(here), '..', '..');
  if (here.endsWith('.ts')) {
    return {
      command: process.execPath,
      args: ['--import', 'tsx', join(root, 'src', 'cli', 'run.ts')],
      cwd: root,
    };
  }
  return { command: process.execPath, args: [join(dirname(here), '..', 'cli', 'run.js')], cwd: root };
}

// ---- the namespace ----

export function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function namespaceExists(name: string): boolean {
  return ip(['netns', 'list'])
    .split('\n')
    .some((line) => line.split(' ')[0] === name);
}

/** `ip netns exec NAME command args...` as argv for spawn. */
export function inNamespace(name: string, command: string, args: string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', name, command, ...args]];
}

function createNamespace(name: string): void {
  ip(['netns', 'add', name]);
  try {
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    ip(['-n', name, 'link', 'add', labBridge, 'type', 'bridge']);
    ip(['-n', name, 'addr', 'add', `${labAddress}/24`, 'dev', labBridge]);
    ip(['-n', name, 'link', 'set', labBridge, 'up']);
  } catch (error) {
    ip(['netns', 'delete', name]);
    throw error;
  }
}

export function deleteNamespace(name: string): void {
  if (namespaceExists(name)) ip(['netns', 'delete', name]);
}

/** The flags that name this lab again in a hint: --lab-dir, and --name unless it is the default. */
export function labFlags(options: { name: string; labDir: string }): string {
  return `--lab-dir=${options.labDir}${options.name === defaultLabName ? '' : ` --name=${options.name}`}`;
}

// ---- up ----

export interface LabOptions {
  name: string;
  labDir: string;
  /** The user's data directory: their own templates and snippets are copied from here. */
  userDataDir: string;
  /** Where the guest's Debian packages are cached; default <lab-dir>/cache. */
  cacheDir?: string;
  /** Runs a bootwright command in this process, as typed (the CLI's main). */
  runCli: CliMain;
}

export async function labUp(
  options: LabOptions,
  io: { stdout: LabOutput; stderr: LabOutput },
): Promise<number> {
  requireMachine([...baseTools, ...guestTools], io);
  const paths = labPaths(options.labDir);
  const state = readLabState(paths, options.name);
  const write = (text: string) => io.stdout.write(text);
  if (namespaceExists(options.name) && isOurs(state.server, 'serve')) {
    write(`Lab ${options.name} is already up: server pid ${state.server}, data in ${paths.dataDir}.\n`);
    write(
      `"bootwright lab status ${labFlags(options)}" tells more; "bootwright lab down ${labFlags(options)}" stops it.\n`,
    );
    return 0;
  }
  for (const dir of [paths.labDir, paths.consoles, paths.disks]) mkdirSync(dir, { recursive: true });
  const seeded = existsSync(join(paths.dataDir, 'store.sqlite'));
  if (!seeded) await seed(paths, options, write);
  const copied = copyUserLibrary(options.userDataDir, paths.dataDir);
  if (!namespaceExists(options.name)) createNamespace(options.name);
  const server = await startServer(options.name, paths);
  updateLabState(paths, options.name, (lab) => {
    lab.server = server;
  });

  write(`Lab ${options.name} is up.\n`);
  write(
    `  network    namespace ${options.name}, bridge ${labBridge} at ${labAddress}/24 (nothing leaves it)\n`,
  );
  write(`  server     pid ${server}: DHCP (full), TFTP and HTTP on ${labAddress}; log ${paths.serverLog}\n`);
  write(`  data       ${paths.dataDir}${seeded ? '' : ' (new)'}\n`);
  if (!seeded) {
    write(`  distro     ${labDistro}: a tiny installer guest (${paths.guest})\n`);
    write(
      `  profile    ${labProfile}: default kickstart, console on ttyS0, power-off when the install ends\n`,
    );
  }
  for (const line of copied) write(`  ${line}\n`);
  write('Add a machine and boot it:\n');
  write(
    `  bootwright --data-dir=${paths.dataDir} system add --name=vm1 --profile=${labProfile} --mac=random\n`,
  );
  write(`  bootwright lab boot ${labFlags(options)} --system=vm1 --pxe    (or --koan: through libvirt)\n`);
  return 0;
}

async function seed(paths: LabPaths, options: LabOptions, write: (text: string) => void): Promise<void> {
  const cache = options.cacheDir ?? paths.cache;
  write(`Building the installer guest into ${paths.guest} (Debian packages cached in ${cache})...\n`);
  mkdirSync(paths.guest, { recursive: true });
  const { kernel, initrd } = buildInstallerGuest(paths.guest, cache);
  const commands = [
    ...installNetworkSettings(labAddress),
    // The guest's kernel and initrd are served from where they were built.
    [
      'setting',
      'edit',
      '--name=served_roots',
      `--value=${[...defaultServedRoots, paths.guest, cache].join(' ')}`,
    ],
    [
      ...['distro', 'add', `--name=${labDistro}`, `--kernel=${kernel}`, `--initrd=${initrd}`],
      ...['--arch=x86_64', '--breed=redhat', '--os-version=rhel9'],
    ],
    // panic=-1: a guest whose /init dies reboots at once instead of hanging; poweroff ends both kinds of boot.
    [
      ...['profile', 'add', `--name=${labProfile}`, `--distro=${labDistro}`],
      ...['--kernel-options=console=ttyS0 panic=-1', `--virt-bridge=${labBridge}`, '--virt-type=qemu'],
      ...['--virt-file-size=1', '--virt-ram=512', '--autoinstall-meta=install_finish=poweroff'],
    ],
  ];
  for (const argv of commands) {
    let output = '';
    const collect = { write: (text: string) => (output += text) };
    const code = await options.runCli(['--data-dir', paths.dataDir, ...argv], {
      stdout: collect,
      stderr: collect,
    });
    if (code !== 0) {
      throw new BootwrightError(
        'E_INTERNAL',
        `Cannot seed the lab (${options.labDir}): "bootwright ${argv.join(' ')}" said: ${output.trim()}`,
      );
    }
  }
}

/** The user's own templates and snippets (TemplateLibrary's user directories), refreshed on each `up`. */
function copyUserLibrary(userDataDir: string, labDataDir: string): string[] {
  const lines: string[] = [];
  for (const kind of ['templates', 'snippets']) {
    const from = join(userDataDir, kind);
    if (!existsSync(from) || !statSync(from).isDirectory() || from === join(labDataDir, kind)) continue;
    cpSync(from, join(labDataDir, kind), { recursive: true, force: true });
    lines.push(`${kind.padEnd(10)} copied from ${from}`);
  }
  return lines;
}

const serverStartMs = 30_000;

/** `bootwright serve` in the namespace, detached, its output appended to server.log; resolves with its pid. */
async function startServer(name: string, paths: LabPaths): Promise<number> {
  const self = bootwrightCommand();
  const offset = existsSync(paths.serverLog) ? statSync(paths.serverLog).size : 0;
  const log = openSync(paths.serverLog, 'a');
  const [command, args] = inNamespace(name, self.command, [
    ...self.args,
    ...['serve', `--data-dir=${paths.dataDir}`, '--host=0.0.0.0', '--port=80', '--tftp-port=69'],
  ]);
  const child = spawn(command, args, { cwd: self.cwd, stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined)
    throw new BootwrightError('E_UNAVAILABLE', 'Cannot start "bootwright serve" for the lab.');
  const deadline = Date.now() + serverStartMs;
  for (;;) {
    const output = readFileSync(paths.serverLog, 'utf8').slice(offset);
    if (/serving http on port 80/.test(output)) return pid;
    if (!isAlive(pid) || Date.now() > deadline) {
      if (isAlive(pid)) await stopPid(pid);
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `The lab's server did not start: ${output.trim().split('\n').slice(-3).join(' ') || 'no output'} (log ${paths.serverLog}).`,
      );
    }
    await sleep(100);
  }
}

// ---- down ----

export async function labDown(
  options: LabOptions & { purge: boolean },
  io: { stdout: LabOutput; stderr: LabOutput },
): Promise<number> {
  requireMachine([['ip', 'iproute2']], io);
  const paths = labPaths(options.labDir);
  const state = readLabState(paths, options.name);
  const write = (text: string) => io.stdout.write(text);
  const stopped: string[] = [];
  for (const [system, guest] of Object.entries(state.guests)) {
    if (isOurs(guest.pid, 'qemu-system')) {
      await stopPid(guest.pid);
      stopped.push(`guest ${system} (QEMU pid ${guest.pid})`);
    }
  }
  if (state.libvirtd && (isAlive(state.libvirtd.libvirtd) || isAlive(state.libvirtd.virtlogd))) {
    await stopLabLibvirtd(state.libvirtd);
    stopped.push(`libvirtd (pid ${state.libvirtd.libvirtd}) and virtlogd (pid ${state.libvirtd.virtlogd})`);
  }
  if (isOurs(state.server, 'serve')) {
    await stopPid(state.server);
    stopped.push(`server (pid ${state.server})`);
  }
  const hadNamespace = namespaceExists(options.name);
  deleteNamespace(options.name);
  if (hadNamespace) stopped.push(`namespace ${options.name}`);
  if (existsSync(paths.labDir)) {
    updateLabState(paths, options.name, (lab) => {
      delete lab.server;
      delete lab.libvirtd;
      lab.guests = {};
    });
  }
  write(stopped.length === 0 ? `Lab ${options.name} was not up.\n` : `Stopped: ${stopped.join(', ')}.\n`);
  if (options.purge) {
    rmSync(paths.labDir, { recursive: true, force: true });
    write(`Removed ${paths.labDir}.\n`);
  } else if (existsSync(paths.dataDir)) {
    write(`Kept ${paths.labDir} (systems, disks, consoles): "lab up" starts it again; --purge removes it.\n`);
  }
  return 0;
}
