import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dhcpBootFiles } from '../boot/loaders/registry.js';
import type { LeaseStore } from '../store/lease-store.js';
import { InMemoryLeaseStore } from '../store/memory-lease-store.js';
import {
  DhcpOption,
  readEncapsulated,
  readIpv4,
  readIpv4List,
  readMessageType,
  readString,
  readUint32,
} from './options.js';
import {
  BOOTREPLY,
  BOOTREQUEST,
  type DhcpPacket,
  DhcpPacketError,
  parseDhcpPacket,
  serializeDhcpPacket,
} from './packet.js';
import {
  checkDhcpConfig,
  type DhcpConfig,
  type DhcpDecision,
  type DhcpDirectory,
  type DhcpHost,
  decideDhcpReply,
} from './policy.js';
import {
  BIOS_ROM_MAC,
  biosPxeDiscover,
  GUID_BYTES,
  IPXE_MAC,
  ipxeRequest,
  option,
  rawPacket,
} from './request-packets.fixture.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

function config(overrides: Partial<DhcpConfig> = {}): DhcpConfig {
  return {
    mode: 'full',
    serverAddress: '192.0.2.1',
    subnet: { network: '192.0.2.0', prefix: 24 },
    router: '192.0.2.254',
    dnsServers: ['192.0.2.53'],
    domain: 'example.org',
    leaseSeconds: 3600,
    pool: { start: '192.0.2.100', end: '192.0.2.199' },
    bootFiles: dhcpBootFiles('pxelinux'),
    httpBootUrl: 'http://192.0.2.1/boot/',
    ipxeScriptUrl: (mac) => `http://192.0.2.1/ipxe/${mac}`,
    ...overrides,
  };
}

function directory(hosts: Record<string, DhcpHost> = {}, otherReserved: string[] = []): DhcpDirectory {
  return {
    hostByMac: async (mac) => hosts[mac],
    reservedAddresses: async () =>
      new Set([
        ...Object.values(hosts).flatMap((host) => (host.ipAddress ? [host.ipAddress] : [])),
        ...otherReserved,
      ]),
  };
}

interface RequestShape {
  type: number;
  mac?: string;
  ciaddr?: string;
  giaddr?: string;
  flags?: number;
  options?: [number, Buffer | readonly number[] | string][];
}

function packet(shape: RequestShape): DhcpPacket {
  const mac = shape.mac ?? '52:54:00:00:00:01';
  const options = new Map<number, Buffer>([[DhcpOption.MessageType, Buffer.from([shape.type])]]);
  for (const [code, value] of shape.options ?? []) {
    options.set(code, Buffer.isBuffer(value) ? value : Buffer.from(value as never));
  }
  return {
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0x01020304,
    secs: 0,
    flags: shape.flags ?? 0,
    ciaddr: shape.ciaddr ?? '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: shape.giaddr ?? '0.0.0.0',
    chaddr: Buffer.concat([
      Buffer.from(mac.split(':').map((hex) => Number.parseInt(hex, 16))),
      Buffer.alloc(10),
    ]),
    sname: '',
    file: '',
    options,
  };
}

const ip = (address: string): Buffer => Buffer.from(address.split('.').map(Number));
const DISCOVER = 1;
const REQUEST = 3;
const DECLINE = 4;
const RELEASE = 7;
const INFORM = 8;

class Harness {
  now = NOW;
  constructor(
    readonly config: DhcpConfig,
    readonly directory: DhcpDirectory = directoryFor(),
    readonly leases: LeaseStore = new InMemoryLeaseStore(),
  ) {}

  async decide(
    request: DhcpPacket | Buffer,
    port: 'dhcp' | 'pxe' = 'dhcp',
    source = { address: '0.0.0.0', port: 68 },
  ): Promise<DhcpDecision | undefined> {
    const parsed = Buffer.isBuffer(request) ? parseDhcpPacket(request) : request;
    const decision = await decideDhcpReply(
      { packet: parsed, port, source, now: this.now },
      this.config,
      this.directory,
      this.leases,
    );
    for (const write of decision?.leaseWrites ?? []) {
      if (write.kind === 'upsert') await this.leases.upsert(write.lease);
      else await this.leases.release(write.address);
    }
    return decision;
  }

  async reply(request: DhcpPacket | Buffer, port: 'dhcp' | 'pxe' = 'dhcp') {
    const decision = await this.decide(request, port);
    assert.ok(decision?.reply, `expected a reply, got ${JSON.stringify(decision?.ignored ?? decision)}`);
    return decision.reply;
  }

  async ignored(request: DhcpPacket | Buffer, reason: RegExp, port: 'dhcp' | 'pxe' = 'dhcp'): Promise<void> {
    const decision = await this.decide(request, port);
    assert.ok(decision, 'expected a decision');
    assert.equal(decision.reply, undefined, `expected no reply, got ${decision.reply?.event.type}`);
    assert.match(decision.ignored?.reason ?? '', reason);
  }

  /** DISCOVER then REQUEST, as a client in INIT would; returns the acknowledged address. */
  async bind(mac: string, extra: RequestShape['options'] = []): Promise<string> {
    const offer = await this.reply(packet({ type: DISCOVER, mac, options: extra }));
    assert.equal(readMessageType(offer.packet.options), 2);
    const address = offer.packet.yiaddr;
    const ack = await this.reply(
      packet({
        type: REQUEST,
        mac,
        options: [
          ...extra,
          [DhcpOption.RequestedAddress, ip(address)],
          [DhcpOption.ServerIdentifier, ip('192.0.2.1')],
        ],
      }),
    );
    assert.equal(readMessageType(ack.packet.options), 5, JSON.stringify(ack.event));
    assert.equal(ack.packet.yiaddr, address);
    return address;
  }
}

