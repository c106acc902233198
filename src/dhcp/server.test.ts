import { dhcpBootFiles } from '../boot/loaders/registry.js';
// The transport on loopback, with high ports. Only requests whose answers are unicast are used here (through a
// relay address, to a renewing client, back to a PXE port-4011 source): a broadcast reply in the host's own network
// namespace could leave the machine. Broadcast answers are covered in server.interop.test.ts, inside namespaces.

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { BootwrightError } from '../errors.js';
import type { LeaseStore } from '../store/lease-store.js';
import { InMemoryLeaseStore } from '../store/memory-lease-store.js';
import { storeBackend } from '../store/open-store.js';
import { leaseRowOnDisk, lockStoreFile } from '../store/sqlite-file.fixture.js';
import { readMessageType } from './options.js';
import { type DhcpPacket, parseDhcpPacket } from './packet.js';
import type { DhcpConfig, DhcpDirectory, DhcpEvent } from './policy.js';
import { biosPxeDiscover, option, rawPacket } from './request-packets.fixture.js';
import { type DhcpServer, startDhcpServer } from './server.js';

const RELAY = '127.0.0.2';

function config(overrides: Partial<DhcpConfig> = {}): DhcpConfig {
  return {
    mode: 'full',
    serverAddress: '127.0.0.1',
    subnet: { network: '127.0.0.0', prefix: 8 },
    dnsServers: [],
    leaseSeconds: 3600,
    pool: { start: '127.0.0.100', end: '127.0.0.199' },
    bootFiles: dhcpBootFiles('pxelinux'),
    httpBootUrl: 'http://127.0.0.1/boot/',
    ipxeScriptUrl: (mac) => `http://127.0.0.1/ipxe/${mac}`,
    ...overrides,
  };
}

const emptyDirectory: DhcpDirectory = {
  hostByMac: async () => undefined,
  reservedAddresses: async () => new Set(),
};

interface Running {
  server: DhcpServer;
  events: DhcpEvent[];
  leases: LeaseStore;
}

