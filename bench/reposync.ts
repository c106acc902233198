// Mirror throughput (issue 19): `bootwright reposync` beside `wget --mirror -np -nH`, both mirroring the same dnf
// repository from the same origin on this machine. The origin is real: RPMs built by rpmbuild (by default 200 small
// packages and 4 large ones, their payload random and stored uncompressed so the sizes are what the row says),
// indexed by createrepo_c, served by nginx (one worker, sendfile, autoindex for wget to crawl) on loopback, so that
// the origin is not what is measured. Each run mirrors everything into a fresh directory: wget into an empty one,
// bootwright (the CLI from source, as a user starts it; its process start counts) into a data directory that holds
// only the repo object. Both figures of a run come from its wall time over the same repository files (packages and
// the metadata repomd.xml names; wget's directory listings are not counted): MB/s (10^6 bytes) and files/s. Two more
// rows count only the sync as reposync reports it, since from source the CLI takes seconds to start Node, tsx and the
// store, which would hide the sync engine's own speed; a last row times bootwright alone re-syncing with nothing new
// at the origin. Runs interleave (wget, bootwright, re-sync, ...), dirty pages are flushed before each, and each
// figure is the median of --runs. No goal: the issue names none.
// Unless --no-pin, the mirroring client (wget, or bootwright's process with its thread pool) runs on CPU 0 and nginx
// on CPU 1 (taskset): one core each, so the figures compare the clients rather than how the scheduler shared two
// cores between client and origin.
// Run: node --import tsx bench/reposync.ts [--quick] [--runs=5] [--small=200] [--large=4] [--large-mib=25] [--no-pin]
// --quick: 20 small packages and one of 2 MiB, one run (the CI smoke mode, a few seconds).

import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { ReposyncOutcome } from '../src/mirror/reposync.js';
import { makeRpmRepo, run } from '../test/support/rpm-repo.js';
import { Cleanup, collect, log, pinnedTo, pinning, requireBinaries, stop, waitForHttp } from './lab.js';
import { benchOptions, median, type ResultRow, recordResults } from './results.js';

const options = benchOptions();
const smallCount = Math.max(1, Math.round(options.number('small', 200, 20)));
const largeCount = Math.max(0, Math.round(options.number('large', 4, 1)));
const largeMib = options.number('large-mib', 25, 2);
/** The random payload of a small package: with rpm's header and file list it makes a file of about 10 KB. */
const smallPayloadBytes = 4096;
const clientCpu = '0';
const serverCpu = '1';
const repoName = 'bench';
const root = join(import.meta.dirname, '..');
const execFileAsync = promisify(execFile);

requireBinaries([
  { path: '/usr/sbin/nginx', debianPackage: 'nginx-light' },
  { path: '/usr/bin/wget', debianPackage: 'wget' },
  { path: '/usr/bin/rpmbuild', debianPackage: 'rpm' },
  { path: '/usr/bin/createrepo_c', debianPackage: 'createrepo-c' },
  { path: '/usr/bin/taskset', debianPackage: 'util-linux' },
]);

const cleanup = new Cleanup();
cleanup.onSignals();

/** A port free on loopback now, for nginx, which cannot be given port 0 and asked which one it took. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * One spec whose subpackages are the repository's packages: a single rpmbuild run makes them all in seconds, where
 * one run per package (as the tests do for two or three) would take minutes for two hundred.
 */
function specText(packages: { name: string; bytes: number }[]): string {
  return [
    'Name: bootwright-bench',
    'Version: 1.0',
    'Release: 1',
    'Summary: Packages for bench/reposync.ts',
    'License: MIT',
    'BuildArch: noarch',
    // The payload is random, so compressing it would only cost time; no brp scripts either (nothing to strip).
    '%define _binary_payload w0.ufdio',
    '%define __os_install_post %{nil}',
    '%description',
    "Packages for bootwright's mirror benchmark.",
    ...packages.flatMap(({ name }) => [
      `%package -n ${name}`,
      `Summary: ${name}`,
      `%description -n ${name}`,
      `${name}, a package for bootwright's mirror benchmark.`,
    ]),
    '%install',
    ...packages.flatMap(({ name, bytes }) => [
      `mkdir -p %{buildroot}/usr/share/${name}`,
      `head -c ${bytes} /dev/urandom > %{buildroot}/usr/share/${name}/data`,
    ]),
    ...packages.flatMap(({ name }) => [`%files -n ${name}`, `/usr/share/${name}/data`]),
    '',
  ].join('\n');
}

/** Every regular file under `dir` (symlinks followed), by its path relative to `dir`, with its size. */
function treeFiles(dir: string, under = dir, files = new Map<string, number>()): Map<string, number> {
  for (const name of readdirSync(under)) {
    const path = join(under, name);
    const stats = statSync(path);
    if (stats.isDirectory()) treeFiles(dir, path, files);
    else if (stats.isFile()) files.set(relative(dir, path), stats.size);
  }
  return files;
}

