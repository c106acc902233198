// `bootwright lab` as a user runs it: `lab up` makes a namespace with a server and seeds the lab's data directory;
// systems are added with the ordinary CLI; `lab boot --koan` installs vm1 through koan and a private libvirtd (and
// waits for its first boot, which asks the node classifier), while `lab boot --pxe` network-boots vm2 in QEMU
// through pxelinux into the kickstart whose %post turns its netboot off; `lab status` shows both; `lab down` leaves
// no process and no namespace. The lab has a name of its own, so that it never meets a user's `bootwright-lab`.
// Needs root and the Debian packages qemu-system-x86, ipxe-qemu, pxelinux, syslinux-common, libvirt-daemon-system,
// libvirt-clients, qemu-utils, cpio and iproute2; the first run downloads Debian packages into the test cache.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../../test/support/cli.js';
import { assertInOrder } from '../../test/support/guest-run.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { testCacheDir } from './guest-kernel.js';
import { isAlive, type LabState } from './lab.js';
import { libvirtUnavailable } from './libvirtd.js';

/** Each boot: koan's install and first boot take about a minute under TCG, a PXE install about 30 s. */
const BOOT_TIMEOUT_S = 180;

const unavailable = libvirtUnavailable();

it('lab up, boot a system through koan and one through PXE, status, down', {
  skip: unavailable,
  timeout: 240_000,
}, async (t: TestContext) => {
  const name = `bw-lab-${randomBytes(3).toString('hex')}`;
  // `after` hooks run in order: the lab goes down (processes, namespace) before its directory is removed.
  let userDir = '';
  const lab = (...argv: string[]) => runCli(userDir, 'lab', ...argv, `--name=${name}`, `--lab-dir=${labDir}`);
  t.after(async () => {
    await lab('down', '--purge');
  });
  userDir = tempDir(t, 'bootwright-lab-test-');
  const labDir = join(userDir, 'lab');
  const labData = join(labDir, 'data');
  const inLab = (...argv: string[]) => runCli(labData, ...argv);

  const up = await lab('up', `--cache-dir=${testCacheDir()}`);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, new RegExp(`^Lab ${name} is up\\.$`, 'm'));
  assert.match(up.stdout, /profile +lab: /);
  assert.match(up.stdout, new RegExp(`bootwright --data-dir=${labData} system add --name=vm1 --profile=lab`));
  const again = await lab('up');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^Lab ${name} is already up: server pid \\d+`));

  for (const argv of [
    ['role', 'add', '--name=webservers', '--pattern=vm*.example.org', '--classes=webserver ntp'],
    ['system', 'add', '--name=vm1', '--profile=lab', '--mac=random', '--hostname=vm1.example.org'],
    ['system', 'add', '--name=vm2', '--profile=lab', '--mac=random'],
    ['system', 'add', '--name=vm3', '--profile=lab'],
  ]) {
    const added = await inLab(...argv);
    assert.equal(added.code, 0, `${argv.join(' ')}: ${added.stderr}`);
  }

  // Mistakes are one sentence that names the fix.
  const unknown = await lab('boot', '--system=vm404', '--pxe');
  assert.equal(unknown.code, 3);
  assert.match(
    unknown.stderr,
    /^bootwright: The lab has no system "vm404"; add it with ".* system add --name=vm404/,
  );
  const noMac = await lab('boot', '--system=vm3', '--pxe');
  assert.equal(noMac.code, 2);
  assert.match(
    noMac.stderr,
    /^bootwright: System "vm3" has no MAC address to PXE boot with; give it one with /,
  );

  const started = Date.now();
  const timeout = `--timeout=${BOOT_TIMEOUT_S}`;
  const [koan, pxe] = await Promise.all([
    lab('boot', '--system=vm1', '--koan', '--first-boot', timeout),
    lab('boot', '--system=vm2', '--pxe', timeout),
  ]);
  t.diagnostic(`both boots took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const explain = (run: { stdout: string; stderr: string }, console: string) => (what: string) =>
    `${what}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}\n--- console ---\n${readText(join(labDir, 'consoles', console))}` +
    `\n--- server log ---\n${readText(join(labDir, 'server.log')).slice(-4000)}`;

  assert.equal(koan.code, 0, explain(koan, 'vm1.log')('lab boot --koan failed'));
  assert.match(koan.stdout, /install finished; started the installed system in vm1/);
  assert.match(koan.stdout, /^vm1: shut off/m, explain(koan, 'vm1.log')('the first boot did not power off'));
  assertInOrder(
    koan.stdout,
    [
      'koan: koan started',
      'koan: fetched the system',
      'install started',
      'netboot turned off',
      'install finished',
      'koan: started the installed system in vm1',
      'asked the node classifier for its role: webserver ntp',
      'first boot',
    ],
    explain(koan, 'vm1.log'),
  );

  assert.equal(pxe.code, 0, explain(pxe, 'vm2.log')('lab boot --pxe failed'));
  // The events as they arrived, then the timeline.
  assertInOrder(
    pxe.stdout,
    [
      'Powered on vm2',
      'DHCP ack 192.0.2.',
      'TFTP sent pxelinux.0',
      'autoinstall file fetched',
      'install finished',
      'vm2 powered off after',
      'status --system=vm2',
      'TFTP sent pxelinux.cfg/01-',
      'install started',
      'netboot turned off',
      'install finished',
    ],
    explain(pxe, 'vm2.log'),
  );
  const report = await inLab('system', 'report', '--name=vm2');
  assert.match(report.stdout, /^Netboot Enabled +: False$/m);
  for (const system of ['vm1', 'vm2']) {
    assert.ok(statSync(join(labDir, 'consoles', `${system}.log`)).size > 0, `no console log for ${system}`);
  }

  const state = JSON.parse(readFileSync(join(labDir, 'lab.json'), 'utf8')) as LabState;
  const status = await lab('status');
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`^Lab ${name}: up$`, 'm'));
  assert.match(status.stdout, new RegExp(`server +pid ${state.server} running`));
  assert.match(
    status.stdout,
    new RegExp(`libvirtd +pid ${state.libvirtd?.libvirtd}, virtlogd pid \\d+, running`),
  );
  assert.match(status.stdout, /vm1 +shut off/);
  assert.match(status.stdout, /system:vm1 \| .* \| finished/);
  assert.match(status.stdout, /system:vm2 \| .* \| finished/);

  const down = await lab('down');
  assert.equal(down.code, 0, down.stderr);
  assert.match(
    down.stdout,
    new RegExp(`^Stopped: libvirtd .*server \\(pid ${state.server}\\), namespace ${name}\\.$`, 'm'),
  );
  assert.doesNotMatch(
    execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }),
    new RegExp(`^${name}\\b`, 'm'),
  );
  const pids = [state.server, state.libvirtd?.libvirtd, state.libvirtd?.virtlogd];
  for (const pid of pids) assert.equal(typeof pid, 'number');
  // A killed process lingers as a zombie until its parent reaps it: isAlive says no to those.
  for (let tries = 0; tries < 50 && pids.some((pid) => isAlive(pid)); tries++) await sleep(100);
  assert.deepEqual(
    pids.filter((pid) => isAlive(pid)),
    [],
    'processes of the lab still run after lab down',
  );
  assert.ok(existsSync(labData), 'lab down keeps the data without --purge');
  const after = await lab('status');
  assert.match(after.stdout, new RegExp(`^Lab ${name}: down$`, 'm'));
  const notUp = await lab('boot', '--system=vm2', '--pxe');
  assert.equal(notUp.code, 8);
  assert.match(
    notUp.stderr,
    new RegExp(`^bootwright: Lab "${name}" is not up; start it with "bootwright lab up `),
  );
});

function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'latin1') : '(none)';
}
