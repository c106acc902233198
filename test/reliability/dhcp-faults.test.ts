// DHCP on a bad network (issue 10): relay clients against the real `bootwright serve`, with 10% and then 30% of
// packets dropped in each direction (tc netem where the kernel has it, else nftables, with its drop counter read
// back as proof), and on top of that packets sent twice and held back so that later ones overtake them. Every
// client either completes or gives up cleanly, nearly all complete thanks to retransmission, no address is ever
// held twice or taken from a known system, and the server answers a clean client afterwards.
// `npm run test:long` runs ten times as many clients.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelayOutcome } from '../support/dhcp-relay-clients.fixture.js';
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

const clientCount = scaled(400, 4_000);
const leaseSeconds = 60;
// A client whose RELEASE is lost holds its address until the lease runs out (60 s, the shortest bootwright takes),
// so the long form runs fewer clients at once: at 30% loss that many held addresses must stay below the pool's 231.
const concurrency = scaled(16, 8);

describe('DHCP under loss, duplication and reordering', {
  skip: !canCreateNetns() && 'needs root for network namespaces',
}, () => {
  for (const lossPercent of [10, 30]) {
    it(`${clientCount.toLocaleString('en-US')} clients with ${lossPercent}% loss each way, duplicates and reordering: complete or give up, never an address twice`, async (t) => {
      const pair = await createNetnsPair(t, { prefix: `bw-dhcp${lossPercent}`, lossPercent });
      const dataDir = tempDir(t);
      const reserved = await configureDhcpStore(dataDir, 10, leaseSeconds);
      await startServe(pair, dataDir);
      const keepers = Array.from({ length: 40 }, randomMac);
      const churners = Array.from({ length: clientCount - keepers.length }, randomMac);
      const outcomes: RelayOutcome[] = [];
      await runClients(
        pair,
        {
          keepers,
          churners,
          concurrency,
          timeoutMs: 250,
          attempts: 8,
          duplicatePercent: 10,
          reorderPercent: 15,
        },
        (outcome) => outcomes.push(outcome),
      ).done;

      // Every client has exactly one ending.
      const endings = outcomes.filter((outcome) => outcome.kind !== 'released');
      assert.equal(endings.length, clientCount);
      assert.equal(new Set(endings.map((outcome) => outcome.mac)).size, clientCount);
      assertNoAddressHeldTwice(outcomes, keepers, reserved, leaseSeconds);
      const acks = endings.filter((outcome) => outcome.kind === 'ack').length;
      // With 8 tries per exchange, even 30% loss each way leaves a client without an answer well under 5% of the time.
      assert.ok(
        acks >= clientCount * 0.9,
        `${acks} of ${clientCount} clients completed with ${lossPercent}% loss`,
      );
      const dropped = pair.droppedPackets();
      if (pair.lossMethod !== 'none')
        assert.ok(dropped > clientCount / 10, `only ${dropped} packets were dropped`);

      // A clean client afterwards still gets its address. It may have to wait for one: every lost RELEASE leaves
      // its address bound until the lease runs out (RFC 2131 §4.3.1: a committed address is not reused before),
      // and on a busy machine the storm can end with the pool full of them. So it asks for longer than a lease.
      const after: RelayOutcome[] = [];
      const patientAttempts = Math.ceil(((leaseSeconds + 15) * 1000) / 250);
      await runClients(
        pair,
        { keepers: [randomMac()], churners: [], concurrency: 1, timeoutMs: 250, attempts: patientAttempts },
        (outcome) => after.push(outcome),
      ).done;
      assert.equal(after[0]?.kind, 'ack', JSON.stringify(after));
      reportCount(`reliability/dhcp-faults ${lossPercent}% loss`, 'DHCP clients run', clientCount);
      reportCount(`reliability/dhcp-faults ${lossPercent}% loss`, 'packets dropped', dropped);
    });
  }
});