function directoryFor(hosts: Record<string, DhcpHost> = {}, otherReserved: string[] = []): DhcpDirectory {
  return directory(hosts, otherReserved);
}

describe('decideDhcpReply in full mode', () => {
  it('offers the first pool address with the network options, then acknowledges and records it', async () => {
    const harness = new Harness(config());
    const offer = await harness.reply(packet({ type: DISCOVER, mac: '52:54:00:00:00:01' }));
    const { options } = offer.packet;
    assert.equal(offer.packet.op, BOOTREPLY);
    assert.equal(offer.packet.xid, 0x01020304);
    assert.equal(offer.packet.yiaddr, '192.0.2.100');
    assert.equal(readMessageType(options), 2);
    assert.equal(readIpv4(options, DhcpOption.ServerIdentifier), '192.0.2.1');
    assert.equal(readIpv4(options, DhcpOption.SubnetMask), '255.255.255.0');
    assert.equal(readIpv4(options, DhcpOption.Router), '192.0.2.254');
    assert.deepEqual(readIpv4List(options, DhcpOption.DomainNameServer), ['192.0.2.53']);
    assert.equal(readString(options, DhcpOption.DomainName), 'example.org');
    assert.equal(readUint32(options, DhcpOption.LeaseTime), 3600);
    assert.equal(readUint32(options, DhcpOption.RenewalTime), 1800);
    assert.equal(readUint32(options, DhcpOption.RebindingTime), 3150);
    assert.equal(
      options.has(DhcpOption.BootFileName),
      false,
      'no boot file for a client that is not netbooting',
    );
    assert.deepEqual(offer.destination, { kind: 'broadcast' });
    assert.deepEqual(offer.event, { type: 'offer', mac: '52:54:00:00:00:01', address: '192.0.2.100' });
    assert.equal((await harness.leases.byAddress('192.0.2.100'))?.state, 'offered');

    const address = await harness.bind('52:54:00:00:00:01');
    assert.equal(address, '192.0.2.100');
    const lease = await harness.leases.byMac('52:54:00:00:00:01');
    assert.equal(lease?.state, 'bound');
    assert.equal(lease?.expiresAt, NOW + 3600_000);
  });

  it('gives each client its own address and never two clients one offer', async () => {
    const harness = new Harness(config());
    const first = await harness.reply(packet({ type: DISCOVER, mac: '52:54:00:00:00:01' }));
    const second = await harness.reply(packet({ type: DISCOVER, mac: '52:54:00:00:00:02' }));
    assert.equal(first.packet.yiaddr, '192.0.2.100');
    assert.equal(second.packet.yiaddr, '192.0.2.101');
  });

  it('falls back to the server address for DNS, which debian-installer needs', async () => {
    const harness = new Harness(config({ dnsServers: [] }));
    const offer = await harness.reply(packet({ type: DISCOVER }));
    assert.deepEqual(readIpv4List(offer.packet.options, DhcpOption.DomainNameServer), ['192.0.2.1']);
  });

  it('keeps the same address on renewal, rebinding, reboot and rediscovery', async () => {
    const harness = new Harness(config());
    const mac = '52:54:00:00:00:07';
    await harness.bind('52:54:00:00:00:01');
    const address = await harness.bind(mac);
    assert.equal(address, '192.0.2.101');
    harness.now += 1800_000;
    // RENEWING: unicast from the bound address, ciaddr set, no option 50 or 54 (RFC 2131 §4.3.2).
    const renew = await harness.reply(packet({ type: REQUEST, mac, ciaddr: address }));
    assert.equal(readMessageType(renew.packet.options), 5);
    assert.equal(renew.packet.yiaddr, address);
    assert.equal(renew.packet.ciaddr, address);
    assert.deepEqual(renew.destination, { kind: 'client', address });
    assert.equal((await harness.leases.byMac(mac))?.expiresAt, harness.now + 3600_000);
    // INIT-REBOOT: option 50, no server identifier, ciaddr 0.
    const reboot = await harness.reply(packet({ type: REQUEST, mac, options: [[50, ip(address)]] }));
    assert.equal(reboot.packet.yiaddr, address);
    assert.deepEqual(reboot.destination, { kind: 'broadcast' });
    // A client that lost its state and starts over gets its address back, and the lease stays bound.
    const offer = await harness.reply(packet({ type: DISCOVER, mac }));
    assert.equal(offer.packet.yiaddr, address);
    assert.equal((await harness.leases.byMac(mac))?.state, 'bound');
    // Even after the lease ran out, while nobody else took the address.
    harness.now += 7200_000;
    const later = await harness.reply(packet({ type: DISCOVER, mac }));
    assert.equal(later.packet.yiaddr, address);
  });

  it('honours a requested address when it is free, and not otherwise', async () => {
    const harness = new Harness(config());
    const wish = await harness.reply(packet({ type: DISCOVER, options: [[50, ip('192.0.2.150')]] }));
    assert.equal(wish.packet.yiaddr, '192.0.2.150');
    const outside = await harness.reply(
      packet({ type: DISCOVER, mac: '52:54:00:00:00:02', options: [[50, ip('192.0.2.10')]] }),
    );
    assert.equal(outside.packet.yiaddr, '192.0.2.100');
    const taken = await harness.reply(
      packet({ type: DISCOVER, mac: '52:54:00:00:00:03', options: [[50, ip('192.0.2.150')]] }),
    );
    assert.equal(taken.packet.yiaddr, '192.0.2.101');
  });

  it('never hands out a reserved address, the server, the router or a DNS server', async () => {
    const harness = new Harness(
      config({ pool: { start: '192.0.2.0', end: '192.0.2.255' }, dnsServers: ['192.0.2.2'] }),
      directoryFor({ 'aa:aa:aa:aa:aa:01': { name: 'web1', ipAddress: '192.0.2.3', netbootEnabled: true } }, [
        '192.0.2.4',
        '192.0.2.5',
      ]),
    );
    const given: string[] = [];
    for (let index = 0; index < 248; index += 1) {
      given.push(await harness.bind(`52:54:00:00:01:${index.toString(16).padStart(2, '0')}`));
    }
    const forbidden = ['192.0.2.0', '192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'];
    for (const address of forbidden.concat('192.0.2.254', '192.0.2.255'))
      assert.ok(!given.includes(address), address);
    assert.equal(new Set(given).size, 248);
    // A client asking for a reserved address by name is refused too.
    const nak = await harness.reply(
      packet({ type: REQUEST, mac: '52:54:00:00:02:01', options: [[50, ip('192.0.2.4')]] }),
    );
    assert.equal(readMessageType(nak.packet.options), 6);
    await harness.ignored(packet({ type: DISCOVER, mac: '52:54:00:00:02:02' }), /pool is exhausted/);
  });

  it('gives known systems their reserved address, host name, netmask and gateway, and pool addresses to others', async () => {
    const harness = new Harness(
      config(),
      directoryFor({
        'aa:aa:aa:aa:aa:01': {
          name: 'vm9',
          ipAddress: '192.0.2.9',
          netmask: '255.255.255.128',
          gateway: '192.0.2.126',
          hostname: 'vm9.example.org',
          netbootEnabled: true,
        },
        'aa:aa:aa:aa:aa:02': { name: 'nostatic', netbootEnabled: true },
      }),
    );
    const offer = await harness.reply(packet({ type: DISCOVER, mac: 'aa:aa:aa:aa:aa:01' }));
    assert.equal(offer.packet.yiaddr, '192.0.2.9');
    assert.equal(readIpv4(offer.packet.options, DhcpOption.SubnetMask), '255.255.255.128');
    assert.equal(readIpv4(offer.packet.options, DhcpOption.Router), '192.0.2.126');
    assert.equal(readString(offer.packet.options, DhcpOption.HostName), 'vm9.example.org');
    assert.equal(await harness.bind('aa:aa:aa:aa:aa:01'), '192.0.2.9');
    assert.equal((await harness.leases.byAddress('192.0.2.9'))?.hostname, 'vm9.example.org');
    assert.equal(await harness.bind('aa:aa:aa:aa:aa:02'), '192.0.2.100');
    const wrong = await harness.reply(
      packet({ type: REQUEST, mac: 'aa:aa:aa:aa:aa:01', ciaddr: '192.0.2.100' }),
    );
    assert.equal(readMessageType(wrong.packet.options), 6);
    assert.match(readString(wrong.packet.options, DhcpOption.Message) ?? '', /not the address reserved/);
  });

  it('answers nothing once the pool is exhausted, until a lease runs out', async () => {
    const harness = new Harness(config({ pool: { start: '192.0.2.100', end: '192.0.2.102' } }));
    for (const suffix of ['01', '02', '03']) await harness.bind(`52:54:00:00:00:${suffix}`);
    await harness.ignored(packet({ type: DISCOVER, mac: '52:54:00:00:00:04' }), /pool is exhausted/);
    harness.now += 3600_000 + 1;
    const offer = await harness.reply(packet({ type: DISCOVER, mac: '52:54:00:00:00:04' }));
    assert.equal(offer.packet.yiaddr, '192.0.2.100');
  });

  it('holds an offer for its client only for the offer time', async () => {
    const harness = new Harness(
      config({ pool: { start: '192.0.2.100', end: '192.0.2.100' }, offerSeconds: 30 }),
    );
    await harness.reply(packet({ type: DISCOVER, mac: '52:54:00:00:00:01' }));
    await harness.ignored(packet({ type: DISCOVER, mac: '52:54:00:00:00:02' }), /exhausted/);
    harness.now += 31_000;
    const offer = await harness.reply(packet({ type: DISCOVER, mac: '52:54:00:00:00:02' }));
    assert.equal(offer.packet.yiaddr, '192.0.2.100');
    // The first client comes back too late: the address went to the other one.
    const late = await harness.reply(
      packet({
        type: REQUEST,
        mac: '52:54:00:00:00:01',
        options: [
          [50, ip('192.0.2.100')],
          [54, ip('192.0.2.1')],
        ],
      }),
    );
    assert.equal(readMessageType(late.packet.options), 6);
  });

  it('frees its offer when the client chooses another server', async () => {
    const harness = new Harness(config());
    await harness.reply(packet({ type: DISCOVER }));
    await harness.ignored(
      packet({
        type: REQUEST,
        options: [
          [50, ip('192.0.2.77')],
          [54, ip('192.0.2.2')],
        ],
      }),
      /chose server 192\.0\.2\.2/,
    );
    assert.equal(await harness.leases.byAddress('192.0.2.100'), undefined);
  });

  it('NAKs addresses on other networks and addresses of other clients, by broadcast', async () => {
    const harness = new Harness(config());
    await harness.bind('52:54:00:00:00:01');
    const foreign = await harness.reply(
      packet({ type: REQUEST, mac: '52:54:00:00:00:02', options: [[50, ip('198.51.100.7')]] }),
    );
    assert.equal(readMessageType(foreign.packet.options), 6);
    assert.equal(foreign.packet.yiaddr, '0.0.0.0');
    assert.deepEqual(foreign.destination, { kind: 'broadcast' });
    assert.match(readString(foreign.packet.options, DhcpOption.Message) ?? '', /not on this network/);
    assert.equal(foreign.event.type, 'nak');
    const stolen = await harness.reply(
      packet({ type: REQUEST, mac: '52:54:00:00:00:02', ciaddr: '192.0.2.100' }),
    );
    assert.equal(readMessageType(stolen.packet.options), 6);
    assert.deepEqual(
      stolen.destination,
      { kind: 'broadcast' },
      'a NAK is broadcast even to a renewing client',
    );
  });

  it('acknowledges a free pool address a client asks for without a record here', async () => {
    const harness = new Harness(config());
    const ack = await harness.reply(packet({ type: REQUEST, options: [[50, ip('192.0.2.123')]] }));
    assert.equal(readMessageType(ack.packet.options), 5);
    assert.equal((await harness.leases.byAddress('192.0.2.123'))?.state, 'bound');
  });

  it('keeps a declined address out of the pool for the decline time', async () => {
    const harness = new Harness(config({ declineSeconds: 600 }));
    const address = await harness.bind('52:54:00:00:00:01');
    const decision = await harness.decide(
      packet({
        type: DECLINE,
        mac: '52:54:00:00:00:01',
        options: [
          [50, ip(address)],
          [54, ip('192.0.2.1')],
        ],
      }),
    );
    assert.equal(decision?.reply, undefined);
    assert.equal(decision?.received.type, 'decline');
    assert.equal((await harness.leases.byAddress(address))?.state, 'declined');
    assert.equal(await harness.leases.byMac('52:54:00:00:00:01'), undefined);
    // The client that declined starts over and gets another address; so does everyone else.
    assert.equal(await harness.bind('52:54:00:00:00:01'), '192.0.2.101');
    assert.equal(await harness.bind('52:54:00:00:00:02'), '192.0.2.102');
    harness.now += 601_000;
    assert.equal(await harness.bind('52:54:00:00:00:03'), address);
  });

  it('ignores a decline for an address the client does not hold', async () => {
    const harness = new Harness(config());
    await harness.bind('52:54:00:00:00:01');
    await harness.ignored(
      packet({ type: DECLINE, mac: '52:54:00:00:00:02', options: [[50, ip('192.0.2.100')]] }),
      /not leased to this client/,
    );
    assert.equal((await harness.leases.byAddress('192.0.2.100'))?.state, 'bound');
  });

  it('frees a released address for the next client, and ignores releases of others', async () => {
    const harness = new Harness(config());
    const address = await harness.bind('52:54:00:00:00:01');
    await harness.ignored(packet({ type: RELEASE, mac: '52:54:00:00:00:02', ciaddr: address }), /not leased/);
    const decision = await harness.decide(
      packet({ type: RELEASE, mac: '52:54:00:00:00:01', ciaddr: address, options: [[54, ip('192.0.2.1')]] }),
    );
    assert.equal(decision?.reply, undefined);
    assert.deepEqual(decision?.leaseWrites, [{ kind: 'release', address }]);
    assert.equal(await harness.leases.byAddress(address), undefined);
    assert.equal(await harness.bind('52:54:00:00:00:02'), address);
  });

  it('answers DHCPINFORM with configuration only, unicast', async () => {
    const harness = new Harness(config());
    const ack = await harness.reply(packet({ type: INFORM, ciaddr: '192.0.2.20' }));
    assert.equal(readMessageType(ack.packet.options), 5);
    assert.equal(ack.packet.yiaddr, '0.0.0.0');
    assert.equal(ack.packet.options.has(DhcpOption.LeaseTime), false);
    assert.equal(readIpv4(ack.packet.options, DhcpOption.Router), '192.0.2.254');
    assert.deepEqual(ack.destination, { kind: 'client', address: '192.0.2.20' });
  });

  it('echoes the client identifier (RFC 6842) and copies the broadcast flag', async () => {
    const harness = new Harness(config());
    const clientId = Buffer.from([1, 0x52, 0x54, 0, 0, 0, 1]);
    const offer = await harness.reply(packet({ type: DISCOVER, flags: 0x8000, options: [[61, clientId]] }));
    assert.deepEqual(offer.packet.options.get(DhcpOption.ClientIdentifier), clientId);
    assert.equal(offer.packet.flags, 0x8000);
    assert.deepEqual(offer.destination, { kind: 'broadcast' });
  });
});

