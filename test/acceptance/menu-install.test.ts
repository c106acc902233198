// Acceptance (issue 8): a machine bootwright does not know powers on and installs the profile the menu boots by
// default. There is no system with its MAC; the profile of the system named "default" is the menu's default (as in
// Cobbler). bootwright's DHCP leases it an address from the pool and pxelinux; pxelinux finds no per-MAC config
// and gets pxelinux.cfg/default, the menu (menu.c32), whose timeout boots the default profile's installer with the
// profile's kickstart URL. The install reports itself as a profile install. The kickstart ends with `reboot`,
// where QEMU (-no-reboot) exits: an unknown machine that netboots first would install again, since no system's
// netboot can be turned off for it.
// Needs root and the Debian packages qemu-system-x86, ipxe-qemu, pxelinux, syslinux-common, cpio and curl.

import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { assertInOrder } from '../support/guest-run.js';
import {
  assertNoGuestFailure,
  assertPoweredOff,
  blankDisk,
  DISTRO,
  describeEvents,
  installLines,
  machineEvents,
  PROFILE,
  runMachine,
  skipUnlessRoot,
  startLab,
  waitForSteps,
} from './_bare-metal-lab.js';

const MAC = '52:54:00:b0:08:04';
/** The first address of the pool: nothing else asks for one in this namespace. */
const ADDRESS = '192.0.2.100';
/** A PXE boot, the menu's 20 s timeout (slower under TCG) and the install. */
const DEADLINE_MS = 170_000;

describe('bare metal: an unknown machine and the menu', { skip: skipUnlessRoot }, () => {
  it('an unknown machine boots the menu, which times out into the default profile, and installs it', {
    timeout: DEADLINE_MS + 60_000,
  }, async (t: TestContext) => {
    const lab = await startLab(t, 'bw-acc-menu', [
      // A second profile, so the menu has a choice to make and the default is not merely the only entry.
      ['profile', 'add', '--name=other', `--distro=${DISTRO}`, '--kernel-options=console=ttyS0 panic=-1'],
      ['system', 'add', '--name=default', `--profile=${PROFILE}`],
    ]);
    const run = await runMachine(lab, {
      name: 'unknown',
      mac: MAC,
      disk: blankDisk(lab, 'unknown'),
      firmware: 'bios',
      reboots: false,
      deadlineMs: DEADLINE_MS,
    });
    t.diagnostic(`power-on to the end of the install: ${run.seconds.toFixed(1)} s`);
    assertNoGuestFailure(run);
    const ksUrl = `http://${lab.ns.address}/cblr/svc/op/autoinstall/profile/${PROFILE}`;
    assertInOrder(run.console, installLines(ksUrl, 'reboot'), run.explain);
    assertPoweredOff(run, DEADLINE_MS);

    // No system: the machine's events are the ones with its MAC (DHCP) or its address (TFTP, HTTP, reports).
    const ours = () =>
      machineEvents(lab, (event) =>
        [event.mac, event.ip, event.source].some((key) => key === MAC || key === ADDRESS),
      );
    const steps = [
      `DHCP ack ${ADDRESS}, boot file pxelinux.0`,
      'TFTP sent pxelinux.0',
      'TFTP sent pxelinux.cfg/default',
      'menu.c32',
      `TFTP sent /images/${DISTRO}/${basename(lab.kernel)}`,
      `TFTP sent /images/${DISTRO}/${basename(lab.initrd)}`,
      'autoinstall file fetched',
      'install started',
      'install finished',
    ];
    const timeline = await waitForSteps(() => describeEvents(ours()), steps);
    const explain = (what: string) => run.explain(`${what}\n--- the machine's events ---\n${timeline}`);
    assertInOrder(timeline, steps, explain);
    assert.doesNotMatch(timeline, /netboot turned off/, explain('A profile install turned a netboot off.'));
    const started = ours().filter((event) => event.type === 'install.pre');
    assert.deepEqual(
      started.map((event) => event.detail),
      [{ profile: PROFILE }],
      explain('The install did not report itself as an install of the default profile.'),
    );
    assert.match(
      run.console,
      new RegExp(`inst\\.ks=${ksUrl.replaceAll('.', '\\.')}( |$)`, 'm'),
      explain("The installer's command line is not the default profile's."),
    );
  });
});
