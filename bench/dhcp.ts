// DHCP DORA exchanges per second, sustained: `bootwright serve` as shipped (its store on disk: host lookups in
// SQLite, leases durable there, every exchange on the event timeline) beside dnsmasq (leases file on disk, then on
// tmpfs) and Kea (Debian's kea-dhcp4-server, memfile lease database with persistence on, file on disk), same
// subnet, pool and reservations, same load, in the same run. Only bootwright and dnsmasq on disk wait for the disk:
// strace shows dnsmasq calling fsync once per lease change, while Kea 2.2 appends each lease to its CSV file with a
// plain write (no fsync), so its leases sit in the page cache as dnsmasq's do on tmpfs. bootwright's DHCP server alone
// (bench/dhcp-server.fixture.ts: hosts from memory, no event listener) is measured too, as an extra row that shows
// what the store and the timeline cost, and so is a bare node:dgram program answering with replies made once
// (bench/dhcp-ceiling.fixture.ts): the ceiling of any DHCP server in Node on one core. Each server runs alone,
// pinned to one core, in a network namespace joined by a veth pair to a second one where Kea's perfdhcp (pinned to
// the other core) plays a relay agent (giaddr 192.0.2.2, RFC 5737 documentation addresses).
// A server's figure is the completed exchanges per second of the highest rate it sustains for --seconds (20) with
// under 1% of exchanges lost (perfdhcp's default: a reply later than 1 s is lost): a ladder of rates doubling from
// 1000 climbs until one fails, then the gap between the last rate passed and the first failed is bisected until it
// is no wider than --step (250/s). Each run measures every server, the servers taking turns, and the median of the
// runs is published with their spread. Each row names every server's UDP receive buffer as the kernel reports it
// (`ss`): a large buffer absorbs bursts, not a sustained rate above what the server can do.
// A full run takes about 3 minutes per server and run (8 to 10 probes of 20 s), about 55 minutes for 3 runs.
// Needs root, iproute2, kea-admin (perfdhcp), kea-dhcp4-server and dnsmasq-base.
// Run: node --import tsx bench/dhcp.ts [--quick] [--runs=3] [--seconds=20] [--rates=1000,2000,...] [--step=250]
//      [--clients=200] [--no-pin] [--only=serve,dnsmasq-disk,kea,dnsmasq-tmpfs,fixture,ceiling]
// --quick (the CI smoke mode): 1 s per rate, rates 1000 and 4000 and one bisection step, a few seconds per server.

import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedBootFiles } from '../test/support/boot-files.js';
import { configureStore } from '../test/support/guest-run.js';
import { canCreateNetns, createNetnsPair, type NetnsPair } from '../test/support/netns.js';
import { serveTestRootsCommand } from '../test/support/served-roots.js';
import {
  Cleanup,
  collect,
  exitOf,
  log,
  pinnedTo,
  pinning,
  requireBinaries,
  serveCommand,
  stop,
  waitFor,
} from './lab.js';
import { benchOptions, median, type ResultRow, recordResults } from './results.js';

const PERFDHCP = '/usr/sbin/perfdhcp';
const DNSMASQ = '/usr/sbin/dnsmasq';
const KEA_DHCP4 = '/usr/sbin/kea-dhcp4';
const root = join(import.meta.dirname, '..');
// 221 addresses, more than the clients without a reservation, so the pool never runs dry.
const POOL = { start: '192.0.2.10', end: '192.0.2.230' };
const SUBNET = '192.0.2.0/24';
const ROUTER = '192.0.2.254';
const DOMAIN = 'example.org';
const LEASE_SECONDS = 3600;
/** The server under test gets one core and perfdhcp the other (with --no-pin or on one core, neither is pinned). */
const SERVER_CPU = '1';
const CLIENT_CPU = '0';
const options = benchOptions(process.argv.slice(2), 3);
const seconds = options.number('seconds', 20, 1);
// Doubling from 1000/s: few probes find the rate where a server fails, bisection then narrows the gap. The quick
// smoke run's second rate makes a slow CI machine bisect once, so that every path of the search runs there too.
const rates = options.list('rates', [1000, 2000, 4000, 8000, 16000, 32000], [1000, 4000]);
/** Bisection stops once the gap between the rate passed and the rate failed is no wider than this. */
const step = options.number('step', 250, 1500);
// Distinct clients (MAC addresses).
const clients = options.number('clients', 200);
const SERVERS = ['serve', 'dnsmasq-disk', 'kea', 'dnsmasq-tmpfs', 'fixture', 'ceiling'] as const;
type ServerName = (typeof SERVERS)[number];
// --only=serve,kea measures those servers alone and publishes nothing (a partial run is no row): for profiling and
// CPU per exchange at one fixed rate (--rates=3000) while working on one server.
const only = /--only=(\S+)/.exec(process.argv.slice(2).join(' '))?.[1]?.split(',');
const unknownServer = only?.find((name) => !(SERVERS as readonly string[]).includes(name));
if (unknownServer !== undefined) {
  process.stderr.write(
    `--only=${only?.join(',')} names "${unknownServer}": give some of ${SERVERS.join(',')}\n`,
  );
  process.exit(2);
}
const measured = (name: ServerName) => !only || only.includes(name);
/** The rate the latencies are compared at: the same offered load for every server, below every server's limit. */
const latencyRate = rates.includes(1000) ? 1000 : (rates[0] as number);
const WARM_UP_RATE = 500;
/** A probe loses at most this share of its exchanges to pass. */
const MAXIMUM_LOSS_PERCENT = 1;
/** USER_HZ, the unit of /proc/PID/stat times: 100 on every Linux architecture Debian ships. */
const CLOCK_TICKS_PER_SECOND = 100;
const macs = Array.from({ length: clients }, (_, index) => {
  const bytes = [0x52, 0x54, 0x00, 0xbe, index >> 8, index & 0xff];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
});
// A few of the clients are machines with reserved addresses (outside the pool), as a real site has.
const reservations = macs.slice(0, 5).map((mac, index) => ({ mac, address: `192.0.2.${240 + index}` }));