describe('decideDhcpReply through relay agents', () => {
  const relayInfo = Buffer.from([1, 4, 0x65, 0x74, 0x68, 0x30, 2, 2, 0xab, 0xcd]);

  it('answers the relay on its address, with the relay information echoed', async () => {
    const harness = new Harness(config());
    const offer = await harness.reply(
      packet({ type: DISCOVER, giaddr: '192.0.2.254', options: [[82, relayInfo]] }),
    );
    assert.deepEqual(offer.destination, { kind: 'relay', address: '192.0.2.254' });
    assert.equal(offer.packet.giaddr, '192.0.2.254');
    assert.deepEqual(offer.packet.options.get(DhcpOption.RelayAgentInformation), relayInfo);
    const written = parseDhcpPacket(serializeDhcpPacket(offer.packet));
    assert.equal([...written.options.keys()].at(-1), DhcpOption.RelayAgentInformation, 'RFC 3046 §2.1: last');
    assert.equal(offer.event.relay, '192.0.2.254');
    const ack = await harness.reply(
      packet({
        type: REQUEST,
        giaddr: '192.0.2.254',
        options: [
          [50, ip(offer.packet.yiaddr)],
          [54, ip('192.0.2.1')],
        ],
      }),
    );
    assert.deepEqual(ack.destination, { kind: 'relay', address: '192.0.2.254' });
  });

  it('sets the broadcast bit on a NAK through a relay (RFC 2131 §4.3.2)', async () => {
    const harness = new Harness(config());
    const nak = await harness.reply(
      packet({ type: REQUEST, giaddr: '192.0.2.254', options: [[50, ip('198.51.100.1')]] }),
    );
    assert.equal(readMessageType(nak.packet.options), 6);
    assert.equal(nak.packet.flags & 0x8000, 0x8000);
    assert.deepEqual(nak.destination, { kind: 'relay', address: '192.0.2.254' });
  });

  it('ignores relays on subnets it does not serve', async () => {
    const harness = new Harness(config());
    await harness.ignored(
      packet({ type: DISCOVER, giaddr: '198.51.100.1' }),
      /relay 198\.51\.100\.1 is not on/,
    );
  });

  it('answers relayed PXE clients in proxy mode through the relay', async () => {
    const harness = new Harness(config({ mode: 'proxy' }));
    const offer = await harness.reply(biosPxeDiscover({ giaddr: [198, 51, 100, 1] }));
    assert.deepEqual(offer.destination, { kind: 'relay', address: '198.51.100.1' });
  });
});

