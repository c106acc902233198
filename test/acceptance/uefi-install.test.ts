// Acceptance (issue 8): a UEFI machine known by its MAC installs over the network. QEMU (q35, TCG) runs Debian's
// OVMF with a private copy of its variable store; the NIC's iPXE ROM boots as a UEFI network boot option and asks
// DHCP with client architecture 7, and bootwright hands it GRUB (grubx64.efi: Debian's signed grubnetx64.efi) over
// TFTP. GRUB reads /grub/grub.cfg, which opens the per-MAC /grub/system/MAC, and loads the kernel and initrd over
// TFTP; the installer runs the kickstart, turns netboot off and finishes.
// The test stops at the end of the install (QEMU runs with -no-reboot): the installer guest makes its disk
// bootable for BIOS only (mbr.bin and extlinux), and OVMF has no CSM, so booting the installed disk under UEFI would
// need an EFI system partition and a UEFI boot loader the guest does not install.
// Needs root and the Debian packages qemu-system-x86, ipxe-qemu, ovmf, grub-efi-amd64-signed, cpio and curl.

import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { findLoader } from '../../src/boot/loaders/registry.js';
import { assertInOrder, statusOf } from '../support/guest-run.js';
import {
  assertNoGuestFailure,
  assertPoweredOff,
  autoinstallUrl,
  blankDisk,
  cliOutput,
  DISTRO,
  installLines,
  knownMachine,
  runMachine,
  skipUnlessRoot,
  startLab,
} from './_bare-metal-lab.js';

const MAC = '52:54:00:b0:08:03';
const SYSTEM = 'rack3';
/** OVMF starts slowly under TCG (about 15 s), then PXE, GRUB over TFTP, and the install. */
const DEADLINE_MS = 170_000;

describe('bare metal: UEFI network install', { skip: skipUnlessRoot }, () => {
  it('a UEFI machine known by its MAC loads GRUB over PXE, installs, and turns its netboot off', {
    timeout: DEADLINE_MS + 60_000,
  }, async (t: TestContext) => {
    assert.ok(
      findLoader('grubx64.efi'),
      'GRUB for UEFI x64 is missing: install the Debian package grub-efi-amd64-signed.',
    );
    const lab = await startLab(t, 'bw-acc-uefi', [knownMachine(SYSTEM, MAC)]);
    const run = await runMachine(lab, {
      name: SYSTEM,
      mac: MAC,
      disk: blankDisk(lab, SYSTEM),
      firmware: 'uefi',
      // The default kickstart ends with `reboot`: with -no-reboot QEMU exits there, which ends the test's machine.
      reboots: false,
      deadlineMs: DEADLINE_MS,
    });
    t.diagnostic(`power-on to the end of the install: ${run.seconds.toFixed(1)} s`);
    assertNoGuestFailure(run);
    const ksUrl = autoinstallUrl(lab, SYSTEM);
    assertInOrder(run.console, installLines(ksUrl, 'reboot'), run.explain);
    assertPoweredOff(run, DEADLINE_MS);

    const steps = [
      'DHCP discover (client arch 7)',
      'DHCP ack 192.0.2.100, boot file grubx64.efi',
      'TFTP sent grubx64.efi',
      // GRUB asks with its prefix, /grub; its module lists (/grub/x86_64-efi/*.lst) are not served and need not be.
      'TFTP sent /grub/grub.cfg',
      `TFTP sent /grub/system/${MAC}`,
      `TFTP sent /images/${DISTRO}/${basename(lab.kernel)}`,
      `TFTP sent /images/${DISTRO}/${basename(lab.initrd)}`,
      'autoinstall file fetched',
      'install started',
      'netboot turned off',
      'install finished',
    ];
    const status = await statusOf(lab.dataDir, SYSTEM, steps);
    assertInOrder(status, steps, (what) =>
      run.explain(`${what}\n--- bootwright status --system ${SYSTEM} ---\n${status}`),
    );

    // GRUB's next request for this machine's config boots the disk (exit to the firmware's next boot option).
    const next = lab.ns.exec('curl', [
      '-s',
      '--max-time',
      '10',
      `tftp://${lab.ns.address}/grub/system/${MAC}`,
    ]);
    assert.match(next, /exit 1/, run.explain(`The per-MAC GRUB config now:\n${next}`));
    const report = await cliOutput(lab, ['system', 'report', `--name=${SYSTEM}`]);
    assert.match(report, /^Netboot Enabled +: False$/m, run.explain(`system report:\n${report}`));
  });
});
