// `bootwright koan --list` and `--display` against both servers Koan meets: a running bootwright server, and a
// Cobbler 3.3 whose recorded XML-RPC answer (src/koan/fixtures/) a small stand-in replays with Cobbler's calls
// and paths. Plus koan's refusals: each a one-line error that names the fix.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeBootFiles } from '../../test/support/boot-files.js';
import { runCli } from '../../test/support/cli.js';
import { serveTestRootsCommand } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { startServer } from '../serve.js';
import { parseMethodCall, serializeMethodResponse } from '../xmlrpc/codec.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

interface FakeCobbler {
  port: number;
  calls: string[];
  gets: string[];
}

/** Answers as the recorded Cobbler 3.3 did: ping, get_systems, get_system_as_rendered, the kickstart service. */
async function fakeCobbler(t: TestContext): Promise<FakeCobbler> {
  const recorded = readFileSync(join(fixtures, 'cobbler-3.3-system-vm9.xml'), 'utf8');
  const state: FakeCobbler = { port: 0, calls: [], gets: [] };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.method === 'GET') {
        state.gets.push(request.url ?? '');
        response.end('text\nurl --url=http://198.51.100.7/cblr/links/centos7-x86_64\n');
        return;
      }
      const call = parseMethodCall(body);
      state.calls.push(call.methodName);
      response.setHeader('content-type', 'text/xml');
      switch (call.methodName) {
        case 'ping':
          return response.end(serializeMethodResponse(true));
        case 'get_systems':
          return response.end(serializeMethodResponse([{ name: 'vm9' }, { name: 'vm10' }]));
        case 'get_images':
          return response.end(serializeMethodResponse({}));
        case 'get_profiles':
          return response.end(serializeMethodResponse([]));
        case 'get_system_as_rendered':
          return response.end(call.params[0] === 'vm9' ? recorded : serializeMethodResponse({}));
        default:
          return response.end(serializeMethodResponse({}));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

/** A port that was free a moment ago and that nothing listens on now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const cobblerDisplay = `install_tree: http://198.51.100.7/cblr/links/centos7-x86_64
                name  : vm9
              distro  : centos7-x86_64
             profile  : centos7-x86_64
            autoinst  : http://198.51.100.7/cblr/svc/op/ks/system/vm9
    autoinstall_meta  : tree=http://@@http_server@@/cblr/links/centos7-x86_64
        install_tree  : http://198.51.100.7/cblr/links/centos7-x86_64
              kernel  : /var/www/cobbler/distro_mirror/centos7/images/pxeboot/vmlinuz
              initrd  : /var/www/cobbler/distro_mirror/centos7/images/pxeboot/initrd.img
     netboot_enabled  : True
      kernel_options  : inst.ks=http://198.51.100.7/cblr/svc/op/ks/system/vm9 ksdevice=link lang=
               repos  : 
            virt_ram  : 512
    virt_disk_driver  : raw
           virt_type  : xenpv
           virt_path  : 
      virt_auto_boot  : True
       virt_pxe_boot  : False
`;

describe('bootwright koan --list and --display', () => {
  it('prints what Koan prints for a recorded Cobbler 3.3 answer, after the TLS probe Koan makes', async (t) => {
    const cobbler = await fakeCobbler(t);
    const dir = tempDir(t);
    const list = await runCli(dir, 'koan', '--server=127.0.0.1', `--port=${cobbler.port}`, '--list=systems');
    assert.equal(list.stderr, '');
    assert.equal(list.stdout, 'vm9\nvm10\n');
    assert.equal(
      (await runCli(dir, 'koan', '-s', '127.0.0.1', '-t', String(cobbler.port), '-l', 'profiles')).stdout,
      '',
    );
    assert.equal(
      (await runCli(dir, 'koan', '-s', '127.0.0.1', '-t', String(cobbler.port), '--list=images')).stdout,
      'No entry/entries found\n',
    );
    const display = await runCli(
      dir,
      'koan',
      '-s127.0.0.1',
      `-t${cobbler.port}`,
      '--display',
      '--system=vm9',
    );
    assert.equal(display.stderr, '');
    assert.equal(display.stdout, cobblerDisplay);
    assert.deepEqual(
      cobbler.calls.filter((call) => call !== 'ping'),
      ['get_systems', 'get_profiles', 'get_images', 'get_system_as_rendered'],
    );
  });

  it('lists and displays from a bootwright server', async (t) => {
    const dataDir = tempDir(t);
    const files = makeBootFiles(tempDir(t), 'vmlinuz-x', 'initrd.img-x');
    for (const command of [
      [...serveTestRootsCommand],
      [
        'distro',
        'add',
        '--name=d1',
        `--kernel=${files.kernel}`,
        `--initrd=${files.initrd}`,
        '--breed=redhat',
        '--os-version=rhel9',
      ],
      [
        'profile',
        'add',
        '--name=p1',
        '--distro=d1',
        '--virt-bridge=br0',
        '--virt-file-size=2',
        '--virt-ram=256',
      ],
      [
        'system',
        'add',
        '--name=vm9',
        '--profile=p1',
        '--hostname=vm9.example.org',
        '--mac=52:54:00:00:00:09',
      ],
    ]) {
      const result = await runCli(dataDir, ...command);
      assert.equal(result.code, 0, result.stderr);
    }
    const server = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => server.stop());
    await runCli(dataDir, 'setting', 'edit', '--name=server', `--value=127.0.0.1:${server.port}`);
    const koan = (...args: string[]) =>
      runCli(tempDir(t), 'koan', '--server=127.0.0.1', `--port=${server.port}`, ...args);
    assert.equal((await koan('--list=systems')).stdout, 'vm9\n');
    assert.equal((await koan('--list=profiles')).stdout, 'p1\n');
    assert.equal((await koan('--list=distros')).stdout, 'd1\n');
    const display = await koan('--display', '--system=vm9');
    assert.equal(display.code, 0, display.stderr);
    assert.match(display.stdout, /^ {16}name {2}: vm9$/m);
    assert.match(display.stdout, /^ {4}autoinstall_meta {2}: \{\}$/m);
    assert.match(
      display.stdout,
      new RegExp(
        `^ {6}kernel_options  : inst\\.ks=http://127\\.0\\.0\\.1:${server.port}/cblr/svc/op/ks/system/vm9$`,
        'm',
      ),
    );
    assert.match(display.stdout, /^ {12}virt_ram {2}: 256$/m);
    assert.match(display.stdout, /^ {7}virt_pxe_boot {2}: False$/m);

    const unknown = await koan('--display', '--system=nosuch');
    assert.equal(unknown.code, 3);
    assert.equal(
      unknown.stderr,
      `bootwright: The server at 127.0.0.1 has no system "nosuch"; "bootwright koan --server=127.0.0.1 --list=systems" lists them.\n`,
    );
  });

  it('refuses bad lines and unreachable servers with one line each', async (t) => {
    const dir = tempDir(t);
    const cases: [string[], RegExp][] = [
      [['--server=h'], /Choose one of --virt, --replace-self, --update-files, --list=WHAT or --display\./],
      [['--server=h', '--virt', '--display', '--system=x'], /\(given: --virt, --display\)/],
      [['--virt', '--system=x'], /Say --server=HOST \(or set COBBLER_SERVER\)/],
      [['--server=h', '--virt'], /--virt needs --system=NAME, --profile=NAME or --image=NAME/],
      [
        ['--server=h', '--virt', '--system=x', '--virt-type=vbox'],
        /--virt-type "vbox" is not one of qemu, kvm, xenpv, xenfv, auto/,
      ],
      [
        ['--server=h', '--virt', '--system=x', '--virt-type=xenpv', '--qemu-disk-type=ide'],
        /--qemu-disk-type is for --virt-type=qemu or kvm, not xenpv/,
      ],
      [
        ['--server=h', '--virt', '--profile=x', '--static-interface=eth0'],
        /--static-interface works with --system only/,
      ],
      [
        ['--server=h', '--list=cars'],
        /Cannot list "cars"; --list takes profiles, systems, images, distros, repos/,
      ],
      [['--server=h', '--virt', '--system=x', '--virt-name=a b'], /--virt-name "a b" may hold only/],
    ];
    for (const [args, expected] of cases) {
      const result = await runCli(dir, 'koan', ...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, expected);
      assert.equal(result.stderr.split('\n').length, 2, 'one line');
    }
    // A port nothing listens on: both of Koan's tries fail, and the message says which and what to check.
    const port = await closedPort();
    const closed = await runCli(dir, 'koan', '--server=127.0.0.1', `--port=${port}`, '--list=systems');
    assert.equal(closed.code, 8);
    assert.match(
      closed.stderr,
      /^bootwright: Could not find a Cobbler or bootwright server at "127\.0\.0\.1" \(tried https:\/\/127\.0\.0\.1:\d+\/cobbler_api: ECONNREFUSED; http:\/\/127\.0\.0\.1:\d+\/cobbler_api: ECONNREFUSED\); check --server and --port\.\n$/,
    );
    assert.ok(closed.stderr.includes(`:${port}/`));
    const fromEnv = await runCli(dir, 'koan', '--list=systems', '--port=9');
    assert.match(fromEnv.stderr, /Say --server=HOST/);
  });

  it('takes the server from COBBLER_SERVER, as Koan does', async (t) => {
    const cobbler = await fakeCobbler(t);
    let stdout = '';
    const { main } = await import('../cli/main.js');
    const code = await main(['koan', `--port=${cobbler.port}`, '--list=systems'], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      env: { COBBLER_SERVER: '127.0.0.1' },
    });
    assert.equal(code, 0);
    assert.equal(stdout, 'vm9\nvm10\n');
  });
});
