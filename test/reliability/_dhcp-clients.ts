// Shared by the DHCP reliability tests: `bootwright serve` in full mode in the server namespace of a pair, the
// relay clients (test/support/dhcp-relay-clients.fixture.ts) in the client namespace, and the checks every run
// must pass whatever was done to the server or the network in between.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sharedBootFiles } from '../support/boot-files.js';
import type { RelayClientsPlan, RelayOutcome } from '../support/dhcp-relay-clients.fixture.js';
import { configureStore, projectRoot } from '../support/guest-run.js';
import type { NetnsPair } from '../support/netns.js';
import { startServeProcess } from '../support/serve-process.js';
import { serveTestRootsCommand } from '../support/served-roots.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

export function randomMac(): string {
  const bytes = randomBytes(6);
  // Locally administered, unicast: never a real vendor's address.
  bytes[0] = ((bytes[0] as number) & 0xfc) | 0x02;
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/**
 * Full-mode DHCP for 192.0.2.10-250, with `reservedCount` systems holding static addresses from 192.0.2.30 up, and
 * leases of `leaseSeconds`.
 */
export async function configureDhcpStore(
  dataDir: string,
  reservedCount: number,
  leaseSeconds = 3600,
): Promise<string[]> {
  const reserved = Array.from({ length: reservedCount }, (_, i) => `192.0.2.${30 + i}`);
  await configureStore(dataDir, [
    ['setting', 'edit', '--name=dhcp_lease_time', `--value=${leaseSeconds}`],
    ['setting', 'edit', '--name=server', '--value=192.0.2.1'],
    ['setting', 'edit', '--name=next_server', '--value=192.0.2.1'],
    ['setting', 'edit', '--name=dhcp_mode', '--value=full'],
    ['setting', 'edit', '--name=dhcp_subnet', '--value=192.0.2.0/24'],
    ['setting', 'edit', '--name=dhcp_range_start', '--value=192.0.2.10'],
    ['setting', 'edit', '--name=dhcp_range_end', '--value=192.0.2.250'],
    [...serveTestRootsCommand],
    ['distro', 'add', '--name=d', `--kernel=${bootFiles.kernel}`, `--initrd=${bootFiles.initrd}`],
    ['profile', 'add', '--name=p', '--distro=d'],
    ...reserved.map((address, i) => [
      ...['system', 'add', `--name=known${i}`, '--profile=p'],
      ...[`--mac=52:54:00:aa:00:${i.toString(16).padStart(2, '0')}`, `--ip-address=${address}`],
    ]),
  ]);
  return reserved;
}

/** `bootwright serve` on the real ports in the server namespace (DHCP on 67), HTTP on 8080, no TFTP. */
export async function startServe(pair: NetnsPair, dataDir: string): Promise<ChildProcess> {
  const flags = [`--data-dir=${dataDir}`, '--host=0.0.0.0', '--port=8080', '--tftp-port=0'];
  const server = await startServeProcess(flags, (command, args, options) =>
    pair.spawn(pair.server, command, args, options),
  );
  return server.child;
}

/** Runs the relay clients in the client namespace; `onOutcome` sees each outcome as it happens. */
export function runClients(
  pair: NetnsPair,
  plan: Omit<RelayClientsPlan, 'server' | 'relay'>,
  onOutcome: (outcome: RelayOutcome) => void,
): { stop(): void; done: Promise<void> } {
  const fixture = join(projectRoot, 'test', 'support', 'dhcp-relay-clients.fixture.ts');
  const full: RelayClientsPlan = { server: pair.server.address, relay: pair.client.address, ...plan };
  const planFile = join(mkdtempSync(join(tmpdir(), 'bootwright-relay-plan-')), 'plan.json');
  writeFileSync(planFile, JSON.stringify(full));
  const child = pair.spawn(pair.client, process.execPath, ['--import', 'tsx', fixture, planFile], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.on('exit', () => rmSync(dirname(planFile), { recursive: true, force: true }));
  let partial = '';
  let errors = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line) onOutcome(JSON.parse(line) as RelayOutcome);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  let stopped = false;
  const done = new Promise<void>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (code === 0 || (stopped && signal === 'SIGKILL')) resolve();
      // Killed by anyone else, the clients' record is cut short: say so rather than check half a run.
      else reject(new Error(`relay clients ended with ${signal ?? `exit ${code}`}: ${errors}`));
    });
  });
  return {
    stop() {
      stopped = true;
      child.kill('SIGKILL');
    },
    done,
  };
}

/**
 * What every run must show, from the clients' own record: no ACK of an address reserved for a known system, and
 * no address acknowledged to a client while another held it. A client holds its address from its ACK until its
 * lease runs out (`leaseSeconds`), or until it sent its RELEASE if it is a churner (each churner does one
 * exchange, so its release is found by its MAC; a release lost on the way only makes the server hold longer).
 */
export function assertNoAddressHeldTwice(
  outcomes: RelayOutcome[],
  keepers: string[],
  reserved: string[],
  leaseSeconds = 3600,
): number {
  const acks = outcomes.filter((outcome) => outcome.kind === 'ack');
  const reservedSet = new Set(reserved);
  for (const ack of acks)
    assert.ok(!reservedSet.has(ack.address), `${ack.mac} got ${ack.address}, reserved for a known system`);
  const keeperSet = new Set(keepers);
  const releaseOf = new Map<string, number>();
  for (const outcome of outcomes) if (outcome.kind === 'released') releaseOf.set(outcome.mac, outcome.at);
  const holds = new Map<string, { mac: string; from: number; until: number }[]>();
  for (const ack of acks) {
    // A client counts its lease from when it sent its REQUEST (RFC 2131 §4.4.1), a moment before the ACK came;
    // a second covers that moment, however slow the machine.
    const expiry = ack.at + leaseSeconds * 1000 - 1000;
    const until = keeperSet.has(ack.mac) ? expiry : Math.min(releaseOf.get(ack.mac) ?? expiry, expiry);
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
  return releaseOf.size;
}