describe('decideDhcpReply in reservation mode', () => {
  const hosts = {
    'aa:aa:aa:aa:aa:01': { name: 'vm9', ipAddress: '192.0.2.9', netbootEnabled: true },
    'aa:aa:aa:aa:aa:02': { name: 'nostatic', netbootEnabled: true },
    'aa:aa:aa:aa:aa:03': { name: 'elsewhere', ipAddress: '198.51.100.9', netbootEnabled: true },
  };

  it('gives known systems their reserved address and ignores everyone else', async () => {
    const harness = new Harness(config({ mode: 'reservation', pool: undefined }), directoryFor(hosts));
    assert.equal(await harness.bind('aa:aa:aa:aa:aa:01'), '192.0.2.9');
    assert.equal((await harness.leases.byAddress('192.0.2.9'))?.state, 'bound');
    await harness.ignored(packet({ type: DISCOVER, mac: '52:54:00:00:00:01' }), /unknown MAC/);
    await harness.ignored(packet({ type: DISCOVER, mac: 'aa:aa:aa:aa:aa:02' }), /"nostatic" has no address/);
    await harness.ignored(packet({ type: DISCOVER, mac: 'aa:aa:aa:aa:aa:03' }), /"elsewhere" has no address/);
    await harness.ignored(
      packet({ type: REQUEST, mac: '52:54:00:00:00:01', ciaddr: '192.0.2.9' }),
      /unknown MAC/,
    );
  });

  it('NAKs a known system asking for another address', async () => {
    const harness = new Harness(config({ mode: 'reservation', pool: undefined }), directoryFor(hosts));
    const nak = await harness.reply(
      packet({ type: REQUEST, mac: 'aa:aa:aa:aa:aa:01', options: [[50, ip('192.0.2.10')]] }),
    );
    assert.equal(readMessageType(nak.packet.options), 6);
  });
});

