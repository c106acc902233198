// Thousands of DHCP clients at once, the way a relay agent presents them: run inside a network namespace (`ip netns
// exec`), it binds the server port 67, sends each client's DISCOVER and REQUEST with giaddr set to the relay's
// address, and receives the answers there (RFC 1542 §4.1), so no client needs an address of its own. Each client
// does one DORA (retrying a lost packet), then RELEASEs its address if it is a "churner" or keeps it if it is a
// "keeper". Every outcome goes to stdout at once as a JSON line, so that a test which kills the server mid-run still
// knows exactly which addresses were acknowledged to whom and when.
// Usage: node --import tsx test/support/dhcp-relay-clients.fixture.ts PLAN.json (a RelayClientsPlan; a file, since
// tens of thousands of MACs do not fit in a command line)

import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { type DhcpPacket, parseDhcpPacket, serializeDhcpPacket } from '../../src/dhcp/packet.js';

export interface RelayClientsPlan {
  server: string;
  relay: string;
  keepers: string[];
  churners: string[];
  /** Clients in flight at once. */
  concurrency: number;
  /** Per packet: how long to wait for the answer, and how many times to send it. */
  timeoutMs: number;
  attempts: number;
  /** Faults a bad network adds on the way out: each packet sent twice, or held back so later ones overtake it. */
  duplicatePercent?: number;
  reorderPercent?: number;
}

export type RelayOutcome =
  | { kind: 'ack'; mac: string; address: string; at: number }
  | { kind: 'released'; mac: string; address: string; at: number }
  | { kind: 'nak' | 'gave-up'; mac: string; at: number; stage: 'discover' | 'request' };

const DISCOVER = 1;
const OFFER = 2;
const REQUEST = 3;
const ACK = 5;
const NAK = 6;
const RELEASE = 7;

const plan = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as RelayClientsPlan;
const socket = createSocket({ type: 'udp4', reuseAddr: true });
const waiting = new Map<number, (packet: DhcpPacket) => void>();

socket.on('message', (bytes) => {
  let packet: DhcpPacket;
  try {
    packet = parseDhcpPacket(bytes);
  } catch {
    return;
  }
  waiting.get(packet.xid)?.(packet);
});

/** Late copies not sent yet: the socket stays open for them. */
let delayedSends = 0;

/** Sends like a bad network would deliver: sometimes twice, sometimes late, so that packets arrive out of order. */
function sendToServer(bytes: Buffer): void {
  const copies = randomInt(100) < (plan.duplicatePercent ?? 0) ? 2 : 1;
  for (let copy = 0; copy < copies; copy++) {
    if (randomInt(100) < (plan.reorderPercent ?? 0)) {
      delayedSends += 1;
      setTimeout(() => {
        delayedSends -= 1;
        socket.send(bytes, 67, plan.server);
      }, 20 + randomInt(130));
    } else socket.send(bytes, 67, plan.server);
  }
}

function emit(outcome: RelayOutcome): void {
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

function request(
  mac: string,
  xid: number,
  type: number,
  options: [number, Buffer][],
  ciaddr = '0.0.0.0',
): Buffer {
  return serializeDhcpPacket({
    op: 1,
    htype: 1,
    hlen: 6,
    hops: 1,
    xid,
    secs: 0,
    flags: 0,
    ciaddr,
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: plan.relay,
    chaddr: Buffer.concat([
      Buffer.from(mac.split(':').map((pair) => Number.parseInt(pair, 16))),
      Buffer.alloc(10),
    ]),
    sname: '',
    file: '',
    options: new Map([[53, Buffer.from([type])], ...options]),
  });
}

/** Sends until an answer of one of the wanted types arrives, or the attempts run out. */
async function exchange(bytes: Buffer, xid: number, wanted: number[]): Promise<DhcpPacket | undefined> {
  for (let attempt = 0; attempt < plan.attempts; attempt++) {
    const answer = await new Promise<DhcpPacket | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), plan.timeoutMs);
      waiting.set(xid, (packet) => {
        const type = packet.options.get(53)?.[0] ?? 0;
        if (!wanted.includes(type)) return;
        clearTimeout(timer);
        resolve(packet);
      });
      sendToServer(bytes);
    });
    if (answer) {
      waiting.delete(xid);
      return answer;
    }
  }
  waiting.delete(xid);
  return undefined;
}

async function client(mac: string, keep: boolean): Promise<void> {
  const xid = randomInt(2 ** 32 - 1);
  const offer = await exchange(request(mac, xid, DISCOVER, []), xid, [OFFER]);
  if (!offer) return emit({ kind: 'gave-up', mac, at: Date.now(), stage: 'discover' });
  const serverId = offer.options.get(54) ?? Buffer.alloc(4);
  const asked = Buffer.from(offer.yiaddr.split('.').map(Number));
  const answer = await exchange(
    request(mac, xid, REQUEST, [
      [50, asked],
      [54, serverId],
    ]),
    xid,
    [ACK, NAK],
  );
  if (!answer) return emit({ kind: 'gave-up', mac, at: Date.now(), stage: 'request' });
  if (answer.options.get(53)?.[0] === NAK)
    return emit({ kind: 'nak', mac, at: Date.now(), stage: 'request' });
  emit({ kind: 'ack', mac, address: answer.yiaddr, at: Date.now() });
  if (keep) return;
  // The release is sent before it is reported: from here on the client no longer claims the address.
  const releasedAt = Date.now();
  sendToServer(request(mac, randomInt(2 ** 32 - 1), RELEASE, [[54, serverId]], answer.yiaddr));
  emit({ kind: 'released', mac, address: answer.yiaddr, at: releasedAt });
}

socket.bind(67, plan.relay, async () => {
  const queue = [
    ...plan.keepers.map((mac) => ({ mac, keep: true })),
    ...plan.churners.map((mac) => ({ mac, keep: false })),
  ];
  // Keepers and churners shuffled together (Fisher-Yates), so that held and recycled addresses mix throughout.
  for (let i = queue.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [queue[i], queue[j]] = [queue[j] as (typeof queue)[number], queue[i] as (typeof queue)[number]];
  }
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const item = queue[next++] as { mac: string; keep: boolean };
      await client(item.mac, item.keep);
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  // A late copy of the last clients' packets may still be due; sending it on a closed socket would throw.
  while (delayedSends > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  socket.close();
});
