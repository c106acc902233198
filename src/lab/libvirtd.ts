// A private libvirtd (with its virtlogd) run inside a network namespace so that the guests' taps land there: for one
// test (startTestLibvirtd, stopped when the test ends) or for `bootwright lab` (startLabLibvirtd, detached, its pids
// kept in the lab's state and stopped by `bootwright lab down`). Needs root and the Debian packages
// libvirt-daemon-system, libvirt-clients and qemu-system-x86; no systemd or D-Bus (libvirtd logs harmless D-Bus
// errors without them).
//
// Both daemons run in a private mount namespace that hides some of the host from them:
// - /dev/kvm is covered by an empty mode-000 file. Where KVM is nested and broken, libvirtd re-probes the
//   capabilities of /dev/kvm on every `virsh define`, which takes 50 s each; without it, guests run under TCG.
// - /etc/libvirt/qemu.conf is a copy ending in `namespaces = [ ]`: libvirt's per-guest /dev namespace would try to
//   move a /dev/kvm mount into place and fail ("Unable to move ... mount to /dev/kvm").
// - /etc/libvirt/qemu (persistent guest definitions, the host's autostarted networks) and /var/log/libvirt (the
//   guests' QEMU logs) are empty directories of the test (or of the lab), so nothing defined there reaches the host.
// - For the lab only, QEMU runs as root: its disks and consoles live under the lab directory, which may sit in a
//   home directory that the libvirt-qemu user cannot enter.
// Sockets, pid files and state stay at libvirt's fixed paths (/run/libvirt, /var/lib/libvirt), so only one libvirtd
// can run at a time: a lock file makes harnesses in other test files (and a lab) wait for each other, and a libvirtd
// or virtlogd that no harness started is an error rather than something to kill. A lab's lock names its daemons,
// so it holds for as long as either runs.

import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { onPath } from '../config/on-path.js';

export interface TestLibvirtd {
  /** `qemu:///system`: the daemon listens on libvirt's usual socket. */
  uri: string;
  pids: { libvirtd: number; virtlogd: number };
  /** Runs `virsh -c URI ...args` and returns its stdout; a failure throws with virsh's stderr. */
  virsh(args: string[]): string;
  /** Destroys and undefines every guest, stops both daemons and any QEMU they left, removes the files. */
  stop(): Promise<void>;
  /** The tail of libvirtd's and virtlogd's output and of each guest's QEMU log, for failure messages. */
  logs(): string;
}

const uri = 'qemu:///system';
const startDeadlineMs = 30_000;
/** libvirtd saves guest state and closes its drivers on SIGTERM; it takes well under a second when idle. */
const stopGraceMs = 5_000;
const reapGraceMs = 5_000;
/** Harnesses in other test files wait this long for the one running libvirtd to stop. */
const lockDeadlineMs = 10 * 60_000;
const lockFile = '/run/bootwright-test-libvirtd.lock';
const virtlogdSocket = '/run/libvirt/virtlogd-sock';
const logTailChars = 16_000;

const requiredTools: [tool: string, debianPackage: string][] = [
  ['libvirtd', 'libvirt-daemon-system'],
  ['virtlogd', 'libvirt-daemon-system'],
  ['virsh', 'libvirt-clients'],
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['ip', 'iproute2'],
  ['unshare', 'util-linux'],
  ['mount', 'mount'],
  ['pgrep', 'procps'],
];

/** Why this machine cannot run the libvirt tests (not root, a tool missing), or undefined. */
export function libvirtUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) {
    return 'The libvirt tests need root: they start libvirtd and create network and mount namespaces.';
  }
  const missing = requiredTools.filter(([tool]) => !onPath(tool));
  if (missing.length === 0) return undefined;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  const tools = missing.map(([tool]) => `"${tool}"`).join(', ');
  return `The libvirt tests need ${tools}, not found on PATH; install the Debian packages ${packages.join(', ')}.`;
}

/** Starts virtlogd and libvirtd inside `netns` (a name for `ip netns exec`), stopped in `t.after` when given. */
export async function startTestLibvirtd(netns: string, t?: TestContext): Promise<TestLibvirtd> {
  const unavailable = libvirtUnavailable();
  if (unavailable) throw new Error(unavailable);
  await acquireLock();
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'bootwright-libvirtd-'));
    const { virtlogd, libvirtd } = await startDaemons(netns, dir, { detached: false });
    const harness = makeHarness(dir, virtlogd, libvirtd);
    t?.after(() => harness.stop());
    return harness;
  } catch (error) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    releaseLock();
    throw error;
  }
}

export interface LibvirtdPids {
  libvirtd: number;
  virtlogd: number;
}

