// TFTP throughput: one 40 MB file at blksize 1468 to 1 client and to N clients at once, without and with
// windowsize 16 (RFC 7440), from bootwright's TFTP server beside tftpd-hpa and dnsmasq's TFTP, in the same run.
// Every server and client runs on the loopback of one network namespace created here: dnsmasq 2.90 has no
// --tftp-port, so it gets port 69 there; the others listen on high ports. One server runs at a time. The client is
// atftp (the one of Debian's clients that asks for windowsize); which options each server granted is read from
// atftp's trace of a small probe file, since a server that does not know windowsize sends one block at a time.
// Needs root, iproute2, tftpd-hpa, dnsmasq-base and atftp.
// Run: node --import tsx bench/tftp.ts [--clients=10] [--repeat=3] [--no-pin]

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cleanup, collect, exitOf, log, requireBinaries, stop, waitFor } from './lab.js';
import { type ResultRow, recordResults } from './results.js';

const IN_TFTPD = '/usr/sbin/in.tftpd';
const DNSMASQ = '/usr/sbin/dnsmasq';
const ATFTP = '/usr/bin/atftp';
const FILE_BYTES = 40_000_000;
const BLKSIZE = 1468;
const WINDOW = 16;
const HIGH_PORT = 16969;
const argv = process.argv.join(' ');
const manyClients = Number(/--clients=(\d+)/.exec(argv)?.[1] ?? 10);
// Each case runs this many times and the median counts: a windowed transfer takes well under a second.
const repeat = Math.max(1, Number(/--repeat=(\d+)/.exec(argv)?.[1] ?? 3));

if (process.getuid?.() !== 0) {
  process.stderr.write('bench/tftp.ts needs root, to create a network namespace\n');
  process.exit(2);
}
requireBinaries([
  { path: IN_TFTPD, debianPackage: 'tftpd-hpa' },
  { path: DNSMASQ, debianPackage: 'dnsmasq-base' },
  { path: ATFTP, debianPackage: 'atftp' },
]);

const cleanup = new Cleanup();
cleanup.onSignals();
const namespace = `bw-btftp-${randomBytes(3).toString('hex')}`;
const children: ChildProcess[] = [];

/**
 * Servers run on CPU 0 and clients on CPU 1 (taskset), unless --no-pin: on loopback a lock-step transfer is bound
 * by wake-up latency, and where the scheduler happens to place the two ends made single-client figures swing
 * five-fold between runs. A server that forks per client (tftpd-hpa) is held to one core like the others.
 */
const pin = !argv.includes('--no-pin') && cpus().length >= 2;

