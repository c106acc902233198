// Scale (issue 9, figure 4; issue 20): a real server grows to 1,000,000 systems through the REST API's batch
// create, and at each size the latency of a machine's boot config (iPXE by MAC over HTTP, pxelinux by MAC over
// TFTP) and of koan's XML-RPC get_system_as_rendered is measured one request at a time, with the server's memory,
// how long the load took and the store's size on disk. Everything is rendered from the store per request (there
// is no sync step), so these must stay flat as the inventory grows: the goals are a p99 at the largest size within
// 1.5x of the p99 at the smallest (the same server, the same run) and under 1 GiB of memory.
// Each run builds one inventory, growing through the sizes and measuring at each; the published figure is the
// median of the runs (3 by default: a run to 1,000,000 systems takes some minutes, and its own percentiles already
// rest on thousands of requests).
// Run: node --import tsx bench/scale.ts [--quick] [--runs=3] [--sizes=1000,10000,100000,1000000] [--samples=2000]
//      [--batch=1000] [--cpu-prof-dir=DIR (profiles the server)]

import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultServedRoots } from '../src/config/served-paths.js';
import { makeBootFiles } from '../test/support/boot-files.js';
import { Cleanup, collect, log, serveCommand, stop, waitFor } from './lab.js';
import { benchOptions, median, type ResultRow, recordResults } from './results.js';

const options = benchOptions(process.argv.slice(2), 3);
const sizes = options.list('sizes', [1000, 10_000, 100_000, 1_000_000], [100, 1000]);
const samples = options.number('samples', 2000, 200);
const batchSize = options.number('batch', 1000, 100);
const warmUpRequests = options.number('warm-up', 300, 300);
const root = join(import.meta.dirname, '..');
const cpuProfDir = /--cpu-prof-dir=(\S+)/.exec(process.argv.join(' '))?.[1];

const cleanup = new Cleanup();
cleanup.onSignals();

// One connection, reused: the figure is the server's work per request, not TCP set-up.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
cleanup.add(() => agent.destroy());

interface Reply {
  status: number;
  body: string;
}