/**
 * Starts virtlogd and libvirtd inside `netns` for a lab: detached, so they outlive this process, with their output in
 * `dir`/libvirtd.log and their private files in `dir`, which is kept. The lock names the libvirtd from then on.
 */
export async function startLabLibvirtd(netns: string, dir: string): Promise<LibvirtdPids> {
  await acquireLock();
  try {
    mkdirSync(dir, { recursive: true });
    const { virtlogd, libvirtd } = await startDaemons(netns, dir, {
      detached: true,
      logFile: join(dir, 'libvirtd.log'),
    });
    // Both daemons: the lock holds until the last of them is gone, since either one owns global sockets.
    writeFileSync(lockFile, `${libvirtd.pid}\n${virtlogd.pid}\n`);
    lockHeld = false;
    return { libvirtd: libvirtd.pid, virtlogd: virtlogd.pid };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/** Whether a lab's daemons both still run. */
export function labLibvirtdAlive(pids: LibvirtdPids): boolean {
  return isAlive(pids.libvirtd) && isAlive(pids.virtlogd);
}

/** Destroys and undefines the lab's guests, stops both daemons and the QEMU they left, and frees the lock. */
export async function stopLabLibvirtd(pids: LibvirtdPids): Promise<void> {
  if (isAlive(pids.libvirtd)) removeGuests();
  await stopDaemons([
    { name: 'virtlogd', pid: pids.virtlogd },
    { name: 'libvirtd', pid: pids.libvirtd },
  ]);
  const holders = lockHolders();
  if (holders.includes(pids.libvirtd) || !holders.some(isAlive)) rmSync(lockFile, { force: true });
}

interface DaemonPid {
  name: string;
  pid: number;
}

interface Daemon extends DaemonPid {
  tail(): string;
  /**
   * Settles once this process has reaped the daemon (a test's own child). A dead daemon stays in /proc as a zombie
   * until Node reaps it on its event loop, so `stop()` waits for this, not only for the daemon to stop running.
   */
  reaped: Promise<void>;
}

type DaemonOutput = { detached: false } | { detached: true; logFile: string };

/** Both daemons, each waited for until it answers; on failure both are stopped and the error carries their output. */
async function startDaemons(
  netns: string,
  dir: string,
  output: DaemonOutput,
): Promise<{ virtlogd: Daemon; libvirtd: Daemon }> {
  let daemons: Daemon[] = [];
  try {
    refuseForeignDaemons();
    const mountArgs = prepareMounts(dir, output.detached);
    const virtlogd = startDaemon('virtlogd', netns, mountArgs, join(dir, 'virtlogd.pid'), output);
    daemons = [virtlogd];
    await waitFor(virtlogd, () => socketAnswers(virtlogdSocket), `${virtlogdSocket} to accept connections`);
    const libvirtd = startDaemon('libvirtd', netns, mountArgs, join(dir, 'libvirtd.pid'), output);
    daemons = [virtlogd, libvirtd];
    await waitFor(libvirtd, () => virshAnswers(), `"virsh -c ${uri} version" to answer`);
    return { virtlogd, libvirtd };
  } catch (error) {
    const logs = daemons.map((daemon) => daemon.tail()).join('\n');
    await stopDaemons(daemons);
    if (logs) (error as Error).message += `\n${logs}`;
    throw error;
  }
}

function makeHarness(dir: string, virtlogd: Daemon, libvirtd: Daemon): TestLibvirtd {
  let stopping: Promise<void> | undefined;
  const harness: TestLibvirtd = {
    uri,
    pids: { libvirtd: libvirtd.pid, virtlogd: virtlogd.pid },
    virsh,
    logs() {
      return [libvirtd.tail(), virtlogd.tail(), ...guestLogs(join(dir, 'log', 'qemu'))].join('\n');
    },
    stop() {
      stopping ??= (async () => {
        try {
          if (isAlive(libvirtd.pid)) removeGuests();
          await stopDaemons([libvirtd, virtlogd]);
          await Promise.race([Promise.all([libvirtd.reaped, virtlogd.reaped]), sleep(reapGraceMs)]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
          releaseLock();
        }
      })();
      return stopping;
    },
  };
  return harness;
}

/** Runs `virsh -c qemu:///system ...args` and returns its stdout; a failure throws with virsh's stderr. */
export function virsh(args: string[]): string {
  try {
    return execFileSync('virsh', ['-c', uri, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(
      `Command "virsh -c ${uri} ${args.join(' ')}" failed: ${stderr || (error as Error).message}`,
    );
  }
}

/** Guests the test left running or defined; a transient guest is gone once destroyed, so undefine may fail. */
function removeGuests(): void {
  let names: string[] = [];
  try {
    names = virsh(['list', '--all', '--name'])
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  } catch {
    return; // libvirtd is not answering; its QEMU processes are killed with it below
  }
  for (const name of names) {
    for (const args of [
      ['destroy', name],
      ['undefine', '--nvram', '--managed-save', '--snapshots-metadata', '--checkpoints-metadata', name],
    ]) {
      try {
        virsh(args);
      } catch {
        // not running, or transient
      }
    }
  }
}

/**
 * The files bind-mounted in the daemons' private mount namespace, as arguments of `mountScript`. The empty file
 * over /dev/kvm must be a regular file owned by root with mode 000, so that nothing in the namespace can open it.
 */
function prepareMounts(dir: string, qemuAsRoot: boolean): string[] {
  const noKvm = join(dir, 'no-kvm');
  writeFileSync(noKvm, '');
  chmodSync(noKvm, 0o000);
  const qemuConf = join(dir, 'qemu.conf');
  writeFileSync(
    qemuConf,
    `${readFileSync('/etc/libvirt/qemu.conf', 'utf8')}\n# bootwright test harness: no per-guest /dev namespace.\nnamespaces = [ ]\n` +
      (qemuAsRoot
        ? '# bootwright lab: QEMU reaches the lab directory wherever it is.\nuser = "root"\ngroup = "root"\n'
        : ''),
  );
  const etcQemu = join(dir, 'etc-qemu');
  mkdirSync(join(etcQemu, 'networks', 'autostart'), { recursive: true });
  const log = join(dir, 'log');
  mkdirSync(join(log, 'qemu'), { recursive: true });
  return [noKvm, qemuConf, etcQemu, log];
}

// Without /dev/kvm on the host there is nothing to hide; a bind mount over a missing path would fail.
const mountScript = `set -e
[ ! -e /dev/kvm ] || mount --bind "$1" /dev/kvm
mount --bind "$2" /etc/libvirt/qemu.conf
mount --bind "$3" /etc/libvirt/qemu
mount --bind "$4" /var/log/libvirt
shift 4
exec "$@"`;

/**
 * `ip netns exec`, `unshare` and `sh -c 'exec ...'` each replace themselves with the next program, so the child's
 * pid is the daemon's own: stopping it by pid needs no process-group games. Run in the foreground (no --daemon),
 * the daemons log to stderr: kept in memory for a test, appended to a file for a detached (lab) daemon.
 */
function startDaemon(
  name: string,
  netns: string,
  mountArgs: string[],
  pidFile: string,
  output: DaemonOutput,
): Daemon {
  const logFd = output.detached ? openSync(output.logFile, 'a') : undefined;
  const child = spawn(
    'ip',
    [
      ...['netns', 'exec', netns],
      ...['unshare', '--mount', '--propagation', 'private'],
      ...['sh', '-c', mountScript, 'sh', ...mountArgs],
      ...[name, '--pid-file', pidFile],
    ],
    logFd === undefined
      ? { stdio: ['ignore', 'pipe', 'pipe'] }
      : { stdio: ['ignore', logFd, logFd], detached: true },
  );
  if (logFd !== undefined) {
    closeSync(logFd);
    child.unref();
  }
  let kept = '';
  const keep = (chunk: Buffer) => {
    kept = (kept + chunk.toString()).slice(-logTailChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`${error.message}\n`)));
  if (child.pid === undefined) throw new Error(`Cannot start ${name} in network namespace "${netns}".`);
  const pid = child.pid;
  // A detached daemon is not waited for here; its exit is for whoever runs `lab down`.
  const reaped =
    logFd === undefined
      ? new Promise<void>((resolve) => child.once('exit', () => resolve()))
      : Promise.resolve();
  return {
    name,
    pid,
    reaped,
    tail() {
      const text = output.detached ? readTail(output.logFile) : kept;
      const exit = isAlive(pid) ? '' : ' (exited)';
      return `--- ${name} output, pid ${pid}${exit} ---\n${text.trimEnd()}`;
    },
  };
}

function readTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-logTailChars);
  } catch {
    return '';
  }
}

async function waitFor(daemon: Daemon, ready: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + startDeadlineMs;
  while (!(await ready())) {
    if (!isAlive(daemon.pid)) {
      throw new Error(`${daemon.name} exited while waiting for ${what}.`);
    }
    if (Date.now() > deadline) {
      throw new Error(`${daemon.name} did not start: waited ${startDeadlineMs / 1000} s for ${what}.`);
    }
    await sleep(100);
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function virshAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('virsh', ['-c', uri, 'version'], { timeout: 10_000 }, (error) => resolve(!error));
  });
}

