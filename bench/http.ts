// Kernel and initrd downloads over HTTP (`/cobbler/images/DISTRO/FILE`, where koan and iPXE fetch them): a 40 MiB
// file and a 2 KiB file, served by bootwright from a file on disk (`distro add --kernel=/path`) and from inside an
// ISO image (what import gives: the ISO is read in place), beside nginx serving the same bytes from disk with
// sendfile, loaded by wrk with 64 connections. Runs interleave (nginx, bootwright, nginx, ...) and each figure is
// the median of --runs.
// Unless --no-pin, wrk runs on CPU 0 and the server under test on CPU 1 (taskset), and nginx has one worker: one
// core each, so the figures compare servers rather than how the scheduler shared two cores between client and server.
// A third server answers the 2 KiB file in the same runs, on the same core and under the same load: a bare node:http
// program (http-ceiling.fixture.ts) that does only that, the ceiling of one Node process, published as its own row.
// Run: node --import tsx bench/http.ts [--quick] [--runs=5] [--seconds=5] [--size-mib=40] [--no-pin] [--small-only]

import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultServedRoots } from '../src/config/served-paths.js';
import {
  Cleanup,
  collect,
  log,
  pinnedTo,
  pinning,
  requireBinaries,
  serveCommand,
  stop,
  waitForHttp,
} from './lab.js';
import { benchOptions, type ResultRow, ratio, recordResults } from './results.js';

// What the CPU profiles (node --cpu-prof on the server, wrk on the other core) showed, printed where a goal is missed.
const bigFileNote =
  'Node has no sendfile: every MiB is read into a buffer through the thread pool and written to the socket, two ' +
  'copies where nginx hands page-cache pages to the socket. Made: downloads skip Hono and web streams (they went ' +
  'through Readable.toWeb in 64 KiB chunks, 0.47x), and go out through two reused 1 MiB buffers (GC was as big as ' +
  'the socket writes). Named: a sendfile(2)/splice path in a native addon, or nginx in front for the image paths.';
const smallFileNote =
  'The ceiling row, a bare node:http program serving the same file from memory with a stat(2) per request on the ' +
  "same core in the same runs, is what one Node process gives here. Serve's profile under wrk, in shares of its busy " +
  'time: node:http itself (parsing, headers, the writev of each answer, the work the ceiling does too) about 45%; ' +
  "the download's timeline event about 17% (its row in SQLite, with the events table's two indexes and " +
  "AUTOINCREMENT, 9%; the batch's commit 4%; building and publishing it 3%); finding the file and applying the " +
  "served-path rules about 15% (the distro's files, the rules and the real path, a stat for the file's identity, " +
  'about ten promise hops); reading the inventory version once per event-loop turn 3%; garbage collection 7%. ' +
  'Made: downloads are answered on node:http before Hono; small files are served from memory keyed by inode, size ' +
  "and mtime (an open ISO: by image and path), with their whole-file headers; the distro's files and the " +
  "served-path rules are kept while the store's inventory version stands, a served real path a second (the rules " +
  'still apply on every request); a batch of events looks each machine up once (a lookup per event was 10%) and ' +
  'commits without waiting for the disk (the fsync stopped the event loop 10 ms or more per batch, 15%); a request ' +
  'waiting for its turn and the hand-over to the app make no closure or promise (garbage collection was 12%). ' +
  'Left: the event row itself (a multi-row INSERT measured 20-40% cheaper per row), the promise hops of the ' +
  'lookups, and serving from more cores, which a bench giving the server one core cannot show.';

const options = benchOptions();
const seconds = options.number('seconds', 5, 1);
const sizeMib = options.number('size-mib', 40);
const warmupSeconds = options.quick ? 0 : 1;
const clientCpu = '0';
const serverCpu = '1';
const nginxPort = 18080;
const bootwrightPort = 18081;
const ceilingPort = 18082;
const smallOnly = process.argv.includes('--small-only');
const root = join(import.meta.dirname, '..');

requireBinaries([
  { path: '/usr/sbin/nginx', debianPackage: 'nginx-light' },
  { path: '/usr/bin/wrk', debianPackage: 'wrk' },
  { path: '/usr/bin/xorriso', debianPackage: 'xorriso' },
  { path: '/usr/bin/taskset', debianPackage: 'util-linux' },
]);

const cleanup = new Cleanup();
cleanup.onSignals();

async function sha256Of(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return createHash('sha256')
    .update(Buffer.from(await response.arrayBuffer()))
    .digest('hex');
}

/** wrk's Requests/sec and Transfer/sec (in MB/s, 10^6 bytes). */
function wrk(url: string, duration: number): { requests: number; megabytes: number } {
  const [command, ...args] = pinnedTo(clientCpu, ['wrk', '-t1', '-c64', `-d${duration}s`, url]);
  const output = execFileSync(command as string, args, { encoding: 'utf8' });
  if (/Non-2xx/.test(output)) throw new Error(`wrk on ${url} got error responses:\n${output}`);
  const requests = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0);
  const transfer = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(output);
  const scale: Record<string, number> = { B: 1e-6, KB: 1.024e-3, MB: 1.048576, GB: 1073.741824 };
  return { requests, megabytes: Number(transfer?.[1] ?? 0) * (scale[transfer?.[2] ?? 'MB'] ?? 1) };
}

