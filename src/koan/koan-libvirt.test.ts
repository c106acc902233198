// The seed's virtual install, for real: in a network namespace, `bootwright serve` (DHCP in full mode, HTTP) and a
// private libvirtd; `bootwright koan --virt --vm-poll`, run in the namespace as a hypervisor host runs it, fetches
// vm9 (made with --mac=random), downloads the installer, defines the VM and boots it (qemu, TCG). The installer
// guest (src/lab/installer-guest.ts) gets its lease, fetches its kickstart, runs %pre and %post (which turn
// its netboot off and report the install), installs to its disk and powers off; koan then starts the installed
// definition, which boots that disk (SeaBIOS, extlinux) and asks the node classifier for its role. The server's
// timeline shows every step in order. Then the refusals: nothing is left in libvirt or on disk.
// Needs root and the Debian packages qemu-system-x86, libvirt-daemon-system, libvirt-clients, qemu-utils, cpio.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  assertInOrder,
  assertTools,
  configureStore,
  exited,
  projectRoot,
  readConsole,
  startServeInNamespace,
  statusOf,
} from '../../test/support/guest-run.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { createTapNamespace, type TapNamespace } from '../../test/support/tap-netns.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { buildInstallerGuest, installerMarkers } from '../lab/installer-guest.js';
import { installNetworkSettings } from '../lab/lab-network.js';
import { libvirtUnavailable, startTestLibvirtd, type TestLibvirtd } from '../lab/libvirtd.js';

const SYSTEM = 'vm9';
const FQDN = 'vm9.example.org';
/** Install (about 10 s under TCG) plus the installed system's first boot; generous for a loaded CI machine. */
const KOAN_DEADLINE_MS = 240_000;

interface KoanRun {
  code: number | null | undefined;
  stdout: string;
  stderr: string;
}

/** `bootwright koan ...` inside the namespace, as an operator runs it on the hypervisor host. */
async function koan(
  ns: TapNamespace,
  args: string[],
  deadlineMs = KOAN_DEADLINE_MS,
  onStdout: (stdout: string) => void = () => {},
): Promise<KoanRun> {
  const child = ns.spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'run.ts'), 'koan', ...args],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    onStdout(stdout);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await exited(child, deadlineMs);
  return { code, stdout, stderr };
}