/**
 * SIGTERM, then SIGKILL after a grace period; then whatever is left in the daemons' mount namespaces. That
 * namespace was made by `unshare` for them alone, and QEMU shares libvirtd's (`namespaces = [ ]`), so this finds
 * exactly the guests of this libvirtd, not QEMU processes that other tests run themselves.
 */
async function stopDaemons(daemons: readonly DaemonPid[]): Promise<void> {
  const namespaces = new Set(
    daemons.map((daemon) => mountNamespaceOf(daemon.pid)).filter((ns) => ns !== undefined),
  );
  // libvirtd first: it still talks to virtlogd while shutting down.
  for (const daemon of [...daemons].reverse()) await terminate(daemon.pid);
  for (let round = 0; round < 50; round++) {
    const left = processesIn(namespaces);
    if (left.length === 0) return;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await sleep(100);
  }
  throw new Error(`Processes ${processesIn(namespaces).join(', ')} of the private libvirtd survive SIGKILL.`);
}

/** SIGTERM, then SIGKILL after the grace period; by pid, so that it works on daemons another process started. */
async function terminate(pid: number): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // gone already
  }
  const deadline = Date.now() + stopGraceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  while (isAlive(pid)) await sleep(50);
}

function mountNamespaceOf(pid: number | string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

function processesIn(namespaces: ReadonlySet<string>): number[] {
  if (namespaces.size === 0) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      const ns = mountNamespaceOf(pid);
      return ns !== undefined && namespaces.has(ns);
    })
    .map(Number);
}