interface Rung {
  rate: number;
  achieved: number;
  discovers: number;
  acks: number;
  dropPercent: number;
  /** perfdhcp's delays, DISCOVER to OFFER and REQUEST to ACK, in milliseconds. */
  delays: { offer: Delay; ack: Delay };
}

interface Delay {
  min: number;
  avg: number;
  max: number;
}

interface Ladder {
  /** Every rate probed, in the order probed: the doubling ladder, then the bisection. */
  rungs: Rung[];
  /** The highest rate with under 1% lost, if any. */
  best: Rung | undefined;
  /** The server's CPU time (all its threads) per completed exchange over the whole ladder, warm-up included. */
  cpuMsPerExchange: number;
  /** The receive buffer of the socket the relayed requests reach (SO_RCVBUF as the kernel reports it), bytes. */
  receiveBuffer: number;
  /** Datagrams the kernel dropped on that socket because its buffer was full, over the whole ladder. */
  socketDrops: number;
}

if (!canCreateNetns()) {
  process.stderr.write('bench/dhcp.ts needs root, to create network namespaces\n');
  process.exit(2);
}
requireBinaries([
  { path: PERFDHCP, debianPackage: 'kea-admin' },
  { path: KEA_DHCP4, debianPackage: 'kea-dhcp4-server' },
  { path: DNSMASQ, debianPackage: 'dnsmasq-base' },
  ...(pinning ? [{ path: '/usr/bin/taskset', debianPackage: 'util-linux' }] : []),
]);

const cleanup = new Cleanup();
cleanup.onSignals();
const diskDir = mkdtempSync(join(tmpdir(), 'bootwright-bench-dhcp-'));
const shmDir = mkdtempSync(join('/dev/shm', 'bootwright-bench-dhcp-'));
cleanup.add(() => rmSync(diskDir, { recursive: true, force: true }));
cleanup.add(() => rmSync(shmDir, { recursive: true, force: true }));
const macList = join(diskDir, 'clients.txt');
writeFileSync(macList, `${macs.join('\n')}\n`);

function delaysOf(text: string): Delay[] {
  const numbers = (name: string) =>
    [...text.matchAll(new RegExp(`${name} delay: (\\d+(?:\\.\\d+)?) ms`, 'g'))].map((match) =>
      Number(match[1]),
    );
  const [min, avg, max] = [numbers('min'), numbers('avg'), numbers('max')];
  return min.map((value, index) => ({ min: value, avg: avg[index] ?? 0, max: max[index] ?? 0 }));
}

