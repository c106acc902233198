// Acceptance (issue 8): a bare-metal machine that bootwright knows by its MAC installs itself over PXE with
// pxelinux, reboots, and from then on boots its own disk. QEMU (TCG) powers on with the iPXE ROM of its NIC and a
// blank disk, network first and disk second; nothing but bootwright serves it (DHCP, TFTP, HTTP). The installer
// guest (src/lab/installer-guest.ts) runs the default kickstart, whose %post turns netboot off and which ends with
// `reboot`; QEMU restarts the machine as real hardware does. On that second power-on bootwright's DHCP gives the
// machine its address but no boot file, since its netboot is off (as Cobbler's dhcp.template leaves out
// `filename`), so the ROM finds nothing to boot and the firmware boots the disk (extlinux) into the first-boot hook,
// which asks the node classifier for its role and powers off. The per-MAC pxelinux config has turned to local boot
// too, for a machine that loads pxelinux anyway (a DHCP server other than bootwright's).
// The profile has a repo mirrored here (issue 19): a tiny dnf repository (createrepo_c over an empty directory) on a
// loopback origin, synced with `bootwright reposync` before the machine powers on. The kickstart's
// `repo --baseurl=` points at the mirror, and the installer reads the repo's repomd.xml from
// /cobbler/repo_mirror/NAME/ as Anaconda does, which shows on the machine's timeline between its autoinstall fetch
// and the end of its install.
// Needs root and the Debian packages qemu-system-x86, ipxe-qemu, pxelinux, syslinux-common, cpio, curl and
// createrepo-c.

import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { installerMarkers } from '../../src/lab/installer-guest.js';
import { assertInOrder, statusOf } from '../support/guest-run.js';
import { startOrigin } from '../support/origin-server.js';
import { makeRpmRepo } from '../support/rpm-repo.js';
import { tempDir } from '../support/temp-dir.js';
import {
  assertNoGuestFailure,
  assertPoweredOff,
  autoinstallUrl,
  blankDisk,
  cliOutput,
  DISTRO,
  firstBootLines,
  installLines,
  knownMachine,
  PROFILE,
  runMachine,
  skipUnlessRoot,
  startLab,
} from './_bare-metal-lab.js';

const MAC = '52:54:00:b0:08:01';
const SYSTEM = 'rack1';
const CLASSES = 'webserver ntp';
const REPO = 'tiny';
/** Two PXE boots (about 25 s each under TCG, mostly iPXE waiting for IPv6), the install and the first boot. */
const DEADLINE_MS = 170_000;

describe('bare metal: PXE by MAC through pxelinux', { skip: skipUnlessRoot }, () => {
  it('a machine known by its MAC PXE boots, installs, reboots, and its next network boot boots its disk', {
    timeout: DEADLINE_MS + 60_000,
  }, async (t: TestContext) => {
    // The origin is reachable from where the CLI runs (this process), not from the lab's network: only the mirror
    // is, as on a site whose installers do not reach the internet.
    const originRoot = tempDir(t, 'bootwright-pxe-origin-');
    await makeRpmRepo(originRoot, []);
    const origin = await startOrigin(t, originRoot);
    const lab = await startLab(t, 'bw-acc-pxe', [
      ['repo', 'add', `--name=${REPO}`, `--mirror=${origin.url}/`, '--breed=yum', '--mirror-locally=true'],
      ['profile', 'edit', `--name=${PROFILE}`, `--repos=${REPO}`],
      ['reposync', `--name=${REPO}`],
      knownMachine(SYSTEM, MAC, CLASSES),
    ]);
    const disk = blankDisk(lab, SYSTEM);

    const run = await runMachine(lab, {
      name: SYSTEM,
      mac: MAC,
      disk,
      firmware: 'bios',
      reboots: true,
      deadlineMs: DEADLINE_MS,
    });
    t.diagnostic(`power-on to power-off (install, reboot, first boot): ${run.seconds.toFixed(1)} s`);
    assertNoGuestFailure(run);
    const ksUrl = autoinstallUrl(lab, SYSTEM);
    const repomd = `/cobbler/repo_mirror/${REPO}/repodata/repomd.xml`;
    // The second half is the second power-on: the firmware tries the network, then boots the disk.
    assertInOrder(
      run.console,
      [...installLines(ksUrl, 'reboot'), ...firstBootLines(ksUrl, SYSTEM)],
      run.explain,
    );
    assertInOrder(
      run.console,
      [
        installerMarkers.pre,
        `${installerMarkers.repo}${REPO} from http://${lab.ns.address}${repomd}`,
        `${installerMarkers.installed}/dev/vda`,
      ],
      run.explain,
    );
    assertPoweredOff(run, DEADLINE_MS);

    const config = `pxelinux.cfg/01-${MAC.replaceAll(':', '-')}`;
    const steps = [
      'DHCP ack 192.0.2.100, boot file pxelinux.0',
      'TFTP sent pxelinux.0',
      `TFTP sent ${config}`,
      `TFTP sent /images/${DISTRO}/${basename(lab.kernel)}`,
      `TFTP sent /images/${DISTRO}/${basename(lab.initrd)}`,
      'autoinstall file fetched',
      'install started',
      `downloaded ${repomd}`,
      'netboot turned off',
      'install finished',
      // After the reboot: the firmware asks again (client arch 0 is the PXE ROM, not the installed system's udhcpc)
      // and gets its address with no boot file, as netboot is off; it goes on to its disk.
      'DHCP discover (client arch 0)',
      'DHCP ack 192.0.2.100\n',
      `asked the node classifier for its role: ${CLASSES}`,
      'first boot',
    ];
    const status = await statusOf(lab.dataDir, SYSTEM, steps);
    assertInOrder(status, steps, (what) =>
      run.explain(`${what}\n--- bootwright status --system ${SYSTEM} ---\n${status}`),
    );
    const afterInstall = status.slice(status.indexOf('install finished'));
    assert.doesNotMatch(
      afterInstall,
      /TFTP sent|autoinstall file fetched/,
      run.explain(`The machine loaded something over the network after its install:\n${status}`),
    );

    // What pxelinux would get now, and the record: netboot stays off, with no sync step in between.
    const nextBoot = lab.ns.exec('curl', ['-s', '--max-time', '10', `tftp://${lab.ns.address}/${config}`]);
    assert.match(nextBoot, /LOCALBOOT -1/, run.explain(`The per-MAC config is not local boot:\n${nextBoot}`));
    const report = await cliOutput(lab, ['system', 'report', `--name=${SYSTEM}`]);
    assert.match(report, /^Netboot Enabled +: False$/m, run.explain(`system report:\n${report}`));
  });
});