function inNamespace(command: string, args: string[], cpu?: number): ChildProcess {
  const pinned = pin && cpu !== undefined ? ['taskset', '-c', String(cpu), command] : [command];
  const child = spawn('ip', ['netns', 'exec', namespace, ...pinned, ...args], {
    cwd: join(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

interface Server {
  name: string;
  port: number;
  stop(): Promise<void>;
}

interface Case {
  clients: number;
  windowsize: number | undefined;
}

interface Measured extends Case {
  seconds: number;
  megabytesPerSecond: number;
}

async function startBootwright(root: string): Promise<Server> {
  const fixture = join(import.meta.dirname, '..', 'src', 'tftp', 'serve-directory.fixture.ts');
  const child = inNamespace(
    process.execPath,
    ['--import', 'tsx', fixture, '127.0.0.1', root, '1000', '5'],
    0,
  );
  const output = collect(child);
  await waitFor(() => /\{"port":\d+\}/.test(output.text()) || child.exitCode !== null, 'bootwright TFTP');
  const port = Number(/\{"port":(\d+)\}/.exec(output.text())?.[1]);
  if (!port) throw new Error(`bootwright TFTP did not start:\n${output.text()}`);
  return { name: 'bootwright', port, stop: () => stop(child) };
}

async function startTftpdHpa(root: string): Promise<Server> {
  // -L: standalone in the foreground; -s: chroot to the root; runs as the user nobody (the files are world-readable).
  const child = inNamespace(IN_TFTPD, ['-L', '-s', root, '-a', `127.0.0.1:${HIGH_PORT}`], 0);
  const output = collect(child);
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (child.exitCode !== null) throw new Error(`in.tftpd exited ${child.exitCode}: ${output.text()}`);
  return { name: 'tftpd-hpa', port: HIGH_PORT, stop: () => stop(child) };
}

async function startDnsmasq(root: string, runDir: string): Promise<Server> {
  const child = inNamespace(
    DNSMASQ,
    [
      '--no-daemon',
      '--conf-file=/dev/null',
      '--port=0',
      '--enable-tftp',
      `--tftp-root=${root}`,
      `--tftp-max=${Math.max(50, manyClients + 5)}`,
      '--quiet-tftp',
      '--log-facility=-',
      '--user=root',
      '--group=root',
      `--pid-file=${join(runDir, 'dnsmasq.pid')}`,
    ],
    0,
  );
  const output = collect(child);
  await waitFor(() => output.text().includes('TFTP root is') || child.exitCode !== null, 'dnsmasq TFTP');
  if (child.exitCode !== null) throw new Error(`dnsmasq did not start:\n${output.text()}`);
  return { name: 'dnsmasq', port: 69, stop: () => stop(child) };
}

function atftpArgs(
  port: number,
  remote: string,
  local: string,
  windowsize: number | undefined,
  trace = false,
) {
  return [
    '--get',
    '-r',
    remote,
    '-l',
    local,
    '--option',
    `blksize ${BLKSIZE}`,
    ...(windowsize ? ['--option', `windowsize ${windowsize}`] : []),
    ...(trace ? ['--trace'] : []),
    '127.0.0.1',
    String(port),
  ];
}

/** The options the server put in its OACK when asked for blksize and windowsize, read from atftp's trace. */
async function probe(server: Server, outDir: string): Promise<string> {
  let oack = '';
  for (let attempt = 0; attempt < 20 && oack === ''; attempt++) {
    const child = inNamespace(
      ATFTP,
      atftpArgs(server.port, 'small.bin', join(outDir, 'probe'), WINDOW, true),
    );
    const output = collect(child);
    await exitOf(child);
    oack = /received OACK <([^>]*)>/.exec(output.text())?.[1]?.replace(/,\s*$/, '') ?? '';
    if (oack === '') await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (oack === '') throw new Error(`${server.name} sent no OACK to a request with options`);
  return oack;
}

async function measure(server: Server, testCase: Case, outDir: string): Promise<Measured> {
  const locals = Array.from({ length: testCase.clients }, (_, i) => join(outDir, `client-${i}`));
  const start = performance.now();
  const runs = locals.map(async (local) => {
    const child = inNamespace(ATFTP, atftpArgs(server.port, 'big.img', local, testCase.windowsize), 1);
    const output = collect(child);
    const code = await exitOf(child);
    if (code !== 0) throw new Error(`atftp from ${server.name} exited ${code}: ${output.text()}`);
  });
  await Promise.all(runs);
  const seconds = (performance.now() - start) / 1000;
  for (const local of locals) {
    const size = statSync(local).size;
    if (size !== FILE_BYTES) throw new Error(`${server.name}: ${local} has ${size} bytes, not ${FILE_BYTES}`);
    rmSync(local);
  }
  const megabytesPerSecond = (testCase.clients * FILE_BYTES) / 1e6 / seconds;
  return { ...testCase, seconds, megabytesPerSecond };
}

function label(testCase: Case): string {
  const who = testCase.clients === 1 ? '1 client' : `${testCase.clients} clients at once`;
  return `${who}, ${testCase.windowsize ? `windowsize ${testCase.windowsize} asked` : 'no windowsize'}`;
}

const root = mkdtempSync(join(tmpdir(), 'bootwright-bench-tftp-'));
// Client copies go to tmpfs, so the clients' writes do not weigh on the servers' reads.
const outDir = mkdtempSync(join('/dev/shm', 'bootwright-bench-tftp-'));
cleanup.add(() => rmSync(root, { recursive: true, force: true }));
cleanup.add(() => rmSync(outDir, { recursive: true, force: true }));
cleanup.add(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    await stop(child, 2000);
  }
});
cleanup.add(() => execFileSync('ip', ['netns', 'delete', namespace], { stdio: 'pipe' }));

try {
  // tftpd-hpa runs as nobody inside its chroot: the root and its files must be world-readable.
  chmodSync(root, 0o755);
  writeFileSync(join(root, 'big.img'), randomBytes(FILE_BYTES), { mode: 0o644 });
  writeFileSync(join(root, 'small.bin'), randomBytes(5000), { mode: 0o644 });
  mkdirSync(outDir, { recursive: true });
  execFileSync('ip', ['netns', 'add', namespace], { stdio: 'pipe' });
  execFileSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
  // in.tftpd resolves its -a address with AI_ADDRCONFIG, which fails where only loopback has an address.
  execFileSync('ip', ['-n', namespace, 'addr', 'add', '192.0.2.1/32', 'dev', 'lo'], { stdio: 'pipe' });

  const cases: Case[] = [
    { clients: 1, windowsize: undefined },
    { clients: 1, windowsize: WINDOW },
    { clients: manyClients, windowsize: undefined },
    { clients: manyClients, windowsize: WINDOW },
  ];
  const starters: [string, () => Promise<Server>][] = [
    ['bootwright', () => startBootwright(root)],
    ['tftpd-hpa', () => startTftpdHpa(root)],
    ['dnsmasq', () => startDnsmasq(root, outDir)],
  ];
  log(
    `one ${FILE_BYTES / 1e6} MB file, blksize ${BLKSIZE}, atftp clients, loopback of namespace ${namespace}`,
  );
  const results: Record<string, { granted: string; measured: Measured[] }> = {};
  for (const [name, start] of starters) {
    const server = await start();
    try {
      const granted = await probe(server, outDir);
      log(
        `${name} on port ${server.port}: asked blksize ${BLKSIZE} and windowsize ${WINDOW}, OACK <${granted}>`,
      );
      const measured: Measured[] = [];
      for (const testCase of cases) {
        const runs: Measured[] = [];
        for (let i = 0; i < repeat; i++) runs.push(await measure(server, testCase, outDir));
        runs.sort((a, b) => a.megabytesPerSecond - b.megabytesPerSecond);
        const result = runs[Math.floor(runs.length / 2)] as Measured;
        measured.push(result);
        const all = runs.map((run) => run.megabytesPerSecond.toFixed(1)).join(', ');
        log(
          `  ${name}, ${label(testCase)}: ${result.megabytesPerSecond.toFixed(1)} MB/s median of ${repeat} (${all})`,
        );
      }
      results[name] = { granted, measured };
    } finally {
      await server.stop();
    }
  }

  const ours = results.bootwright as { granted: string; measured: Measured[] };
  const rows: ResultRow[] = [];
  for (const peer of ['tftpd-hpa', 'dnsmasq']) {
    const theirs = results[peer] as { granted: string; measured: Measured[] };
    const windowGranted = /windowsize/.test(theirs.granted);
    cases.forEach((testCase, i) => {
      const peerName =
        testCase.windowsize && !windowGranted ? `${peer} (windowsize not granted: 1 block at a time)` : peer;
      rows.push({
        figure: `TFTP MB/s, 40 MB file, blksize ${BLKSIZE}, ${label(testCase)}, loopback`,
        bootwright: ours.measured[i]?.megabytesPerSecond ?? 0,
        peer: theirs.measured[i]?.megabytesPerSecond ?? 0,
        peerName,
      });
    });
  }
  for (const row of rows)
    log(
      `${row.figure}: bootwright ${row.bootwright.toFixed(1)}, ${row.peerName} ${row.peer.toFixed(1)}, ratio ${(row.bootwright / row.peer).toFixed(2)}x`,
    );
  recordResults('tftp', rows, {
    cpus: cpus().length,
    clients: manyClients,
    repeat,
    pinned: pin,
    fileBytes: FILE_BYTES,
    blksize: BLKSIZE,
    oack: Object.fromEntries(Object.entries(results).map(([name, result]) => [name, result.granted])),
    measured: Object.fromEntries(Object.entries(results).map(([name, result]) => [name, result.measured])),
  });
} finally {
  await cleanup.run();
}
