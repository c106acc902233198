// Autoinstall renders per second of the built-in kickstart (default.ks with its snippets) for systems in a store of
// 10,000, beside real Cheetah 3 (python3-cheetah) rendering the same template with the same variables in the same
// run, with the template compiled a single time: Cheetah caches compiled templates by their source, so a
// long-running cobblerd renders that way too (a peer compiling per render would flatter bootwright). bootwright is
// measured twice: in-process (AutoinstallRenderer.autoinstall, which renders from the store as it is now: there is
// no sync; each system's variables are derived once and kept while the store's inventory version stands), and over
// HTTP through the real server (GET /cblr/svc/op/autoinstall/system/NAME, loaded by wrk over many system names).
// The peer gets its variables ready-made, parsed before its clock starts: it measures only Cheetah's rendering.
// Runs are interleaved (Cheetah, bootwright, Cheetah, bootwright) so that a noisy machine hits both alike.
// Unless --no-pin, wrk runs on CPU 0 and the server under test and the Cheetah peer on CPU 1: one core each.
// Two ceiling rows, measured in the same runs, say how far a goal can be reached on this machine at all: the
// in-process one joins the lines of default.ks as rendered (the string work of a render and nothing else), the
// over-HTTP one is a bare node:http server answering the rendered default.ks as it is, under the same pinning and
// the same wrk load.
// Run: node --import tsx bench/render-autoinstall.ts [--quick] [--runs=5] [--seconds=2] [--systems=10000] [--no-pin]

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Inventory } from '../src/inventory/inventory.js';
import type { InventoryObject, NetworkInterface } from '../src/model/kinds.js';
import { openStore } from '../src/store/open-store.js';
import { builtinLibraryDir, TemplateLibrary } from '../src/templates/library.js';
import { AutoinstallRenderer } from '../src/templates/render.js';
import { sharedBootFiles } from '../test/support/boot-files.js';
import { serveTestRoots } from '../test/support/served-roots.js';
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

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const options = benchOptions();
const systemCount = options.number('systems', 10_000, 1_000);
const seconds = options.number('seconds', 2, 1);
const port = options.number('port', 18090);
const wrkConnections = 16;
/** The peer renders for this many different systems, round robin: enough to vary the output, quick to prepare. */
const peerSampleSize = 200;
const root = join(import.meta.dirname, '..');

requireBinaries([
  { path: '/usr/bin/python3', debianPackage: 'python3' },
  { path: '/usr/bin/wrk', debianPackage: 'wrk' },
  ...(pinning ? [{ path: '/usr/bin/taskset', debianPackage: 'util-linux' }] : []),
]);
try {
  execFileSync('/usr/bin/python3', ['-c', 'import Cheetah.Template'], { stdio: 'pipe' });
} catch {
  process.stderr.write('This benchmark needs its peer installed:\n  apt-get install python3-cheetah\n');
  process.exit(2);
}

const cleanup = new Cleanup();
cleanup.onSignals();
const work = mkdtempSync(join(tmpdir(), 'bootwright-bench-render-'));
cleanup.add(() => rmSync(work, { recursive: true, force: true }));

function macOf(prefix: string, index: number): string {
  const bytes = [(index >> 16) & 255, (index >> 8) & 255, index & 255];
  return `${prefix}:${bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':')}`;
}

/** The store the server will serve: one distro, one profile on default.ks, `systemCount` systems of two NICs. */
async function fillStore(dataDir: string): Promise<void> {
  const store = openStore(`sqlite:${join(dataDir, 'store.sqlite')}`);
  try {
    const inventory = new Inventory(store);
    await serveTestRoots(inventory);
    await inventory.setSetting('server', '192.0.2.1');
    // The port serve listens on is the port of its install URLs: the in-process renders must say the same.
    await inventory.setSetting('http_port', port);
    await inventory.add('distro', {
      name: 'rhel9',
      kernel: bootFiles.kernel,
      initrd: bootFiles.initrd,
      os_version: 'rhel9',
      autoinstall_meta: 'tree=http://@@http_server@@/cblr/links/rhel9',
    });
    await inventory.add('profile', {
      name: 'rhel9-base',
      distro: 'rhel9',
      autoinstall: 'default.ks',
      kernel_options: 'quiet',
    });
    // One system added the ordinary way gives every field its default; the rest are copies written in one
    // transaction, which takes seconds instead of minutes.
    await inventory.add('system', {
      name: 'node0',
      profile: 'rhel9-base',
      hostname: 'node0',
      interfaces: {
        eth0: {
          mac_address: macOf('52:54:01', 0),
          ip_address: '198.51.100.0',
          netmask: '24',
          static: true,
          if_gateway: '198.51.100.1',
        },
        eth1: { mac_address: macOf('52:54:02', 0) },
      },
    });
    const first = (await store.get('system', 'node0')) as InventoryObject;
    const firstInterfaces = first.interfaces as Record<string, NetworkInterface>;
    await store.transaction(async (tx) => {
      for (let i = 1; i < systemCount; i++) {
        await tx.put({
          ...first,
          name: `node${i}`,
          uid: `bench${i}`,
          fields: { ...first.fields, hostname: `node${i}` },
          interfaces: {
            eth0: {
              ...(firstInterfaces.eth0 as NetworkInterface),
              mac_address: macOf('52:54:01', i),
              ip_address: `198.51.${100 + ((i >> 8) % 4)}.${i & 255}`,
            },
            eth1: { ...(firstInterfaces.eth1 as NetworkInterface), mac_address: macOf('52:54:02', i) },
          },
        });
      }
    });
  } finally {
    await store.close();
  }
}