describe('decideDhcpReply for netboot clients', () => {
  const archDiscover = (
    arch: number,
    vendor = `PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003016`,
  ) =>
    rawPacket({ mac: '52:54:00:00:00:09', flags: 0x8000 }, [
      ...option(53, [1]),
      ...option(93, [arch >> 8, arch & 0xff]),
      ...option(60, vendor),
      ...option(97, GUID_BYTES),
      255,
    ]);

  it('answers a BIOS PXE ROM with siaddr, file, options 66/67, 60, 43 and its GUID', async () => {
    const harness = new Harness(config());
    const offer = await harness.reply(biosPxeDiscover());
    const { packet: reply } = offer;
    assert.equal(reply.yiaddr, '192.0.2.100');
    assert.equal(reply.siaddr, '192.0.2.1');
    assert.equal(reply.file, 'pxelinux.0');
    assert.equal(readString(reply.options, DhcpOption.TftpServerName), '192.0.2.1');
    assert.equal(readString(reply.options, DhcpOption.BootFileName), 'pxelinux.0');
    assert.equal(readString(reply.options, DhcpOption.VendorClass), 'PXEClient');
    assert.deepEqual(reply.options.get(DhcpOption.VendorSpecific), Buffer.from([6, 1, 8, 255]));
    assert.deepEqual(reply.options.get(DhcpOption.ClientMachineIdentifier), Buffer.from(GUID_BYTES));
    assert.equal(reply.flags, 0x8000);
    assert.deepEqual(offer.event, {
      type: 'offer',
      mac: BIOS_ROM_MAC,
      clientArch: 0,
      vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
      address: '192.0.2.100',
      bootFile: 'pxelinux.0',
    });
  });

  it('picks the boot file by client architecture', async () => {
    const table: [number, string, string][] = [
      [0, 'pxelinux.0', 'undionly.kpxe'],
      [6, 'grubx64.efi', 'ipxe.efi'],
      [7, 'grubx64.efi', 'ipxe.efi'],
      [9, 'grubx64.efi', 'ipxe.efi'],
      [11, 'grubaa64.efi', 'grubaa64.efi'],
    ];
    for (const [arch, grub, ipxe] of table) {
      for (const [chain, expected] of [['pxelinux', grub] as const, ['ipxe', ipxe] as const]) {
        const harness = new Harness(config({ bootFiles: dhcpBootFiles(chain) }));
        const offer = await harness.reply(archDiscover(arch));
        assert.equal(offer.packet.file, expected, `arch ${arch} in the ${chain} chain`);
        assert.equal(readString(offer.packet.options, 67), expected);
      }
    }
  });

  it('sends UEFI HTTP clients an absolute URL and option 60 "HTTPClient", without option 43', async () => {
    const table: [number, string][] = [
      [15, 'http://192.0.2.1/boot/grubx64.efi'],
      [16, 'http://192.0.2.1/boot/grubx64.efi'],
      [19, 'http://192.0.2.1/boot/grubaa64.efi'],
    ];
    for (const [arch, url] of table) {
      const harness = new Harness(config());
      const offer = await harness.reply(
        archDiscover(arch, `HTTPClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003000`),
      );
      assert.equal(offer.packet.file, url);
      assert.equal(readString(offer.packet.options, 67), url);
      assert.equal(readString(offer.packet.options, DhcpOption.VendorClass), 'HTTPClient');
      assert.equal(offer.packet.options.has(DhcpOption.VendorSpecific), false);
    }
  });

  it('puts a boot URL too long for the file field in option 67 only', async () => {
    const long = `${'d'.repeat(140)}/grubx64.efi`;
    const harness = new Harness(config({ bootFiles: { ...dhcpBootFiles('pxelinux'), uefiX64: long } }));
    const offer = await harness.reply(archDiscover(16, 'HTTPClient:Arch:00016'));
    assert.equal(offer.packet.file, '');
    assert.equal(readString(offer.packet.options, 67), `http://192.0.2.1/boot/${long}`);
  });

  it('uses per-architecture files, the vendor class when option 93 is missing, and nothing for unknown ones', async () => {
    const harness = new Harness(
      config({ bootFiles: { ...dhcpBootFiles('pxelinux'), byArch: { 10: 'grub/armv7.efi' } } }),
    );
    assert.equal((await harness.reply(archDiscover(10))).packet.file, 'grub/armv7.efi');
    const noArch = rawPacket({ mac: '52:54:00:00:00:0a' }, [
      ...option(53, [1]),
      ...option(60, 'PXEClient:Arch:00007:UNDI:003016'),
      255,
    ]);
    assert.equal((await harness.reply(noArch)).packet.file, 'grubx64.efi');
    const unknown = await harness.reply(archDiscover(14));
    assert.ok(unknown.packet.yiaddr.startsWith('192.0.2.'), 'still gets an address');
    assert.equal(unknown.packet.file, '');
    assert.equal(unknown.packet.options.has(DhcpOption.BootFileName), false);
  });

  it('prefers the first architecture in option 93 that has a boot file', async () => {
    const harness = new Harness(config());
    const request = rawPacket({}, [
      ...option(53, [1]),
      ...option(93, [0, 14, 0, 7]),
      ...option(60, 'PXEClient'),
      255,
    ]);
    assert.equal((await harness.reply(request)).packet.file, 'grubx64.efi');
  });

  it('sends iPXE, recognised by user class, straight to its script: no chainload loop', async () => {
    const harness = new Harness(config({ bootFiles: dhcpBootFiles('ipxe') }));
    // The ROM first gets undionly.kpxe...
    const rom = await harness.reply(biosPxeDiscover({ mac: IPXE_MAC }));
    assert.equal(rom.packet.file, 'undionly.kpxe');
    // ...and iPXE, asking again from the same machine, gets its HTTP script instead of undionly.kpxe again.
    const ack = await harness.reply(ipxeRequest({}, [192, 0, 2, 100]));
    const script = 'http://192.0.2.1/ipxe/52:54:00:12:34:56';
    assert.equal(readMessageType(ack.packet.options), 5);
    assert.equal(ack.packet.file, script);
    assert.equal(readString(ack.packet.options, 67), script);
    assert.equal(ack.packet.options.has(DhcpOption.VendorSpecific), false, 'no PXE menu control for iPXE');
    // No ProxyDHCP exists in full mode, so iPXE is told not to wait for one.
    assert.deepEqual(
      readEncapsulated(ack.packet.options, DhcpOption.IpxeEncapsulated)?.get(176),
      Buffer.from([1]),
    );
    assert.equal(ack.event.bootFile, script);
  });

  it('recognises iPXE by option 175 alone, for builds with another user class', async () => {
    const harness = new Harness(config());
    const request = rawPacket({ mac: IPXE_MAC }, [
      ...option(53, [1]),
      ...option(60, 'PXEClient:Arch:00007:UNDI:003016'),
      ...option(77, 'custom'),
      ...option(175, [0x13, 1, 1]),
      255,
    ]);
    assert.equal((await harness.reply(request)).packet.file, 'http://192.0.2.1/ipxe/52:54:00:12:34:56');
  });

  it('gives an iPXE ROM pxelinux.0 in the pxelinux chain, where there is no iPXE script to send it to', async () => {
    const harness = new Harness(config({ ipxeScriptUrl: undefined }));
    const ack = await harness.reply(ipxeRequest({}, [192, 0, 2, 100]));
    assert.equal(ack.packet.file, 'pxelinux.0');
    assert.equal(ack.packet.siaddr, '192.0.2.1');
    assert.equal(readString(ack.packet.options, 67), 'pxelinux.0');
    assert.equal(ack.event.bootFile, 'pxelinux.0');
  });

  it('gives a system with netboot disabled its address but no boot file', async () => {
    const harness = new Harness(
      config(),
      directoryFor({ [BIOS_ROM_MAC]: { name: 'done', ipAddress: '192.0.2.20', netbootEnabled: false } }),
    );
    const offer = await harness.reply(biosPxeDiscover());
    assert.equal(offer.packet.yiaddr, '192.0.2.20');
    assert.equal(offer.packet.file, '');
    assert.equal(offer.packet.options.has(DhcpOption.BootFileName), false);
  });
});

