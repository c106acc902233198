// bootwright's DHCP server as its own process for bench/dhcp.ts: run inside a network namespace (`ip netns exec`)
// on the real port 67, in `full` mode, with leases in SQLite on disk (durable: WAL, synchronous FULL). No event
// listener, so nothing is printed per packet. Prints {"ready":true} once listening; SIGTERM prints the server's
// counters as one JSON line and exits.
// Usage: node --import tsx bench/dhcp-server.fixture.ts LEASES_PATH POOL_START POOL_END

import { SqliteLeaseStore } from '../src/dhcp/leases.js';
import { defaultBootFiles } from '../src/dhcp/policy.js';
import { startDhcpServer } from '../src/dhcp/server.js';

const [leasesPath = 'leases.sqlite', poolStart = '192.0.2.10', poolEnd = '192.0.2.250'] =
  process.argv.slice(2);
const leases = SqliteLeaseStore.open(leasesPath);
const server = await startDhcpServer({
  config: {
    mode: 'full',
    serverAddress: '192.0.2.1',
    subnet: { network: '192.0.2.0', prefix: 24 },
    router: '192.0.2.254',
    dnsServers: [],
    domain: 'example.org',
    leaseSeconds: 3600,
    pool: { start: poolStart, end: poolEnd },
    bootFiles: defaultBootFiles('grub'),
    httpBootUrl: 'http://192.0.2.1/boot/',
  },
  directory: { hostByMac: async () => undefined, reservedAddresses: async () => new Set() },
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
