// Installs at once: 1, 4 and 8 PXE guests powered on together in a lab of their own (`bootwright lab`, src/lab/),
// timed from power-on to each step the server sees (DHCP lease, boot files over TFTP, kickstart over HTTP), beside
// the CPU time the `bootwright serve` process spent meanwhile. The guests are QEMU under TCG on a machine with few
// cores, so they are slow and get slower together: the question is whether the server adds to that. Its CPU
// seconds (utime + stime from /proc/PID/stat) against the wall time tell it; the time a TFTP transfer stays open
// does not, since a guest's ACKs pace it. There is no peer: dnsmasq and nginx would serve the same bytes, and the
// figure is about where the time goes, not about who is faster.
// Each guest is the lab's busybox installer; it is powered off as soon as its kickstart is fetched, where the figure
// ends, so that guests still booting do not share the cores with installs that are past the measured part.
// Needs root, iproute2, qemu-system-x86 and ipxe-qemu; the installer guest's Debian packages cached as for the
// tests (/var/cache/bootwright-test, or BOOTWRIGHT_TEST_CACHE).
// Run: node --import tsx bench/installs.ts [--quick] [--runs=3] [--guests=1,4,8]

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBackend } from '../src/cli/backend.js';
import { main } from '../src/cli/main.js';
import { testCacheDir } from '../src/lab/guest-kernel.js';
import {
  isOurs,
  type LabOptions,
  labDown,
  labPaths,
  labProfile,
  labUp,
  readLabState,
  stopPid,
} from '../src/lab/lab.js';
import { labBoot } from '../src/lab/lab-boot.js';
import { describeEvent } from '../src/status/install-status.js';
import type { StoredEvent } from '../src/store/store.js';
import { Cleanup, log, requireBinaries } from './lab.js';
import { benchOptions, median, type ResultRow, recordResults } from './results.js';

const options = benchOptions(process.argv.slice(2), 3);
const guestCounts = options.list('guests', [1, 4, 8], [1]);
/**
 * 8 TCG guests on 2 cores take minutes: 4 guests run at most twice and 8 guests once, and each run's figure is the
 * median over its guests (each guest is a sample of the same boot under the same load).
 */
const runsFor = (guests: number) =>
  guests >= 8 ? 1 : guests >= 4 ? Math.min(options.runs, 2) : options.runs;
/**
 * TCG guests share the cores, so each one's boot stretches with their number, and more on a machine busy with other
 * work: 4 guests once took 5 minutes to their kickstarts beside other benchmarks on 2 cores.
 */
const bootTimeoutMs = (guests: number) => 120_000 + guests * 120_000;
const clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

if (process.getuid?.() !== 0) {
  process.stderr.write('bench/installs.ts needs root, to create a network namespace and tap devices\n');
  process.exit(2);
}
requireBinaries([
  { path: '/usr/bin/qemu-system-x86_64', debianPackage: 'qemu-system-x86' },
  { path: '/usr/lib/ipxe/qemu/efi-virtio.rom', debianPackage: 'ipxe-qemu' },
  { path: '/usr/sbin/ip', debianPackage: 'iproute2' },
]);

const cleanup = new Cleanup();
cleanup.onSignals();
const labDir = mkdtempSync(join(tmpdir(), 'bootwright-bench-installs-'));
const lab: LabOptions = {
  name: `bw-binst-${randomBytes(3).toString('hex')}`,
  labDir,
  // No directory of the user's own templates: the lab renders the seed's default kickstart.
  userDataDir: join(labDir, 'no-user-data'),
  // The tests' cache of the guest's Debian packages, unpacked once: a new lab's own cache unpacks them again (~10 s).
  cacheDir: testCacheDir(),
  runCli: main,
};
const paths = labPaths(labDir);

/** A writer that keeps what it is given, for printing only when something fails. */
function transcript() {
  let text = '';
  return { write: (chunk: string) => (text += chunk), text: () => text };
}

