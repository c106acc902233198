// The DHCP server as its own process, for interop.test.ts: it runs inside a network namespace (`ip netns exec`) on
// the real ports 67, 68 and 4011, with leases in SQLite so a restart can be tested. Setup comes as JSON in argv[2];
// every event goes to stdout as one JSON line, after a first {"ready":true} line. SIGTERM closes it cleanly.

import { dhcpBootFiles } from '../boot/loaders/registry.js';
import { storeBackend } from '../store/open-store.js';
import type { DhcpHost, DhcpMode } from './policy.js';
import { startDhcpServer } from './server.js';

export interface InteropServerSetup {
  mode: DhcpMode;
  leasesPath: string;
  hosts: Record<string, DhcpHost>;
}

const setup = JSON.parse(process.argv[2] ?? '{}') as InteropServerSetup;
const leases = storeBackend(`sqlite:${setup.leasesPath}`).leases();
const hosts = new Map(Object.entries(setup.hosts));
const server = await startDhcpServer({
  config: {
    mode: setup.mode,
    serverAddress: '192.0.2.1',
    subnet: { network: '192.0.2.0', prefix: 24 },
    router: '192.0.2.254',
    dnsServers: [],
    domain: 'example.org',
    leaseSeconds: 3600,
    pool: { start: '192.0.2.100', end: '192.0.2.150' },
    bootFiles: dhcpBootFiles('pxelinux'),
    httpBootUrl: 'http://192.0.2.1/boot/',
    ipxeScriptUrl: (mac) => `http://192.0.2.1/ipxe/${mac}`,
  },
  directory: {
    hostByMac: async (mac) => hosts.get(mac),
    reservedAddresses: async () =>
      new Set([...hosts.values()].flatMap((host) => (host.ipAddress ? [host.ipAddress] : []))),
  },
  leases,
  onEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
});
process.stdout.write(`${JSON.stringify({ ready: true, ports: server.ports })}\n`);

process.once('SIGTERM', async () => {
  await server.close();
  await leases.close();
  process.exit(0);
});
