// The DHCP server against real clients: busybox udhcpc and ISC dhclient, in network namespaces joined by a veth
// pair (192.0.2.0/24, RFC 5737), with the server on the real ports 67/68/4011 in its own process. tcpdump in the
// client namespace is the independent decoder where a client keeps what it received to itself (proxy offers).
// Needs root, busybox, isc-dhcp-client and tcpdump.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canCreateNetns, createNetnsPair, type NetnsPair } from '../../test/support/netns.js';
import { tempDir } from '../../test/support/temp-dir.js';
import type { InteropServerSetup } from './interop-server.fixture.js';
import type { DhcpEvent, DhcpHost } from './policy.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = join(here, '..', '..');
const serverScript = join(here, 'interop-server.fixture.ts');
const INTERFACE = 'bwveth';
const PXE_BIOS = ['-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000'];

/**
 * A client script that writes every variable the client hands it, one block per call, so the test reads what the
 * client saw. The record path is written into the script: dhclient runs its script with an environment of its own.
 */
function recordingScript(script: string, record: string): void {
  writeFileSync(script, `#!/bin/sh\n{ echo "event=$1"; env; echo "---"; } >> '${record}'\n`);
  chmodSync(script, 0o755);
}

type Record = { [name: string]: string };

function readRecords(path: string): Record[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('---\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const record: Record = {};
      for (const line of block.split('\n')) {
        const at = line.indexOf('=');
        if (at > 0) record[line.slice(0, at)] = line.slice(at + 1);
      }
      return record;
    });
}

async function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), timeoutMs);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    return code;
  } finally {
    clearTimeout(timer);
  }
}