/** Throws unless `mirrored` holds every file of the origin at its size; returns how many files it has besides. */
function checkMirror(origin: Map<string, number>, mirrored: string, who: string): number {
  const copy = treeFiles(mirrored);
  const wrong = [...origin].filter(([path, size]) => copy.get(path) !== size).map(([path]) => path);
  if (wrong.length > 0)
    throw new Error(
      `${who} did not mirror ${wrong.length} of the origin's ${origin.size} files as they are, e.g. ${wrong.slice(0, 3).join(', ')}`,
    );
  return copy.size - origin.size;
}

function megabytes(bytes: number): string {
  return bytes >= 1e6
    ? `${(bytes / 1e6).toFixed(bytes >= 1e7 ? 0 : 1)} MB`
    : `${(bytes / 1e3).toFixed(0)} KB`;
}

/** Runs `command` on the client's core and times it to its exit; a failure throws with its output. */
async function timed(command: string[]): Promise<{ seconds: number; stdout: string }> {
  const [file, ...args] = pinnedTo(clientCpu, command);
  const started = performance.now();
  const { stdout } = await execFileAsync(file as string, args, { cwd: root, maxBuffer: 64 * 2 ** 20 });
  return { seconds: (performance.now() - started) / 1000, stdout };
}

/** Writes dirty pages out, so that one run's writes are not flushed during the next run's clock. */
function flush(): void {
  execFileSync('sync');
}

