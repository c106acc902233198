// DHCP DORA exchanges per second: bootwright's DHCP server (`full` mode, leases in SQLite on disk) beside dnsmasq
// (leases file on disk, then on tmpfs), same subnet, pool and reservations, same load, in the same run. Each server
// runs alone in a network namespace joined by a veth pair to a second one where Kea's perfdhcp plays a relay agent
// (giaddr 192.0.2.2, RFC 5737 documentation addresses), climbing a ladder of request rates. A server's figure is
// the completed exchanges per second of the highest rung with under 1% of exchanges lost; each run climbs every
// server's ladder, the servers taking turns, and the median of the runs is published with their spread.
// Needs root, iproute2, kea-admin (perfdhcp) and dnsmasq-base.
// Run: node --import tsx bench/dhcp.ts [--quick] [--runs=3] [--seconds=2] [--rates=1000,2000,...] [--clients=200]

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { canCreateNetns, createNetnsPair, type NetnsPair } from '../test/support/netns.js';
import { Cleanup, collect, exitOf, log, requireBinaries, stop, waitFor } from './lab.js';
import { benchOptions, median, type ResultRow, recordResults } from './results.js';

const PERFDHCP = '/usr/sbin/perfdhcp';
const DNSMASQ = '/usr/sbin/dnsmasq';
// 221 addresses, more than the clients without a reservation, so the pool never runs dry.
const POOL = { start: '192.0.2.10', end: '192.0.2.230' };
const options = benchOptions(process.argv.slice(2), 3);
const seconds = options.number('seconds', 2, 1);
// Steps of 1000/s where the servers give out (2000 to 10000); a ladder stops once its server is past its limit.
// The quick smoke run has one low rung, which a slow CI machine still passes.
const rates = options.list(
  'rates',
  [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 12000],
  [1000],
);
// Distinct clients (MAC addresses).
const clients = options.number('clients', 200);
/** The rate the latencies are compared at: the same offered load for every server, below every server's limit. */
const latencyRate = rates.includes(1000) ? 1000 : (rates[0] as number);
const WARM_UP_RATE = 500;
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
  rungs: Rung[];
  /** The highest rung with under 1% lost, if any. */
  best: Rung | undefined;
  /** The server's CPU time (all its threads) per completed exchange over the whole ladder, warm-up included. */
  cpuMsPerExchange: number;
}