function collect(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return { text: () => text };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ServerProcess {
  events: DhcpEvent[];
  stop(): Promise<void>;
}

class Lab {
  readonly dir: string;
  private runs = 0;

  private constructor(
    readonly context: TestContext,
    readonly pair: NetnsPair,
  ) {
    this.dir = tempDir(context, 'bootwright-dhcp-interop-');
  }

  static async create(context: TestContext): Promise<Lab> {
    const pair = await createNetnsPair(context, { prefix: 'bw-dhcp' });
    // The client namespace starts without an address: getting one is what is under test.
    execFileSync('ip', ['-n', pair.client.name, 'addr', 'flush', 'dev', INTERFACE]);
    return new Lab(context, pair);
  }

  async startServer(
    mode: InteropServerSetup['mode'],
    hosts: { [mac: string]: DhcpHost } = {},
  ): Promise<ServerProcess> {
    const setup: InteropServerSetup = { mode, hosts, leasesPath: join(this.dir, 'leases.db') };
    const child = this.pair.spawn(
      this.pair.server,
      process.execPath,
      ['--import', 'tsx', serverScript, JSON.stringify(setup)],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const events: DhcpEvent[] = [];
    let ready = false;
    let errors = '';
    let pending = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = JSON.parse(line) as DhcpEvent | { ready: true };
        if ('ready' in parsed) ready = true;
        else events.push(parsed);
      }
    });
    await waitFor(() => ready || child.exitCode !== null, 'the DHCP server to start');
    assert.ok(ready, `The DHCP server did not start: ${errors}`);
    return {
      events,
      stop: async () => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
        await exited(child, 5000);
      },
    };
  }

  setClientMac(mac: string): void {
    execFileSync('ip', ['-n', this.pair.client.name, 'link', 'set', INTERFACE, 'address', mac]);
  }

  /** busybox udhcpc, once: -q quits with a lease, -n gives up without one after -t discovers. */
  async udhcpc(extra: string[] = []): Promise<{ code: number | null; log: string; bound?: Record }> {
    const run = ++this.runs;
    const record = join(this.dir, `udhcpc-${run}.env`);
    const script = join(this.dir, `udhcpc-${run}.sh`);
    recordingScript(script, record);
    const child = this.pair.spawn(
      this.pair.client,
      'busybox',
      ['udhcpc', '-i', INTERFACE, '-f', '-q', '-n', '-t', '3', '-T', '1', '-s', script, ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collect(child);
    const code = await exited(child, 30_000);
    const bound = readRecords(record).find((entry) => entry.event === 'bound');
    return { code, log: output.text(), ...(bound ? { bound } : {}) };
  }

  /**
   * ISC dhclient in the foreground, trying once (-1); stopped by its id once it has a lease (in the foreground it
   * would stay to renew) or once `until` holds for its log. `conf` is dhclient.conf; `leases` is kept across calls when named.
   */
  async dhclient(
    options: { conf?: string; leases?: string; extra?: string[]; until?: (log: string) => boolean } = {},
  ): Promise<{ code: number | null; log: string; bound?: Record; leases: string }> {
    const run = ++this.runs;
    const record = join(this.dir, `dhclient-${run}.env`);
    const script = join(this.dir, `dhclient-${run}.sh`);
    recordingScript(script, record);
    const conf = join(this.dir, `dhclient-${run}.conf`);
    const leases = options.leases ?? join(this.dir, `dhclient-${run}.leases`);
    writeFileSync(conf, options.conf ?? 'timeout 6;\nretry 1;\ninitial-interval 1;\n');
    if (!existsSync(leases)) writeFileSync(leases, '');
    const args = ['-d', '-1', '-v', '-cf', conf, '-lf', leases, '-pf', join(this.dir, `dhclient-${run}.pid`)];
    const child = this.pair.spawn(
      this.pair.client,
      'dhclient',
      [...args, ...(options.extra ?? []), '-sf', script, INTERFACE],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collect(child);
    const boundRecord = () =>
      readRecords(record).find((entry) => ['BOUND', 'REBOOT', 'RENEW'].includes(entry.reason ?? ''));
    // dhclient runs its script before it writes the lease file: stopped at the script, it could lose the lease that
    // a later run (INIT-REBOOT) starts from, and that run would then DISCOVER afresh.
    const leaseWritten = () => readFileSync(leases, 'utf8').includes('lease {');
    const done = () =>
      (boundRecord() !== undefined && leaseWritten()) ||
      child.exitCode !== null ||
      (options.until?.(output.text()) ?? false);
    await waitFor(done, 'dhclient', 30_000);
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    const code = await exited(child, 5000);
    const bound = boundRecord();
    return { code, log: output.text(), leases, ...(bound ? { bound } : {}) };
  }

  /** tcpdump's verbose BOOTP decoder on the client side, started before the client and stopped after it. */
  async capture(): Promise<{ stop(): Promise<string> }> {
    const child = this.pair.spawn(
      this.pair.client,
      'tcpdump',
      ['-i', INTERFACE, '-n', '-vvv', '-x', '-l', '-U', 'udp port 68 or udp port 4012'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collect(child);
    await waitFor(() => output.text().includes('listening on'), 'tcpdump to listen');
    return {
      stop: async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
        await exited(child, 5000);
        return output.text();
      },
    };
  }
}

/** The tcpdump block for one DHCP message type, e.g. "Offer". */
function decoded(capture: string, message: string): string {
  const block = capturedPackets(capture).find((entry) => entry.includes(`: ${message}\n`));
  assert.ok(block, `tcpdump saw no DHCP ${message}:\n${capture}`);
  return block;
}

function capturedPackets(capture: string): string[] {
  return capture.split(/\n(?=\d\d:\d\d:\d\d\.\d+ IP)/);
}

/** The raw bytes of the first captured packet whose first lines match; tcpdump decodes BOOTP on 67/68 only. */
function packetBytes(capture: string, header: RegExp): Buffer {
  const block = capturedPackets(capture).find((entry) => header.test(entry.split('\n', 2).join('\n')));
  assert.ok(block, `tcpdump saw no packet matching ${header}:\n${capture}`);
  const lines = [...block.matchAll(/^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4} ?)+)/gm)];
  return Buffer.from(lines.map((line) => (line[1] ?? '').replaceAll(' ', '')).join(''), 'hex');
}

const skip = canCreateNetns() ? false : 'needs root to create network namespaces';

