// bootwright's DHCP server alone as its own process, the extra row of bench/dhcp.ts beside `bootwright serve`: run
// inside a network namespace (`ip netns exec`) on the real port 67, in `full` mode, with leases in SQLite on disk
// (durable: WAL, synchronous FULL) and a few machines with reserved addresses in a Map instead of the store. No event
// listener, so no timeline: the gap between its row and serve's is what the store lookups and the timeline cost.
// Prints {"ready":true} once listening; SIGTERM prints the server's counters as one JSON line and exits.
// Usage: node --import tsx bench/dhcp-server.fixture.ts '{"leasesPath":...,"pool":{...},"reservations":[...]}'

import { dhcpBootFiles } from '../src/boot/loaders/registry.js';
import type { DhcpHost } from '../src/dhcp/policy.js';
import { startDhcpServer } from '../src/dhcp/server.js';
import { storeBackend } from '../src/store/open-store.js';

interface BenchServerSetup {
  leasesPath: string;
  pool: { start: string; end: string };
  reservations: { mac: string; address: string }[];
}

const setup = JSON.parse(process.argv[2] ?? '{}') as BenchServerSetup;
const hosts = new Map<string, DhcpHost>(
  setup.reservations.map(({ mac, address }, index) => [
    mac,
    { name: `reserved-${index}`, ipAddress: address, netbootEnabled: true },
  ]),
);
const reserved = new Set(setup.reservations.map(({ address }) => address));
const leases = storeBackend(`sqlite:${setup.leasesPath}`).leases();
const server = await startDhcpServer({
  config: {
    mode: 'full',
    serverAddress: '192.0.2.1',
    subnet: { network: '192.0.2.0', prefix: 24 },
    router: '192.0.2.254',
    dnsServers: [],
    domain: 'example.org',
    leaseSeconds: 3600,
    pool: setup.pool,
    bootFiles: dhcpBootFiles('pxelinux'),
    httpBootUrl: 'http://192.0.2.1/boot/',
  },
  directory: { hostByMac: async (mac) => hosts.get(mac), reservedAddresses: async () => reserved },
  leases,
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

process.once('SIGTERM', async () => {
  const stats = server.stats();
  await server.close();
  await leases.close();
  process.stdout.write(`${JSON.stringify({ stats })}\n`);
  process.exit(0);
});