/** utime + stime of a process in seconds, or undefined once it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15 (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

interface CpuSample {
  time: number;
  server: number;
  /** QEMU's CPU seconds by system name, while it runs. */
  guests: Map<string, number>;
}

/** Samples the server's and the guests' CPU time every `intervalMs` until stopped. */
function sampleCpu(serverPid: number, intervalMs = 200) {
  const samples: CpuSample[] = [];
  const take = () => {
    const guests = new Map<string, number>();
    for (const [system, guest] of Object.entries(readLabState(paths, lab.name).guests)) {
      const seconds = guest.pid === undefined ? undefined : cpuSeconds(guest.pid);
      if (seconds !== undefined) guests.set(system, seconds);
    }
    samples.push({ time: Date.now(), server: cpuSeconds(serverPid) ?? Number.NaN, guests });
  };
  take();
  // Unreferenced: a run that fails before stop() must not be kept from ending by it.
  const timer = setInterval(take, intervalMs).unref();
  return {
    samples,
    stop: () => {
      clearInterval(timer);
      take();
    },
  };
}

/** The first sample taken at or after `time` (the last one when none is). */
function sampleAt(samples: CpuSample[], time: number): CpuSample {
  return samples.find((sample) => sample.time >= time) ?? (samples.at(-1) as CpuSample);
}

interface GuestTimes {
  system: string;
  poweredOn: number;
  /** Seconds from power-on. */
  lease: number;
  bootLoader: number;
  bootFiles: number;
  kickstart: number;
  /** Seconds each TFTP transfer stayed open (request to last ACK), by path: paced by the guest. */
  tftpOpen: Record<string, number>;
  /** Every step the server saw, seconds from power-on: the timeline `bootwright status --system` shows. */
  timeline: string[];
  /** QEMU's CPU seconds from power-on to the kickstart fetch (the last sample before it exited, at worst). */
  guestCpu: number;
  /**
   * QEMU's CPU seconds over the wall seconds from the boot loader to the initrd sent, in %: well under 100 while
   * both it and the server are idle most of the time means the lock-step transfer waits on round trips.
   */
  guestCpuShareDuringTftp: number;
}

function guestTimes(
  system: string,
  poweredOn: number,
  events: StoredEvent[],
  samples: CpuSample[],
): GuestTimes {
  const firstOf = (type: string) => events.find((event) => event.type === type);
  const lease = firstOf('dhcp.ack');
  const kickstart = firstOf('http.autoinstall');
  if (!lease || !kickstart) {
    throw new Error(
      `Guest ${system} has no ${lease ? 'kickstart fetch' : 'DHCP lease'} among its events: ${events.map((event) => event.type).join(', ')}`,
    );
  }
  const tftpBefore = events.filter((event) => event.type.startsWith('tftp.') && event.time <= kickstart.time);
  const sent = tftpBefore.filter((event) => event.type === 'tftp.sent');
  const firstSent = sent[0];
  const lastSent = sent.at(-1);
  if (!firstSent || !lastSent)
    throw new Error(`Guest ${system} fetched its kickstart without any TFTP transfer before it`);
  const tftpOpen: Record<string, number> = {};
  for (const done of sent) {
    const path = String(done.detail.path);
    const requested = tftpBefore.find(
      (event) => event.type === 'tftp.requested' && event.detail.path === path && event.time <= done.time,
    );
    if (requested) tftpOpen[path] = (done.time - requested.time) / 1000;
  }
  /** QEMU's CPU seconds at the last sample taken at or before `time`. */
  const guestCpuAt = (time: number) =>
    samples
      .filter((sample) => sample.time <= time && sample.guests.has(system))
      .at(-1)
      ?.guests.get(system) ?? 0;
  const tftpWall = (lastSent.time - firstSent.time) / 1000;
  return {
    system,
    poweredOn,
    lease: (lease.time - poweredOn) / 1000,
    bootLoader: (firstSent.time - poweredOn) / 1000,
    bootFiles: (lastSent.time - poweredOn) / 1000,
    kickstart: (kickstart.time - poweredOn) / 1000,
    tftpOpen,
    timeline: events
      .filter((event) => event.time <= kickstart.time)
      .map((event) => `+${((event.time - poweredOn) / 1000).toFixed(2)} s ${describeEvent(event)}`),
    guestCpu: guestCpuAt(kickstart.time),
    guestCpuShareDuringTftp:
      tftpWall > 0 ? (100 * (guestCpuAt(lastSent.time) - guestCpuAt(firstSent.time))) / tftpWall : 0,
  };
}

