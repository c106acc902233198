// Acceptance (issue 8): a system whose netboot is off boots its own disk, and nothing installs. Its disk is made
// first, as an earlier install would have left it: the installer guest runs once by direct kernel boot (QEMU
// -kernel, as src/lab/installer-guest.test.ts does) with the setting pxe_just_once off, so that the install itself
// leaves netboot on. Then the operator turns netboot off (`system edit --netboot-enabled=false`) and the machine
// powers on from its firmware, network first: bootwright's DHCP gives it an address and no boot file, its iPXE ROM
// finds nothing to boot, and the firmware boots the disk (extlinux) into the first-boot hook. The timeline of that
// power-on has no boot file, no TFTP and no autoinstall fetch.
// Needs root and the Debian packages qemu-system-x86, ipxe-qemu, pxelinux, syslinux-common, cpio and curl.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { assertInOrder, statusOf } from '../support/guest-run.js';
import {
  assertNoGuestFailure,
  assertPoweredOff,
  autoinstallUrl,
  blankDisk,
  cliOutput,
  firstBootLines,
  installLines,
  knownMachine,
  runMachine,
  skipUnlessRoot,
  startLab,
} from './_bare-metal-lab.js';

const MAC = '52:54:00:b0:08:05';
const SYSTEM = 'rack5';
const CLASSES = 'webserver ntp';
/** The direct-kernel install takes about 10 s under TCG; the firmware boot (iPXE tries first) about 30 s. */
const DEADLINE_MS = 100_000;

describe('bare metal: netboot disabled', { skip: skipUnlessRoot }, () => {
  it('a system with netboot disabled boots its installed disk without fetching an autoinstall file', {
    timeout: 2 * DEADLINE_MS + 60_000,
  }, async (t: TestContext) => {
    const lab = await startLab(t, 'bw-acc-local', [
      ['setting', 'edit', '--name=pxe_just_once', '--value=false'],
      knownMachine(SYSTEM, MAC, CLASSES),
    ]);
    const disk = blankDisk(lab, SYSTEM);
    const ksUrl = autoinstallUrl(lab, SYSTEM);
    const install = await runMachine(lab, {
      name: `${SYSTEM}-install`,
      mac: MAC,
      disk,
      firmware: 'bios',
      reboots: false,
      deadlineMs: DEADLINE_MS,
      kernelBoot: {
        kernel: lab.kernel,
        initrd: lab.initrd,
        append: `console=ttyS0 panic=-1 inst.ks=${ksUrl}`,
      },
    });
    t.diagnostic(`installing the disk by direct kernel boot: ${install.seconds.toFixed(1)} s`);
    assertNoGuestFailure(install);
    assertInOrder(install.console, installLines(ksUrl, 'reboot'), install.explain);
    assertPoweredOff(install, DEADLINE_MS);
    const before = await cliOutput(lab, ['system', 'report', `--name=${SYSTEM}`]);
    assert.match(before, /^Netboot Enabled +: True$/m, install.explain(`system report:\n${before}`));

    await cliOutput(lab, ['system', 'edit', `--name=${SYSTEM}`, '--netboot-enabled=false']);
    const run = await runMachine(lab, {
      name: SYSTEM,
      mac: MAC,
      disk,
      firmware: 'bios',
      reboots: false,
      deadlineMs: DEADLINE_MS,
    });
    t.diagnostic(`power-on from the firmware to power-off: ${run.seconds.toFixed(1)} s`);
    assertNoGuestFailure(run);
    assertInOrder(run.console, firstBootLines(ksUrl, SYSTEM), run.explain);
    assert.ok(
      !run.console.includes('bootwright-installer: fetched'),
      run.explain('The installer ran although netboot is off.'),
    );
    assertPoweredOff(run, DEADLINE_MS);

    const steps = [
      'install finished',
      // The firmware's request (client arch 0): an address, no boot file.
      'DHCP discover (client arch 0)',
      'DHCP ack 192.0.2.100\n',
      `asked the node classifier for its role: ${CLASSES}`,
      'first boot',
    ];
    const status = await statusOf(lab.dataDir, SYSTEM, steps);
    const explain = (what: string) =>
      run.explain(`${what}\n--- bootwright status --system ${SYSTEM} ---\n${status}`);
    assertInOrder(status, steps, explain);
    assert.doesNotMatch(
      status.slice(status.indexOf('install finished')),
      /boot file|TFTP|autoinstall file fetched|install started/,
      explain('The machine was sent something to boot although its netboot is off.'),
    );
  });
});