/**
 * CPU seconds (user + system, all threads) a process and its children have used so far, from /proc: per request,
 * what a server costs whatever share of its core the machine's other work left it.
 */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const ticksPerSecond = 100;
  let ticks = 0;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
  for (const id of [String(pid), ...children]) {
    // The fields after the command's name, which is in brackets and may hold spaces.
    const fields = readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / ticksPerSecond;
}

const work = mkdtempSync(join(tmpdir(), 'bootwright-http-'));
// nginx's workers run as www-data and must be able to read the tree.
chmodSync(work, 0o755);
cleanup.add(() => rmSync(work, { recursive: true, force: true }));
try {
  log(`writing a ${sizeMib} MiB file and a 2 KiB file, and an ISO image of them`);
  const tree = join(work, 'tree');
  mkdirSync(tree);
  const big = Buffer.alloc(sizeMib * 2 ** 20);
  for (let offset = 0; offset < big.length; offset += 2 ** 20) randomBytes(2 ** 20).copy(big, offset);
  const small = randomBytes(2048);
  writeFileSync(join(tree, 'vmlinuz'), big);
  writeFileSync(join(tree, 'initrd.img'), small);
  const iso = join(work, 'tree.iso');
  execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-J', '-o', iso, tree], { stdio: 'pipe' });

  const nginxConf = join(work, 'nginx.conf');
  writeFileSync(
    nginxConf,
    `worker_processes 1; pid ${work}/nginx.pid; error_log ${work}/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  server { listen 127.0.0.1:${nginxPort}; root ${tree};
    location /cobbler/images/ { alias ${tree}/; } } }
`,
  );
  const [nginxCommand, ...nginxArgs] = pinnedTo(serverCpu, ['nginx', '-c', nginxConf, '-g', 'daemon off;']);
  const nginx = spawn(nginxCommand as string, nginxArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const nginxOutput = collect(nginx);
  cleanup.add(() => stop(nginx));

  const dataDir = join(work, 'data');
  const cli = (...argv: string[]) =>
    promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/run.ts', `--data-dir=${dataDir}`, ...argv],
      {
        cwd: root,
      },
    );
  // The files are in a temporary directory, which the default served_roots rightly leaves out.
  await cli('setting', 'edit', '--name=served_roots', `--value=${[...defaultServedRoots, work].join(' ')}`);
  // Side by side: each CLI start takes a second, and the store makes the second writer wait for the first.
  await Promise.all([
    cli(
      'distro',
      'add',
      '--name=on-disk',
      `--kernel=${join(tree, 'vmlinuz')}`,
      `--initrd=${join(tree, 'initrd.img')}`,
    ),
    cli(
      'distro',
      'add',
      '--name=in-iso',
      '--kernel=tree:vmlinuz',
      '--initrd=tree:initrd.img',
      `--tree-source=${iso}`,
    ),
  ]);
  const [serverCommand, ...serverArgs] = pinnedTo(
    serverCpu,
    serveCommand([`--data-dir=${dataDir}`, `--port=${bootwrightPort}`, '--tftp-port=0', '--host=127.0.0.1']),
  );
  const server = spawn(serverCommand as string, serverArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const serverOutput = collect(server);
  cleanup.add(() => stop(server));

  // The same Node, started the same way (tsx), on the same core.
  const [ceilingCommand, ...ceilingArgs] = pinnedTo(serverCpu, [
    process.execPath,
    '--import',
    'tsx',
    'bench/http-ceiling.fixture.ts',
    join(tree, 'initrd.img'),
    String(ceilingPort),
  ]);
  const ceilingServer = spawn(ceilingCommand as string, ceilingArgs, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ceilingOutput = collect(ceilingServer);
  cleanup.add(() => stop(ceilingServer));

  const nginxBase = `http://127.0.0.1:${nginxPort}/cobbler/images`;
  const ceilingUrl = `http://127.0.0.1:${ceilingPort}/initrd.img`;
  const bootwrightBase = `http://127.0.0.1:${bootwrightPort}/cobbler/images`;
  await waitForHttp(`${nginxBase}/initrd.img`, nginxOutput.text);
  await waitForHttp(`${bootwrightBase}/on-disk/initrd.img`, serverOutput.text);
  await waitForHttp(ceilingUrl, ceilingOutput.text);

  const cases = [
    { source: 'on-disk', file: 'vmlinuz', bytes: big, what: 'from a file on disk' },
    { source: 'in-iso', file: 'vmlinuz', bytes: big, what: 'from inside an ISO image' },
    { source: 'on-disk', file: 'initrd.img', bytes: small, what: 'from a file on disk' },
    { source: 'in-iso', file: 'initrd.img', bytes: small, what: 'from inside an ISO image' },
  ].filter(({ bytes }) => !smallOnly || bytes === small);
  for (const { source, file, bytes } of cases) {
    const expected = createHash('sha256').update(bytes).digest('hex');
    for (const url of [`${nginxBase}/${file}`, `${bootwrightBase}/${source}/${file}`]) {
      if ((await sha256Of(url)) !== expected) throw new Error(`${url} does not serve the file's bytes`);
    }
  }
  if ((await sha256Of(ceilingUrl)) !== createHash('sha256').update(small).digest('hex')) {
    throw new Error(`${ceilingUrl} does not serve the file's bytes`);
  }
  log(
    `both serve the same bytes; ${pinning ? 'wrk on CPU 0, the server under test on CPU 1' : 'not pinned'}`,
  );

  const measured = cases.map(() => ({ peer: [] as number[], ours: [] as number[], ceiling: [] as number[] }));
  // The ceiling is measured with the 2 KiB file on disk, right after nginx and bootwright on it.
  const withCeiling = (index: number) => cases[index]?.bytes === small && cases[index]?.source === 'on-disk';
  const measure = (index: number, duration: number) => {
    const { source, file, bytes } = cases[index] as (typeof cases)[number];
    const value = (result: { requests: number; megabytes: number }) =>
      bytes === big ? result.megabytes : result.requests;
    const timed = (url: string, pid: number | undefined) => {
      const before = cpuSecondsOf(pid);
      const result = wrk(url, duration);
      const perRequest = ((cpuSecondsOf(pid) - before) * 1e6) / (result.requests * duration);
      return { value: value(result), perRequest };
    };
    const peer = timed(`${nginxBase}/${file}`, nginx.pid);
    const ours = timed(`${bootwrightBase}/${source}/${file}`, server.pid);
    const ceiling = withCeiling(index) ? timed(ceilingUrl, ceilingServer.pid) : undefined;
    return { peer, ours, ceiling };
  };
  if (warmupSeconds > 0) {
    log('warming up (the JIT, the page cache)');
    for (let index = 0; index < cases.length; index++) measure(index, warmupSeconds);
  }
  for (let run = 1; run <= options.runs; run++) {
    for (let index = 0; index < cases.length; index++) {
      const { peer, ours, ceiling } = measure(index, seconds);
      measured[index]?.peer.push(peer.value);
      measured[index]?.ours.push(ours.value);
      if (ceiling !== undefined) measured[index]?.ceiling.push(ceiling.value);
      const { source, file, bytes } = cases[index] as (typeof cases)[number];
      const shown = ({ value, perRequest }: { value: number; perRequest: number }) =>
        bytes === big ? value.toFixed(0) : `${value.toFixed(0)} (${perRequest.toFixed(1)} µs CPU/request)`;
      const bare = ceiling === undefined ? '' : `, bare node:http ${shown(ceiling)}`;
      log(`run ${run}, ${source}/${file}: nginx ${shown(peer)}, bootwright ${shown(ours)}${bare}`);
    }
  }

  const cores = pinning ? ', wrk and each server pinned to one core of their own' : '';
  const rows: ResultRow[] = cases.flatMap(({ bytes, what }, index) => {
    const isBig = bytes === big;
    const row: ResultRow = {
      figure: isBig
        ? `HTTP download of a ${sizeMib} MiB kernel ${what}, wrk 64 connections${cores}`
        : `HTTP download of a 2 KiB file ${what}, wrk 64 connections${cores}`,
      unit: isBig ? 'MB/s' : 'requests/s',
      bootwright: measured[index]?.ours ?? [],
      peer: measured[index]?.peer ?? [],
      peerName: 'nginx (1 worker, sendfile, from disk)',
      goal: isBig ? 0.8 : 0.5,
    };
    if (!withCeiling(index)) return [row];
    // Not bootwright: its column holds the bare program's figures, the most one Node process gives on this core.
    const ceilingRow: ResultRow = {
      figure: `Ceiling, not bootwright: a bare node:http program (bench/http-ceiling.fixture.ts, same Node) serving that 2 KiB file, its bytes kept in memory and the path stat(2)ed per request, same headers, no routing, rules or events; same runs, wrk 64 connections${cores}`,
      unit: 'requests/s',
      bootwright: measured[index]?.ceiling ?? [],
      peer: measured[index]?.peer ?? [],
      peerName: 'nginx (1 worker, sendfile, from disk)',
    };
    return [row, ceilingRow];
  });
  for (const row of rows) {
    if ((ratio(row) ?? 0) < (row.goal ?? 0)) row.note = row.unit === 'MB/s' ? bigFileNote : smallFileNote;
  }
  recordResults('http', rows, options, { seconds, sizeMib, pinned: pinning });
} finally {
  await cleanup.run();
}