/**
 * Follows the lab's kickstart fetches (read from its store, as `bootwright watch` does) and stops each guest's QEMU,
 * by its recorded pid, once its kickstart is fetched.
 */
async function powerOffOnKickstart(systems: Set<string>) {
  const { events, close } = await openBackend({ dataDir: paths.dataDir });
  const latest = await events.query({ newestFirst: true, limit: 1 });
  let afterId = latest[0]?.id ?? 0;
  const stopped = new Set<string>();
  const stopping: Promise<void>[] = [];
  let running = true;
  const follow = (async () => {
    while (running) {
      for (const event of await events.query({ type: 'http.autoinstall', afterId, limit: 1000 })) {
        afterId = event.id;
        if (!event.system || !systems.has(event.system) || stopped.has(event.system)) continue;
        const pid = readLabState(paths, lab.name).guests[event.system]?.pid;
        stopped.add(event.system);
        if (isOurs(pid, 'qemu-system')) stopping.push(stopPid(pid));
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  // Kept until stop(), which rethrows it: a rejection nobody awaits yet would end the process.
  let failure: unknown;
  follow.catch((error: unknown) => {
    failure = error;
  });
  return {
    stopped,
    stop: async () => {
      running = false;
      await follow.catch(() => undefined);
      await Promise.all(stopping);
      await close();
      if (failure) throw failure;
    },
  };
}

interface RunResult {
  guests: GuestTimes[];
  /** From the first power-on to the last kickstart fetch. */
  wallSeconds: number;
  serverCpuSeconds: number;
  guestsCpuSeconds: number;
}

let macCounter = 0;

async function runOnce(count: number, run: number, serverPid: number): Promise<RunResult> {
  const systems: { name: string; mac: string }[] = [];
  for (let index = 0; index < count; index++) {
    macCounter++;
    // A new system each run: an install turns netboot off, so the same system would boot from its disk next time.
    const name = `bench-n${count}-r${run}-g${index}`;
    const mac = `52:54:00:b1:${(macCounter >> 8).toString(16).padStart(2, '0')}:${(macCounter & 0xff).toString(16).padStart(2, '0')}`;
    const output = transcript();
    const code = await main(
      [
        '--data-dir',
        paths.dataDir,
        'system',
        'add',
        `--name=${name}`,
        `--profile=${labProfile}`,
        `--mac=${mac}`,
      ],
      { stdout: output, stderr: output },
    );
    if (code !== 0) throw new Error(`Cannot add system ${name}: ${output.text().trim()}`);
    systems.push({ name, mac });
  }

  const sampler = sampleCpu(serverPid);
  const powerOff = await powerOffOnKickstart(new Set(systems.map((system) => system.name)));
  const started = Date.now();
  const poweredOn = new Map<string, number>();
  const boots = systems.map(async ({ name }) => {
    const output = transcript();
    const io = {
      stdout: {
        write: (text: string) => {
          // lab boot writes this line right after QEMU is spawned: the machine's power-on.
          if (text.startsWith('Powered on ') && !poweredOn.has(name)) poweredOn.set(name, Date.now());
          return output.write(text);
        },
      },
      stderr: output,
    };
    const code = await labBoot(
      { ...lab, system: name, mode: 'pxe', timeoutMs: bootTimeoutMs(count), firstBoot: false },
      io,
    );
    // Stopped by us, QEMU may exit with 0 (SIGTERM) or be reported as failed (SIGKILL): either is the end we chose.
    if (code !== 0 && !powerOff.stopped.has(name)) {
      throw new Error(
        `Guest ${name} did not reach its kickstart (lab boot exited ${code}):\n${output.text()}`,
      );
    }
  });
  const outcomes = await Promise.allSettled(boots);
  await powerOff.stop();
  sampler.stop();
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;

  const { events, close } = await openBackend({ dataDir: paths.dataDir });
  let guests: GuestTimes[];
  try {
    guests = await Promise.all(
      systems.map(async ({ name }) =>
        guestTimes(
          name,
          poweredOn.get(name) ?? started,
          (await events.query({ system: name, limit: 1000 })).filter(
            (event) => event.time >= (poweredOn.get(name) ?? started),
          ),
          sampler.samples,
        ),
      ),
    );
  } finally {
    await close();
  }
  const firstPowerOn = Math.min(...guests.map((guest) => guest.poweredOn));
  const lastKickstart = Math.max(...guests.map((guest) => guest.poweredOn + guest.kickstart * 1000));
  const before = sampleAt(sampler.samples, firstPowerOn - 1000);
  const after = sampleAt(sampler.samples, lastKickstart);
  const wallSeconds = (after.time - before.time) / 1000;
  return {
    guests,
    wallSeconds,
    serverCpuSeconds: after.server - before.server,
    guestsCpuSeconds: guests.reduce((sum, guest) => sum + guest.guestCpu, 0),
  };
}

function describeRun(count: number, run: number, result: RunResult): string {
  const seconds = (value: number) => value.toFixed(1);
  const lines = result.guests.map(
    (guest) =>
      `    ${guest.system}: lease +${seconds(guest.lease)} s, boot loader +${seconds(guest.bootLoader)} s, kernel and initrd +${seconds(guest.bootFiles)} s, ` +
      `kickstart +${seconds(guest.kickstart)} s; QEMU CPU ${seconds(guest.guestCpu)} s, ` +
      `${guest.guestCpuShareDuringTftp.toFixed(0)}% of a core while fetching kernel and initrd`,
  );
  const share = (100 * result.serverCpuSeconds) / result.wallSeconds;
  return [
    `  ${count} guest(s), run ${run}: server CPU ${result.serverCpuSeconds.toFixed(2)} s over ${seconds(result.wallSeconds)} s wall (${share.toFixed(1)}% of one core); guests' QEMU CPU ${seconds(result.guestsCpuSeconds)} s`,
    ...lines,
  ].join('\n');
}

async function benchmark(): Promise<void> {
  const began = Date.now();
  const upOutput = transcript();
  try {
    await labUp(lab, { stdout: upOutput, stderr: upOutput });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${upOutput.text()}`);
  }
  const serverPid = readLabState(paths, lab.name).server;
  if (serverPid === undefined)
    throw new Error(`Lab ${lab.name} is up without a server pid:\n${upOutput.text()}`);
  log(
    `lab ${lab.name} up in ${((Date.now() - began) / 1000).toFixed(1)} s (server pid ${serverPid}, ${labDir})`,
  );

  const rows: ResultRow[] = [];
  const perCount: Record<string, RunResult[]> = {};
  for (const count of guestCounts) {
    const results: RunResult[] = [];
    for (let run = 1; run <= runsFor(count); run++) {
      const result = await runOnce(count, run, serverPid);
      log(describeRun(count, run, result));
      results.push(result);
    }
    perCount[count] = results;
    const overGuests = (pick: (guest: GuestTimes) => number) =>
      results.map((result) => median(result.guests.map(pick)));
    /** Notes that say the same for every number of guests go with the first only. */
    const firstCount = (fields: { note: string }) => (count === guestCounts[0] ? fields : {});
    const atOnce = `${count} guest${count === 1 ? '' : 's'} at once`;
    const each = count === 1 ? '' : ' (median over guests)';
    const gapAfterLease = median(
      results.flatMap((result) => result.guests.map((g) => g.bootLoader - g.lease)),
    );
    const guestShareDuringTftp = median(
      results.flatMap((result) => result.guests.map((guest) => guest.guestCpuShareDuringTftp)),
    );
    const serverCpu = median(results.map((result) => result.serverCpuSeconds));
    const guestsCpu = median(results.map((result) => result.guestsCpuSeconds));
    const machineShare = median(
      results.map(
        (result) =>
          (100 * (result.serverCpuSeconds + result.guestsCpuSeconds)) / result.wallSeconds / cpus().length,
      ),
    );
    rows.push(
      {
        figure: `PXE power-on to DHCP lease, ${atOnce}${each}`,
        unit: 's',
        bootwright: overGuests((guest) => guest.lease),
        lowerIsBetter: true,
      },
      {
        figure: `PXE power-on to boot loader fetched (TFTP), ${atOnce}${each}`,
        unit: 's',
        bootwright: overGuests((guest) => guest.bootLoader),
        lowerIsBetter: true,
        ...firstCount({
          note:
            `${gapAfterLease.toFixed(1)} s (median) pass between the server's DHCP ack and the guest's first TFTP ` +
            'request with nothing asked of the server: tcpdump on the lab bridge shows iPXE (Debian ipxe-qemu ' +
            '1.0.0+git-20190125) sending IPv6 router solicitations at growing intervals all that time, its IPv6 ' +
            'configurator waiting for a router advertisement the lab network (no IPv6 router) never sends; its ' +
            'console stays at "Configuring (net0 ...)". The 42 KB boot loader then takes under a second over TFTP.',
        }),
      },
      {
        figure: `PXE power-on to kernel and initrd fetched (TFTP), ${atOnce}${each}`,
        unit: 's',
        bootwright: overGuests((guest) => guest.bootFiles),
        lowerIsBetter: true,
        note:
          `While pxelinux fetched the kernel and initrd, each guest's QEMU used ${guestShareDuringTftp.toFixed(0)}% ` +
          'of a core (median) and the server little CPU (last row): pxelinux asks for no windowsize (RFC 7440), so ' +
          'each block waits for the previous ACK, and the phase lasts as long as those round trips through the TCG ' +
          "guest's NIC and the host's scheduler take.",
      },
      {
        figure: `PXE power-on to kickstart fetched, ${atOnce}${each}`,
        unit: 's',
        bootwright: overGuests((guest) => guest.kickstart),
        lowerIsBetter: true,
        ...firstCount({
          note:
            'No peer: the figure shows where the time goes, not who serves faster (dnsmasq and nginx would send the ' +
            'same bytes to the same slow guests). The guests are QEMU under TCG sharing the cores; ' +
            `${guestCounts.map((n) => `${n} guest${n === 1 ? '' : 's'}: ${runsFor(n)} run${runsFor(n) === 1 ? '' : 's'}`).join(', ')}; each run's figure is the median over its guests.`,
        }),
      },
      {
        figure: `server CPU seconds / wall seconds, power-on to last kickstart, ${atOnce}`,
        unit: '%',
        bootwright: results.map((result) => (100 * result.serverCpuSeconds) / result.wallSeconds),
        lowerIsBetter: true,
        note:
          `Of one core; utime + stime of the serve process from /proc. The server used ${serverCpu.toFixed(2)} CPU s ` +
          `while the guests' QEMU processes used ${guestsCpu.toFixed(1)} CPU s (the server's part: ` +
          `${((100 * serverCpu) / (serverCpu + guestsCpu)).toFixed(1)}%). Together they kept ` +
          `${machineShare.toFixed(0)}% of the machine's ${cpus().length} cores busy over the wall time: ` +
          'the rest was idle waiting on round trips, or went to other work on the machine.',
      },
    );
  }
  recordResults('installs', rows, options, {
    guestCounts,
    runsPerCount: Object.fromEntries(guestCounts.map((count) => [count, runsFor(count)])),
    clockTicksPerSecond,
    perCount,
  });
}

cleanup.add(() => rmSync(labDir, { recursive: true, force: true }));
cleanup.add(async () => {
  const output = transcript();
  await labDown({ ...lab, purge: true }, { stdout: output, stderr: output });
});
try {
  await benchmark();
} catch (error) {
  process.stderr.write(`bench/installs.ts failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup.run();
}