describe('decideDhcpReply in proxy mode', () => {
  const proxy = () => config({ mode: 'proxy', pool: undefined });

  it('offers PXE clients a boot file and no address', async () => {
    const harness = new Harness(proxy());
    const offer = await harness.reply(biosPxeDiscover());
    const { packet: reply } = offer;
    assert.equal(readMessageType(reply.options), 2);
    assert.equal(reply.yiaddr, '0.0.0.0');
    assert.equal(reply.siaddr, '192.0.2.1');
    assert.equal(reply.file, 'pxelinux.0');
    assert.equal(readIpv4(reply.options, DhcpOption.ServerIdentifier), '192.0.2.1');
    assert.equal(readString(reply.options, DhcpOption.VendorClass), 'PXEClient');
    assert.equal(readString(reply.options, DhcpOption.BootFileName), 'pxelinux.0');
    assert.deepEqual(reply.options.get(DhcpOption.VendorSpecific), Buffer.from([6, 1, 8, 255]));
    assert.deepEqual(reply.options.get(DhcpOption.ClientMachineIdentifier), Buffer.from(GUID_BYTES));
    for (const code of [
      DhcpOption.SubnetMask,
      DhcpOption.Router,
      DhcpOption.LeaseTime,
      DhcpOption.DomainNameServer,
    ]) {
      assert.equal(reply.options.has(code), false, `option ${code}`);
    }
    assert.deepEqual(offer.destination, { kind: 'broadcast' });
    assert.deepEqual(await harness.leases.all(), [], 'a proxy keeps no leases');
  });

  it('ignores clients that are not netbooting, and every DHCPREQUEST on port 67', async () => {
    const harness = new Harness(proxy());
    await harness.ignored(packet({ type: DISCOVER }), /not a PXE/);
    await harness.ignored(ipxeRequest(), /does not answer a request/);
  });

  it('answers the boot-server DHCPREQUEST on port 4011 with an ACK, for every architecture', async () => {
    for (const [arch, file] of [
      [0, 'pxelinux.0'],
      [7, 'grubx64.efi'],
      [9, 'grubx64.efi'],
      [11, 'grubaa64.efi'],
    ] as const) {
      const harness = new Harness(proxy());
      const request = rawPacket({ mac: '52:54:00:00:00:0b', ciaddr: [192, 0, 2, 77] }, [
        ...option(53, [3]),
        ...option(93, [0, arch]),
        ...option(60, `PXEClient:Arch:0000${arch}:UNDI:003016`),
        ...option(43, [71, 4, 0x80, 0x00, 0x00, 0x00, 255]),
        ...option(97, GUID_BYTES),
        255,
      ]);
      const decision = await harness.decide(request, 'pxe', { address: '192.0.2.77', port: 68 });
      const reply = decision?.reply;
      assert.ok(reply, `arch ${arch}: ${decision?.ignored?.reason}`);
      assert.equal(readMessageType(reply.packet.options), 5);
      assert.equal(reply.packet.file, file);
      assert.equal(reply.packet.ciaddr, '192.0.2.77');
      assert.equal(reply.packet.yiaddr, '0.0.0.0');
      assert.deepEqual(reply.destination, { kind: 'source', address: '192.0.2.77', port: 68 });
      // PXE 2.1: the boot item the client asked for comes back.
      assert.deepEqual(readEncapsulated(reply.packet.options, 43)?.get(71), Buffer.from([0x80, 0, 0, 0]));
      assert.equal(reply.event.type, 'ack');
    }
  });

  it('sends iPXE its script on both ports', async () => {
    const harness = new Harness(proxy());
    const discover = rawPacket({ mac: IPXE_MAC }, [
      ...option(53, [1]),
      ...option(60, 'PXEClient:Arch:00000:UNDI:002001'),
      ...option(77, 'iPXE'),
      255,
    ]);
    const offer = await harness.reply(discover);
    assert.equal(offer.packet.file, 'http://192.0.2.1/ipxe/52:54:00:12:34:56');
    assert.equal(
      offer.packet.options.has(DhcpOption.IpxeEncapsulated),
      false,
      'iPXE should wait for this proxy',
    );
    const ack = await harness.reply(ipxeRequest({ ciaddr: [192, 0, 2, 50] }), 'pxe');
    assert.equal(ack.packet.file, 'http://192.0.2.1/ipxe/52:54:00:12:34:56');
  });

  it('stays silent for a system whose netboot is disabled', async () => {
    const harness = new Harness(
      proxy(),
      directoryFor({ [BIOS_ROM_MAC]: { name: 'done', netbootEnabled: false } }),
    );
    await harness.ignored(biosPxeDiscover(), /netboot is disabled for system "done"/);
  });
});