/** One perfdhcp run at one rate, as a relay agent from the client namespace, with the clients of the list. */
async function perfdhcp(pair: NetnsPair, rate: number, period = seconds): Promise<Rung> {
  const args = ['-4', '-l', pair.client.address, '-r', String(rate), '-M', macList];
  args.push('-p', String(period), '-W', '500000', pair.server.address);
  const [command, ...pinnedArgs] = pinnedTo(CLIENT_CPU, [PERFDHCP, ...args]);
  const child = pair.spawn(pair.client, command as string, pinnedArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collect(child);
  const code = await exitOf(child);
  const text = output.text();
  // perfdhcp exits 3 when some exchanges were not completed; that is a measurement, not a failure.
  if (code !== 0 && code !== 3) throw new Error(`perfdhcp exited ${code}:\n${text}`);
  const sent = [...text.matchAll(/sent packets: (\d+)/g)].map((match) => Number(match[1]));
  const received = [...text.matchAll(/received packets: (\d+)/g)].map((match) => Number(match[1]));
  const discovers = sent[0] ?? 0;
  const acks = received[1] ?? 0;
  if (discovers === 0) throw new Error(`perfdhcp sent nothing:\n${text}`);
  // A server is only measured at a rate really offered: a busy machine can hold perfdhcp itself back.
  if (discovers < 0.95 * rate * period)
    log(`  (perfdhcp sent ${discovers} DISCOVERs in ${period} s, under the ${rate}/s asked for)`);
  const none = { min: 0, avg: 0, max: 0 };
  const [offer = none, ack = none] = delaysOf(text);
  // Completed exchanges per second of sending (perfdhcp's own "Rate:" also counts the -W wait at the end).
  const achieved = acks / period;
  return {
    rate,
    achieved,
    discovers,
    acks,
    dropPercent: (100 * (discovers - acks)) / discovers,
    delays: { offer, ack },
  };
}

/**
 * User and system CPU seconds of a process so far, from /proc (`ip netns exec` and taskset exec the server, so the
 * child's pid is the server's). Less sensitive than rates to other work on a shared machine.
 */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in brackets and may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

interface DhcpSocket {
  /** SO_RCVBUF as the kernel keeps it: twice what setsockopt asked for (the kernel's own bookkeeping included). */
  receiveBuffer: number;
  /** Datagrams dropped because the buffer was full (sk_drops). */
  drops: number;
  /** Bytes waiting in the buffer, unread. */
  queued: number;
}

/**
 * The UDP socket on port 67 in the server's namespace that the relayed requests (unicast to the server address)
 * reach: one bound to that address if there is one, as the kernel picks the most specific, else the wildcard one.
 */
function dhcpSocket(pair: NetnsPair): DhcpSocket | undefined {
  const text = execFileSync('ip', ['netns', 'exec', pair.server.name, 'ss', '-uamnH', 'sport = :67'], {
    encoding: 'utf8',
  });
  // Each socket is its line, then (indented) its skmem:(r0,rb212992,...,d0) line.
  const sockets = [...text.matchAll(/(\S+):67\s[^\n]*\n\s*skmem:\(([^)]*)\)/g)].map((match) => {
    const fields = new Map(
      (match[2] as string)
        .split(',')
        .map((field) => [field.replace(/\d+$/, ''), Number(/\d+$/.exec(field)?.[0])]),
    );
    return {
      address: match[1],
      receiveBuffer: fields.get('rb') ?? 0,
      drops: fields.get('d') ?? 0,
      queued: fields.get('r') ?? 0,
    };
  });
  return sockets.find((socket) => socket.address === pair.server.address) ?? sockets[0];
}

/**
 * Waits until the server has caught up with the last probe: its socket's buffer empty and its CPU idle. A server
 * that fell behind still holds requests perfdhcp gave up on (a large receive buffer holds seconds of them), and
 * working through them would count against the next probe.
 */
async function settle(pair: NetnsPair, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  let cpu = cpuSecondsOf(server.pid);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = cpuSecondsOf(server.pid);
    const busy = now - cpu;
    cpu = now;
    // Under a tenth of a core: the unit is a clock tick (10 ms), so an idle server shows 0 or 1 tick here.
    if (busy < 0.05 && (dhcpSocket(pair)?.queued ?? 0) === 0) return;
  }
  log('  (the server was still busy 15 s after the last probe)');
}

/** Probes one rate after a line of log; passes when under 1% of its exchanges were lost. */
async function probe(
  pair: NetnsPair,
  name: string,
  server: ChildProcess,
  rate: number,
  rungs: Rung[],
): Promise<boolean> {
  await settle(pair, server);
  const rung = await perfdhcp(pair, rate);
  rungs.push(rung);
  const { offer, ack } = rung.delays;
  log(
    `  ${name} -r ${rate}: ${rung.achieved.toFixed(0)} DORA/s, ${rung.acks}/${rung.discovers} completed, ${rung.dropPercent.toFixed(2)}% lost, delay avg/max DO ${offer.avg.toFixed(2)}/${offer.max.toFixed(1)} ms RA ${ack.avg.toFixed(2)}/${ack.max.toFixed(1)} ms`,
  );
  return rung.dropPercent < MAXIMUM_LOSS_PERCENT;
}