/** python3-cheetah, kept running between runs; it answers one rate per command (see cheetah-peer.py). */
function startCheetahPeer(variablesPath: string) {
  const peer = spawn(
    pinnedTo('1', ['/usr/bin/python3'])[0] as string,
    [
      ...pinnedTo('1', ['/usr/bin/python3']).slice(1),
      join(import.meta.dirname, 'cheetah-peer.py'),
      builtinLibraryDir,
      'default.ks',
      variablesPath,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let errors = '';
  peer.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const answers = createInterface({ input: peer.stdout })[Symbol.asyncIterator]();
  return {
    child: peer,
    async rate(mode: 'compile_once' | 'compile_each', duration: number) {
      peer.stdin.write(`${mode} ${duration}\n`);
      const answer = await answers.next();
      if (answer.done) throw new Error(`The Cheetah peer stopped: ${errors}`);
      return JSON.parse(answer.value) as { rate: number; renders: number; lines: number };
    },
  };
}

/**
 * The over-HTTP ceiling: node:http and nothing else, answering every request with the same text and the same
 * content type as bootwright's answer (no routing, no store, no rendering, no event).
 */
function startBareHttpServer(body: string, bareServerPort: number) {
  const program = `
const body = Buffer.from(${JSON.stringify(body)});
require('node:http').createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
  response.end(body);
}).listen(${bareServerPort}, '127.0.0.1', () => process.stdout.write('listening\\n'));
`;
  const command = pinnedTo('1', [process.execPath, '-e', program]);
  return spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The in-process ceiling: default.ks's lines, as rendered, joined into one flat string per "render". */
function concatenationRate(lines: string[], duration: number): number {
  let joined = 0;
  let checksum = 0;
  const start = performance.now();
  const end = start + duration * 1000;
  while (performance.now() < end) {
    for (let batch = 0; batch < 100; batch++) {
      let text = '';
      for (const line of lines) text += line;
      // Reading a character in the middle makes V8 flatten the rope, as writing it to a socket would.
      checksum += text.charCodeAt(text.length >> 1);
      joined++;
    }
  }
  if (checksum === 0) throw new Error('the concatenation produced nothing');
  return joined / ((performance.now() - start) / 1000);
}

/** wrk, asking for the autoinstall file of a different system on each request; wrk counts whole seconds. */
function wrkRate(duration: number, script: string, target = `http://127.0.0.1:${port}`): number {
  const output = execFileSync(
    pinnedTo('0', ['wrk'])[0] as string,
    [
      ...pinnedTo('0', ['wrk']).slice(1),
      '-t1',
      `-c${wrkConnections}`,
      `-d${Math.max(1, Math.round(duration))}s`,
      '-s',
      script,
      target,
    ],
    { encoding: 'utf8' },
  );
  if (/Non-2xx or 3xx responses/.test(output)) throw new Error(`bootwright answered errors:\n${output}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0);
}

try {
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  log(`adding ${systemCount} systems`);
  await fillStore(dataDir);

  // In-process, on the same store file the server reads (WAL lets both read it).
  const store = openStore(`sqlite:${join(dataDir, 'store.sqlite')}`);
  cleanup.add(() => store.close());
  const renderer = new AutoinstallRenderer(new Inventory(store), new TemplateLibrary(dataDir));
  const first = await renderer.autoinstall({ kind: 'system', name: 'node0' });
  const lines = first.text.split('\n').length - 1;

  const sample = [];
  for (let i = 0; i < peerSampleSize; i++)
    sample.push(await renderer.variables({ kind: 'system', name: `node${i % systemCount}` }));
  const variablesPath = join(work, 'variables.json');
  writeFileSync(variablesPath, JSON.stringify(sample));
  const cheetah = startCheetahPeer(variablesPath);
  cleanup.add(() => stop(cheetah.child));

  const serverArgs = pinnedTo(
    '1',
    serveCommand([`--data-dir=${dataDir}`, `--port=${port}`, '--tftp-port=0', '--host=127.0.0.1']),
  );
  const server = spawn(serverArgs[0] as string, serverArgs.slice(1), {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const serverOutput = collect(server);
  cleanup.add(() => stop(server));
  const url = (index: number) => `http://127.0.0.1:${port}/cblr/svc/op/autoinstall/system/node${index}`;
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(url(0));
      if (response.ok && (await response.text()) === first.text) break;
      throw new Error(`the server answered ${response.status} or another text than the renderer`);
    } catch (error) {
      if (attempt >= 150 || server.exitCode !== null)
        throw new Error(`The server did not come up: ${String(error)}\n${serverOutput.text()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const wrkScript = join(work, 'names.lua');
  writeFileSync(
    wrkScript,
    `-- A different system on each request, so no answer can be served from anything keyed by the name.
local count = 0
request = function()
  count = count + 1
  return wrk.format("GET", "/cblr/svc/op/autoinstall/system/node" .. (count % ${systemCount}))
end
`,
  );

  const bareServerPort = port + 1;
  const bareServer = startBareHttpServer(first.text, bareServerPort);
  const bareServerOutput = collect(bareServer);
  cleanup.add(() => stop(bareServer));
  await waitForHttp(`http://127.0.0.1:${bareServerPort}/`, bareServerOutput.text);
  const bareTarget = `http://127.0.0.1:${bareServerPort}`;
  const renderedLines = first.text.split(/(?<=\n)/);

  const inProcessRate = async (duration: number) => {
    let rendered = 0;
    const start = performance.now();
    const end = start + duration * 1000;
    while (performance.now() < end) {
      await renderer.autoinstall({ kind: 'system', name: `node${rendered % systemCount}` });
      rendered++;
      // The event loop turns as in a server answering wrk's connections (a turn reads at most one request from
      // each): what is checked once a turn (the inventory version, template files) is checked as often here.
      if (rendered % wrkConnections === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return rendered / ((performance.now() - start) / 1000);
  };

  log(`warming up (the JIT, Cheetah's compile cache, SQLite's page cache, each system's variables)`);
  const warmup = options.quick ? 0.2 : 1;
  // A server that has run for a while has derived each system's variables once and keeps them while the inventory
  // is unchanged (as Cheetah keeps its compiled template): one render of every system, in-process and over HTTP
  // (wrk at a couple of thousand requests a second), before the clock starts.
  for (let i = 0; i < systemCount; i++) await renderer.autoinstall({ kind: 'system', name: `node${i}` });
  await inProcessRate(warmup);
  concatenationRate(renderedLines, warmup);
  wrkRate(Math.max(warmup, systemCount / 2000), wrkScript);
  wrkRate(warmup, wrkScript, bareTarget);
  const peerLines = (await cheetah.rate('compile_once', warmup)).lines;
  // Only the size is compared here: the golden tests (src/templates/cheetah/golden.test.ts) compare bootwright's
  // Cheetah with the real one byte for byte.
  if (peerLines !== lines) log(`note: Cheetah's output has ${peerLines} lines, bootwright's ${lines}`);

  const measured = {
    once: [] as number[],
    inProcess: [] as number[],
    http: [] as number[],
    concatenation: [] as number[],
    bareHttp: [] as number[],
  };
  for (let run = 1; run <= options.runs; run++) {
    measured.once.push((await cheetah.rate('compile_once', seconds)).rate);
    measured.inProcess.push(await inProcessRate(seconds));
    measured.http.push(wrkRate(seconds, wrkScript));
    measured.concatenation.push(concatenationRate(renderedLines, seconds));
    measured.bareHttp.push(wrkRate(seconds, wrkScript, bareTarget));
    log(
      `run ${run}: Cheetah compiled once ${measured.once.at(-1)?.toFixed(0)}/s; bootwright in-process ${measured.inProcess.at(-1)?.toFixed(0)}/s, over HTTP ${measured.http.at(-1)?.toFixed(0)}/s; ceilings: concatenation ${measured.concatenation.at(-1)?.toFixed(0)}/s, bare node:http ${measured.bareHttp.at(-1)?.toFixed(0)}/s`,
    );
  }

  const store10k = `a store of ${systemCount.toLocaleString('en')} systems`;
  const peerOnce = { peer: measured.once, peerName: 'python3-cheetah, compiled once' };
  const rows: ResultRow[] = [
    {
      figure: `default.ks (${lines} lines, with snippets) renders/s in-process from ${store10k}`,
      unit: 'renders/s',
      bootwright: measured.inProcess,
      ...peerOnce,
      goal: 20,
    },
    {
      figure: `default.ks autoinstall requests/s over HTTP from ${store10k}, wrk ${wrkConnections} connections${pinning ? ', server on one core' : ''}`,
      unit: 'renders/s',
      bootwright: measured.http,
      ...peerOnce,
      goal: 10,
    },
    {
      figure: `ceiling, in-process: the ${renderedLines.length} lines of default.ks as rendered, joined into one string (no store, no template)`,
      unit: 'renders/s',
      bootwright: measured.concatenation,
      ...peerOnce,
    },
    {
      figure: `ceiling, over HTTP: a bare node:http server answering the rendered default.ks (${Buffer.byteLength(first.text)} bytes) to every request, wrk ${wrkConnections} connections${pinning ? ', server on one core' : ''}`,
      unit: 'renders/s',
      bootwright: measured.bareHttp,
      ...peerOnce,
    },
  ];
  const ceilingRatio = (index: number) => ratio(rows[index] as ResultRow)?.toFixed(1) ?? '-';
  const notes: Record<string, string> = {
    inProcess:
      "Made: each system's template variables (its row, profile, distro and settings read, parsed and blended, " +
      "then the kernel options, URLs and repo stanzas derived) are kept while the store's inventory version " +
      'stands, up to 16,384 objects (about 90 MiB at 10,000 systems); a Cheetah render reads them in place and ' +
      'copies a list or dictionary only when the template first looks it up (one copy per original, so ' +
      'ks_meta stays autoinstall_meta), where all ~30 were copied for every render; template and snippet files ' +
      "found unchanged are trusted for the rest of the event loop's turn, as the inventory version is, where each " +
      'render made an fstat per file (12, and Node 20 builds four Dates for each: the largest single item, ~20% ' +
      'of a render on a loaded machine); parsed templates are found by their text without reordering the cache, ' +
      'and a render allocates less (maps of a Cheetah instance made when needed, one source per snippet file). ' +
      'This loop yields to the event loop every 16 renders, as a server answering 16 connections does. Before and ' +
      'after, alternated on the same shared machine (load average 10 to 15), CPU per render went from 140-250 µs ' +
      "to 51-64 µs. Left, from a CPU profile of the renders: ~60% is running Cheetah's model over the AST (107 " +
      'lines and 11 snippets: an instance per snippet per render, names looked up through a search list of up to ' +
      '15 namespaces, a dict lookup per `$iface.x`), ~13% finding the template and its 11 snippets in the library ' +
      '(lookup maps, per-snippet places, the file checks once a turn), ~8% the kept variables and the inventory ' +
      `version, ~7% garbage collection. The ceiling row (the rendered lines joined, nothing else) is ${ceilingRatio(2)}x ` +
      "Cheetah: what is left is the template engine's own work. Tried and dropped by measurement: the AST " +
      'compiled to a tree of JavaScript closures (byte-identical output, ~10% slower than the switch-based walk). ' +
      'Named: a template generated as one JavaScript function (names bound by #set and #for resolved at compile ' +
      'time, off the search list), snippet instances reused across renders, and a larger young generation for ' +
      'the server (node --max-semi-space-size=64 took CPU per render from 67-92 to 51-54 µs in an alternated ' +
      'in-process trial: a flag of how bootwright is started, not measured here).',
    http:
      'Made: the in-process work above; the secret check reads the one setting it needs where it copied all of ' +
      "them; the timeline event's check that the system exists is kept while the inventory version stands, where " +
      "it read and parsed the system's row; the path is parsed once for the route and the event. Left, from the " +
      "server's CPU profile under this wrk load: the render ~32%, Node's HTTP and @hono/node-server's response path " +
      '~35% (writev alone ~9%), Hono routing and middleware ~7%, the security headers ~5%, the timeline event ~17% ' +
      '(the batched SQLite inserts of the event log ~10%, the request-events middleware ~7%), and garbage ' +
      `collection ~20% of all of it. The ceiling row, a bare node:http server answering the same bytes under the same ` +
      `pinning and wrk load, is ${ceilingRatio(3)}x Cheetah: the most one Node core gives, before any routing, ` +
      'header, event or render. What is left outside the renderer is the transport (src/http/) and the event log ' +
      '(src/events/, src/store/); serving from more cores is the named structural fix (issue 20).',
  };
  for (const [index, key] of ['inProcess', 'http'].entries()) {
    const row = rows[index] as ResultRow;
    const achieved = ratio(row);
    if (achieved !== undefined && row.goal !== undefined && achieved < row.goal) row.note = notes[key];
  }
  recordResults('render-autoinstall', rows, options, { seconds, systems: systemCount, pinned: pinning });
} finally {
  await cleanup.run();
}
