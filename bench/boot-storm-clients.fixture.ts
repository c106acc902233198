// The boot storm's machines, simulated in one process: run inside the client network namespace (`ip netns exec`),
// it plays the relay agent (binds the server port 67 on the relay's address and sets giaddr, RFC 1542 §4.1) for
// every machine, and each machine then does what an iPXE client followed by an installer does: DHCP with the iPXE
// user class, the iPXE script its boot file names, the kernel and initrd that script names (on one kept-alive
// connection, as iPXE pools them), the kickstart its kernel command line names, then the nopxe call of the
// kickstart's %post section. Each machine's HTTP goes out from the address its lease gave it (the namespace holds
// every reserved address), so the server sees a machine as it would on a real network.
// Lean on purpose, so that it is not what limits the storm: raw HTTP/1.1 over node:net with one shared read buffer
// (no per-chunk allocation), kernel and initrd compared with the expected bytes in place (memcmp) as they arrive.
// A machine fails on any wrong answer: no lease, a bad status, a body shorter or longer than announced, a kernel or
// initrd whose bytes differ, a step with no answer within its timeout.
// Usage: node --import tsx bench/boot-storm-clients.fixture.ts PLAN.json (a StormPlan); prints one StormReport as
// JSON on stdout at the end, and progress lines on stderr.

import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { DhcpOption, MessageType } from '../src/dhcp/options.js';
import { type DhcpPacket, parseDhcpPacket, serializeDhcpPacket } from '../src/dhcp/packet.js';
import { kickstartUrl, nopxeUrl, parseIpxeScript } from './boot-storm-steps.js';

export interface StormPlan {
  /** Where the relay sends DHCP requests (the server's address). */
  server: string;
  /** The relay agent's address: giaddr, and where the answers come back to. */
  relay: string;
  macs: string[];
  /** The bytes the kernel and initrd must have. */
  kernelPath: string;
  initrdPath: string;
  /** Machines power on spread over this many milliseconds (0: all in the same instant). */
  rampMs: number;
  /** Per DHCP packet, the waits before sending it again; the machine fails after the last. */
  dhcpTimeoutsMs: number[];
  /** An HTTP step fails when its connection stays silent this long. */
  httpIdleMs: number;
}

export const stormSteps = ['dhcp', 'script', 'kernel', 'initrd', 'kickstart', 'nopxe'] as const;
export type StormStep = (typeof stormSteps)[number];

export interface StormReport {
  machines: number;
  completed: number;
  failures: { mac: string; step: StormStep; reason: string }[];
  /** Requests sent again on a new connection after the server closed a kept-alive one before answering. */
  httpReopens: number;
  /** Milliseconds from power-on (the first DISCOVER) to the first lease, the last lease and the last nopxe. */
  firstLeaseMs: number;
  lastLeaseMs: number;
  lastNopxeMs: number;
  /** When each completed machine made its nopxe call, milliseconds from power-on, in order. */
  doneAtMs: number[];
  /** DHCP packets sent again after a timeout. */
  dhcpRetransmits: number;
  /** Each completed step's duration in milliseconds, per step, over the machines that got that far. */
  stepMs: Record<StormStep, number[]>;
  bytesReceived: number;
  /** This process's CPU seconds, user and system: near the wall time, the machines themselves were the limit. */
  clientCpuSeconds: number;
}

const plan = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as StormPlan;
const kernelBytes = readFileSync(plan.kernelPath);
const initrdBytes = readFileSync(plan.initrdPath);

// ---------------------------------------------------------------------------------------------------------------
// DHCP, as a relay agent for every machine

// A relay (a router) does not drop the answers to a thousand machines at once; the default 208 KiB buffer, about 90
// answers as the kernel counts them, would.
const dhcpSocket = createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: 4 * 2 ** 20 });
const awaitingAnswer = new Map<number, (packet: DhcpPacket) => void>();
let dhcpRetransmits = 0;

dhcpSocket.on('message', (bytes) => {
  let packet: DhcpPacket;
  try {
    packet = parseDhcpPacket(bytes);
  } catch {
    return;
  }
  awaitingAnswer.get(packet.xid)?.(packet);
});

// What iPXE 1.21 sends (src/net/udp/dhcp.c, src/arch/x86/...): BIOS PXE identity, user class "iPXE" as plain bytes.
const vendorClass = Buffer.from('PXEClient:Arch:00000:UNDI:002001');
const userClass = Buffer.from('iPXE');
const parameterList = Buffer.from([1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 175, 203]);