/** Climbs the ladder of rates until one fails, then bisects between the last rate passed and the rate failed. */
async function climb(pair: NetnsPair, name: string, server: ChildProcess): Promise<Ladder> {
  const socketBefore = dhcpSocket(pair);
  if (!socketBefore) throw new Error(`${name} has no UDP socket on port 67`);
  const cpuBefore = cpuSecondsOf(server.pid);
  // Unmeasured: every client gets its first lease and the server warms up (JIT), so each probe measures the same
  // thing, a steady stream of clients that come back.
  const warmUp = await perfdhcp(pair, WARM_UP_RATE, 1);
  const rungs: Rung[] = [];
  // 0 stands for "no rate passed yet", so that a server failing the lowest rung is bisected below it.
  let passed = 0;
  let failed: number | undefined;
  for (const rate of rates) {
    if (await probe(pair, name, server, rate, rungs)) passed = rate;
    else {
      failed = rate;
      break;
    }
  }
  while (failed !== undefined && failed - passed > step) {
    // Rounded to tens, so that the rates in the log read as offered; still strictly inside the gap.
    const middle = Math.round((passed + failed) / 20) * 10;
    if (await probe(pair, name, server, middle, rungs)) passed = middle;
    else failed = middle;
  }
  const best = rungs.find((rung) => rung.rate === passed && rung.dropPercent < MAXIMUM_LOSS_PERCENT);
  const exchanges = rungs.reduce((sum, rung) => sum + rung.acks, warmUp.acks);
  await settle(pair, server);
  const cpuMsPerExchange = ((cpuSecondsOf(server.pid) - cpuBefore) * 1000) / exchanges;
  const socketDrops = (dhcpSocket(pair)?.drops ?? Number.NaN) - socketBefore.drops;
  log(
    `  ${name}: sustains ${best ? `${best.achieved.toFixed(0)} DORA/s (-r ${best.rate})` : 'no rate it was offered'}${failed === undefined ? ', every rate passed: raise --rates' : `, fails at -r ${failed}`}; ${cpuMsPerExchange.toFixed(3)} ms of server CPU per completed exchange; receive buffer ${bufferSize(socketBefore.receiveBuffer)}, ${socketDrops} datagrams dropped on it when full`,
  );
  return { rungs, best, cpuMsPerExchange, receiveBuffer: socketBefore.receiveBuffer, socketDrops };
}

/** A fresh pair of namespaces for one server, removed (with its processes) when `run` ends. */
async function withPair<T>(prefix: string, run: (pair: NetnsPair) => Promise<T>): Promise<T> {
  const local = new Cleanup();
  cleanup.add(() => local.run());
  const pair = await createNetnsPair(local.context as never, { prefix });
  try {
    return await run(pair);
  } finally {
    await local.run();
  }
}

