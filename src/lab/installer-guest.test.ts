// The installer guest against the real server: in a network namespace, `bootwright serve` hands the guest its
// lease (full DHCP mode) and its kickstart; the guest runs %pre and %post, whose curl calls show up as install
// steps on the server, installs itself to a virtio disk and powers off. Booted again from that disk alone (SeaBIOS,
// mbr.bin, extlinux), it reports its first boot and asks the puppet node classifier about itself.
// Needs root and the Debian packages qemu-system-x86, cpio, curl and iproute2; the first run downloads the kernel,
// busybox-static, extlinux and syslinux-common with apt-get into the test cache.
// The shell that reads the kickstart's repos also runs on its own, under the same static busybox on the host, against
// a loopback dnf repository (createrepo_c), with no QEMU.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import {
  assertInOrder,
  assertTools,
  exited,
  guestTools,
  readConsole,
  type ServeProcess,
  startServeInNamespace,
  statusOf,
} from '../../test/support/guest-run.js';
import { canCreateNetns } from '../../test/support/netns.js';
import { type Origin, startOrigin } from '../../test/support/origin-server.js';
import { makeRpmRepo } from '../../test/support/rpm-repo.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { createTapNamespace, type TapNamespace } from '../../test/support/tap-netns.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { main } from '../cli/main.js';
import { staticBusybox } from './guest-kernel.js';
import { buildInstallerGuest, installerMarkers, kickstartRepoFunctions } from './installer-guest.js';
import { installNetworkSettings } from './lab-network.js';

const GUEST_MAC = '52:54:00:b0:07:09';
const SYSTEM = 'vm9';
const FQDN = 'vm9.example.org';
const CLASSES = 'webserver ntp';
/** A direct kernel boot and install takes about 10 s under TCG; a boot through SeaBIOS and extlinux a little more. */
const BOOT_DEADLINE_MS = 120_000;

interface Boot {
  code: number | null | undefined;
  seconds: string;
  console: string;
  explain(what: string): string;
}

interface TimelineEvent {
  type: string;
  system?: string;
}

const skip = canCreateNetns() ? false : 'needs root to create network namespaces and tap devices';

describe('the installer guest', { skip }, () => {
  before(() => assertTools(guestTools));

  it('installs from a kickstart, running %pre and %post, then boots the installed disk on its own', {
    timeout: 2 * BOOT_DEADLINE_MS + 60_000,
  }, async (t: TestContext) => {
    // The namespace first: `after` hooks run in order, so its processes are killed before their files go.
    const ns = await createTapNamespace(t, { prefix: 'bw-inst' });
    const work = tempDir(t, 'bootwright-installer-');
    const building = Date.now();
    const { kernel, initrd } = buildInstallerGuest(work);
    t.diagnostic(`built the installer guest in ${((Date.now() - building) / 1000).toFixed(1)} s`);
    const dataDir = join(work, 'data');
    await configure(dataDir, kernel, initrd);
    const server = await startServeInNamespace(ns, dataDir);
    const disk = join(work, 'disk.img');
    writeFileSync(disk, '');
    truncateSync(disk, 128 * 1024 * 1024);

    const ksUrl = `http://${ns.address}/cblr/svc/op/autoinstall/system/${SYSTEM}`;
    const install = await boot(ns, work, 'install', server, [
      ...['-kernel', kernel, '-initrd', initrd],
      ...['-append', `console=ttyS0 panic=-1 inst.ks=${ksUrl}`],
      ...['-drive', `file=${disk},if=virtio,format=raw`],
    ]);
    t.diagnostic(`install boot: QEMU ran for ${install.seconds} s`);
    assert.ok(
      !install.console.includes(installerMarkers.failed),
      install.explain('The installer reported a failure.'),
    );
    assertInOrder(
      install.console,
      [
        `${installerMarkers.fetched}${ksUrl}`,
        installerMarkers.pre,
        `${installerMarkers.installed}/dev/vda`,
        installerMarkers.post,
        // The default kickstart ends with `reboot`; QEMU runs with -no-reboot, so it exits all the same.
        installerMarkers.reboot,
      ],
      install.explain,
    );
    assert.notEqual(
      install.code,
      undefined,
      install.explain(`The installer did not reboot within ${BOOT_DEADLINE_MS / 1000} s.`),
    );
    assert.equal(install.code, 0, install.explain(`QEMU exited with ${install.code}.`));
    // The kickstart's %pre and %post call the server with curl: the calls are the proof that they ran.
    await waitForEvents(ns, ['install.pre', 'install.post'], install.explain);
    const steps = ['autoinstall file fetched', 'install started', 'install finished'];
    const status = await statusOf(dataDir, SYSTEM, steps);
    assertInOrder(status, steps, (what) =>
      install.explain(`${what}\n--- bootwright status --system ${SYSTEM} ---\n${status}`),
    );

    // The disk alone: no -kernel, so SeaBIOS boots its MBR, which chains to extlinux.
    const firstboot = await boot(ns, work, 'firstboot', server, [
      ...['-boot', 'c', '-drive', `file=${disk},if=virtio,format=raw`],
    ]);
    t.diagnostic(`first boot from disk: QEMU ran for ${firstboot.seconds} s`);
    assert.ok(
      !firstboot.console.includes(installerMarkers.failed),
      firstboot.explain('The installed system reported a failure.'),
    );
    assertInOrder(
      firstboot.console,
      [
        `${installerMarkers.firstboot}installed system booted from disk`,
        `${installerMarkers.firstboot}installed: ks=${ksUrl}`,
        `${installerMarkers.firstboot}classes:`,
        `${installerMarkers.firstboot}reported firstboot of system ${SYSTEM}`,
        installerMarkers.poweroff,
      ],
      firstboot.explain,
    );
    for (const puppetClass of CLASSES.split(' ')) {
      assert.match(
        firstboot.console,
        new RegExp(`^${installerMarkers.firstboot}.*\\b${puppetClass}\\b`, 'm'),
        firstboot.explain(`The node classifier's answer has no class ${puppetClass}.`),
      );
    }
    assert.notEqual(
      firstboot.code,
      undefined,
      firstboot.explain(`The installed system did not power off within ${BOOT_DEADLINE_MS / 1000} s.`),
    );
    assert.equal(firstboot.code, 0, firstboot.explain(`QEMU exited with ${firstboot.code}.`));
    await waitForEvents(ns, ['install.pre', 'install.post', 'install.firstboot'], firstboot.explain);

    await server.stop();
  });
});