function dhcpPacket(mac: Buffer, xid: number, type: number, extra: [number, Buffer][]): Buffer {
  return serializeDhcpPacket({
    op: 1,
    htype: 1,
    hlen: 6,
    hops: 1,
    xid,
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: plan.relay,
    chaddr: Buffer.concat([mac, Buffer.alloc(10)]),
    sname: '',
    file: '',
    options: new Map<number, Buffer>([
      [DhcpOption.MessageType, Buffer.from([type])],
      [DhcpOption.MaximumMessageSize, Buffer.from([0x05, 0xc0])],
      [DhcpOption.ClientArchitecture, Buffer.from([0, 0])],
      [DhcpOption.ClientNetworkInterface, Buffer.from([1, 2, 1])],
      [DhcpOption.VendorClass, vendorClass],
      [DhcpOption.ClientIdentifier, Buffer.concat([Buffer.from([1]), mac])],
      [DhcpOption.UserClass, userClass],
      [DhcpOption.ParameterRequestList, parameterList],
      ...extra,
    ]),
  });
}

/** Sends until an answer of the wanted type comes, waiting longer each time (as iPXE does), or gives up. */
async function dhcpExchange(bytes: Buffer, xid: number, wanted: number): Promise<DhcpPacket> {
  try {
    for (const [attempt, timeoutMs] of plan.dhcpTimeoutsMs.entries()) {
      if (attempt > 0) dhcpRetransmits += 1;
      const answer = await new Promise<DhcpPacket | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        awaitingAnswer.set(xid, (packet) => {
          const type = packet.options.get(DhcpOption.MessageType)?.[0];
          if (type !== wanted && type !== MessageType.Nak) return;
          clearTimeout(timer);
          resolve(packet);
        });
        dhcpSocket.send(bytes, 67, plan.server);
      });
      if (answer?.options.get(DhcpOption.MessageType)?.[0] === MessageType.Nak)
        throw new Error(`DHCPNAK: ${answer.options.get(DhcpOption.Message)?.toString() ?? 'no message'}`);
      if (answer) return answer;
    }
  } finally {
    awaitingAnswer.delete(xid);
  }
  const waited = plan.dhcpTimeoutsMs.reduce((sum, ms) => sum + ms, 0);
  throw new Error(
    `no ${wanted === MessageType.Offer ? 'DHCPOFFER' : 'DHCPACK'} in ${plan.dhcpTimeoutsMs.length} tries (${waited} ms)`,
  );
}