async function start(
  context: TestContext,
  overrides: Partial<DhcpConfig> = {},
  options: {
    directory?: DhcpDirectory;
    leases?: LeaseStore;
    onEvent?: (event: DhcpEvent) => void;
    clientPort?: number;
    handlerTimeoutMs?: number;
  } = {},
): Promise<Running> {
  const events: DhcpEvent[] = [];
  const leases = options.leases ?? new InMemoryLeaseStore();
  const server = await startDhcpServer({
    config: config(overrides),
    directory: options.directory ?? emptyDirectory,
    leases,
    host: '127.0.0.1',
    port: 0,
    pxePort: 0,
    clientPort: options.clientPort ?? 0,
    ...(options.handlerTimeoutMs ? { handlerTimeoutMs: options.handlerTimeoutMs } : {}),
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  context.after(() => server.close());
  return { server, events, leases };
}

/** A UDP socket that plays a relay agent or a client, collecting what it receives. */
async function peer(context: TestContext, address: string, port = 0) {
  const socket = dgram.createSocket('udp4');
  socket.bind(port, address);
  await once(socket, 'listening');
  context.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return {
    port: socket.address().port,
    send: (bytes: Buffer, to: number, host = '127.0.0.1') =>
      new Promise<void>((resolve, reject) =>
        socket.send(bytes, to, host, (error) => (error ? reject(error) : resolve())),
      ),
    async receive(timeoutMs = 2000): Promise<DhcpPacket> {
      const [message] = (await Promise.race([
        once(socket, 'message'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no reply')), timeoutMs).unref()),
      ])) as [Buffer];
      return parseDhcpPacket(message);
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const discover = (mac: number) =>
  rawPacket({ giaddr: [127, 0, 0, 2], mac: `52:54:00:00:00:${mac.toString(16).padStart(2, '0')}` }, [
    ...option(53, [1]),
    255,
  ]);

describe('startDhcpServer', () => {
  it('gives up on a request whose lookup hangs and goes on answering the other clients', async (context) => {
    const hung = '52:54:00:00:00:01';
    const directory: DhcpDirectory = {
      hostByMac: (mac) => (mac === hung ? new Promise(() => undefined) : Promise.resolve(undefined)),
      reservedAddresses: async () => new Set(),
    };
    const { server } = await start(context, {}, { directory, handlerTimeoutMs: 300 });
    const relay = await peer(context, RELAY, server.ports.dhcp);
    await relay.send(discover(1), server.ports.dhcp as number);
    await relay.send(discover(2), server.ports.dhcp as number);
    const offer = await relay.receive();
    assert.equal(offer.chaddr.subarray(0, 6).toString('hex'), '525400000002');
    assert.equal(server.stats().failed, 1, 'the hung request is counted as failed once given up');
  });

  it('answers a relayed DISCOVER and REQUEST on the relay address, writing the lease first', async (context) => {
    const { server, events, leases } = await start(context);
    const relay = await peer(context, RELAY, server.ports.dhcp);
    await relay.send(discover(1), server.ports.dhcp as number);
    const offer = await relay.receive();
    assert.equal(readMessageType(offer.options), 2);
    assert.equal(offer.yiaddr, '127.0.0.100');
    const request = rawPacket({ giaddr: [127, 0, 0, 2], mac: '52:54:00:00:00:01' }, [
      ...option(53, [3]),
      ...option(50, [127, 0, 0, 100]),
      ...option(54, [127, 0, 0, 1]),
      255,
    ]);
    await relay.send(request, server.ports.dhcp as number);
    const ack = await relay.receive();
    assert.equal(readMessageType(ack.options), 5);
    assert.equal((await leases.byMac('52:54:00:00:00:01'))?.state, 'bound');
    assert.deepEqual(
      events.map((event) => `${event.type} ${event.address ?? ''}`.trim()),
      ['discover', 'offer 127.0.0.100', 'request 127.0.0.100', 'ack 127.0.0.100'],
    );
    assert.equal(events[0]?.relay, RELAY);
    assert.deepEqual(server.stats(), {
      received: 2,
      malformed: 0,
      ignored: 0,
      replied: 2,
      failed: 0,
      dropped: 0,
    });
  });

  it('sends a DHCPACK only once its lease is on disk, and an offer without waiting for the disk', async (context) => {
    const path = join(tempDir(context), 'leases.db');
    const leases = storeBackend(`sqlite:${path}`).leases();
    context.after(() => leases.close());
    const { server } = await start(context, {}, { leases });
    const relay = await peer(context, RELAY, server.ports.dhcp);
    // Another connection holds the database's write lock, so no lease can reach the disk until it lets go.
    const blocker = lockStoreFile(path);
    context.after(() => blocker.close());
    await relay.send(discover(7), server.ports.dhcp as number);
    const offer = await relay.receive();
    assert.equal(
      readMessageType(offer.options),
      2,
      'an offer is no commitment: it does not wait for the disk',
    );
    const request = rawPacket({ giaddr: [127, 0, 0, 2], mac: '52:54:00:00:00:07' }, [
      ...option(53, [3]),
      ...option(50, [127, 0, 0, 100]),
      ...option(54, [127, 0, 0, 1]),
      255,
    ]);
    await relay.send(request, server.ports.dhcp as number);
    await assert.rejects(relay.receive(500), /no reply/, 'no ACK while its lease cannot be written');
    blocker.release();
    const ack = await relay.receive();
    assert.equal(readMessageType(ack.options), 5);
    const onDisk = leaseRowOnDisk(path, '127.0.0.100');
    assert.deepEqual(onDisk, { mac: '52:54:00:00:00:07', state: 'bound' });
  });

  it('unicasts to a renewing client at its address', async (context) => {
    const client = await peer(context, '127.0.0.150');
    const { server, leases } = await start(context, {}, { clientPort: client.port });
    // RENEWING: ciaddr set, no options 50 or 54; the ACK goes to ciaddr on the client port (RFC 2131 §4.1).
    const renew = rawPacket({ ciaddr: [127, 0, 0, 150], mac: '52:54:00:00:00:06' }, [
      ...option(53, [3]),
      255,
    ]);
    await client.send(renew, server.ports.dhcp as number);
    const ack = await client.receive();
    assert.equal(readMessageType(ack.options), 5);
    assert.equal(ack.yiaddr, '127.0.0.150');
    assert.equal((await leases.byAddress('127.0.0.150'))?.mac, '52:54:00:00:00:06');
  });

  it('drops and counts malformed datagrams and keeps answering', async (context) => {
    const { server, events } = await start(context);
    const relay = await peer(context, RELAY, server.ports.dhcp);
    const garbage = [
      Buffer.alloc(0),
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      Buffer.alloc(300, 0xff),
      rawPacket({}, [53, 9, 1]),
      rawPacket({ giaddr: [127, 0, 0, 2] }, [
        ...option(53, [1]),
        ...option(93, [0]),
        ...option(60, 'PXEClient'),
        255,
      ]),
    ];
    for (let round = 0; round < 40; round += 1) {
      for (const bytes of garbage) await relay.send(bytes, server.ports.dhcp as number);
      // Loopback drops datagrams once the socket buffer is full; pace the rounds so all 200 arrive.
      await until(() => server.stats().received === (round + 1) * garbage.length);
    }
    await relay.send(discover(2), server.ports.dhcp as number);
    const offer = await relay.receive();
    assert.equal(readMessageType(offer.options), 2);
    const stats = server.stats();
    assert.equal(stats.malformed, 200);
    assert.equal(stats.replied, 1);
    assert.equal(stats.received, 201);
    assert.equal(events.length, 2, 'malformed packets raise no events');
  });

  it('survives a failing directory, lease store and event listener', async (context) => {
    let failDirectory = true;
    let failWrites = true;
    const leases = new InMemoryLeaseStore();
    const flaky: LeaseStore = Object.assign(Object.create(leases) as LeaseStore, {
      upsert: async (lease: Parameters<LeaseStore['upsert']>[0]) => {
        if (failWrites) throw new Error('disk full');
        return leases.upsert(lease);
      },
    });
    const { server } = await start(
      context,
      {},
      {
        leases: flaky,
        directory: {
          hostByMac: async () => {
            if (failDirectory) throw new Error('store unavailable');
            return undefined;
          },
          reservedAddresses: async () => new Set(),
        },
        onEvent: () => {
          throw new Error('listener bug');
        },
      },
    );
    const relay = await peer(context, RELAY, server.ports.dhcp);
    await relay.send(discover(3), server.ports.dhcp as number);
    failDirectory = false;
    await relay.send(discover(3), server.ports.dhcp as number);
    await assert.rejects(relay.receive(500), /no reply/, 'no offer when its lease could not be written');
    failWrites = false;
    await relay.send(discover(3), server.ports.dhcp as number);
    const offer = await relay.receive();
    assert.equal(offer.yiaddr, '127.0.0.100');
    assert.equal(server.stats().failed, 2);
  });

  it('answers the PXE boot-server port in proxy mode, back to the source', async (context) => {
    const { server, events } = await start(context, { mode: 'proxy', pool: undefined });
    assert.ok(server.ports.pxe);
    const client = await peer(context, '127.0.0.4');
    const request = rawPacket({ ciaddr: [127, 0, 0, 4], mac: '52:54:00:00:00:05' }, [
      ...option(53, [3]),
      ...option(93, [0, 0]),
      ...option(60, 'PXEClient:Arch:00000:UNDI:002001'),
      255,
    ]);
    await client.send(request, server.ports.pxe);
    const ack = await client.receive();
    assert.equal(readMessageType(ack.options), 5);
    assert.equal(ack.file, 'pxelinux.0');
    assert.equal(ack.yiaddr, '0.0.0.0');
    assert.deepEqual(
      events.map((event) => event.type),
      ['request', 'ack'],
    );
    // A relayed DISCOVER to the DHCP port gets a proxy offer through the relay.
    const relay = await peer(context, RELAY, server.ports.dhcp);
    await relay.send(biosPxeDiscover({ giaddr: [127, 0, 0, 2] }), server.ports.dhcp as number);
    const offer = await relay.receive();
    assert.equal(readMessageType(offer.options), 2);
    assert.equal(offer.yiaddr, '0.0.0.0');
  });

  it('opens nothing in mode off', async (context) => {
    const { server } = await start(context, { mode: 'off' });
    assert.deepEqual(server.ports, {});
  });

  it('refuses a server address that is not on this host, in one sentence', async () => {
    await assert.rejects(
      startDhcpServer({
        config: config({
          serverAddress: '192.0.2.99',
          subnet: { network: '192.0.2.0', prefix: 24 },
          pool: { start: '192.0.2.100', end: '192.0.2.110' },
        }),
        directory: emptyDirectory,
        leases: new InMemoryLeaseStore(),
        host: '127.0.0.1',
        port: 0,
      }),
      (error: unknown) => {
        assert.ok(error instanceof BootwrightError);
        assert.equal(error.code, 'E_INVALID');
        assert.match(
          error.message,
          /^The DHCP server address "192\.0\.2\.99" is not an address of this host \(it has .*127\.0\.0\.1.*\); set it to .*\.$/,
        );
        return true;
      },
    );
  });

  it('refuses an invalid configuration before opening a socket', async () => {
    await assert.rejects(
      startDhcpServer({
        config: config({ pool: undefined }),
        directory: emptyDirectory,
        leases: new InMemoryLeaseStore(),
        port: 0,
      }),
      /needs a pool/,
    );
  });

  it('closes once, however often it is asked', async (context) => {
    const { server } = await start(context);
    await Promise.all([server.close(), server.close()]);
    await server.close();
  });
});