function http(port: number, method: string, path: string, body?: string, token?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) {
      headers['content-type'] = path === '/cobbler_api' ? 'text/xml' : 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function expectOk(reply: Promise<Reply>, what: string): Promise<string> {
  const { status, body } = await reply;
  if (status < 200 || status >= 300) throw new Error(`${what}: HTTP ${status}: ${body.slice(0, 300)}`);
  return body;
}

/** A pxelinux config over TFTP (RFC 1350, no options): RRQ, then DATA blocks, each acknowledged. */
async function tftpGet(port: number, file: string): Promise<number> {
  const socket = createSocket('udp4');
  try {
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const started = performance.now();
    const name = Buffer.from(file);
    const rrq = Buffer.concat([Buffer.from([0, 1]), name, Buffer.from('\0octet\0')]);
    socket.send(rrq, port, '127.0.0.1');
    let received = 0;
    for (let block = 1; ; block++) {
      const [message, remote] = (await Promise.race([
        once(socket, 'message'),
        new Promise((_resolve, reject) =>
          setTimeout(() => reject(new Error(`TFTP ${file}: no block ${block} in 5 s`)), 5000),
        ),
      ])) as [Buffer, { port: number }];
      const opcode = message.readUInt16BE(0);
      if (opcode === 5) throw new Error(`TFTP ${file}: error ${message.subarray(4).toString('utf8')}`);
      if (opcode !== 3 || message.readUInt16BE(2) !== block)
        throw new Error(`TFTP ${file}: unexpected packet ${message.subarray(0, 4).toString('hex')}`);
      received += message.length - 4;
      const ack = Buffer.from([0, 4, block >> 8, block & 0xff]);
      // The last ACK must be on its way before the socket closes (a close cancels a send still queued): without
      // it the server holds the transfer open until it gives up, and counts it against this address's limit.
      await new Promise((sent) => socket.send(ack, remote.port, '127.0.0.1', sent));
      if (message.length - 4 < 512) break;
    }
    const elapsed = performance.now() - started;
    if (received === 0) throw new Error(`TFTP ${file}: empty file`);
    return elapsed;
  } finally {
    socket.close();
  }
}

/** A UDP port nobody holds now (TFTP has no "port 0, tell me": 0 turns it off). */
async function freeUdpPort(): Promise<number> {
  const probe = createSocket('udp4');
  probe.bind(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function rssMib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

/** System number i: its own MAC, IP address, hostname and DNS name, so every uniqueness index is exercised. */
function systemJson(index: number): Record<string, unknown> {
  const bytes = [(index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff];
  const mac = `52:54:00:${bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':')}`;
  return {
    name: `node${index}`,
    profile: 'bench',
    hostname: `node${index}`,
    interfaces: {
      eth0: {
        mac_address: mac,
        ip_address: `10.${bytes.join('.')}`,
        dns_name: `node${index}.example.org`,
      },
    },
  };
}

function macOf(index: number): string {
  return (systemJson(index).interfaces as { eth0: { mac_address: string } }).eth0.mac_address;
}

function renderedCall(name: string): string {
  return `<?xml version="1.0"?><methodCall><methodName>get_system_as_rendered</methodName><params><param><value><string>${name}</string></value></param></params></methodCall>`;
}

/** The store's files (the database, its write-ahead log and shared memory) as they take room on disk. */
function storeMib(dataDir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dataDir)) {
    if (name.startsWith('store.sqlite')) bytes += statSync(join(dataDir, name)).blocks * 512;
  }
  return bytes / 1024 / 1024;
}

interface SizeFigures {
  addsPerSecond: number;
  /** From an empty store to this size. */
  loadSeconds: number;
  storeMib: number;
  bootP50: number;
  bootP99: number;
  tftpP50: number;
  tftpP99: number;
  renderedP50: number;
  renderedP99: number;
  rssMib: number;
}

/** Times `samples` sequential requests for systems picked across the whole inventory, after a warm-up. */
async function latencies(count: number, call: (index: number) => Promise<unknown>): Promise<number[]> {
  let seed = 12345;
  const pick = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % count;
  };
  // Enough for the JIT to settle, so that the smallest size is not measured cold and the sizes compare.
  for (let i = 0; i < warmUpRequests; i++) await call(pick());
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const index = pick();
    const started = performance.now();
    await call(index);
    times.push(performance.now() - started);
  }
  return times;
}