async function dhcp(mac: string): Promise<{ address: string; bootFile: string }> {
  const macBytes = Buffer.from(mac.split(':').map((pair) => Number.parseInt(pair, 16)));
  const xid = randomInt(2 ** 32 - 1);
  const offer = await dhcpExchange(
    dhcpPacket(macBytes, xid, MessageType.Discover, []),
    xid,
    MessageType.Offer,
  );
  const serverId = offer.options.get(DhcpOption.ServerIdentifier);
  if (!serverId) throw new Error(`DHCPOFFER of ${offer.yiaddr} has no server identifier (option 54)`);
  const asked = Buffer.from(offer.yiaddr.split('.').map(Number));
  const request = dhcpPacket(macBytes, xid, MessageType.Request, [
    [DhcpOption.RequestedAddress, asked],
    [DhcpOption.ServerIdentifier, serverId],
  ]);
  const ack = await dhcpExchange(request, xid, MessageType.Ack);
  // Option 67 when the server sent it, else the BOOTP file field (RFC 2132 §9.5).
  const bootFile =
    ack.options.get(DhcpOption.BootFileName)?.toString('latin1').replace(/\0+$/, '') || ack.file;
  if (!/^https?:\/\//.test(bootFile))
    throw new Error(`DHCPACK's boot file ${JSON.stringify(bootFile)} is no http:// URL, as iPXE's should be`);
  return { address: ack.yiaddr, bootFile };
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP/1.1, kept lean

/** One read buffer for every socket: each read is handled before the next one fills it. */
const readBuffer = Buffer.allocUnsafe(2 ** 20);
let bytesReceived = 0;
let httpReopens = 0;

type Body = { kind: 'text' } | { kind: 'expect'; bytes: Buffer };

interface Exchange {
  body: Body;
  resolve: (text: string) => void;
  reject: (error: Error) => void;
  head: Buffer[];
  /** Bytes of the answer so far, headers included. */
  headLength: number;
  status?: number;
  contentLength?: number;
  received: number;
  text: Buffer[];
}

/** A kept-alive HTTP/1.1 connection from one machine's address; one request at a time. */
class HttpConnection {
  private readonly socket: Socket;
  private current: Exchange | undefined;
  private failure: Error | undefined;
  /** Requests answered on it so far. */
  answered = 0;

  constructor(
    readonly origin: string,
    url: URL,
    localAddress: string,
  ) {
    this.socket = connect({
      host: url.hostname,
      port: Number(url.port || 80),
      localAddress,
      noDelay: true,
      onread: { buffer: readBuffer, callback: (length) => this.onRead(length) },
    });
    this.socket.setTimeout(plan.httpIdleMs, () =>
      this.fail(new Error(`no data for ${plan.httpIdleMs} ms from ${this.origin}`)),
    );
    this.socket.on('error', (error) => this.fail(this.cutOff(error.message)));
    this.socket.on('close', () => this.fail(this.cutOff('closed')));
  }

  /** The connection ended under a request: whether any of the answer had come says whether it may be sent again. */
  private cutOff(how: string): Error {
    const exchange = this.current;
    if (!exchange) return new Error(`${this.origin}: ${how}`);
    if (exchange.headLength === 0) return new Error(`${this.origin}: ${how} before answering`);
    return new Error(`${this.origin}: ${how} after ${exchange.received} bytes of the body`);
  }

  /** False once the server closed it (after a keep-alive timeout, say): a client then opens a new one. */
  get usable(): boolean {
    return this.failure === undefined;
  }

  get(url: URL, body: Body): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.current = { body, resolve, reject, head: [], headLength: 0, received: 0, text: [] };
      this.socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: iPXE/1.21.1\r\nConnection: keep-alive\r\n\r\n`,
      );
    });
  }

  close(): void {
    this.failure ??= new Error('closed');
    this.socket.destroy();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const exchange = this.current;
    this.current = undefined;
    exchange?.reject(error);
    this.socket.destroy();
  }

  private onRead(length: number): boolean {
    bytesReceived += length;
    const exchange = this.current;
    if (!exchange) {
      this.fail(new Error(`${this.origin} sent ${length} bytes nobody asked for`));
      return false;
    }
    let chunk: Buffer = readBuffer.subarray(0, length);
    if (exchange.status === undefined) {
      // Headers are small: kept (copied) until their blank line comes.
      exchange.head.push(Buffer.from(chunk));
      exchange.headLength += chunk.length;
      const head = exchange.head.length === 1 ? (exchange.head[0] as Buffer) : Buffer.concat(exchange.head);
      exchange.head = [head];
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > 65536) this.fail(new Error(`${this.origin} sent over 64 KiB of headers`));
        return true;
      }
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
      const lengthLine = lines.find((line) => /^content-length:/i.test(line));
      if (!Number.isInteger(status)) {
        this.fail(new Error(`${this.origin} answered ${JSON.stringify(lines[0])}, no HTTP status line`));
        return false;
      }
      if (lengthLine === undefined) {
        this.fail(new Error(`${this.origin} answered HTTP ${status} without a Content-Length`));
        return false;
      }
      exchange.status = status;
      exchange.contentLength = Number(lengthLine.slice(lengthLine.indexOf(':') + 1).trim());
      if (exchange.body.kind === 'expect' && exchange.contentLength !== exchange.body.bytes.length) {
        this.fail(
          new Error(
            `HTTP ${status} announced ${exchange.contentLength} bytes, the file has ${exchange.body.bytes.length}`,
          ),
        );
        return false;
      }
      chunk = head.subarray(end + 4);
    }
    const wanted = (exchange.contentLength as number) - exchange.received;
    if (chunk.length > wanted) {
      this.fail(new Error(`${this.origin} sent ${chunk.length - wanted} bytes past the Content-Length`));
      return false;
    }
    if (exchange.body.kind === 'expect') {
      const offset = exchange.received;
      if (chunk.compare(exchange.body.bytes, offset, offset + chunk.length) !== 0) {
        this.fail(new Error(`bytes ${offset}-${offset + chunk.length - 1} differ from the file's`));
        return false;
      }
    } else exchange.text.push(Buffer.from(chunk));
    exchange.received += chunk.length;
    if (exchange.received === exchange.contentLength) {
      this.current = undefined;
      this.answered += 1;
      const status = exchange.status as number;
      if (status !== 200) {
        const said = Buffer.concat(exchange.text).toString('utf8').slice(0, 200);
        exchange.reject(new Error(`HTTP ${status}${said ? `: ${said}` : ''}`));
      } else exchange.resolve(Buffer.concat(exchange.text).toString('utf8'));
    }
    return true;
  }
}

/** A machine's connections by origin: iPXE reuses one per server, a new program (the installer, curl) opens its own. */
class Connections {
  private readonly open = new Map<string, HttpConnection>();

  constructor(private readonly localAddress: string) {}

