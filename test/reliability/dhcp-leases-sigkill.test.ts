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
import { describe, it } from 'node:test';
import type { RelayOutcome } from '../support/dhcp-relay-clients.fixture.js';
import { exited } from '../support/guest-run.js';
import { reportCount, scaled } from '../support/long-mode.js';
import { canCreateNetns, createNetnsPair } from '../support/netns.js';
import { tempDir } from '../support/temp-dir.js';
import {
  assertNoAddressHeldTwice,
  configureDhcpStore,
  randomMac,
  runClients,
  startServe,
} from './_dhcp-clients.js';

const clientCount = scaled(5_000, 50_000);
const keeperCount = 100;
const reservedCount = 20;

describe('DHCP leases survive SIGKILL', {
  skip: !canCreateNetns() && 'needs root for network namespaces',
}, () => {
  it(`${clientCount.toLocaleString('en-US')} random clients: no address twice, none reserved, keepers keep theirs across a SIGKILL`, async (t) => {
    const pair = await createNetnsPair(t, { prefix: 'bw-dhcpkill' });
    const dataDir = tempDir(t);
    const reserved = await configureDhcpStore(dataDir, reservedCount);

    const keepers = Array.from({ length: keeperCount }, randomMac);
    const churners = Array.from({ length: clientCount - keeperCount }, randomMac);
    const half = Math.floor(churners.length / 2);
    const outcomes: RelayOutcome[] = [];
    // Patient clients: one that gives up after the server committed its lease never releases it, and the pool
    // (241 addresses less 20 reserved and 100 keepers) runs dry after a few dozen such losses on a busy machine.
    const plan = { concurrency: 16, timeoutMs: 1_000, attempts: 3 };

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
    firstClients.stop();
    await firstClients.done;
    const firstRun = outcomes.length;
    const tried = new Set(outcomes.map((outcome) => outcome.mac));

    // After the restart: every keeper (those from before ask again), and the churners not yet tried.
    server = await startServe(pair, dataDir);
    const rest = churners.filter((mac) => !tried.has(mac));
    await runClients(pair, { ...plan, keepers, churners: rest }, (outcome) => outcomes.push(outcome)).done;

    const releases = assertNoAddressHeldTwice(outcomes, keepers, reserved);

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
    assert.ok(releases >= clientCount / 2, `only ${releases} releases`);
    reportCount(
      'reliability/dhcp-leases-sigkill',
      'DHCP clients (DORA) checked across a SIGKILL',
      outcomes.filter((outcome) => outcome.kind === 'ack').length,
    );
    await exited(server, 0);
  });
});
