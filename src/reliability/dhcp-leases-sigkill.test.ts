// Nothing lost, DHCP (issue 10): 5,000 simulated clients with random MACs, through a relay, against the real
// `bootwright serve` in full mode, with 20 systems holding static addresses inside the pool. Halfway through, the
// server is killed with SIGKILL and started again on the same data directory; the clients carry on. Most clients
// release their address at once (so the pool is recycled thousands of times); "keepers" hold theirs.
//
// What must hold, from the clients' own record of every ACK and RELEASE:
// - no address is ever held by two clients at once (a keeper holds for good, a churner until it releases);
// - no client ever gets an address reserved for a known system;
// - a keeper acknowledged before the kill gets the same address again after the restart: its lease was on disk
//   before its ACK was sent.
// `npm run test:long` runs 50,000 clients.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RelayClientsPlan, RelayOutcome } from '../testing/dhcp-relay-clients.fixture.js';
import { configureStore, exited, projectRoot } from '../testing/guest-run.js';
import { reportCount, scaled } from '../testing/long-mode.js';
import { canCreateNetns, createNetnsPair, type NetnsPair } from '../testing/netns.js';
import { tempDir } from '../testing/temp-dir.js';

const clientCount = scaled(5_000, 50_000);
const keeperCount = 100;
const reservedCount = 20;

function randomMac(): string {
  const bytes = randomBytes(6);
  // Locally administered, unicast: never a real vendor's address.
  bytes[0] = ((bytes[0] as number) & 0xfc) | 0x02;
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

function startServe(pair: NetnsPair, dataDir: string): Promise<ChildProcess> {
  const child = pair.spawn(
    pair.server,
    process.execPath,
    [
      ...['--import', 'tsx', join(projectRoot, 'src', 'cli', 'run.ts'), 'serve'],
      ...[`--data-dir=${dataDir}`, '--host=0.0.0.0', '--port=8080', '--tftp-port=0'],
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const poll = setInterval(() => {
      if (/serving http/.test(output)) {
        clearInterval(poll);
        resolve(child);
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error(`bootwright serve did not start: ${output}`));
      }
    }, 50);
  });
}

/** Runs the relay clients in the client namespace; `onOutcome` sees each outcome as it happens. */
function runClients(
  pair: NetnsPair,
  plan: Omit<RelayClientsPlan, 'server' | 'relay'>,
  onOutcome: (outcome: RelayOutcome) => void,
): { child: ChildProcess; done: Promise<void> } {
  const fixture = join(projectRoot, 'src', 'testing', 'dhcp-relay-clients.fixture.ts');
  const full: RelayClientsPlan = { server: pair.server.address, relay: pair.client.address, ...plan };
  const child = pair.spawn(
    pair.client,
    process.execPath,
    ['--import', 'tsx', fixture, JSON.stringify(full)],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let partial = '';
  let errors = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line) onOutcome(JSON.parse(line) as RelayOutcome);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const done = new Promise<void>((resolve, reject) => {
    child.on('exit', (code, signal) =>
      code === 0 || signal === 'SIGKILL'
        ? resolve()
        : reject(new Error(`relay clients exited ${code}: ${errors}`)),
    );
  });
  return { child, done };
}