/** A directory of its own for each run's leases, so that every run starts with none. */
function freshDir(parent: string, name: string): string {
  const dir = join(parent, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  return dir;
}

/** Starts a server pinned to its core in the server namespace, collecting what it prints. */
function spawnServer(pair: NetnsPair, command: string[], env: NodeJS.ProcessEnv = process.env) {
  const [program, ...args] = pinnedTo(SERVER_CPU, command);
  const child = pair.spawn(pair.server, program as string, args, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, output: collect(child) };
}

/**
 * Starts a server, waits until it listens on port 67 (`ss`, whatever the server prints), climbs its ladder and
 * stops it; `lastWords` sees what it printed, after it stopped.
 */
async function benchServer(
  name: string,
  prefix: string,
  start: (pair: NetnsPair) => Promise<{ child: ChildProcess; output: { text(): string } }>,
  lastWords?: (text: string) => void,
): Promise<Ladder> {
  return withPair(prefix, async (pair) => {
    const { child, output } = await start(pair);
    try {
      await waitFor(() => child.exitCode !== null || dhcpSocket(pair) !== undefined, name, 60_000);
      if (child.exitCode !== null) throw new Error(`${name} did not start:\n${output.text()}`);
      // bootwright binds its wildcard socket first and the one on the server address just after.
      await new Promise((resolve) => setTimeout(resolve, 500));
      return await climb(pair, name, child);
    } finally {
      await stop(child);
      lastWords?.(output.text());
    }
  });
}

/**
 * `bootwright serve` as a site runs it: full-mode DHCP from its settings, the reserved machines as systems of its
 * store, everything (store, leases, events) in SQLite in a data directory on disk. Configured through the CLI, run
 * in this process (a start per command would cost a second each).
 */
async function benchServe(run: number): Promise<Ladder> {
  const dataDir = freshDir(diskDir, `serve-${run}`);
  const bootFiles = sharedBootFiles();
  await configureStore(dataDir, [
    ['setting', 'edit', '--name=server', '--value=192.0.2.1'],
    ['setting', 'edit', '--name=next_server', '--value=192.0.2.1'],
    ['setting', 'edit', '--name=dhcp_mode', '--value=full'],
    ['setting', 'edit', '--name=dhcp_subnet', `--value=${SUBNET}`],
    ['setting', 'edit', '--name=dhcp_range_start', `--value=${POOL.start}`],
    ['setting', 'edit', '--name=dhcp_range_end', `--value=${POOL.end}`],
    ['setting', 'edit', '--name=dhcp_router', `--value=${ROUTER}`],
    ['setting', 'edit', '--name=dhcp_domain', `--value=${DOMAIN}`],
    ['setting', 'edit', '--name=dhcp_lease_time', `--value=${LEASE_SECONDS}`],
    [...serveTestRootsCommand],
    ['distro', 'add', '--name=d', `--kernel=${bootFiles.kernel}`, `--initrd=${bootFiles.initrd}`],
    ['profile', 'add', '--name=p', '--distro=d'],
    ...reservations.map(({ mac, address }, index) => [
      ...['system', 'add', `--name=reserved-${index}`, '--profile=p'],
      ...[`--mac=${mac}`, `--ip-address=${address}`],
    ]),
  ]);
  const flags = [`--data-dir=${dataDir}`, '--host=192.0.2.1', '--port=8080', '--tftp-port=0'];
  return benchServer(
    'bootwright serve',
    'bw-bserve',
    async (pair) => spawnServer(pair, serveCommand(flags)),
    (text) => {
      // Anything beyond starting and stopping (events it could not store, a failed lease write) is shown.
      const expected = /serving http on port|SIGTERM received|^bootwright: stopped$/;
      const unexpected = text.split('\n').filter((line) => line && !expected.test(line));
      for (const line of unexpected) log(`  bootwright serve said: ${line}`);
    },
  );
}

/** The ceiling: a bare node:dgram program answering with replies made once (bench/dhcp-ceiling.fixture.ts). */
async function benchCeiling(): Promise<Ladder> {
  const ceiling = join(import.meta.dirname, 'dhcp-ceiling.fixture.ts');
  const setup = JSON.stringify({ serverAddress: '192.0.2.1', pool: POOL });
  return benchServer('bare node:dgram ceiling', 'bw-bceil', async (pair) =>
    spawnServer(pair, [process.execPath, '--import', 'tsx', ceiling, setup]),
  );
}

/** bootwright's DHCP server alone: the policy, the leases on disk, but hosts from memory and no timeline. */
async function benchFixture(run: number): Promise<Ladder> {
  const leases = join(freshDir(diskDir, `fixture-${run}`), 'leases.sqlite');
  const setup = { leasesPath: leases, pool: POOL, reservations };
  const fixture = join(import.meta.dirname, 'dhcp-server.fixture.ts');
  return benchServer(
    'bootwright DHCP fixture',
    'bw-bdhcp',
    async (pair) => spawnServer(pair, [process.execPath, '--import', 'tsx', fixture, JSON.stringify(setup)]),
    (text) => {
      const stats = /\{"stats".*\}/.exec(text)?.[0];
      if (stats) log(`  bootwright DHCP fixture counters: ${stats}`);
    },
  );
}

async function benchDnsmasq(parent: string, run: number, name: string): Promise<Ladder> {
  const leaseDir = freshDir(parent, `dnsmasq-${run}`);
  const command = [
    DNSMASQ,
    '--no-daemon',
    '--no-ping',
    '--conf-file=/dev/null',
    '--port=0',
    `--dhcp-range=${POOL.start},${POOL.end},255.255.255.0,${LEASE_SECONDS}`,
    ...reservations.map(({ mac, address }) => `--dhcp-host=${mac},${address}`),
    `--dhcp-option=option:router,${ROUTER}`,
    `--domain=${DOMAIN}`,
    `--dhcp-leasefile=${join(leaseDir, 'dnsmasq.leases')}`,
    '--dhcp-authoritative',
    '--quiet-dhcp',
    '--log-facility=-',
    '--user=root',
    '--group=root',
    `--pid-file=${join(leaseDir, 'dnsmasq.pid')}`,
  ];
  return benchServer(name, 'bw-bdnsm', async (pair) => spawnServer(pair, command));
}

/**
 * Kea as Debian ships it, configured for the same subnet, pool and reservations: UDP sockets (it answers relays
 * only, so it needs no raw socket), leases in memory written through to its CSV file on disk (memfile, persist).
 */
async function benchKea(run: number): Promise<Ladder> {
  const dir = freshDir(diskDir, `kea-${run}`);
  const config = {
    Dhcp4: {
      'interfaces-config': { interfaces: ['bwveth/192.0.2.1'], 'dhcp-socket-type': 'udp' },
      'lease-database': {
        type: 'memfile',
        persist: true,
        name: join(dir, 'kea-leases4.csv'),
        // No lease file cleanup during the run: it would fork kea-lfc, a second process beside the pinned server.
        'lfc-interval': 0,
      },
      authoritative: true,
      'valid-lifetime': LEASE_SECONDS,
      subnet4: [
        {
          id: 1,
          subnet: SUBNET,
          pools: [{ pool: `${POOL.start} - ${POOL.end}` }],
          'option-data': [
            { name: 'routers', data: ROUTER },
            { name: 'domain-name', data: DOMAIN },
          ],
          reservations: reservations.map(({ mac, address }) => ({
            'hw-address': mac,
            'ip-address': address,
          })),
        },
      ],
      loggers: [{ name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: 'WARN' }],
    },
  };
  const configPath = join(dir, 'kea-dhcp4.conf');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  // Its pid and logger lock files in the run's directory, not /run/kea, where a system Kea may keep its own.
  const env = { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
  return benchServer('Kea', 'bw-bkea', async (pair) => spawnServer(pair, [KEA_DHCP4, '-c', configPath], env));
}

/** "8 MiB", "208 KiB": a receive buffer for a row's label. */
function bufferSize(bytes: number): string {
  if (bytes >= 2 ** 20 && bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

/** What the server's CPU profile showed (node --cpu-prof under perfdhcp), printed where a goal is missed. */
const PROFILE_NOTE =
  'Profiled with node --cpu-prof under perfdhcp. First: every DISCOVER and every REQUEST was its own SQLite ' +
  'transaction and its fsync blocked the event loop; fixed by holding offers in memory and group-committing lease ' +
  'writes in a writer thread (the ACK still waits for its lease on disk), leases read from memory, each reply ' +
  'serialized into one buffer. Then, profiling bootwright serve itself: a store query for the MAC of every packet ' +
  'and of every timeline event (about a fifth of the main thread) is gone, DHCP hosts and system names being kept ' +
  'while the inventory version stands; the lease writer is fed through a SharedArrayBuffer (Atomics.wait in the ' +
  'thread, Atomics.waitAsync in the event loop) instead of a postMessage each way (26 against 38 µs of CPU per ' +
  'round trip on one core, measured apart); one watchdog timer replaces two timers and a Promise.race per request; ' +
  'option values that depend on the configuration are encoded once, and request options are views of the datagram; ' +
  "the timeline's batch commit, which runs on the event loop, no longer waits there for an fsync (synchronous=NORMAL " +
  'for events only: behind a busy disk it held every answer for up to seconds). ' +
  "What is left, in the main thread's busy time from its first answer on (serve at 1200/s, load about 13 on 2 " +
  'cores): handing each batch to the lease writer about 24% (the writer shares the pinned core, so each batch is a ' +
  'switch to it for its SQLite commit and back; at 1200/s most batches hold one lease; the profile samples wall ' +
  'time, so this share includes the main thread waiting for the core it handed to the writer), writing the four timeline ' +
  'events of each exchange to SQLite about 15%, node:dgram send about 14%, reading the inventory version (once per ' +
  'turn of the event loop) and the kept lookups about 7%, the policy, codec and promise glue about 22%, garbage ' +
  'collection about 5%. The ceiling row (a bare node:dgram program answering with replies made once, on one core) ' +
  "is what Node itself costs before any of that: the timeline's inserts and the wake-ups of the lease writer are " +
  'the next things to move off the main thread or amortize.';

/** Said where the goal's peer is dnsmasq on tmpfs or Kea. */
const DURABILITY_NOTE =
  "Neither peer of this goal waits for a disk: dnsmasq's fsync on tmpfs and Kea's memfile writes (no fsync) " +
  "return at once, while serve's ACK waits for its lease's fsync.";

/** What measuring `serve` adds to the profile's findings, with this run's CPU figures. */
function serveNote(serveCpu: number, fixtureCpu: number, ceiling: { rate: number; cpu: number }): string {
  return (
    `${PROFILE_NOTE} This row measures bootwright serve itself, which on top of the DHCP server alone looks every ` +
    "DISCOVER's and REQUEST's MAC up in the store (kept per inventory version) and publishes each exchange on the " +
    'event timeline (the event bus names the system and writes the events to SQLite in batches): ' +
    `${serveCpu.toFixed(3)} ms of server CPU per exchange against ${fixtureCpu.toFixed(3)} ms for the DHCP server ` +
    `alone (the fixture row, hosts from memory, no timeline) and ${ceiling.cpu.toFixed(3)} ms for the bare ` +
    `node:dgram program, which sustained ${ceiling.rate.toFixed(0)} DORA/s, in this run.`
  );
}

const best = (ladder: Ladder) => ladder.best?.achieved ?? 0;
const lossAtBest = (ladder: Ladder) => ladder.best?.dropPercent ?? 100;
const cpuPerExchange = (ladder: Ladder) => ladder.cpuMsPerExchange;
/** DISCOVER-to-OFFER plus REQUEST-to-ACK: the server's share of one exchange, at the common latency rate. */
const exchangeDelay = (ladder: Ladder, pick: (delay: Delay) => number) => {
  const rung = ladder.rungs.find((candidate) => candidate.rate === latencyRate);
  return rung ? pick(rung.delays.offer) + pick(rung.delays.ack) : Number.NaN;
};

try {
  log(
    `rates ${rates.join(', ')} exchanges/s then bisection to ${step}/s, ${seconds} s each, ${clients} clients (${reservations.length} with reservations), pool ${POOL.start}-${POOL.end}, ${options.runs} run(s), ${pinning ? `each server on CPU ${SERVER_CPU}, perfdhcp on CPU ${CLIENT_CPU}` : 'not pinned'}`,
  );
  const ladders = {
    serve: [] as Ladder[],
    fixture: [] as Ladder[],
    dnsmasqDisk: [] as Ladder[],
    dnsmasqTmpfs: [] as Ladder[],
    kea: [] as Ladder[],
    ceiling: [] as Ladder[],
  };
  for (let run = 1; run <= options.runs; run += 1) {
    // The servers take turns within each run, so that a noisy moment on a shared machine hits all of them.
    const turn = async (name: ServerName, what: string, bench: () => Promise<Ladder>, into: Ladder[]) => {
      if (!measured(name)) return;
      log(`run ${run}/${options.runs}: ${what}`);
      into.push(await bench());
    };
    await turn(
      'serve',
      'bootwright serve (store, leases and events in SQLite on disk)',
      () => benchServe(run),
      ladders.serve,
    );
    await turn(
      'dnsmasq-disk',
      'dnsmasq (leases file on disk)',
      () => benchDnsmasq(diskDir, run, 'dnsmasq (disk)'),
      ladders.dnsmasqDisk,
    );
    await turn('kea', 'Kea (memfile, persisted to a CSV file on disk)', () => benchKea(run), ladders.kea);
    await turn(
      'dnsmasq-tmpfs',
      'dnsmasq (leases file on tmpfs /dev/shm)',
      () => benchDnsmasq(shmDir, run, 'dnsmasq (tmpfs)'),
      ladders.dnsmasqTmpfs,
    );
    await turn(
      'fixture',
      'bootwright DHCP fixture (hosts from memory, no timeline, leases on disk)',
      () => benchFixture(run),
      ladders.fixture,
    );
    await turn(
      'ceiling',
      'bare node:dgram program, replies made once (the ceiling of a Node DHCP server)',
      () => benchCeiling(),
      ladders.ceiling,
    );
  }
  if (only) {
    for (const [name, runs] of Object.entries(ladders).filter(([, runs]) => runs.length > 0))
      log(
        `${name}: ${median(runs.map(best)).toFixed(0)} DORA/s, ${median(runs.map(cpuPerExchange)).toFixed(4)} ms CPU per exchange (medians)`,
      );
    log('--only: nothing published');
    process.exitCode = 0;
  } else {
    const buffer = (runs: Ladder[]) => `${bufferSize(runs[0]?.receiveBuffer ?? 0)} receive buffer`;
    const names = {
      dnsmasqDisk: `dnsmasq --no-ping (leases on disk, ${buffer(ladders.dnsmasqDisk)})`,
      dnsmasqTmpfs: `dnsmasq --no-ping (leases on tmpfs, ${buffer(ladders.dnsmasqTmpfs)})`,
      kea: `Kea kea-dhcp4 (memfile persisted to a file on disk without fsync, ${buffer(ladders.kea)})`,
    };
    // The goal's peer is whichever of dnsmasq on tmpfs and Kea sustained more in this run (medians of the runs).
    const keaFaster = median(ladders.kea.map(best)) > median(ladders.dnsmasqTmpfs.map(best));
    const faster = keaFaster
      ? { runs: ladders.kea, name: names.kea }
      : { runs: ladders.dnsmasqTmpfs, name: names.dnsmasqTmpfs };
    const slower = keaFaster
      ? { runs: ladders.dnsmasqTmpfs, name: names.dnsmasqTmpfs }
      : { runs: ladders.kea, name: names.kea };
    const sustained = `DHCP DORA/s via a relay, sustained (highest rate with <1% lost over ${seconds} s, bisected to ${step}/s)`;
    const serve = `bootwright serve with its store and leases on disk (${buffer(ladders.serve)})`;
    const rows: ResultRow[] = [
      {
        figure: `${sustained}, ${serve}, against the faster of dnsmasq on tmpfs and Kea`,
        unit: 'DORA/s',
        bootwright: ladders.serve.map(best),
        peer: faster.runs.map(best),
        peerName: faster.name,
        goal: 1,
      },
      {
        figure: `${sustained}, ${serve}, against the slower of dnsmasq on tmpfs and Kea`,
        unit: 'DORA/s',
        bootwright: ladders.serve.map(best),
        peer: slower.runs.map(best),
        peerName: slower.name,
      },
      {
        figure: `${sustained}, ${serve}, against dnsmasq, both with leases on disk`,
        unit: 'DORA/s',
        bootwright: ladders.serve.map(best),
        peer: ladders.dnsmasqDisk.map(best),
        peerName: names.dnsmasqDisk,
        goal: 1,
      },
      {
        figure: `${sustained}, bootwright's DHCP server alone (bench/dhcp-server.fixture.ts: hosts from memory, no timeline; leases on disk, ${buffer(ladders.fixture)}), against the faster peer`,
        unit: 'DORA/s',
        bootwright: ladders.fixture.map(best),
        peer: faster.runs.map(best),
        peerName: faster.name,
      },
      {
        figure: `${sustained}, a bare node:dgram program answering with replies made once (bench/dhcp-ceiling.fixture.ts: no policy, leases or timeline; the most Node gives one core, ${buffer(ladders.ceiling)}), against the faster peer`,
        unit: 'DORA/s',
        bootwright: ladders.ceiling.map(best),
        peer: faster.runs.map(best),
        peerName: faster.name,
      },
      {
        figure: `DHCP exchanges lost at the sustained rate, ${serve}`,
        unit: '%',
        bootwright: ladders.serve.map(lossAtBest),
        peer: faster.runs.map(lossAtBest),
        peerName: faster.name,
        lowerIsBetter: true,
      },
      {
        figure: `DHCP server CPU time per completed DORA exchange (all threads), ${serve}`,
        unit: 'ms',
        bootwright: ladders.serve.map(cpuPerExchange),
        peer: ladders.dnsmasqDisk.map(cpuPerExchange),
        peerName: names.dnsmasqDisk,
        lowerIsBetter: true,
      },
      {
        figure: `DHCP server CPU time per completed DORA exchange (all threads), ${serve}`,
        unit: 'ms',
        bootwright: ladders.serve.map(cpuPerExchange),
        peer: ladders.kea.map(cpuPerExchange),
        peerName: names.kea,
        lowerIsBetter: true,
      },
      {
        figure:
          'DHCP server CPU time per completed DORA exchange, a bare node:dgram program answering with replies made once (the ceiling)',
        unit: 'ms',
        bootwright: ladders.ceiling.map(cpuPerExchange),
        peer: faster.runs.map(cpuPerExchange),
        peerName: faster.name,
        lowerIsBetter: true,
      },
      {
        figure: `DHCP DISCOVER-OFFER + REQUEST-ACK average delay at ${latencyRate}/s, ${serve}`,
        unit: 'ms',
        bootwright: ladders.serve.map((ladder) => exchangeDelay(ladder, (delay) => delay.avg)),
        peer: ladders.dnsmasqDisk.map((ladder) => exchangeDelay(ladder, (delay) => delay.avg)),
        peerName: names.dnsmasqDisk,
        lowerIsBetter: true,
      },
      {
        figure: `DHCP DISCOVER-OFFER + REQUEST-ACK maximum delay at ${latencyRate}/s, ${serve}`,
        unit: 'ms',
        bootwright: ladders.serve.map((ladder) => exchangeDelay(ladder, (delay) => delay.max)),
        peer: ladders.dnsmasqDisk.map((ladder) => exchangeDelay(ladder, (delay) => delay.max)),
        peerName: names.dnsmasqDisk,
        lowerIsBetter: true,
      },
    ];
    const note = serveNote(
      median(ladders.serve.map(cpuPerExchange)),
      median(ladders.fixture.map(cpuPerExchange)),
      { rate: median(ladders.ceiling.map(best)), cpu: median(ladders.ceiling.map(cpuPerExchange)) },
    );
    for (const row of rows.filter((candidate) => candidate.goal !== undefined)) {
      const theirs = median(row.peer ?? []);
      const onTmpfsOrUnsynced = row.peerName !== names.dnsmasqDisk;
      if (theirs > 0 && median(row.bootwright) / theirs < (row.goal ?? 0))
        row.note = onTmpfsOrUnsynced ? `${note} ${DURABILITY_NOTE}` : note;
    }
    log(
      `medians: ${Object.entries(ladders)
        .map(([name, runs]) => `${name} ${median(runs.map(best)).toFixed(0)}`)
        .join(', ')} DORA/s`,
    );
    const summary = (runs: Ladder[]) =>
      runs.map(({ rungs, receiveBuffer, socketDrops, cpuMsPerExchange }) => ({
        receiveBuffer,
        socketDrops,
        cpuMsPerExchange,
        rungs,
      }));
    recordResults('dhcp', rows, options, {
      cpus: cpus().length,
      pinned: pinning,
      seconds,
      step,
      clients,
      reservations: reservations.length,
      rates,
      latencyRate,
      ladders: Object.fromEntries(Object.entries(ladders).map(([name, runs]) => [name, summary(runs)])),
    });
  }
} finally {
  await cleanup.run();
}
