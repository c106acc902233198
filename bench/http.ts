// Kernel and initrd downloads over HTTP (`/cobbler/images/DISTRO/FILE`, where koan and iPXE fetch them): a 40 MiB
// file and a 2 KiB file, served by bootwright from a file on disk (`distro add --kernel=/path`) and from inside an
// ISO image (what import gives: the ISO is read in place), beside nginx serving the same bytes from disk with
// sendfile, loaded by wrk with 64 connections. Runs interleave (nginx, bootwright, nginx, ...) and each figure is
// the median of --runs.
// Unless --no-pin, wrk runs on CPU 0 and the server under test on CPU 1 (taskset), and nginx has one worker: one
// core each, so the figures compare servers rather than how the scheduler shared two cores between client and server.
// Run: node --import tsx bench/http.ts [--quick] [--runs=5] [--seconds=5] [--size-mib=40] [--no-pin]

import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  'Per request the profile shows node:http itself (parse, headers, socket write) at about 20 µs of CPU, the ' +
  'http.image event stored at about 6 µs (with the lookup of the system by the client address), the lookup and ' +
  'headers at about 8 µs; nginx spends about 8 µs in all, so node:http alone caps a Node process near 0.3x on one ' +
  'core. Made: downloads are answered on node:http before Hono (no web Request/Response, routing, middleware or ' +
  'web stream), small files are served from memory keyed by inode, size and mtime (an open ISO: by image and path), ' +
  "the distro's files and the served-path rules are kept while the store's inventory version (moved by triggers on " +
  'every change, read once per event-loop turn) stands, a served real path is kept a second (the rules still apply ' +
  'to it on every request), and the headers object is built key by key (a spread made it a slow dictionary). ' +
  'Named: serving downloads from more cores (SO_REUSEPORT workers) or a native HTTP server.';

const options = benchOptions();
const seconds = options.number('seconds', 5, 1);
const sizeMib = options.number('size-mib', 40);
const warmupSeconds = options.quick ? 0 : 1;
const clientCpu = '0';
const serverCpu = '1';
const nginxPort = 18080;
const bootwrightPort = 18081;
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

  const nginxBase = `http://127.0.0.1:${nginxPort}/cobbler/images`;
  const bootwrightBase = `http://127.0.0.1:${bootwrightPort}/cobbler/images`;
  await waitForHttp(`${nginxBase}/initrd.img`, nginxOutput.text);
  await waitForHttp(`${bootwrightBase}/on-disk/initrd.img`, serverOutput.text);

  const cases = [
    { source: 'on-disk', file: 'vmlinuz', bytes: big, what: 'from a file on disk' },
    { source: 'in-iso', file: 'vmlinuz', bytes: big, what: 'from inside an ISO image' },
    { source: 'on-disk', file: 'initrd.img', bytes: small, what: 'from a file on disk' },
    { source: 'in-iso', file: 'initrd.img', bytes: small, what: 'from inside an ISO image' },
  ];
  for (const { source, file, bytes } of cases) {
    const expected = createHash('sha256').update(bytes).digest('hex');
    for (const url of [`${nginxBase}/${file}`, `${bootwrightBase}/${source}/${file}`]) {
      if ((await sha256Of(url)) !== expected) throw new Error(`${url} does not serve the file's bytes`);
    }
  }
  log(
    `both serve the same bytes; ${pinning ? 'wrk on CPU 0, the server under test on CPU 1' : 'not pinned'}`,
  );

  const measured = cases.map(() => ({ peer: [] as number[], ours: [] as number[] }));
  const measure = (index: number, duration: number) => {
    const { source, file, bytes } = cases[index] as (typeof cases)[number];
    const value = (result: { requests: number; megabytes: number }) =>
      bytes === big ? result.megabytes : result.requests;
    const peer = value(wrk(`${nginxBase}/${file}`, duration));
    const ours = value(wrk(`${bootwrightBase}/${source}/${file}`, duration));
    return { peer, ours };
  };
  if (warmupSeconds > 0) {
    log('warming up (the JIT, the page cache)');
    for (let index = 0; index < cases.length; index++) measure(index, warmupSeconds);
  }
  for (let run = 1; run <= options.runs; run++) {
    for (let index = 0; index < cases.length; index++) {
      const { peer, ours } = measure(index, seconds);
      measured[index]?.peer.push(peer);
      measured[index]?.ours.push(ours);
      const { source, file } = cases[index] as (typeof cases)[number];
      log(`run ${run}, ${source}/${file}: nginx ${peer.toFixed(0)}, bootwright ${ours.toFixed(0)}`);
    }
  }

  const cores = pinning ? ', wrk and each server pinned to one core of their own' : '';
  const rows: ResultRow[] = cases.map(({ bytes, what }, index) => {
    const isBig = bytes === big;
    return {
      figure: isBig
        ? `HTTP download of a ${sizeMib} MiB kernel ${what}, wrk 64 connections${cores}`
        : `HTTP download of a 2 KiB file ${what}, wrk 64 connections${cores}`,
      unit: isBig ? 'MB/s' : 'requests/s',
      bootwright: measured[index]?.ours ?? [],
      peer: measured[index]?.peer ?? [],
      peerName: 'nginx (1 worker, sendfile, from disk)',
      goal: isBig ? 0.8 : 0.5,
    };
  });
  for (const row of rows) {
    if ((ratio(row) ?? 0) < (row.goal ?? 0)) row.note = row.unit === 'MB/s' ? bigFileNote : smallFileNote;
  }
  recordResults('http', rows, options, { seconds, sizeMib, pinned: pinning });
} finally {
  await cleanup.run();
}
