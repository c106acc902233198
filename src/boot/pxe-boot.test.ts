// A real PXE boot, as a machine on the install network meets bootwright: QEMU (TCG, no KVM) with the iPXE ROM of
// its NIC, in a network namespace, gets its lease from `bootwright serve` alone (no dnsmasq), loads pxelinux, its
// per-MAC config, the kernel and the initrd over bootwright's TFTP and boots them; the kernel command line carries
// the kickstart URL. The guest kernel is Debian's cloud kernel and its initrd a busybox /init that prints the
// command line and powers off (src/lab/guest-kernel.ts).
// Needs root and the Debian packages qemu-system-x86, ipxe-qemu, pxelinux, syslinux-common, cpio, curl and iproute2;
// the first run downloads the kernel and busybox-static with apt-get into the test cache.

import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import { exited, onPath, readConsole, startServeInNamespace } from '../../test/support/guest-run.js';
import { canCreateNetns } from '../../test/support/netns.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { createTapNamespace, type TapNamespace } from '../../test/support/tap-netns.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { main } from '../cli/main.js';
import { guestBootFiles, guestInitMarker } from '../lab/guest-kernel.js';
import { installNetworkSettings } from '../lab/lab-network.js';
import { findLoader } from './loaders/registry.js';

const GUEST_MAC = '52:54:00:b0:07:01';
// A system with a MAC only: its address comes from the dynamic pool, and its lease ties TFTP and HTTP to it.
const GUEST_IP = '192.0.2.100';
const SYSTEM = 'pxe-guest';
const DISTRO = 'installer-x86_64';
/** QEMU's virtio-net-pci loads this iPXE ROM (BIOS and UEFI in one) from Debian's ipxe-qemu. */
const IPXE_ROM = '/usr/lib/ipxe/qemu/efi-virtio.rom';
/** A PXE boot takes about 25 s under TCG, most of it iPXE waiting for an IPv6 router that never answers. */
const BOOT_DEADLINE_MS = 150_000;

interface TimelineEvent {
  type: string;
  mac?: string;
  ip?: string;
  detail: { path?: string; bytes?: number; bootFile?: string; address?: string };
}

/** The store a user prepares with the CLI before `serve`: DHCP settings, and the distro, profile and system. */
async function configure(dataDir: string, kernel: string, initrd: string): Promise<void> {
  const commands = [
    ...installNetworkSettings('192.0.2.1'),
    [...serveTestRootsCommand],
    ['distro', 'add', `--name=${DISTRO}`, `--kernel=${kernel}`, `--initrd=${initrd}`, '--arch=x86_64'],
    ['distro', 'edit', `--name=${DISTRO}`, '--breed=redhat', '--os-version=rhel9'],
    // panic=-1: a guest that cannot run /init reboots at once, and QEMU (-no-reboot) exits instead of hanging.
    ['profile', 'add', '--name=installer', `--distro=${DISTRO}`, '--kopts=console=ttyS0 panic=-1'],
    ['system', 'add', `--name=${SYSTEM}`, '--profile=installer', `--mac=${GUEST_MAC}`],
  ];
  for (const argv of commands) {
    let output = '';
    const write = (text: string) => {
      output += text;
    };
    const code = await main(['--data-dir', dataDir, ...argv], { stdout: { write }, stderr: { write } });
    assert.equal(code, 0, `bootwright ${argv.join(' ')}: ${output}`);
  }
}

/** The system's events as the REST API gives them, asked from inside the namespace; none when it cannot answer. */
function timeline(ns: TapNamespace): TimelineEvent[] {
  try {
    const url = `http://${ns.address}/api/v1/events?system=${SYSTEM}`;
    return (JSON.parse(ns.exec('curl', ['-sSf', '--max-time', '10', url])) as { items: TimelineEvent[] })
      .items;
  } catch {
    return [];
  }
}

/** `type path` for each event, the TFTP path without the leading slash pxelinux sends. */
function steps(events: TimelineEvent[]): string[] {
  return events.map((event) => `${event.type} ${(event.detail.path ?? '').replace(/^\//, '')}`.trim());
}

/** Whether `wanted` appears in `all` in this order, with anything between. */
function inOrder(all: string[], wanted: string[]): boolean {
  let at = 0;
  for (const step of all) if (step === wanted[at]) at += 1;
  return at === wanted.length;
}

const skip = canCreateNetns() ? false : 'needs root to create network namespaces and tap devices';

