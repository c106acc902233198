// Serving a large file (and a small one) straight out of an ISO image over HTTP, beside nginx serving the same bytes
// from disk with sendfile, loaded by wrk with 64 connections in the same run.
// Run: node --import tsx bench/iso-http.ts [--seconds=10] [--size-mib=256]

import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cleanup, collect, log, requireBinaries, stop } from './lab.js';
import { type ResultRow, recordResults } from './results.js';

const argument = (name: string, fallback: number) =>
  Number(new RegExp(`--${name}=(\\d+)`).exec(process.argv.join(' '))?.[1] ?? fallback);
const seconds = argument('seconds', 10);
const sizeMib = argument('size-mib', 256);
const nginxPort = 18080;
const bootwrightPort = 18081;

requireBinaries([
  { path: '/usr/sbin/nginx', debianPackage: 'nginx-light' },
  { path: '/usr/bin/wrk', debianPackage: 'wrk' },
  { path: '/usr/bin/xorriso', debianPackage: 'xorriso' },
]);

const cleanup = new Cleanup();
cleanup.onSignals();

async function waitForHttp(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      if ((await fetch(url, { method: 'HEAD' })).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

async function sha256Of(url: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of (await fetch(url)).body as unknown as AsyncIterable<Uint8Array>)
    hash.update(chunk);
  return hash.digest('hex');
}

/** wrk's Requests/sec and Transfer/sec (in MB/s). */
function wrk(url: string): { requests: number; megabytes: number } {
  const output = execFileSync('wrk', ['-t2', '-c64', `-d${seconds}s`, url], { encoding: 'utf8' });
  const requests = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0);
  const transfer = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(output);
  const scale: Record<string, number> = { B: 1e-6, KB: 1.024e-3, MB: 1.048576, GB: 1073.741824 };
  return { requests, megabytes: Number(transfer?.[1] ?? 0) * (scale[transfer?.[2] ?? 'MB'] ?? 1) };
}

const work = mkdtempSync(join(tmpdir(), 'bootwright-iso-http-'));
// nginx's workers run as www-data and must be able to read the tree.
chmodSync(work, 0o755);
cleanup.add(() => rmSync(work, { recursive: true, force: true }));
try {
  log(`writing a ${sizeMib} MiB file and a 2 KiB file, and an ISO image of them`);
  const tree = join(work, 'tree');
  mkdirSync(tree);
  const big = Buffer.alloc(sizeMib * 2 ** 20);
  for (let offset = 0; offset < big.length; offset += 2 ** 20) randomBytes(2 ** 20).copy(big, offset);
  writeFileSync(join(tree, 'big.img'), big);
  writeFileSync(join(tree, 'small.txt'), randomBytes(2048));
  const iso = join(work, 'tree.iso');
  execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-J', '-o', iso, tree], { stdio: 'pipe' });

  log('starting nginx (from disk, sendfile) and bootwright (from the ISO)');
  const nginxConf = join(work, 'nginx.conf');
  writeFileSync(
    nginxConf,
    `worker_processes 2; pid ${work}/nginx.pid; error_log ${work}/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  server { listen 127.0.0.1:${nginxPort}; root ${tree}; } }
`,
  );
  const nginx = spawn('nginx', ['-c', nginxConf, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.add(() => stop(nginx));
  const dataDir = join(work, 'data');
  const cli = (...argv: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', `--data-dir=${dataDir}`, ...argv], {
      stdio: 'pipe',
    });
  cli(
    'distro',
    'add',
    '--name=bench',
    '--kernel=tree:big.img',
    '--initrd=tree:small.txt',
    `--tree-source=${iso}`,
  );
  const server = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/run.ts',
      'serve',
      `--data-dir=${dataDir}`,
      `--port=${bootwrightPort}`,
      '--tftp-port=0',
      '--host=127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const serverOutput = collect(server);
  cleanup.add(() => stop(server));
  const nginxBase = `http://127.0.0.1:${nginxPort}`;
  const bootwrightBase = `http://127.0.0.1:${bootwrightPort}/distros/bench`;
  await waitForHttp(`${nginxBase}/small.txt`);
  await waitForHttp(`${bootwrightBase}/small.txt`).catch((error) => {
    throw new Error(`${error}: ${serverOutput.text()}`);
  });

  const expected = createHash('sha256').update(big).digest('hex');
  for (const base of [nginxBase, bootwrightBase]) {
    if ((await sha256Of(`${base}/big.img`)) !== expected)
      throw new Error(`${base}/big.img does not serve the file's bytes`);
  }
  log('both serve the same bytes');

  const rows: ResultRow[] = [];
  for (const [file, label] of [
    ['big.img', `MB/s of a ${sizeMib} MiB file from an ISO, wrk 64 connections`],
    ['small.txt', 'requests/s of a 2 KiB file from an ISO, wrk 64 connections'],
  ] as const) {
    log(`wrk on ${file}: nginx`);
    const peer = wrk(`${nginxBase}/${file}`);
    log(`wrk on ${file}: bootwright`);
    const ours = wrk(`${bootwrightBase}/${file}`);
    const big = file === 'big.img';
    const row: ResultRow = {
      figure: label,
      bootwright: big ? ours.megabytes : ours.requests,
      peer: big ? peer.megabytes : peer.requests,
      peerName: 'nginx (same bytes from disk, sendfile)',
    };
    log(
      `${row.figure}: bootwright ${row.bootwright.toFixed(0)}, nginx ${row.peer.toFixed(0)}, ratio ${(row.bootwright / row.peer).toFixed(2)}x`,
    );
    rows.push(row);
  }
  recordResults('iso-http', rows);
} finally {
  await cleanup.run();
}