/** A libvirtd or virtlogd that this harness did not start owns the global sockets: refuse rather than kill it. */
function refuseForeignDaemons(): void {
  const found: { name: string; pid: number }[] = [];
  for (const name of ['libvirtd', 'virtlogd']) {
    const pids = new Set(pgrep(name));
    const fromFile = pidFromFile(`/run/${name}.pid`);
    if (fromFile !== undefined && processName(fromFile) === name) pids.add(fromFile);
    for (const pid of [...pids].filter(isAlive)) found.push({ name, pid });
  }
  if (found.length === 0) return;
  const described = found.map(({ name, pid }) => `${name} (pid ${pid}: "${commandLine(pid)}")`);
  const [verb, pronoun] = found.length === 1 ? ['is', 'it'] : ['are', 'them'];
  throw new Error(
    `Cannot start a test libvirtd: ${described.join(' and ')} ${verb} already running, and libvirt's sockets and ` +
      'state (/run/libvirt, /var/lib/libvirt) are global, so only one libvirtd can run at a time. ' +
      `Stop ${pronoun} first: "systemctl stop libvirtd virtlogd" where systemd runs it, else ` +
      `"kill ${found.map(({ pid }) => pid).join(' ')}" (a leftover of an interrupted test run has a ` +
      'bootwright-libvirtd- directory in its command line).',
  );
}

function pgrep(name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // exit status 1: no such process
  }
}

function pidFromFile(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Running, not a zombie: a killed daemon lingers as one until its parent (often init) reaps it. The state letter
 * follows the command name, in parentheses, in /proc/PID/stat.
 */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '?';
  }
}

let lockHeld = false;

/** One harness at a time on the machine: the lock names the node process holding it, and a dead holder's is stale. */
async function acquireLock(): Promise<void> {
  const deadline = Date.now() + lockDeadlineMs;
  for (;;) {
    if (!lockHeld) {
      try {
        writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
        lockHeld = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (!lockHolders().some(isAlive)) {
        rmSync(lockFile, { force: true });
        continue;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Cannot start a private libvirtd: another test or a bootwright lab (pid ${pidFromFile(lockFile)}, lock ` +
          `${lockFile}) has run one for over ${lockDeadlineMs / 60_000} minutes; "bootwright lab down" stops a lab's.`,
      );
    }
    await sleep(250);
  }
}

/** The pids in the lock: a test's node process, or a lab's libvirtd and virtlogd. */
function lockHolders(): number[] {
  try {
    return readFileSync(lockFile, 'utf8')
      .split('\n')
      .map(Number)
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}

function releaseLock(): void {
  if (!lockHeld) return;
  lockHeld = false;
  try {
    if (pidFromFile(lockFile) === process.pid) unlinkSync(lockFile);
  } catch {
    // removed already
  }
}

function guestLogs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.log'))
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8').slice(-logTailChars);
      return `--- QEMU log ${file} ---\n${text.trimEnd()}`;
    });
}
