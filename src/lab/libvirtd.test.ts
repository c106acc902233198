// The test libvirtd: started in a network namespace, it defines and boots a real guest under TCG (the guest-kernel
// initrd prints its command line and powers off) with its tap on the namespace's bridge, and leaves no daemon, no
// QEMU and no guest definition behind when stopped.
// Needs root and the Debian packages libvirt-daemon-system, libvirt-clients, qemu-system-x86, iproute2 and cpio; the
// first run downloads the kernel and busybox-static with apt-get into the test cache.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTapNamespace } from '../../test/support/tap-netns.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { guestBootFiles, guestInitMarker } from './guest-kernel.js';
import { libvirtUnavailable, startTestLibvirtd, type TestLibvirtd } from './libvirtd.js';

/** A direct kernel boot to the initrd's poweroff takes a few seconds under TCG. */
const BOOT_DEADLINE_MS = 60_000;

it('runs a private libvirtd in a network namespace that boots a qemu guest onto its bridge, then stops', {
  timeout: BOOT_DEADLINE_MS + 120_000,
}, async (t: TestContext) => {
  const unavailable = libvirtUnavailable();
  assert.equal(unavailable, undefined, unavailable);
  // `after` hooks run in order: the namespace goes first, then the work directory, then the daemons.
  const ns = await createTapNamespace(t, { prefix: 'bw-lv' });
  const work = tempDir(t, 'bootwright-libvirtd-test-');
  // QEMU runs as libvirt-qemu, which must reach the kernel, the initrd and the console log in here.
  chmodSync(work, 0o755);
  const { kernel, initrd } = guestBootFiles(work);

  const starting = Date.now();
  const libvirt = await startTestLibvirtd(ns.name, t);
  t.diagnostic(`libvirtd answered after ${seconds(starting)}`);

  const capabilities = libvirt.virsh(['capabilities']);
  assert.match(capabilities, /<domain type='qemu'\/>/, 'virsh capabilities offers no qemu (TCG) domains');
  assert.doesNotMatch(capabilities, /<domain type='kvm'/, 'libvirtd sees /dev/kvm through the harness');

  const name = `bw-lv-${randomBytes(3).toString('hex')}`;
  const cmdline = `console=ttyS0 panic=-1 bootwright.test=${name}`;
  const consoleLog = join(work, 'console.log');
  const xml = join(work, `${name}.xml`);
  writeFileSync(xml, domainXml(name, kernel, initrd, cmdline, consoleLog, ns.bridge));
  const defining = Date.now();
  libvirt.virsh(['define', xml]);
  t.diagnostic(`virsh define took ${seconds(defining)}`);
  const booting = Date.now();
  libvirt.virsh(['start', name]);
  // The guest's tap is on the bridge inside the namespace, not on the host.
  const bridgePorts = ns.exec('ip', ['-o', 'link', 'show', 'master', ns.bridge]);
  assert.match(bridgePorts, /vnet\d+/, `no tap of the guest on ${ns.bridge}:\n${bridgePorts}`);

  const state = await waitForShutoff(libvirt, name);
  t.diagnostic(`the guest booted and powered off in ${seconds(booting)}`);
  assert.equal(state, 'shut off (shutdown)', explain(libvirt, consoleLog, `guest ${name} is "${state}"`));
  assert.ok(
    readFileSync(consoleLog, 'utf8').includes(`${guestInitMarker}${cmdline}`),
    explain(libvirt, consoleLog, `the console log lacks "${guestInitMarker}${cmdline}"`),
  );

  const stopping = Date.now();
  await libvirt.stop();
  t.diagnostic(`stopped in ${seconds(stopping)}`);
  for (const [daemon, pid] of Object.entries(libvirt.pids)) {
    assert.equal(existsSync(`/proc/${pid}`), false, `${daemon} (pid ${pid}) still runs after stop()`);
  }
  assert.deepEqual(pgrep(['-f', `guest=${name}`]), [], `the QEMU of guest ${name} still runs after stop()`);
  assert.equal(existsSync(`/etc/libvirt/qemu/${name}.xml`), false, 'the guest definition reached the host');
});

function domainXml(
  name: string,
  kernel: string,
  initrd: string,
  cmdline: string,
  consoleLog: string,
  bridge: string,
): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${kernel}</kernel>
    <initrd>${initrd}</initrd>
    <cmdline>${cmdline}</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='pty'>
      <log file='${consoleLog}' append='on'/>
      <target port='0'/>
    </serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <interface type='bridge'>
      <source bridge='${bridge}'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
`;
}

async function waitForShutoff(libvirt: TestLibvirtd, name: string): Promise<string> {
  const deadline = Date.now() + BOOT_DEADLINE_MS;
  let state = '';
  while (Date.now() < deadline) {
    state = libvirt.virsh(['domstate', name, '--reason']).trim();
    if (state.startsWith('shut off')) return state;
    await sleep(250);
  }
  return `${state}, still after ${BOOT_DEADLINE_MS / 1000} s`;
}

function explain(libvirt: TestLibvirtd, consoleLog: string, what: string): string {
  const text = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '(no console log)';
  return `${what}.\n--- console ---\n${text.slice(-4000)}\n${libvirt.logs()}`;
}

function pgrep(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // exit status 1: no such process
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