describe('DHCP leases survive SIGKILL', {
  skip: !canCreateNetns() && 'needs root for network namespaces',
}, () => {
  it(`${clientCount.toLocaleString('en-US')} random clients: no address twice, none reserved, keepers keep theirs across a SIGKILL`, async (t) => {
    const pair = await createNetnsPair(t, { prefix: 'bw-dhcpkill' });
    const dataDir = tempDir(t);
    const reserved = Array.from({ length: reservedCount }, (_, i) => `192.0.2.${30 + i}`);
    await configureStore(dataDir, [
      ['setting', 'edit', '--name=server', '--value=192.0.2.1'],
      ['setting', 'edit', '--name=next_server', '--value=192.0.2.1'],
      ['setting', 'edit', '--name=dhcp_mode', '--value=full'],
      ['setting', 'edit', '--name=dhcp_subnet', '--value=192.0.2.0/24'],
      ['setting', 'edit', '--name=dhcp_range_start', '--value=192.0.2.10'],
      ['setting', 'edit', '--name=dhcp_range_end', '--value=192.0.2.250'],
      ['distro', 'add', '--name=d', '--kernel=/boot/vmlinuz', '--initrd=/boot/initrd.img'],
      ['profile', 'add', '--name=p', '--distro=d'],
      ...reserved.map((address, i) => [
        ...[
          'system',
          'add',
          `--name=known${i}`,
          '--profile=p',
          `--mac=52:54:00:aa:00:${i.toString(16).padStart(2, '0')}`,
        ],
        `--ip-address=${address}`,
      ]),
    ]);

    const keepers = Array.from({ length: keeperCount }, randomMac);
    const churners = Array.from({ length: clientCount - keeperCount }, randomMac);
    const half = Math.floor(churners.length / 2);
    const outcomes: RelayOutcome[] = [];
    const plan = { concurrency: 32, timeoutMs: 400, attempts: 3 };

    // Before the kill: half the keepers and half the churners; the server dies once a third of them have an ACK.
    // The clients then stop too, once those in flight have given up, and the rest wait for the restart.
    let server = await startServe(pair, dataDir);
    const killAt = Math.floor((keeperCount / 2 + half) / 3);
    let acksBeforeKill = 0;
    let markKilled = () => {};
    const serverKilled = new Promise<void>((resolve) => (markKilled = resolve));
    const firstClients = runClients(
      pair,
      { ...plan, keepers: keepers.slice(0, keeperCount / 2), churners: churners.slice(0, half) },
      (outcome) => {
        outcomes.push(outcome);
        if (outcome.kind !== 'ack' || acksBeforeKill >= killAt) return;
        acksBeforeKill += 1;
        if (acksBeforeKill === killAt) {
          process.kill(server.pid as number, 'SIGKILL');
          markKilled();
        }
      },
    );
    await Promise.race([serverKilled, firstClients.done]);
    assert.equal(acksBeforeKill, killAt, `the server was never killed: only ${acksBeforeKill} ACKs`);
    await exited(server, 10_000);
    await new Promise((resolve) => setTimeout(resolve, plan.timeoutMs * plan.attempts + 300));
    firstClients.child.kill('SIGKILL');
    await firstClients.done;
    const firstRun = outcomes.length;
    const tried = new Set(outcomes.map((outcome) => outcome.mac));

    // After the restart: every keeper (those from before ask again), and the churners not yet tried.
    server = await startServe(pair, dataDir);
    const rest = churners.filter((mac) => !tried.has(mac));
    await runClients(pair, { ...plan, keepers, churners: rest }, (outcome) => outcomes.push(outcome)).done;

    const acks = outcomes.filter((outcome) => outcome.kind === 'ack');
    const reservedSet = new Set(reserved);
    for (const ack of acks)
      assert.ok(!reservedSet.has(ack.address), `${ack.mac} got ${ack.address}, reserved for a known system`);

    // Holding intervals per address, from the clients' side: ACK until RELEASE sent, or for good. Each churner
    // does one exchange, so its release is found by its MAC.
    const keeperSet = new Set(keepers);
    const releaseOf = new Map<string, number>();
    for (const outcome of outcomes) if (outcome.kind === 'released') releaseOf.set(outcome.mac, outcome.at);
    const holds = new Map<string, { mac: string; from: number; until: number }[]>();
    for (const ack of acks) {
      const until = keeperSet.has(ack.mac)
        ? Number.POSITIVE_INFINITY
        : (releaseOf.get(ack.mac) ?? Number.POSITIVE_INFINITY);
      const list = holds.get(ack.address) ?? [];
      list.push({ mac: ack.mac, from: ack.at, until });
      holds.set(ack.address, list);
    }
    for (const [address, list] of holds) {
      list.sort((a, b) => a.from - b.from);
      for (let i = 1; i < list.length; i++) {
        const before = list[i - 1] as (typeof list)[number];
        const after = list[i] as (typeof list)[number];
        if (before.mac === after.mac) continue;
        assert.ok(
          after.from >= before.until,
          `${address} was acknowledged to ${after.mac} at ${after.from} while ${before.mac} held it (from ${before.from} until ${before.until})`,
        );
      }
    }

    // Keepers acknowledged before the kill get the same address after it.
    const before = new Map(
      outcomes
        .slice(0, firstRun)
        .filter((o) => o.kind === 'ack')
        .map((o) => [o.mac, (o as { address: string }).address]),
    );
    const after = new Map(
      outcomes
        .slice(firstRun)
        .filter((o) => o.kind === 'ack')
        .map((o) => [o.mac, (o as { address: string }).address]),
    );
    let keptAcrossKill = 0;
    for (const mac of keepers.slice(0, keeperCount / 2)) {
      const old = before.get(mac);
      if (!old) continue;
      assert.equal(after.get(mac), old, `keeper ${mac} had ${old} before the SIGKILL`);
      keptAcrossKill += 1;
    }
    assert.ok(keptAcrossKill >= 10, `only ${keptAcrossKill} keepers had an ACK before the kill`);
    // The run did real work: with the server up, nearly every client got an address, and addresses were
    // recycled many times over.
    const acksAfter = outcomes.slice(firstRun).filter((outcome) => outcome.kind === 'ack').length;
    assert.ok(
      acksAfter >= (rest.length + keeperCount) * 0.95,
      `${acksAfter} ACKs for ${rest.length + keeperCount} clients after the restart`,
    );
    assert.ok(releaseOf.size >= clientCount / 2, `only ${releaseOf.size} releases`);
    reportCount(
      'reliability/dhcp-leases-sigkill',
      'DHCP clients (DORA) checked across a SIGKILL',
      acks.length,
    );
    await exited(server, 0);
  });
});