describe('decideDhcpReply on traffic it does not serve', () => {
  it('returns nothing in mode off, for replies and for plain BOOTP', async () => {
    assert.equal(await new Harness(config({ mode: 'off' })).decide(biosPxeDiscover()), undefined);
    const harness = new Harness(config());
    assert.equal(await harness.decide({ ...packet({ type: DISCOVER }), op: BOOTREPLY }), undefined);
    assert.equal(await harness.decide(rawPacket({}, [255])), undefined);
  });

  it('ignores non-Ethernet hardware and the PXE port outside proxy mode', async () => {
    const harness = new Harness(config());
    await harness.ignored({ ...packet({ type: DISCOVER }), htype: 32, hlen: 0 }, /hardware type 32/);
    await harness.ignored(biosPxeDiscover(), /proxy mode only/, 'pxe');
  });

  it('throws DhcpPacketError for a malformed option it needs', async () => {
    const harness = new Harness(config());
    const bad = rawPacket({}, [...option(53, [1]), ...option(93, [0]), 255]);
    await assert.rejects(harness.decide(bad), DhcpPacketError);
    await assert.rejects(
      harness.decide(rawPacket({}, [...option(53, [1]), ...option(50, [1, 2]), 255])),
      /option 50/,
    );
  });
});

describe('checkDhcpConfig', () => {
  it('accepts the test configuration and refuses broken ones with the setting named', () => {
    checkDhcpConfig(config());
    const cases: [Partial<DhcpConfig>, RegExp][] = [
      [{ serverAddress: '192.0.2' }, /server address "192\.0\.2"/],
      [{ pool: undefined }, /needs a pool/],
      [{ pool: { start: '192.0.2.200', end: '192.0.2.100' } }, /comes after its end/],
      [{ pool: { start: '192.0.2.100', end: '192.0.3.10' } }, /not inside the subnet/],
      [{ router: '198.51.100.1' }, /router "198\.51\.100\.1" is not on the subnet/],
      [{ leaseSeconds: 0 }, /lease time/],
      [{ subnet: { network: '192.0.2.0', prefix: 33 } }, /prefix/],
      [{ mode: 'sometimes' as never }, /DHCP mode "sometimes"/],
      [{ httpBootUrl: 'boot/' }, /HTTP boot URL "boot\/"/],
    ];
    for (const [change, message] of cases) assert.throws(() => checkDhcpConfig(config(change)), message);
    checkDhcpConfig(config({ mode: 'proxy', pool: undefined, serverAddress: '203.0.113.5' }));
  });
});