async function oneRun(run: number): Promise<SizeFigures[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bootwright-scale-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  cleanup.add(removeDataDir);
  const tftpPort = await freeUdpPort();
  const server: ChildProcess = spawn(
    process.execPath,
    serveCommand(
      [`--data-dir=${dataDir}`, '--port=0', `--tftp-port=${tftpPort}`, '--host=127.0.0.1'],
      cpuProfDir,
    ).slice(1),
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = collect(server);
  const stopServer = () => stop(server);
  cleanup.add(stopServer);
  try {
    await waitFor(() => output.text().includes('serving http'), 'the server to start', 30_000).catch(
      (error) => {
        throw new Error(`${error}: ${output.text()}`);
      },
    );
    const httpPort = Number(/serving http on port (\d+)/.exec(output.text())?.[1]);
    const secret = readFileSync(join(dataDir, 'shared-secret'), 'utf8').trim();
    const login = await expectOk(
      http(httpPort, 'POST', '/api/v1/login', JSON.stringify({ username: '', password: secret })),
      'login with the shared secret',
    );
    const token = (JSON.parse(login) as { token: string }).token;
    // The distro's kernel and initrd must be files that are there, in a directory the server may serve.
    // Outside the data directory, which is never served.
    const bootDir = mkdtempSync(join(tmpdir(), 'bootwright-scale-boot-'));
    cleanup.add(() => rmSync(bootDir, { recursive: true, force: true }));
    const bootFiles = makeBootFiles(bootDir);
    await expectOk(
      http(
        httpPort,
        'PUT',
        '/api/v1/settings/served_roots',
        JSON.stringify({ value: [...defaultServedRoots, bootFiles.dir].join(' ') }),
        token,
      ),
      'serve the boot files',
    );
    await expectOk(
      http(
        httpPort,
        'POST',
        '/api/v1/distros',
        JSON.stringify({ name: 'bench', kernel: bootFiles.kernel, initrd: bootFiles.initrd }),
        token,
      ),
      'add the distro',
    );
    await expectOk(
      http(httpPort, 'POST', '/api/v1/profiles', JSON.stringify({ name: 'bench', distro: 'bench' }), token),
      'add the profile',
    );

    const figures: SizeFigures[] = [];
    let count = 0;
    let loadSeconds = 0;
    for (const size of sizes) {
      const started = performance.now();
      while (count < size) {
        const end = Math.min(size, count + batchSize);
        const items = [];
        for (let index = count; index < end; index++) items.push(systemJson(index));
        await expectOk(
          http(httpPort, 'POST', '/api/v1/systems', JSON.stringify(items), token),
          `add systems ${count}-${end - 1}`,
        );
        count = end;
      }
      const addSeconds = (performance.now() - started) / 1000;
      loadSeconds += addSeconds;
      const added = size - (figures.length === 0 ? 0 : (sizes[figures.length - 1] as number));
      const addsPerSecond = added / addSeconds;

      const boot = await latencies(count, async (index) => {
        const body = await expectOk(
          http(httpPort, 'GET', `/cblr/svc/op/ipxe/mac/${macOf(index)}`),
          'iPXE config by MAC',
        );
        if (!body.includes(`node${index}`)) throw new Error(`iPXE config for node${index}: ${body}`);
      });
      const tftp = await latencies(count, (index) =>
        tftpGet(tftpPort, `pxelinux.cfg/01-${macOf(index).replaceAll(':', '-')}`),
      );
      const rendered = await latencies(count, async (index) => {
        const body = await expectOk(
          http(httpPort, 'POST', '/cobbler_api', renderedCall(`node${index}`)),
          'get_system_as_rendered',
        );
        if (body.includes('<fault>') || !body.includes(`node${index}`))
          throw new Error(`get_system_as_rendered("node${index}"): ${body.slice(0, 300)}`);
      });
      const memory = rssMib(server.pid as number);
      const sizeFigures: SizeFigures = {
        addsPerSecond,
        loadSeconds,
        storeMib: storeMib(dataDir),
        bootP50: percentile(boot, 0.5),
        bootP99: percentile(boot, 0.99),
        tftpP50: percentile(tftp, 0.5),
        tftpP99: percentile(tftp, 0.99),
        renderedP50: percentile(rendered, 0.5),
        renderedP99: percentile(rendered, 0.99),
        rssMib: memory,
      };
      figures.push(sizeFigures);
      log(
        `run ${run + 1}, ${size} systems: adds ${addsPerSecond.toFixed(0)}/s; iPXE p50 ${sizeFigures.bootP50.toFixed(2)} ms p99 ${sizeFigures.bootP99.toFixed(2)} ms; TFTP p50 ${sizeFigures.tftpP50.toFixed(2)} ms p99 ${sizeFigures.tftpP99.toFixed(2)} ms; rendered p50 ${sizeFigures.renderedP50.toFixed(2)} ms p99 ${sizeFigures.renderedP99.toFixed(2)} ms; RSS ${memory.toFixed(0)} MiB`,
      );
    }
    return figures;
  } finally {
    await stopServer();
    removeDataDir();
  }
}

const cobblerReference =
  'No peer: Cobbler serves boot configs only after a sync, which takes 2–12 s for 1,000 systems and minutes for thousands (../shared/reference/cobbler-koan.md §9.2); bootwright renders each request from the store';

try {
  const runs: SizeFigures[][] = [];
  const began = performance.now();
  for (let run = 0; run < options.runs; run++) runs.push(await oneRun(run));
  const rows: ResultRow[] = [];
  const perSize = (pick: (figures: SizeFigures) => number, index: number) =>
    runs.map((figures) => pick(figures[index] as SizeFigures));
  sizes.forEach((size, index) => {
    const at = `${size.toLocaleString('en-US')} systems`;
    const latency = (figure: string, values: number[]): ResultRow => ({
      figure: `${figure} at ${at}`,
      unit: 'ms',
      bootwright: values,
      lowerIsBetter: true,
    });
    rows.push(
      {
        figure: `systems added through REST in batches of ${batchSize}, up to ${at}`,
        unit: 'systems/s',
        bootwright: perSize((f) => f.addsPerSecond, index),
        ...(index === 0 ? { note: cobblerReference } : {}),
      },
      latency(
        'iPXE boot config by MAC over HTTP, p50',
        perSize((f) => f.bootP50, index),
      ),
      latency(
        'iPXE boot config by MAC over HTTP, p99',
        perSize((f) => f.bootP99, index),
      ),
      latency(
        'pxelinux config by MAC over TFTP, p50',
        perSize((f) => f.tftpP50, index),
      ),
      latency(
        'pxelinux config by MAC over TFTP, p99',
        perSize((f) => f.tftpP99, index),
      ),
      latency(
        'XML-RPC get_system_as_rendered, p50',
        perSize((f) => f.renderedP50, index),
      ),
      latency(
        'XML-RPC get_system_as_rendered, p99',
        perSize((f) => f.renderedP99, index),
      ),
      { figure: `server RSS at ${at}`, unit: 'MiB', bootwright: perSize((f) => f.rssMib, index) },
      {
        figure: `time to load ${at} into an empty store through the batch API`,
        unit: 's',
        bootwright: perSize((f) => f.loadSeconds, index),
      },
      {
        figure: `store size on disk at ${at} (database and write-ahead log)`,
        unit: 'MiB',
        bootwright: perSize((f) => f.storeMib, index),
      },
    );
  });
  if (sizes.length > 1) {
    const last = sizes.length - 1;
    const span = `${(sizes[last] as number).toLocaleString('en-US')} / ${(sizes[0] as number).toLocaleString('en-US')} systems`;
    const flatness = (what: string, pick: (figures: SizeFigures) => number): ResultRow => {
      const ratios = runs.map(
        (figures) => pick(figures[last] as SizeFigures) / pick(figures[0] as SizeFigures),
      );
      return {
        figure: `flatness: ${what} p50 at ${span}`,
        unit: 'x',
        bootwright: ratios,
        lowerIsBetter: true,
        ...(median(ratios) >= 1.5
          ? { note: 'Not flat: above 1.5x; see the profile notes in bench/scale.ts' }
          : {}),
      };
    };
    const smallest = `${(sizes[0] as number).toLocaleString('en-US')} systems`;
    // The goal compares the server with itself: p99 at the largest size against p99 at the smallest, from the
    // same run. As a ratio (small / large, higher is better) "within 1.5x" is a goal of 1/1.5.
    const p99Goal = (what: string, pick: (figures: SizeFigures) => number): ResultRow => ({
      figure: `${what} p99 at ${span} (goal: within 1.5x)`,
      unit: 'ms',
      bootwright: runs.map((figures) => pick(figures[last] as SizeFigures)),
      peer: runs.map((figures) => pick(figures[0] as SizeFigures)),
      peerName: `the same server at ${smallest}, same run`,
      lowerIsBetter: true,
      goal: 0.67,
    });
    const rssLimitMib = 1024;
    rows.push(
      flatness('iPXE boot config', (f) => f.bootP50),
      flatness('TFTP pxelinux config', (f) => f.tftpP50),
      flatness('get_system_as_rendered', (f) => f.renderedP50),
      p99Goal('iPXE boot config', (f) => f.bootP99),
      p99Goal('TFTP pxelinux config', (f) => f.tftpP99),
      p99Goal('get_system_as_rendered', (f) => f.renderedP99),
      {
        figure: `server RSS at ${(sizes[last] as number).toLocaleString('en-US')} systems against the 1 GiB goal`,
        unit: 'MiB',
        bootwright: runs.map((figures) => (figures[last] as SizeFigures).rssMib),
        peer: runs.map(() => rssLimitMib),
        peerName: 'the goal: 1 GiB',
        lowerIsBetter: true,
        goal: 1,
      },
    );
  }
  recordResults('scale', rows, options, {
    sizes,
    samplesPerFigure: samples,
    batchSize,
    seconds: Math.round((performance.now() - began) / 1000),
  });
} finally {
  await cleanup.run();
}