describe('a real PXE boot', { skip }, () => {
  before(() => {
    const missing = [
      ...[
        ['qemu-system-x86_64', 'qemu-system-x86'],
        ['cpio', 'cpio'],
        ['curl', 'curl'],
        ['ip', 'iproute2'],
        ['apt-get', 'apt'],
        ['dpkg-deb', 'dpkg'],
      ].filter(([tool]) => !onPath(tool as string)),
      ...[
        [existsSync(IPXE_ROM), 'ipxe-qemu'],
        [findLoader('pxelinux.0'), 'pxelinux'],
        [findLoader('ldlinux.c32'), 'syslinux-common'],
      ].filter(([found]) => !found),
    ].map(([, pkg]) => pkg);
    assert.deepEqual(missing, [], `Install the Debian packages: ${missing.join(', ')}.`);
  });

  it('boots a QEMU guest from its iPXE ROM through pxelinux into the kernel and initrd, with the kickstart URL', {
    timeout: 180_000,
  }, async (t: TestContext) => {
    // The namespace first: `after` hooks run in order, so its processes are killed before their files go.
    const ns = await createTapNamespace(t, { prefix: 'bw-pxe' });
    const work = tempDir(t, 'bootwright-pxe-');
    const { kernel, initrd } = guestBootFiles(work);
    const dataDir = join(work, 'data');
    await configure(dataDir, kernel, initrd);
    // Started before QEMU opens the tap, while the bridge has no carrier, like a libvirt network with no guest up.
    const server = await startServeInNamespace(ns, dataDir);

    const consoleLog = join(work, 'console.log');
    const started = Date.now();
    const guest = ns.spawn(
      'qemu-system-x86_64',
      [
        ...['-accel', 'tcg', '-m', '512', '-smp', '1', '-no-reboot', '-boot', 'n'],
        // -nographic has SeaBIOS copy the screen to the serial port: iPXE's and pxelinux's lines reach the log too.
        ...['-nographic', '-monitor', 'none', '-serial', `file:${consoleLog}`],
        ...['-netdev', `tap,id=net0,ifname=${ns.tap},script=no,downscript=no`],
        ...['-device', `virtio-net-pci,netdev=net0,mac=${GUEST_MAC}`],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let qemuOutput = '';
    guest.stdout?.setEncoding('utf8').on('data', (chunk: string) => (qemuOutput += chunk));
    guest.stderr?.setEncoding('utf8').on('data', (chunk: string) => (qemuOutput += chunk));
    const code = await exited(guest, BOOT_DEADLINE_MS);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    t.diagnostic(`QEMU ran for ${seconds} s, from power-on to exit`);

    const guestConsole = readConsole(consoleLog);
    const explain = (what: string) =>
      `${what}\n--- guest console ---\n${guestConsole}\n--- qemu ---\n${qemuOutput}\n` +
      `--- bootwright serve stderr ---\n${server.stderr()}`;

    // The install timeline, in the order the machine booted, so the first failure names the first broken step.
    // Events are written in batches: wait for the last one to land.
    const kernelPath = `images/${DISTRO}/${basename(kernel)}`;
    const initrdPath = `images/${DISTRO}/${basename(initrd)}`;
    const expected = [
      'dhcp.discover',
      'dhcp.offer',
      'dhcp.request',
      'dhcp.ack',
      'tftp.sent pxelinux.0',
      'tftp.sent ldlinux.c32',
      `tftp.sent pxelinux.cfg/01-${GUEST_MAC.replaceAll(':', '-')}`,
      `tftp.sent ${kernelPath}`,
      `tftp.sent ${initrdPath}`,
    ];
    let events = timeline(ns);
    for (let tries = 0; tries < 50 && !inOrder(steps(events), expected); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      events = timeline(ns);
    }
    const ack = events.find((event) => event.type === 'dhcp.ack');
    assert.deepEqual(
      [ack?.detail.address, ack?.detail.bootFile],
      [GUEST_IP, 'pxelinux.0'],
      explain(`The DHCP ACK did not give the guest its address and pxelinux: ${JSON.stringify(ack)}`),
    );
    assert.ok(
      inOrder(steps(events), expected),
      explain(
        `The timeline of ${SYSTEM} misses steps; expected in order:\n${expected.join('\n')}\n` +
          `but has:\n${steps(events).join('\n')}`,
      ),
    );
    const sent = (path: string) =>
      events.find((event) => event.type === 'tftp.sent' && steps([event])[0] === `tftp.sent ${path}`);
    assert.equal(sent(kernelPath)?.detail.bytes, statSync(kernel).size, 'the whole kernel went over TFTP');
    assert.equal(sent(initrdPath)?.detail.bytes, statSync(initrd).size, 'the whole initrd went over TFTP');

    assert.notEqual(
      code,
      undefined,
      explain(`The guest did not power off within ${BOOT_DEADLINE_MS / 1000} s.`),
    );
    assert.equal(code, 0, explain(`QEMU exited with ${code}.`));
    const ksUrl = `http://${ns.address}/cblr/svc/op/autoinstall/system/${SYSTEM}`;
    const commandLine = /Kernel command line: (.*)/.exec(guestConsole)?.[1] ?? '';
    const options = commandLine.split(' ');
    assert.ok(
      options.includes(`inst.ks=${ksUrl}`),
      explain('The kickstart URL is not on the kernel command line.'),
    );
    assert.ok(
      options.includes(`initrd=/images/${DISTRO}/${basename(initrd)}`),
      explain('The kernel was not booted with the initrd from the pxelinux config.'),
    );
    // IPAPPEND 2 in the per-MAC config: the installer is told which NIC booted.
    assert.ok(
      options.includes(`BOOTIF=01-${GUEST_MAC.replaceAll(':', '-')}`),
      explain('BOOTIF is missing: the per-MAC pxelinux config was not the one booted.'),
    );
    assert.ok(
      guestConsole.includes(`${guestInitMarker}${commandLine}`),
      explain('The initrd did not run: its /init never printed its marker.'),
    );
    // The URL the guest was given answers, as the installer will ask it.
    const kickstart = ns.exec('curl', ['-s', '-w', '\n%{http_code}', '--max-time', '10', ksUrl]);
    assert.match(kickstart, /\n200$/, `The kickstart URL the guest was given answers:\n${kickstart}`);

    // The rest of the installer's calls, as the kickstart's snippets make them: start, netboot off, finish.
    const svc = `http://${ns.address}/cblr/svc/op`;
    for (const call of [
      `trig/mode/pre/system/${SYSTEM}`,
      `nopxe/system/${SYSTEM}`,
      `trig/mode/post/system/${SYSTEM}`,
    ]) {
      assert.match(ns.exec('curl', ['-s', '--max-time', '10', `${svc}/${call}`]), /^True/, call);
    }
    // The machine's next network boot is told to boot its disk, with no sync step in between.
    const nextBoot = ns.exec('curl', [
      '-s',
      '--max-time',
      '10',
      `tftp://${ns.address}/pxelinux.cfg/01-${GUEST_MAC.replaceAll(':', '-')}`,
    ]);
    assert.match(nextBoot, /LOCALBOOT -1/);

    // `bootwright status --system` on the same data directory prints the steps in the order they happened.
    let status = '';
    const wanted = [
      'DHCP discover',
      'DHCP ack 192.0.2.100, boot file pxelinux.0',
      'TFTP sent pxelinux.0',
      `TFTP sent pxelinux.cfg/01-${GUEST_MAC.replaceAll(':', '-')}`,
      // pxelinux asks with a leading slash; the timeline shows the path as the machine asked for it.
      `TFTP sent /${kernelPath}`,
      'autoinstall file fetched',
      'install started',
      'netboot turned off',
      'install finished',
    ];
    const describedInOrder = (text: string) => {
      let at = 0;
      for (const step of wanted) {
        const found = text.indexOf(step, at);
        if (found === -1) return false;
        at = found + step.length;
      }
      return true;
    };
    for (let tries = 0; tries < 30 && !describedInOrder(status); tries++) {
      status = '';
      await main(['--data-dir', dataDir, 'status', '--system', SYSTEM], {
        stdout: { write: (text: string) => (status += text) },
      });
      if (!describedInOrder(status)) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(describedInOrder(status), `bootwright status --system ${SYSTEM} printed:\n${status}`);
    assert.match(status, /\+\d/, 'each step shows the time since the previous one');
    let table = '';
    await main(['--data-dir', dataDir, 'status'], { stdout: { write: (text: string) => (table += text) } });
    assert.match(table, new RegExp(`system:${SYSTEM} +\\| .* \\| finished`), table);

    await server.stop();
  });
});
