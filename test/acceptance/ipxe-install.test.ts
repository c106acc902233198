// Acceptance (issue 8): the same bare-metal install as pxelinux-install.test.ts, through iPXE over HTTP. With the
// setting dhcp_boot_loader=ipxe, bootwright's DHCP recognises the iPXE ROM (user class "iPXE", option 175) and hands
// it the URL of its iPXE script (/cblr/svc/op/ipxe/mac/MAC) instead of pxelinux; iPXE fetches the script, then the
// kernel and initrd over HTTP, with no TFTP at all. The install ends with `reboot`; on the second power-on netboot is
// off, DHCP gives no script, and the firmware boots the disk into the first-boot hook.
// Needs root and the Debian packages qemu-system-x86, ipxe-qemu, syslinux-common, cpio and curl.

import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { assertInOrder, statusOf } from '../support/guest-run.js';
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
  runMachine,
  skipUnlessRoot,
  startLab,
} from './_bare-metal-lab.js';

const MAC = '52:54:00:b0:08:02';
const SYSTEM = 'rack2';
const CLASSES = 'webserver ntp';
/** Two network boots under TCG (about 20 s each), the install and the first boot. */
const DEADLINE_MS = 170_000;

describe('bare metal: PXE by MAC through iPXE over HTTP', { skip: skipUnlessRoot }, () => {
  it('a machine known by its MAC gets its iPXE script, loads the installer over HTTP, installs and boots its disk', {
    timeout: DEADLINE_MS + 60_000,
  }, async (t: TestContext) => {
    const lab = await startLab(t, 'bw-acc-ipxe', [
      ['setting', 'edit', '--name=dhcp_boot_loader', '--value=ipxe'],
      knownMachine(SYSTEM, MAC, CLASSES),
    ]);
    const run = await runMachine(lab, {
      name: SYSTEM,
      mac: MAC,
      disk: blankDisk(lab, SYSTEM),
      firmware: 'bios',
      reboots: true,
      deadlineMs: DEADLINE_MS,
    });
    t.diagnostic(`power-on to power-off (install, reboot, first boot): ${run.seconds.toFixed(1)} s`);
    assertNoGuestFailure(run);
    const ksUrl = autoinstallUrl(lab, SYSTEM);
    assertInOrder(
      run.console,
      [...installLines(ksUrl, 'reboot'), ...firstBootLines(ksUrl, SYSTEM)],
      run.explain,
    );
    assertPoweredOff(run, DEADLINE_MS);

    const scriptUrl = `http://${lab.ns.address}/cblr/svc/op/ipxe/mac/${MAC}`;
    const steps = [
      `DHCP ack 192.0.2.100, boot file ${scriptUrl}`,
      'iPXE script fetched',
      `downloaded /cobbler/images/${DISTRO}/${basename(lab.kernel)}`,
      `downloaded /cobbler/images/${DISTRO}/${basename(lab.initrd)}`,
      'autoinstall file fetched',
      'install started',
      'netboot turned off',
      'install finished',
      // The second power-on: iPXE (client arch 0) gets an address and no script; the firmware boots the disk.
      'DHCP discover (client arch 0)',
      'DHCP ack 192.0.2.100\n',
      `asked the node classifier for its role: ${CLASSES}`,
      'first boot',
    ];
    const status = await statusOf(lab.dataDir, SYSTEM, steps);
    assertInOrder(status, steps, (what) =>
      run.explain(`${what}\n--- bootwright status --system ${SYSTEM} ---\n${status}`),
    );
    assert.doesNotMatch(status, /TFTP/, run.explain(`iPXE used TFTP:\n${status}`));
    assert.doesNotMatch(
      status.slice(status.indexOf('install finished')),
      /iPXE script fetched|downloaded|autoinstall file fetched/,
      run.explain(`The machine loaded something over the network after its install:\n${status}`),
    );

    // The script iPXE would get now boots the disk, and the record says netboot is off.
    const script = lab.ns.exec('curl', ['-s', '--max-time', '10', scriptUrl]);
    assert.match(
      script,
      /sanboot --no-describe --drive 0x80/,
      run.explain(`The iPXE script now:\n${script}`),
    );
    const report = await cliOutput(lab, ['system', 'report', `--name=${SYSTEM}`]);
    assert.match(report, /^Netboot Enabled +: False$/m, run.explain(`system report:\n${report}`));
  });
});