async function waitForState(
  libvirt: TestLibvirtd,
  name: string,
  wanted: RegExp,
  deadlineMs: number,
): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  let state = '';
  while (Date.now() < deadline) {
    try {
      state = libvirt.virsh(['domstate', name, '--reason']).trim();
    } catch (error) {
      state = (error as Error).message;
    }
    if (wanted.test(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return state;
}

interface Lab {
  ns: TapNamespace;
  libvirt: TestLibvirtd;
  work: string;
  dataDir: string;
  serverStderr(): string;
}

async function startLab(t: TestContext, prefix: string): Promise<Lab> {
  const ns = await createTapNamespace(t, { prefix });
  const libvirt = await startTestLibvirtd(ns.name, t);
  const work = tempDir(t, 'bootwright-koan-');
  // QEMU runs as libvirt-qemu: it must reach the disks, the kernel cache and the console log in here.
  chmodSync(work, 0o755);
  const { kernel, initrd } = buildInstallerGuest(work);
  const dataDir = join(work, 'data');
  await configureStore(dataDir, [
    ...installNetworkSettings(ns.address),
    [...serveTestRootsCommand],
    [
      'distro',
      'add',
      '--name=installer-x86_64',
      `--kernel=${kernel}`,
      `--initrd=${initrd}`,
      '--arch=x86_64',
      '--breed=redhat',
      '--os-version=rhel9',
    ],
    // The kickstart ends with poweroff (koan --vm-poll waits for it) and its %post snippets report to the server.
    [
      'profile',
      'add',
      '--name=installer',
      '--distro=installer-x86_64',
      `--virt-bridge=${ns.bridge}`,
      '--virt-file-size=1',
      '--virt-ram=512',
      '--virt-type=qemu',
      '--kernel-options=console=ttyS0 panic=-1',
      '--autoinstall-meta=install_finish=poweroff',
    ],
    ['role', 'add', '--name=webservers', '--pattern=vm*.example.org', '--classes=webserver ntp'],
    [
      'system',
      'add',
      `--name=${SYSTEM}`,
      '--profile=installer',
      `--hostname=${FQDN}`,
      `--dns-name=${FQDN}`,
      '--ip-address=192.0.2.9',
      '--mac=random',
    ],
  ]);
  const server = await startServeInNamespace(ns, dataDir);
  t.after(() => server.stop());
  return { ns, libvirt, work, dataDir, serverStderr: server.stderr };
}

/** The seed's koan line for vm9 in this lab: a qemu guest, its disk in the lab's work directory, --vm-poll. */
function seedKoanArgs(lab: Lab): string[] {
  return [
    ...['--server', lab.ns.address, '--port', '80', '--virt', `--system=${SYSTEM}`, `--virt-name=${SYSTEM}`],
    ...['--virt-type=qemu', `--virt-path=${lab.work}`, '--vm-poll', '--poll-interval=1'],
    `--cache-dir=${join(lab.work, 'cache')}`,
  ];
}

const unavailable = libvirtUnavailable();

describe('bootwright koan with a real libvirtd', () => {
  it('installs vm9 as the seed says: install VM, power-off, installed VM from its disk, role from the classifier', {
    timeout: KOAN_DEADLINE_MS + 120_000,
  }, async (t: TestContext) => {
    assert.equal(unavailable, undefined, unavailable);
    assertTools([
      ['qemu-img', 'qemu-utils'],
      ['cpio', 'cpio'],
      ['curl', 'curl'],
    ]);
    const lab = await startLab(t, 'bw-koan');
    const consoleLog = join(lab.work, 'vm9-console.log');
    const started = Date.now();
    const run = await koan(lab.ns, [...seedKoanArgs(lab), `--console-log=${consoleLog}`]);
    t.diagnostic(`koan ran for ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const explain = (what: string) =>
      `${what}\n--- koan stdout ---\n${run.stdout}\n--- koan stderr ---\n${run.stderr}\n--- guest console ---\n${readConsole(consoleLog)}\n--- libvirtd ---\n${lab.libvirt.logs()}\n--- serve ---\n${lab.serverStderr()}`;
    assert.equal(run.code, 0, explain(`koan exited with ${run.code}`));
    assert.match(
      run.stdout,
      /install finished; started the installed system in vm9/,
      explain('koan did not restart vm9'),
    );

    // The installed definition: the disk koan made, no installer kernel, the MAC the server chose at random.
    const installed = lab.libvirt.virsh(['dumpxml', '--inactive', SYSTEM]);
    assert.match(installed, new RegExp(`<source file='${join(lab.work, 'vm9-disk0')}'/>`));
    assert.doesNotMatch(installed, /<kernel>/, 'the installed definition boots its disk, not the installer');
    assert.match(installed, /<boot dev='hd'\/>/);

    // The installed system boots from its disk, asks for its role, and powers off (our test guest does).
    const state = await waitForState(lab.libvirt, SYSTEM, /^shut off/, 120_000);
    const guestConsole = readConsole(consoleLog);
    assert.match(state, /^shut off/, explain(`vm9 did not finish its first boot: ${state}`));
    assertInOrder(
      guestConsole,
      [
        `${installerMarkers.fetched}http://${lab.ns.address}/cblr/svc/op/ks/system/vm9`,
        installerMarkers.pre,
        `${installerMarkers.installed}/dev/vda`,
        installerMarkers.post,
        installerMarkers.poweroff,
        `${installerMarkers.firstboot}installed system booted from disk`,
        `${installerMarkers.firstboot}classes:`,
      ],
      explain,
    );
    assert.match(
      guestConsole,
      new RegExp(`^${installerMarkers.firstboot}.*webserver`, 'm'),
      explain('no role from the classifier'),
    );

    const steps = [
      'koan: koan started',
      'koan: fetched the system',
      'koan: downloaded kernel and initrd',
      'koan: started the installer in vm9 (qemu',
      'koan: defined the installed system vm9',
      'DHCP ack 192.0.2.9',
      'autoinstall file fetched',
      'install started',
      'netboot turned off',
      'install finished',
      'koan: the installer in vm9 powered off',
      'koan: started the installed system in vm9',
      'asked the node classifier for its role: webserver ntp',
      'first boot',
    ];
    const status = await statusOf(lab.dataDir, SYSTEM, steps);
    assertInOrder(status, steps, (what) =>
      explain(`${what}\n--- bootwright status --system vm9 ---\n${status}`),
    );
    t.diagnostic(`bootwright status --system vm9:\n${status}`);
  });

  it('ends with how to carry on by hand when libvirtd dies during --vm-poll, and reports the failure', {
    timeout: KOAN_DEADLINE_MS + 60_000,
  }, async (t: TestContext) => {
    assert.equal(unavailable, undefined, unavailable);
    const lab = await startLab(t, 'bw-koanlost');
    const disk = join(lab.work, `${SYSTEM}-disk0`);
    // Without libvirtd nobody stops the installer's QEMU; it is found by its disk, which only this test uses.
    t.after(() => spawnSync('pkill', ['-KILL', '-f', disk]));
    let killedAt = 0;
    const run = await koan(lab.ns, seedKoanArgs(lab), KOAN_DEADLINE_MS, (stdout) => {
      if (killedAt || !stdout.includes(`the installer runs in qemu virtual machine ${SYSTEM}`)) return;
      killedAt = Date.now();
      process.kill(lab.libvirt.pids.libvirtd, 'SIGKILL');
    });
    const explain = (what: string) =>
      `${what}\n--- koan stdout ---\n${run.stdout}\n--- koan stderr ---\n${run.stderr}\n--- libvirtd ---\n${lab.libvirt.logs()}`;
    assert.ok(killedAt > 0, explain('koan never started the installer'));
    assert.equal(run.code, 8, explain('koan should end with E_UNAVAILABLE'));
    assert.match(
      run.stderr,
      /^bootwright: Lost track of "vm9" while the install ran \(.+\); when libvirt is back, "virsh -c qemu:\/\/\/system domstate vm9" tells whether it finished, and "virsh start vm9" boots the installed system\.\n$/,
      explain('not the one-line error that says how to carry on'),
    );
    // The disk koan made stays for the install still running in QEMU, and the server's timeline says why koan
    // stopped watching.
    assert.ok(existsSync(disk), explain('the disk was removed under a running install'));
    const status = await statusOf(lab.dataDir, SYSTEM, [
      'koan: defined the installed system vm9',
      'Lost track',
    ]);
    assert.match(status, /Lost track of "vm9"/, explain(`no failure on the timeline:\n${status}`));
  });

  it('refuses an existing disk image and a bridge libvirt cannot use, leaving nothing behind', {
    timeout: 180_000,
  }, async (t: TestContext) => {
    assert.equal(unavailable, undefined, unavailable);
    const lab = await startLab(t, 'bw-koanx');
    const images = join(lab.work, 'images');
    mkdirSync(images);
    chmodSync(images, 0o755);
    const base = [
      '--server',
      lab.ns.address,
      '--port',
      '80',
      '--virt',
      `--system=${SYSTEM}`,
      '--virt-type=qemu',
      `--cache-dir=${join(lab.work, 'cache')}`,
    ];

    writeFileSync(join(images, 'vm9-disk0'), 'an installed system');
    const existing = await koan(lab.ns, [...base, `--virt-path=${images}`], 60_000);
    assert.equal(existing.code, 2, existing.stderr);
    assert.match(
      existing.stderr,
      /^bootwright: Disk image .*vm9-disk0 already exists; remove it, choose another --virt-path, or say --force-path to overwrite it\.\n$/,
    );
    assert.equal(lab.libvirt.virsh(['list', '--all', '--name']).trim(), '');
    const refused = await statusOf(lab.dataDir, SYSTEM, ['already exists']);
    assert.match(
      refused,
      /koan: Disk image .*vm9-disk0 already exists/,
      'the timeline says why koan stopped',
    );

    // libvirt refuses to start the VM (no such bridge): the disk koan made and the definition are taken back.
    const fresh = join(lab.work, 'fresh');
    mkdirSync(fresh);
    chmodSync(fresh, 0o755);
    const broken = await koan(lab.ns, [...base, `--virt-path=${fresh}`, '--virt-bridge=nosuchbr0'], 60_000);
    assert.equal(broken.code, 8, broken.stderr);
    assert.match(
      broken.stderr,
      /^bootwright: virsh create failed: Cannot get interface MTU on 'nosuchbr0': No such device\n$/,
    );
    assert.equal(lab.libvirt.virsh(['list', '--all', '--name']).trim(), '', 'no VM is left defined');
    assert.deepEqual(readdirSync(fresh), [], 'no disk image is left');

    // No libvirt at the URI: said before anything is downloaded or created.
    const untouchedCache = join(lab.work, 'cache-untouched');
    const noLibvirt = await koan(
      lab.ns,
      [
        ...base,
        `--virt-path=${fresh}`,
        `--cache-dir=${untouchedCache}`,
        '--connect=qemu+unix:///system?socket=/nonexistent/sock',
      ],
      60_000,
    );
    assert.equal(noLibvirt.code, 8, noLibvirt.stderr);
    assert.match(
      noLibvirt.stderr,
      /^bootwright: Cannot connect to libvirt at qemu\+unix:\/\/\/system\?socket=\/nonexistent\/sock \(.*\); start libvirtd \(and virtlogd\), or say --connect=URI\.\n$/,
    );
    assert.deepEqual(readdirSync(fresh), []);
    assert.equal(existsSync(untouchedCache), false, 'nothing was downloaded');

    const unknown = await koan(
      lab.ns,
      ['--server', lab.ns.address, '--port', '80', '--virt', '--system=vm404'],
      60_000,
    );
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /has no system "vm404"/);

    // A libvirt storage pool: koan makes the volume there, and the VM's disk names the pool, not a path.
    const poolDir = join(lab.work, 'pool');
    mkdirSync(poolDir);
    chmodSync(poolDir, 0o755);
    // Transient: it goes with this libvirtd and leaves nothing in the host's /etc/libvirt.
    lab.libvirt.virsh(['pool-create-as', 'labpool', 'dir', '--target', poolDir]);
    const pooled = await koan(lab.ns, [...base, '--virt-path=pool:labpool', '--nogfx'], 60_000);
    assert.equal(pooled.code, 0, pooled.stderr);
    assert.match(lab.libvirt.virsh(['vol-list', '--pool', 'labpool']), /vm9-disk0/);
    assert.match(
      lab.libvirt.virsh(['dumpxml', '--inactive', SYSTEM]),
      /<source pool='labpool' volume='vm9-disk0'\/>/,
    );
  });
});