  async get(url: URL, body: Body): Promise<string> {
    const connection = this.connection(url, false);
    try {
      return await connection.get(url, body);
    } catch (error) {
      // A server may close a kept-alive connection just as the next request goes out; iPXE then sends it again on a
      // new one (src/net/tcp/httpcore.c, http_reopen), as RFC 9112 §9.3.1 allows for a request with no answer yet.
      if (connection.answered === 0 || !/before answering/.test((error as Error).message)) throw error;
      httpReopens += 1;
      return await this.connection(url, true).get(url, body);
    }
  }

  private connection(url: URL, fresh: boolean): HttpConnection {
    let connection = this.open.get(url.origin);
    if (fresh || !connection?.usable) {
      connection?.close();
      connection = new HttpConnection(url.origin, url, this.localAddress);
      this.open.set(url.origin, connection);
    }
    return connection;
  }

  closeAll(): void {
    for (const connection of this.open.values()) connection.close();
    this.open.clear();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The machines

const report: StormReport = {
  machines: plan.macs.length,
  completed: 0,
  failures: [],
  firstLeaseMs: Number.NaN,
  lastLeaseMs: Number.NaN,
  lastNopxeMs: Number.NaN,
  doneAtMs: [],
  dhcpRetransmits: 0,
  httpReopens: 0,
  stepMs: Object.fromEntries(stormSteps.map((step) => [step, [] as number[]])) as Record<StormStep, number[]>,
  bytesReceived: 0,
  clientCpuSeconds: 0,
};
let powerOn = 0;

async function machine(mac: string): Promise<void> {
  let step: StormStep = 'dhcp';
  let stepStarted = performance.now();
  const finish = (name: StormStep) => {
    const now = performance.now();
    report.stepMs[name].push(now - stepStarted);
    stepStarted = now;
  };
  const programs: Connections[] = [];
  const program = (address: string) => {
    const connections = new Connections(address);
    programs.push(connections);
    return connections;
  };
  try {
    const lease = await dhcp(mac);
    const leasedAt = performance.now() - powerOn;
    if (!(report.firstLeaseMs <= leasedAt)) report.firstLeaseMs = leasedAt;
    if (!(report.lastLeaseMs >= leasedAt)) report.lastLeaseMs = leasedAt;
    finish('dhcp');

    const ipxe = program(lease.address);
    step = 'script';
    const bootFile = new URL(lease.bootFile);
    const boot = parseIpxeScript(await ipxe.get(bootFile, { kind: 'text' }));
    finish('script');
    step = 'kernel';
    await ipxe.get(new URL(boot.kernel, bootFile), { kind: 'expect', bytes: kernelBytes });
    finish('kernel');
    step = 'initrd';
    await ipxe.get(new URL(boot.initrd, bootFile), { kind: 'expect', bytes: initrdBytes });
    finish('initrd');
    ipxe.closeAll();

    step = 'kickstart';
    const kickstart = await program(lease.address).get(new URL(kickstartUrl(boot.args)), { kind: 'text' });
    const nopxe = new URL(nopxeUrl(kickstart));
    finish('kickstart');
    step = 'nopxe';
    const answer = await program(lease.address).get(nopxe, { kind: 'text' });
    if (answer.trim() !== 'True') throw new Error(`nopxe answered ${JSON.stringify(answer)}, not True`);
    finish('nopxe');
    const doneAt = performance.now() - powerOn;
    if (!(report.lastNopxeMs >= doneAt)) report.lastNopxeMs = doneAt;
    report.doneAtMs.push(doneAt);
    report.completed += 1;
  } catch (error) {
    report.failures.push({ mac, step, reason: (error as Error).message });
  } finally {
    for (const connections of programs) connections.closeAll();
  }
}

dhcpSocket.bind(67, plan.relay, async () => {
  const progress = setInterval(() => {
    const seconds = ((performance.now() - powerOn) / 1000).toFixed(0);
    process.stderr.write(
      `  ${seconds} s: ${report.stepMs.dhcp.length} leased, ${report.stepMs.kernel.length} kernels, ${report.completed} done, ${report.failures.length} failed, ${(bytesReceived / 1e9).toFixed(1)} GB\n`,
    );
  }, 5000);
  powerOn = performance.now();
  const machines = plan.macs.map((mac, index) => {
    const delay = plan.rampMs > 0 ? (plan.rampMs * index) / plan.macs.length : 0;
    return delay > 0
      ? new Promise<void>((resolve) => setTimeout(() => machine(mac).then(resolve), delay))
      : machine(mac);
  });
  await Promise.all(machines);
  clearInterval(progress);
  dhcpSocket.close();
  report.dhcpRetransmits = dhcpRetransmits;
  report.httpReopens = httpReopens;
  report.bytesReceived = bytesReceived;
  const { user, system } = process.cpuUsage();
  report.clientCpuSeconds = (user + system) / 1e6;
  process.stdout.write(`${JSON.stringify(report)}\n`);
});