describe("the installer guest's reading of the kickstart's repos", () => {
  /** Runs read_repos on a kickstart under busybox sh, with busybox's applets alone on PATH, as in the guest. */
  async function readRepos(t: TestContext, kickstart: string): Promise<{ status: number; output: string }> {
    const work = tempDir(t, 'bootwright-ks-repos-');
    const busybox = staticBusybox();
    const bin = join(work, 'bin');
    mkdirSync(bin);
    for (const applet of ['awk', 'cat', 'grep', 'rm', 'timeout', 'wget'])
      symlinkSync(busybox, join(bin, applet));
    const ks = join(work, 'ks.cfg');
    writeFileSync(ks, kickstart);
    const script = [
      `REPO='${installerMarkers.repo}'`,
      `FAILED='${installerMarkers.failed}'`,
      'KS=$1',
      'say() { echo "bootwright-installer: $*"; }',
      // The guest powers off here; on the host the shell stops.
      'fail() { echo "$FAILED$*"; exit 1; }',
      kickstartRepoFunctions,
      // /init's own variables outlive read_repos: the kickstart's URL goes onto the installed disk after it.
      'url=http://192.0.2.1/ks.cfg name=ks',
      'read_repos',
      'echo "read_repos returned; url=$url name=$name"',
    ].join('\n');
    // Not execFileSync: the origin answers from this process's event loop.
    return await new Promise((resolve) => {
      execFile(
        busybox,
        ['sh', '-c', script, 'sh', ks],
        { env: { PATH: bin }, timeout: 30_000 },
        (error, stdout, stderr) => {
          const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ status, output: stdout + stderr });
        },
      );
    });
  }

  async function dnfOrigin(t: TestContext): Promise<Origin> {
    const root = tempDir(t, 'bootwright-ks-origin-');
    await makeRpmRepo(join(root, 'tiny'), []);
    return await startOrigin(t, root);
  }

  it("reads each repo command's repomd.xml, as --name=NAME or --name NAME, quoted or not, outside the sections only", async (t) => {
    const origin = await dnfOrigin(t);
    const { status, output } = await readRepos(
      t,
      [
        'text',
        `repo --name=tiny --baseurl=${origin.url}/tiny/`,
        `repo --name "quoted" --baseurl '${origin.url}/tiny' --cost=10`,
        'repo --name=fedora --mirrorlist=https://mirrors.example.org/fedora',
        '%post --nochroot',
        'repo --name=inpost --baseurl=http://127.0.0.1:9/nothing',
        '%end',
        'reboot',
        '',
      ].join('\n'),
    );
    assert.equal(status, 0, output);
    const repomd = `${origin.url}/tiny/repodata/repomd.xml`;
    assert.deepEqual(output.trim().split('\n'), [
      `${installerMarkers.repo}tiny from ${repomd}`,
      `${installerMarkers.repo}quoted from ${repomd}`,
      'bootwright-installer: repo fedora has no --baseurl (a mirrorlist or metalink): not read',
      'read_repos returned; url=http://192.0.2.1/ks.cfg name=ks',
    ]);
    assert.equal(origin.downloadsOf('/tiny/repodata/repomd.xml').length, 2);
  });

  it('fails the install at a repo it cannot read, naming the repo and the URL', async (t) => {
    const origin = await dnfOrigin(t);
    const missing = `${origin.url}/nosuch/repodata/repomd.xml`;
    const unreachable = await readRepos(
      t,
      `repo --name=nosuch --baseurl=${origin.url}/nosuch\nrepo --name=tiny --baseurl=${origin.url}/tiny\n`,
    );
    // The guest stops there (here: the shell exits), before the next repo; wget's own line says why.
    assert.equal(unreachable.status, 1, unreachable.output);
    assert.deepEqual(unreachable.output.trim().split('\n'), [
      `${installerMarkers.failed}cannot read repo nosuch: ${missing}`,
      'wget: server returned error: HTTP/1.1 404 Not Found',
    ]);
    assert.equal(origin.downloadsOf('/tiny/repodata/repomd.xml').length, 0);

    // A 200 that is not repository metadata (a web server's page where the repo should be) is no repo either.
    origin.hook = (path, _request, response) => {
      if (path !== '/nosuch/repodata/repomd.xml') return false;
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>Welcome</html>');
      return true;
    };
    const notMetadata = await readRepos(t, `repo --name=nosuch --baseurl=${origin.url}/nosuch/\n`);
    assert.equal(notMetadata.status, 1, notMetadata.output);
    assert.deepEqual(notMetadata.output.trim().split('\n'), [
      `${installerMarkers.failed}repo nosuch: ${missing} is not repository metadata (no <repomd>)`,
    ]);
  });
});