const work = mkdtempSync(join(tmpdir(), 'bootwright-reposync-'));
// nginx's worker runs as www-data and must be able to read the origin.
chmodSync(work, 0o755);
cleanup.add(() => rmSync(work, { recursive: true, force: true }));
try {
  const packages = [
    ...Array.from({ length: smallCount }, (_, index) => ({
      name: `bench-small-${String(index).padStart(4, '0')}`,
      bytes: smallPayloadBytes,
    })),
    ...Array.from({ length: largeCount }, (_, index) => ({
      name: `bench-large-${index}`,
      bytes: Math.round(largeMib * 2 ** 20),
    })),
  ];
  log(
    `building ${smallCount} small and ${largeCount} ${largeMib} MiB packages with rpmbuild, then createrepo_c`,
  );
  const build = join(work, 'build');
  mkdirSync(build);
  const specFile = join(build, 'bench.spec');
  writeFileSync(specFile, specText(packages));
  await run('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${join(build, 'rpmbuild')}`, specFile]);
  const rpmsDir = join(build, 'rpmbuild', 'RPMS', 'noarch');
  const rpms = readdirSync(rpmsDir).map((file) => join(rpmsDir, file));
  const originRoot = join(work, 'origin');
  await makeRpmRepo(originRoot, rpms);
  rmSync(build, { recursive: true, force: true });
  const origin = treeFiles(originRoot);
  const originBytes = [...origin.values()].reduce((sum, size) => sum + size, 0);
  const sizeOf = (prefix: string) =>
    median([...origin].filter(([path]) => path.startsWith(`Packages/${prefix}`)).map(([, size]) => size));
  const described =
    `a dnf repository of ${smallCount} packages of ${megabytes(sizeOf('bench-small-'))}` +
    `${largeCount > 0 ? ` and ${largeCount} of ${megabytes(sizeOf('bench-large-'))}` : ''}` +
    ` (${origin.size} files, ${megabytes(originBytes)} with the metadata)`;
  log(`origin: ${described}`);

  const port = await freePort();
  const nginxConf = join(work, 'nginx.conf');
  writeFileSync(
    nginxConf,
    `worker_processes 1; pid ${work}/nginx.pid; error_log ${work}/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  server { listen 127.0.0.1:${port}; root ${originRoot}; autoindex on; } }
`,
  );
  const [nginxCommand, ...nginxArgs] = pinnedTo(serverCpu, ['nginx', '-c', nginxConf, '-g', 'daemon off;']);
  const nginx = spawn(nginxCommand as string, nginxArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const nginxOutput = collect(nginx);
  cleanup.add(() => stop(nginx));
  const originUrl = `http://127.0.0.1:${port}/`;
  await waitForHttp(`${originUrl}repodata/repomd.xml`, nginxOutput.text);

  const cli = (dataDir: string, ...argv: string[]) => [
    process.execPath,
    '--import',
    'tsx',
    'src/cli/run.ts',
    `--data-dir=${dataDir}`,
    ...argv,
  ];
  // A data directory holding only the repo object, copied afresh for each run, so that every run downloads it all
  // and none pays for `repo add`.
  const template = join(work, 'template');
  await execFileAsync(
    process.execPath,
    cli(template, 'repo', 'add', `--name=${repoName}`, `--mirror=${originUrl}`).slice(1),
    {
      cwd: root,
    },
  );

  const wget = async (index: string) => {
    const dir = join(work, `wget-${index}`);
    mkdirSync(dir);
    flush();
    const { seconds } = await timed([
      'wget',
      '--mirror',
      '--no-parent',
      '--no-host-directories',
      '--quiet',
      '--execute=robots=off',
      `--directory-prefix=${dir}`,
      originUrl,
    ]);
    const listings = checkMirror(origin, dir, 'wget --mirror');
    rmSync(dir, { recursive: true, force: true });
    return { seconds, listings };
  };
  const reposync = async (dataDir: string) => {
    flush();
    const { seconds, stdout } = await timed(cli(dataDir, '--format=json', 'reposync', `--name=${repoName}`));
    const result = (JSON.parse(stdout) as ReposyncOutcome).synced[0];
    if (!result) throw new Error(`reposync synced nothing: ${stdout}`);
    return { seconds, result };
  };
  const bootwright = async (index: string) => {
    const dataDir = join(work, `bootwright-${index}`);
    cpSync(template, dataDir, { recursive: true });
    const first = await reposync(dataDir);
    if (first.result.downloaded < originBytes)
      throw new Error(`the first reposync downloaded ${first.result.downloaded} bytes of ${originBytes}`);
    checkMirror(origin, join(dataDir, 'repo_mirror', 'repos', repoName, 'current'), 'bootwright reposync');
    const again = await reposync(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    return { first, again };
  };

  if (!options.quick) {
    log("warming up (the page cache, tsx's compile cache)");
    await wget('warm-up');
    await bootwright('warm-up');
  }
  log(pinning ? 'the mirroring client on CPU 0, nginx on CPU 1' : 'not pinned');
  const wgetSeconds: number[] = [];
  const bootwrightSeconds: number[] = [];
  const engineSeconds: number[] = [];
  const resyncSeconds: number[] = [];
  for (let run = 1; run <= options.runs; run++) {
    const peer = await wget(String(run));
    const ours = await bootwright(String(run));
    wgetSeconds.push(peer.seconds);
    bootwrightSeconds.push(ours.first.seconds);
    engineSeconds.push(ours.first.result.seconds);
    resyncSeconds.push(ours.again.seconds);
    log(
      `run ${run}: wget ${peer.seconds.toFixed(2)} s (and ${peer.listings} directory listings), bootwright ` +
        `${ours.first.seconds.toFixed(2)} s (its sync ${ours.first.result.seconds.toFixed(2)} s of it), unchanged ` +
        `re-sync ${ours.again.seconds.toFixed(2)} s (its sync ${ours.again.result.seconds.toFixed(2)} s, ${ours.again.result.downloaded} bytes downloaded)`,
    );
  }

  const cores = pinning ? ', the mirroring client and nginx pinned to one core each' : '';
  const peerName = 'wget --mirror -np -nH (one connection)';
  const perSecond = (amount: number, seconds: number[]) => seconds.map((value) => amount / value);
  const rows: ResultRow[] = [
    {
      figure: `Mirror throughput, ${described} from nginx on loopback into an empty directory, wall time of the command${cores}`,
      unit: 'MB/s',
      bootwright: perSecond(originBytes / 1e6, bootwrightSeconds),
      peer: perSecond(originBytes / 1e6, wgetSeconds),
      peerName,
    },
    {
      figure: `Mirror files/s, ${described} from nginx on loopback into an empty directory, wall time of the command${cores}`,
      unit: 'files/s',
      bootwright: perSecond(origin.size, bootwrightSeconds),
      peer: perSecond(origin.size, wgetSeconds),
      peerName,
    },
    // Run from source, the CLI spends seconds starting Node, tsx and the store before it syncs anything; these two
    // show the sync engine itself against wget (whose own start takes milliseconds).
    {
      figure: `Mirror throughput of that repository, counting only the sync as \`bootwright reposync\` reports it (the CLI's start left out)${cores}`,
      unit: 'MB/s',
      bootwright: perSecond(originBytes / 1e6, engineSeconds),
      peer: perSecond(originBytes / 1e6, wgetSeconds),
      peerName,
    },
    {
      figure: `Mirror files/s of that repository, counting only the sync as \`bootwright reposync\` reports it (the CLI's start left out)${cores}`,
      unit: 'files/s',
      bootwright: perSecond(origin.size, engineSeconds),
      peer: perSecond(origin.size, wgetSeconds),
      peerName,
    },
    {
      figure: `Unchanged re-sync of that repository (nothing new at the origin), wall time of \`bootwright reposync\`${cores}`,
      unit: 's',
      bootwright: resyncSeconds,
      lowerIsBetter: true,
    },
  ];
  log(
    `bootwright's own sync took ${median(engineSeconds).toFixed(2)} s of its ${median(bootwrightSeconds).toFixed(2)} s (the rest is starting Node, tsx and the store)`,
  );
  recordResults('reposync', rows, options, {
    smallPackages: smallCount,
    largePackages: largeCount,
    largeMib,
    files: origin.size,
    bytes: originBytes,
    bootwrightSyncSeconds: engineSeconds,
    pinned: pinning,
  });
} finally {
  await cleanup.run();
}