describe('decideDhcpReply on mutated requests', () => {
  it('decides or throws DhcpPacketError, in every mode, for 2,000 mutated captures', async () => {
    const samples = [
      biosPxeDiscover(),
      ipxeRequest(),
      ipxeRequest({ giaddr: [192, 0, 2, 254], ciaddr: [192, 0, 2, 9] }),
    ];
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const outcomes = { decided: 0, refused: 0 };
    for (let round = 0; round < 2000; round += 1) {
      const bytes = Buffer.from(samples[round % samples.length] as Buffer);
      for (let m = 0; m < 1 + Math.floor(next() * 4); m += 1) {
        bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      }
      let parsed: DhcpPacket;
      try {
        parsed = parseDhcpPacket(bytes);
      } catch {
        continue;
      }
      const mode = (['proxy', 'reservation', 'full'] as const)[round % 3];
      const harness = new Harness(
        config({ mode }),
        directoryFor({ [IPXE_MAC]: { name: 'vm', ipAddress: '192.0.2.9', netbootEnabled: true } }),
      );
      try {
        await harness.decide(parsed, round % 5 === 0 ? 'pxe' : 'dhcp');
        outcomes.decided += 1;
      } catch (error) {
        assert.ok(error instanceof DhcpPacketError, `round ${round}: ${String(error)}`);
        outcomes.refused += 1;
      }
    }
    assert.ok(outcomes.decided > 500, JSON.stringify(outcomes));
  });
});

describe('decideDhcpReply under load', () => {
  it('gives 5,000 random-MAC clients 5,000 distinct addresses, none of them reserved', async () => {
    const reserved = Array.from(
      { length: 300 },
      (_, index) => `198.18.${index % 20}.${((index * 7) % 250) + 2}`,
    );
    const harness = new Harness(
      config({
        serverAddress: '198.18.0.1',
        subnet: { network: '198.18.0.0', prefix: 16 },
        router: '198.18.0.254',
        dnsServers: [],
        pool: { start: '198.18.0.1', end: '198.18.24.0' },
      }),
      directoryFor({}, reserved),
    );
    let seed = 42;
    const randomByte = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) & 0xff;
    };
    const byMac = new Map<string, string>();
    while (byMac.size < 5000) {
      const mac = Array.from({ length: 6 }, randomByte)
        .map((byte) => byte.toString(16).padStart(2, '0'))
        .join(':');
      if (byMac.has(mac)) continue;
      const offer = await harness.reply(packet({ type: DISCOVER, mac }));
      const address = offer.packet.yiaddr;
      const ack = await harness.reply(
        packet({
          type: REQUEST,
          mac,
          options: [
            [50, ip(address)],
            [54, ip('198.18.0.1')],
          ],
        }),
      );
      assert.equal(readMessageType(ack.packet.options), 5);
      byMac.set(mac, address);
      // Every tenth client renews at once; it must keep its address.
      if (byMac.size % 10 === 0) {
        const renew = await harness.reply(packet({ type: REQUEST, mac, ciaddr: address }));
        assert.equal(renew.packet.yiaddr, address);
      }
    }
    const addresses = [...byMac.values()];
    assert.equal(new Set(addresses).size, 5000, 'no address given twice');
    const reservedSet = new Set(reserved);
    assert.ok(addresses.every((address) => !reservedSet.has(address) && address !== '198.18.0.1'));
    assert.equal((await harness.leases.all()).length, 5000);
  });
});
