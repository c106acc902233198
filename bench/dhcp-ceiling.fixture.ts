// The ceiling row of bench/dhcp.ts: the least a Node program must do to answer perfdhcp's relayed DORA, on one core,
// with node:dgram: read each datagram, find its message type, copy a reply made once at start (the same options
// bootwright sends) and stamp the request's xid, chaddr and an address on it, send it back to the relay. No policy,
// no lease store, no disk, no timeline. What bootwright serve does beyond this is its own cost; what this program
// costs is Node's (libuv, node:dgram, the JavaScript boundary) and the kernel's, which no DHCP server in Node avoids.
// Prints {"ready":true} once listening. Usage: node --import tsx bench/dhcp-ceiling.fixture.ts '{"pool":{...}}'

import dgram from 'node:dgram';
import { ipv4ToInt } from '../src/dhcp/ipv4.js';
import {
  DhcpOption,
  encodeIpv4,
  encodeString,
  encodeUint8,
  encodeUint32,
  MessageType,
} from '../src/dhcp/options.js';
import { BOOTREPLY, serializeDhcpPacket } from '../src/dhcp/packet.js';

interface CeilingSetup {
  serverAddress: string;
  pool: { start: string; end: string };
}

const setup = JSON.parse(process.argv[2] ?? '{}') as CeilingSetup;
const SERVER_PORT = 67;
const OPTIONS_OFFSET = 240;
const poolStart = ipv4ToInt(setup.pool.start) as number;
const poolSize = (ipv4ToInt(setup.pool.end) as number) - poolStart + 1;

function template(type: number): Buffer {
  return serializeDhcpPacket({
    op: BOOTREPLY,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0,
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: Buffer.alloc(16),
    sname: '',
    file: '',
    options: new Map([
      [DhcpOption.MessageType, encodeUint8(type)],
      [DhcpOption.ServerIdentifier, encodeIpv4(setup.serverAddress)],
      [DhcpOption.SubnetMask, encodeIpv4('255.255.255.0')],
      [DhcpOption.Router, encodeIpv4('192.0.2.254')],
      [DhcpOption.DomainNameServer, encodeIpv4(setup.serverAddress)],
      [DhcpOption.DomainName, encodeString('example.org')],
      [DhcpOption.LeaseTime, encodeUint32(3600)],
      [DhcpOption.RenewalTime, encodeUint32(1800)],
      [DhcpOption.RebindingTime, encodeUint32(3150)],
    ]),
  });
}

const offer = template(MessageType.Offer);
const ack = template(MessageType.Ack);

/** Option 53 of a request, by walking its options; 0 when it has none. */
function messageType(request: Buffer): number {
  let at = OPTIONS_OFFSET;
  while (at + 1 < request.length) {
    const code = request[at] as number;
    if (code === 255) return 0;
    if (code === 0) {
      at += 1;
      continue;
    }
    if (code === DhcpOption.MessageType) return request[at + 2] ?? 0;
    at += 2 + (request[at + 1] as number);
  }
  return 0;
}

const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
socket.on('message', (request) => {
  if (request.length < OPTIONS_OFFSET) return;
  const type = messageType(request);
  const made = type === MessageType.Discover ? offer : type === MessageType.Request ? ack : undefined;
  if (!made) return;
  const reply = Buffer.allocUnsafe(made.length);
  made.copy(reply);
  request.copy(reply, 4, 4, 8); // xid
  request.copy(reply, 24, 24, 44); // giaddr and chaddr
  reply.writeUInt32BE(
    poolStart + ((((request[32] as number) << 8) | (request[33] as number)) % poolSize),
    16,
  );
  const relay = `${request[24]}.${request[25]}.${request[26]}.${request[27]}`;
  socket.send(reply, SERVER_PORT, relay);
});
socket.bind({ address: setup.serverAddress, port: SERVER_PORT }, () => {
  socket.setRecvBufferSize(4 * 1024 * 1024);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
});
process.once('SIGTERM', () => socket.close(() => process.exit(0)));