if (!canCreateNetns()) {
  process.stderr.write('bench/dhcp.ts needs root, to create network namespaces\n');
  process.exit(2);
}
requireBinaries([
  { path: PERFDHCP, debianPackage: 'kea-admin' },
  { path: DNSMASQ, debianPackage: 'dnsmasq-base' },
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
  const child = pair.spawn(pair.client, PERFDHCP, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
 * User and system CPU seconds of a process so far, from /proc (`ip netns exec` execs the server, so the child's pid
 * is the server's). Less sensitive than rates to other work on a shared machine.
 */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in brackets and may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

async function climb(pair: NetnsPair, name: string, server: ChildProcess): Promise<Ladder> {
  const cpuBefore = cpuSecondsOf(server.pid);
  // Unmeasured: every client gets its first lease and the server warms up (JIT), so each rung measures the same
  // thing, a steady stream of clients that come back.
  const warmUp = await perfdhcp(pair, WARM_UP_RATE, 1);
  const rungs: Rung[] = [];
  let failedInARow = 0;
  for (const rate of rates) {
    const rung = await perfdhcp(pair, rate);
    rungs.push(rung);
    const { offer, ack } = rung.delays;
    log(
      `  ${name} -r ${rate}: ${rung.achieved.toFixed(0)} DORA/s, ${rung.acks}/${rung.discovers} completed, ${rung.dropPercent.toFixed(2)}% lost, delay avg/max DO ${offer.avg.toFixed(2)}/${offer.max.toFixed(1)} ms RA ${ack.avg.toFixed(2)}/${ack.max.toFixed(1)} ms`,
    );
    // One rung over 1% may be a moment of noise on a shared machine; two in a row, or losing half, is the limit.
    failedInARow = rung.dropPercent < 1 ? 0 : failedInARow + 1;
    if (failedInARow === 2 || rung.dropPercent > 50) break;
  }
  const best = rungs.filter((rung) => rung.dropPercent < 1).at(-1);
  const exchanges = rungs.reduce((sum, rung) => sum + rung.acks, warmUp.acks);
  const cpuMsPerExchange = ((cpuSecondsOf(server.pid) - cpuBefore) * 1000) / exchanges;
  log(`  ${name}: ${cpuMsPerExchange.toFixed(3)} ms of server CPU per completed exchange`);
  return { rungs, best, cpuMsPerExchange };
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

async function benchBootwright(run: number): Promise<Ladder> {
  return withPair('bw-bdhcp', async (pair) => {
    const leases = join(freshDir(diskDir, `bootwright-${run}`), 'leases.sqlite');
    const setup = { leasesPath: leases, pool: POOL, reservations };
    const child = pair.spawn(
      pair.server,
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'dhcp-server.fixture.ts'), JSON.stringify(setup)],
      { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collect(child);
    await waitFor(() => output.text().includes('"ready":true') || child.exitCode !== null, 'bootwright DHCP');
    if (child.exitCode !== null) throw new Error(`bootwright DHCP did not start:\n${output.text()}`);
    try {
      return await climb(pair, 'bootwright', child);
    } finally {
      await stop(child);
      const stats = /\{"stats".*\}/.exec(output.text())?.[0];
      if (stats) log(`  bootwright server counters: ${stats}`);
    }
  });
}

async function benchDnsmasq(parent: string, run: number, label: string): Promise<Ladder> {
  return withPair('bw-bdnsm', async (pair) => {
    const leaseDir = freshDir(parent, `dnsmasq-${run}`);
    const args = [
      '--no-daemon',
      '--no-ping',
      '--conf-file=/dev/null',
      '--port=0',
      `--dhcp-range=${POOL.start},${POOL.end},255.255.255.0,1h`,
      ...reservations.map(({ mac, address }) => `--dhcp-host=${mac},${address}`),
      `--dhcp-leasefile=${join(leaseDir, 'dnsmasq.leases')}`,
      '--dhcp-authoritative',
      '--quiet-dhcp',
      '--log-facility=-',
      '--user=root',
      '--group=root',
      `--pid-file=${join(leaseDir, 'dnsmasq.pid')}`,
    ];
    const child: ChildProcess = pair.spawn(pair.server, DNSMASQ, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collect(child);
    await waitFor(() => output.text().includes('DHCP, IP range') || child.exitCode !== null, 'dnsmasq');
    if (child.exitCode !== null) throw new Error(`dnsmasq did not start:\n${output.text()}`);
    try {
      return await climb(pair, label, child);
    } finally {
      await stop(child);
    }
  });
}

/** What the server's CPU profile showed (node --cpu-prof under perfdhcp), printed where a goal is missed. */
const PROFILE_NOTE =
  'Profiled with node --cpu-prof under perfdhcp. Before: every DISCOVER and every REQUEST was its own SQLite ' +
  'transaction and its fsync blocked the event loop (681 commits took 3.4 s of a 5 s run on a busy disk). ' +
  'Fixed: offers are held in memory, lease writes are group-committed by a writer thread while the event loop ' +
  'goes on (the ACK still waits for its lease on disk), leases are read from memory, addresses parsed without ' +
  'a regular expression, each reply serialized into one pooled buffer, a 4 MiB receive buffer for bursts. What ' +
  'is left is CPU per exchange (the CPU row: about 3 times dnsmasq at the same load): in the main thread, ' +
  'node:dgram send (about a fifth of its busy time, the sendmsg system call with veth delivery included), the ' +
  'messages to and from the writer thread once per batch, promise hops and garbage collection of per-packet ' +
  'Maps and Buffers; the policy itself is about 12 µs per packet. Next steps named: fewer objects per packet ' +
  '(options decoded lazily, constant options encoded once per configuration) and a shared-memory handoff to the ' +
  'writer instead of postMessage.';

const best = (ladder: Ladder) => ladder.best?.achieved ?? 0;
const lossAtBest = (ladder: Ladder) => ladder.best?.dropPercent ?? 100;
/** DISCOVER-to-OFFER plus REQUEST-to-ACK: the server's share of one exchange, at the common latency rate. */
const exchangeDelay = (ladder: Ladder, pick: (delay: Delay) => number) => {
  const rung = ladder.rungs.find((candidate) => candidate.rate === latencyRate);
  return rung ? pick(rung.delays.offer) + pick(rung.delays.ack) : Number.NaN;
};

try {
  log(
    `rate ladder ${rates.join(', ')} exchanges/s, ${seconds} s each, ${clients} clients (${reservations.length} with reservations), pool ${POOL.start}-${POOL.end}, ${options.runs} run(s)`,
  );
  const ladders = { bootwright: [] as Ladder[], dnsmasqDisk: [] as Ladder[], dnsmasqTmpfs: [] as Ladder[] };
  for (let run = 1; run <= options.runs; run += 1) {
    // The servers take turns within each run, so that a noisy moment on a shared machine hits all of them.
    log(`run ${run}/${options.runs}: dnsmasq (leases file on disk)`);
    ladders.dnsmasqDisk.push(await benchDnsmasq(diskDir, run, 'dnsmasq (disk)'));
    log(`run ${run}/${options.runs}: bootwright DHCP (full mode, SQLite leases on disk)`);
    ladders.bootwright.push(await benchBootwright(run));
    log(`run ${run}/${options.runs}: dnsmasq (leases file on tmpfs /dev/shm)`);
    ladders.dnsmasqTmpfs.push(await benchDnsmasq(shmDir, run, 'dnsmasq (tmpfs)'));
  }

  const figure = 'DHCP DORA/s via a relay, highest perfdhcp rate with <1% lost';
  const rows: ResultRow[] = [
    {
      figure: `${figure}, leases on disk`,
      unit: 'DORA/s',
      bootwright: ladders.bootwright.map(best),
      peer: ladders.dnsmasqDisk.map(best),
      peerName: 'dnsmasq --no-ping (leases on disk)',
      goal: 1,
    },
    {
      figure: `${figure}, bootwright on disk against the peer on tmpfs`,
      unit: 'DORA/s',
      bootwright: ladders.bootwright.map(best),
      peer: ladders.dnsmasqTmpfs.map(best),
      peerName: 'dnsmasq --no-ping (leases on tmpfs)',
      goal: 1,
    },
    {
      figure: `DHCP exchanges lost at that rate, leases on disk`,
      unit: '%',
      bootwright: ladders.bootwright.map(lossAtBest),
      peer: ladders.dnsmasqDisk.map(lossAtBest),
      peerName: 'dnsmasq --no-ping (leases on disk)',
      lowerIsBetter: true,
    },
    {
      figure: 'DHCP server CPU time per completed DORA exchange (all threads), leases on disk',
      unit: 'ms',
      bootwright: ladders.bootwright.map((ladder) => ladder.cpuMsPerExchange),
      peer: ladders.dnsmasqDisk.map((ladder) => ladder.cpuMsPerExchange),
      peerName: 'dnsmasq --no-ping (leases on disk)',
      lowerIsBetter: true,
    },
    {
      figure: `DHCP DISCOVER-OFFER + REQUEST-ACK average delay at ${latencyRate}/s, leases on disk`,
      unit: 'ms',
      bootwright: ladders.bootwright.map((ladder) => exchangeDelay(ladder, (delay) => delay.avg)),
      peer: ladders.dnsmasqDisk.map((ladder) => exchangeDelay(ladder, (delay) => delay.avg)),
      peerName: 'dnsmasq --no-ping (leases on disk)',
      lowerIsBetter: true,
    },
    {
      figure: `DHCP DISCOVER-OFFER + REQUEST-ACK maximum delay at ${latencyRate}/s, leases on disk`,
      unit: 'ms',
      bootwright: ladders.bootwright.map((ladder) => exchangeDelay(ladder, (delay) => delay.max)),
      peer: ladders.dnsmasqDisk.map((ladder) => exchangeDelay(ladder, (delay) => delay.max)),
      peerName: 'dnsmasq --no-ping (leases on disk)',
      lowerIsBetter: true,
    },
  ];
  for (const row of rows.slice(0, 2)) {
    const theirs = median(row.peer ?? []);
    if (theirs > 0 && median(row.bootwright) / theirs < (row.goal ?? 0)) row.note = PROFILE_NOTE;
  }
  const highest = rates.at(-1);
  const capped = Object.values(ladders)
    .flat()
    .some((ladder) => ladder.best?.rate === highest);
  if (capped)
    log(
      `note: a server was still under 1% lost at the top rung (-r ${highest}); raise --rates to find its limit`,
    );
  log(
    `medians: bootwright ${median(rows[0]?.bootwright ?? [])}, dnsmasq disk ${median(rows[0]?.peer ?? [])}, dnsmasq tmpfs ${median(rows[1]?.peer ?? [])} DORA/s`,
  );
  recordResults('dhcp', rows, options, {
    cpus: cpus().length,
    seconds,
    clients,
    reservations: reservations.length,
    rates,
    latencyRate,
    ladders: {
      bootwright: ladders.bootwright.map((ladder) => ladder.rungs),
      dnsmasqDisk: ladders.dnsmasqDisk.map((ladder) => ladder.rungs),
      dnsmasqTmpfs: ladders.dnsmasqTmpfs.map((ladder) => ladder.rungs),
    },
  });
} finally {
  await cleanup.run();
}
