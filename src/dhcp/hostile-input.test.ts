import { dhcpBootFiles } from '../boot/loaders/registry.js';
// Hostile input for the DHCP server, property-based (issue 10): random datagrams, and real PXE and iPXE requests
// mutated byte by byte, go through the parser and then the policy in every mode. Whatever arrives either parses
// and gets a decision (an answer, or a reasoned silence), or is refused with a DhcpPacketError, which the server
// counts as malformed and drops. Nothing else may escape, and every answer the policy builds must be writable.
// `npm run test:long` tries 100,000 cases per property instead of a few thousand.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { reportCount, scaled } from '../../test/support/long-mode.js';
import { InMemoryLeaseStore } from '../store/memory-lease-store.js';
import { type DhcpPacket, DhcpPacketError, parseDhcpPacket, serializeDhcpPacket } from './packet.js';
import { type DhcpConfig, type DhcpMode, decideDhcpReply } from './policy.js';
import { biosPxeDiscover, ipxeRequest } from './request-packets.fixture.js';

const runs = scaled(3_000, 100_000);
const seeds = [biosPxeDiscover(), ipxeRequest(), ipxeRequest({ giaddr: [192, 0, 2, 2] })];

/** A datagram: pure noise, or a real request with bytes overwritten, cut off or inserted. */
const datagram = fc.oneof(
  fc.uint8Array({ maxLength: 1_500 }).map((bytes) => Buffer.from(bytes)),
  fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(
        // Mostly overwritten bytes: a datagram cut short or grown by a byte is refused at once, which is the
        // cheaper path and needs fewer cases.
        fc.tuple(
          fc.oneof({ arbitrary: fc.constant('set'), weight: 8 }, fc.constantFrom('cut', 'insert')),
          fc.nat(),
          fc.integer({ min: 0, max: 255 }),
        ),
        { minLength: 1, maxLength: 6 },
      ),
    )
    .map(([seed, edits]) => {
      let bytes = Buffer.from(seed);
      for (const [edit, where, value] of edits) {
        const at = where % Math.max(1, bytes.length);
        if (edit === 'set') bytes[at] = value;
        else if (edit === 'cut') bytes = bytes.subarray(0, at);
        else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([value]), bytes.subarray(at)]);
      }
      return bytes;
    }),
);

function parseOrRefuse(bytes: Buffer): DhcpPacket | undefined {
  try {
    return parseDhcpPacket(bytes);
  } catch (error) {
    assert.ok(error instanceof DhcpPacketError, `not a DhcpPacketError: ${String(error)}`);
    return undefined;
  }
}

function config(mode: DhcpMode): DhcpConfig {
  return {
    mode,
    serverAddress: '192.0.2.1',
    subnet: { network: '192.0.2.0', prefix: 24 },
    router: '192.0.2.254',
    dnsServers: [],
    leaseSeconds: 3600,
    pool: { start: '192.0.2.10', end: '192.0.2.20' },
    bootFiles: dhcpBootFiles('pxelinux'),
    httpBootUrl: 'http://192.0.2.1/boot/',
  };
}

describe('hostile DHCP input', () => {
  it(`parses or refuses ${runs.toLocaleString('en-US')} random and mutated datagrams, and what parses writes back the same`, () => {
    const outcome = { parsed: 0, refused: 0 };
    fc.assert(
      fc.property(datagram, (bytes) => {
        const packet = parseOrRefuse(bytes);
        if (!packet) {
          outcome.refused += 1;
          return;
        }
        outcome.parsed += 1;
        assert.deepEqual(parseDhcpPacket(serializeDhcpPacket(packet)), packet);
      }),
      { numRuns: runs },
    );
    // Both paths must be exercised, or the property proves nothing.
    assert.ok(outcome.parsed > runs / 10 && outcome.refused > runs / 10, JSON.stringify(outcome));
    reportCount('dhcp/hostile-input', 'datagrams parsed or refused', runs);
  });

  it('answers, ignores or refuses every mutated request in each mode, and every answer can be sent', async () => {
    const policyRuns = Math.ceil(runs / 4);
    const modes: DhcpMode[] = ['full', 'proxy', 'reservation'];
    const outcome = { answered: 0, ignored: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(datagram, fc.constantFrom(...modes), fc.boolean(), async (bytes, mode, known) => {
        const packet = parseOrRefuse(bytes);
        if (!packet) return;
        const leases = new InMemoryLeaseStore();
        const directory = {
          hostByMac: async () =>
            known ? { name: 'vm9', ipAddress: '192.0.2.50', netbootEnabled: true } : undefined,
          reservedAddresses: async () => new Set(['192.0.2.50']),
        };
        try {
          const decision = await decideDhcpReply(
            { packet, port: 'dhcp', source: { address: '192.0.2.2', port: 67 }, now: 1_700_000_000_000 },
            config(mode),
            directory,
            leases,
          );
          if (decision?.reply) {
            serializeDhcpPacket(decision.reply.packet);
            outcome.answered += 1;
          } else outcome.ignored += 1;
        } catch (error) {
          assert.ok(error instanceof DhcpPacketError, `not a DhcpPacketError: ${String(error)}`);
          outcome.refused += 1;
        }
      }),
      { numRuns: policyRuns },
    );
    assert.ok(outcome.answered > 0 && outcome.ignored > 0, JSON.stringify(outcome));
    reportCount('dhcp/hostile-input', 'mutated requests through the policy', policyRuns);
  });
});