describe('DHCP interop with real clients', { skip }, () => {
  before(() => {
    const missing = ['busybox', 'dhclient', 'tcpdump', 'ip'].filter((tool) => {
      try {
        execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
        return false;
      } catch {
        return true;
      }
    });
    assert.deepEqual(
      missing,
      [],
      'Install the Debian packages busybox, isc-dhcp-client, tcpdump and iproute2.',
    );
  });

  describe('full mode', () => {
    it('gives udhcpc a pool address with router, DNS and domain, and a PXE client its boot file', async (context) => {
      const lab = await Lab.create(context);
      const server = await lab.startServer('full');
      lab.setClientMac('52:54:00:d0:00:01');
      const plain = await lab.udhcpc();
      assert.equal(plain.code, 0, plain.log);
      assert.ok(plain.bound, plain.log);
      assert.equal(plain.bound.ip, '192.0.2.100');
      assert.equal(plain.bound.subnet, '255.255.255.0');
      assert.equal(plain.bound.router, '192.0.2.254');
      assert.equal(plain.bound.dns, '192.0.2.1', 'the server stands in when no DNS server is configured');
      assert.equal(plain.bound.domain, 'example.org');
      assert.equal(plain.bound.lease, '3600');
      assert.equal(plain.bound.serverid, '192.0.2.1');
      assert.equal(plain.bound.boot_file, undefined);

      lab.setClientMac('52:54:00:d0:00:02');
      const pxe = await lab.udhcpc(PXE_BIOS);
      assert.ok(pxe.bound, pxe.log);
      assert.equal(pxe.bound.ip, '192.0.2.101');
      assert.equal(pxe.bound.boot_file, 'pxelinux.0');
      assert.equal(pxe.bound.siaddr, '192.0.2.1');
      assert.equal(pxe.bound.opt43, '060108ff', 'PXE discovery control: use the boot file');
      await server.stop();
      assert.deepEqual(
        server.events
          .filter((event) => event.type === 'ack')
          .map((event) => [event.mac, event.address, event.bootFile]),
        [
          ['52:54:00:d0:00:01', '192.0.2.100', undefined],
          ['52:54:00:d0:00:02', '192.0.2.101', 'pxelinux.0'],
        ],
      );
    });

    it('gives dhclient a lease that survives a server restart', async (context) => {
      const lab = await Lab.create(context);
      let server = await lab.startServer('full');
      lab.setClientMac('52:54:00:d0:00:03');
      const first = await lab.dhclient();
      assert.ok(first.bound, first.log);
      assert.equal(first.bound.reason, 'BOUND');
      const address = first.bound.new_ip_address;
      assert.equal(address, '192.0.2.100');
      assert.equal(first.bound.new_subnet_mask, '255.255.255.0');
      assert.equal(first.bound.new_routers, '192.0.2.254');
      assert.equal(first.bound.new_domain_name_servers, '192.0.2.1');
      await server.stop();

      server = await lab.startServer('full');
      // Another machine asks first: the restarted server must still know the address is taken.
      lab.setClientMac('52:54:00:d0:00:04');
      const other = await lab.udhcpc();
      assert.ok(other.bound, other.log);
      assert.notEqual(other.bound.ip, address);
      // The first machine comes back with its lease file and asks for its address again (INIT-REBOOT).
      lab.setClientMac('52:54:00:d0:00:03');
      const again = await lab.dhclient({ leases: first.leases });
      assert.ok(again.bound, again.log);
      assert.equal(again.bound.reason, 'REBOOT');
      assert.equal(again.bound.new_ip_address, address);
      await server.stop();
      const reboot = server.events.find(
        (event) => event.type === 'request' && event.mac === '52:54:00:d0:00:03',
      );
      assert.equal(reboot?.address, address);
    });
  });

  describe('reservation mode', () => {
    const hosts = {
      '52:54:00:d0:00:10': { name: 'vm42', ipAddress: '192.0.2.42', hostname: 'vm42', netbootEnabled: true },
    };

    it('gives udhcpc the reserved address of a known MAC, and nothing to an unknown one', async (context) => {
      const lab = await Lab.create(context);
      const server = await lab.startServer('reservation', hosts);
      lab.setClientMac('52:54:00:d0:00:10');
      const known = await lab.udhcpc();
      assert.ok(known.bound, known.log);
      assert.equal(known.bound.ip, '192.0.2.42');
      assert.equal(known.bound.hostname, 'vm42');
      lab.setClientMac('52:54:00:d0:00:11');
      const unknown = await lab.udhcpc(['-t', '2']);
      assert.notEqual(unknown.code, 0);
      assert.equal(unknown.bound, undefined);
      assert.match(unknown.log, /no lease/);
      await server.stop();
      const ignored = server.events.filter((event) => event.mac === '52:54:00:d0:00:11');
      assert.ok(ignored.length > 0 && ignored.every((event) => ['discover', 'ignored'].includes(event.type)));
      assert.match(ignored.find((event) => event.type === 'ignored')?.reason ?? '', /unknown MAC/);
    });

    it('gives dhclient the reserved address of a known MAC, and nothing to an unknown one', async (context) => {
      const lab = await Lab.create(context);
      const server = await lab.startServer('reservation', hosts);
      lab.setClientMac('52:54:00:d0:00:10');
      const known = await lab.dhclient();
      assert.ok(known.bound, known.log);
      assert.equal(known.bound.new_ip_address, '192.0.2.42');
      assert.equal(known.bound.new_host_name, 'vm42');
      lab.setClientMac('52:54:00:d0:00:11');
      const unknown = await lab.dhclient({ conf: 'timeout 3;\nretry 1;\ninitial-interval 1;\n' });
      assert.equal(unknown.bound, undefined, unknown.log);
      assert.equal(unknown.code, 2, unknown.log);
      assert.doesNotMatch(unknown.log, /DHCPOFFER of/);
      await server.stop();
    });
  });

  describe('proxy mode', () => {
    it('answers only PXE clients, with a boot file and no address', async (context) => {
      const lab = await Lab.create(context);
      const server = await lab.startServer('proxy');
      lab.setClientMac('52:54:00:d0:00:20');
      const plain = await lab.udhcpc(['-t', '2']);
      assert.equal(plain.bound, undefined, 'a client that is not netbooting hears nothing from a proxy');
      assert.doesNotMatch(plain.log, /select for/);

      const capture = await lab.capture();
      const pxe = await lab.udhcpc(['-t', '2', ...PXE_BIOS]);
      const wire = await capture.stop();
      // udhcpc takes the proxy offer for an ordinary one, asks for 0.0.0.0 and gets no lease: the proxy gives none.
      assert.match(pxe.log, /select for 0\.0\.0\.0, server 192\.0\.2\.1/);
      assert.equal(pxe.bound, undefined);
      const offer = decoded(wire, 'Offer');
      assert.doesNotMatch(offer, /Your-IP/, 'yiaddr is 0');
      assert.match(offer, /Server-IP 192\.0\.2\.1/);
      assert.match(offer, /file "pxelinux\.0"/);
      assert.match(offer, /Server-ID \(54\), length 4: 192\.0\.2\.1/);
      assert.match(offer, /Vendor-Class \(60\), length 9: "PXEClient"/);
      assert.match(offer, /BF \(67\), length 10: "pxelinux\.0"/);
      assert.doesNotMatch(decoded(wire, 'Request'), /Reply/);
      await server.stop();
      assert.ok(
        server.events.some((event) => event.type === 'ignored' && /not a PXE/.test(event.reason ?? '')),
      );
      assert.ok(!server.events.some((event) => event.type === 'ack'), 'nothing acknowledged on port 67');
    });

    it('answers a DHCPREQUEST on the PXE boot-server port 4011 with the boot file', async (context) => {
      const lab = await Lab.create(context);
      const server = await lab.startServer('proxy');
      lab.setClientMac('52:54:00:d0:00:21');
      // dhclient -p 4012 sends to port 4011; with a lease on file it starts with a DHCPREQUEST, as a PXE ROM
      // does after the real DHCP server gave it an address. It identifies as x64 UEFI PXE (arch 7).
      const leases = join(lab.dir, 'pxe.leases');
      writeFileSync(
        leases,
        `lease {\n  interface "${INTERFACE}";\n  fixed-address 192.0.2.77;\n  option subnet-mask 255.255.255.0;\n` +
          '  option dhcp-server-identifier 192.0.2.1;\n  renew 3 2099/01/01 00:00:00;\n' +
          '  rebind 3 2099/01/01 00:00:00;\n  expire 3 2099/01/01 00:00:00;\n}\n',
      );
      const conf = [
        'timeout 3;',
        'retry 1;',
        'initial-interval 1;',
        'option pxe-client-arch code 93 = unsigned integer 16;',
        'send vendor-class-identifier "PXEClient:Arch:00007:UNDI:003016";',
        'send pxe-client-arch 7;',
      ].join('\n');
      const capture = await lab.capture();
      const pxe = await lab.dhclient({
        conf,
        leases,
        extra: ['-p', '4012'],
        until: (log) => log.includes('DHCPACK of'),
      });
      const wire = await capture.stop();
      assert.match(pxe.log, /DHCPREQUEST for 192\.0\.2\.77 on bwveth to 255\.255\.255\.255 port 4011/);
      // The boot server's ACK carries no address (and no lease time, so dhclient will not bind it).
      assert.match(pxe.log, /DHCPACK of 0\.0\.0\.0 from 192\.0\.2\.1/);
      const ack = packetBytes(wire, /192\.0\.2\.1\.4011 > 255\.255\.255\.255\.4012/);
      assert.ok(ack.includes('grubx64.efi'), 'the boot file is in the reply');
      assert.ok(ack.includes('PXEClient'));
      await server.stop();
      const answered = server.events.find((event) => event.type === 'ack');
      assert.deepEqual(answered, {
        type: 'ack',
        mac: '52:54:00:d0:00:21',
        clientArch: 7,
        vendorClass: 'PXEClient:Arch:00007:UNDI:003016',
        bootFile: 'grubx64.efi',
      });
    });
  });
});