/** The store a user prepares with the CLI before `serve`: full DHCP on the bridge, and a system with a host name. */
async function configure(dataDir: string, kernel: string, initrd: string): Promise<void> {
  const commands = [
    ...installNetworkSettings('192.0.2.1'),
    [...serveTestRootsCommand],
    ['distro', 'add', '--name=installer-x86_64', `--kernel=${kernel}`, `--initrd=${initrd}`, '--arch=x86_64'],
    ['distro', 'edit', '--name=installer-x86_64', '--breed=redhat', '--os-version=rhel9'],
    ['profile', 'add', '--name=installer', '--distro=installer-x86_64'],
    ['system', 'add', `--name=${SYSTEM}`, '--profile=installer', `--mac=${GUEST_MAC}`],
    ['system', 'edit', `--name=${SYSTEM}`, `--hostname=${FQDN}`, `--mgmt-classes=${CLASSES}`],
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

/** One run of QEMU (TCG) on the namespace's tap, with the serial console in a file, until it exits by itself. */
async function boot(
  ns: TapNamespace,
  work: string,
  name: string,
  server: ServeProcess,
  args: string[],
): Promise<Boot> {
  const consoleLog = join(work, `${name}-console.log`);
  const started = Date.now();
  const guest = ns.spawn(
    'qemu-system-x86_64',
    [
      ...['-machine', 'pc,accel=tcg', '-m', '512', '-smp', '1', '-no-reboot'],
      ...['-nographic', '-monitor', 'none', '-serial', `file:${consoleLog}`],
      ...['-netdev', `tap,id=net0,ifname=${ns.tap},script=no,downscript=no`],
      // No option ROM: the guest never boots from the network, so SeaBIOS need not try.
      ...['-device', `virtio-net-pci,netdev=net0,mac=${GUEST_MAC},romfile=`],
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let qemuOutput = '';
  guest.stdout?.setEncoding('utf8').on('data', (chunk: string) => (qemuOutput += chunk));
  guest.stderr?.setEncoding('utf8').on('data', (chunk: string) => (qemuOutput += chunk));
  const code = await exited(guest, BOOT_DEADLINE_MS);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const guestConsole = readConsole(consoleLog);
  return {
    code,
    seconds,
    console: guestConsole,
    explain: (what: string) =>
      `${what}\n--- ${name} guest console ---\n${guestConsole}\n--- qemu ---\n${qemuOutput}\n` +
      `--- bootwright serve stderr ---\n${server.stderr()}`,
  };
}

/** Waits until the system's events (REST API, asked from inside the namespace) include these types. */
async function waitForEvents(
  ns: TapNamespace,
  types: string[],
  explain: (what: string) => string,
): Promise<void> {
  let seen: string[] = [];
  for (let tries = 0; tries < 50; tries++) {
    try {
      const url = `http://${ns.address}/api/v1/events?system=${SYSTEM}`;
      const { items } = JSON.parse(ns.exec('curl', ['-sSf', '--max-time', '10', url])) as {
        items: TimelineEvent[];
      };
      seen = items.map((event) => event.type);
    } catch {
      seen = [];
    }
    if (types.every((type) => seen.includes(type))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(
    explain(
      `The server saw no ${types.filter((type) => !seen.includes(type)).join(', ')} of ${SYSTEM}; it saw:\n${seen.join('\n')}`,
    ),
  );
}
