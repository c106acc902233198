// What installers report while they run, over real HTTP: install steps (trig) that become events and start
// install triggers, and log upload, from curl, BusyBox wget and Python's xmlrpc.client as installers send them.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { apiFixture } from '../../test/support/api-fixture.js';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { servedWithToken } from '../../test/support/served.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { EventBus } from '../events/event-bus.js';
import { listenHttp } from '../http/server.js';
import type { StoredEvent } from '../store/store.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';
import { TemplateLibrary } from '../templates/library.js';
import { type InstallLogFile, readInstallLog } from '../triggers/install-logs.js';
import { TriggerRunner } from '../triggers/trigger-runner.js';
import { createApp } from './app.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const run = promisify(execFile);

interface ErrorBody {
  error: { code: string; message: string };
}

function writeTrigger(dataDir: string, dir: string, name: string, body: string): void {
  mkdirSync(join(dataDir, 'triggers', dir), { recursive: true });
  const path = join(dataDir, 'triggers', dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The server `bootwright serve` runs, with a distro, a profile "web" and a system "vm9" made over REST. */
async function servedInventory(t: TestContext) {
  const { server, dataDir, base, token } = await servedWithToken(t);
  const post = (path: string, body: unknown) =>
    fetch(`${base}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  assert.equal(
    (await post('/distros', { name: 'rhel9', kernel: bootFiles.kernel, initrd: bootFiles.initrd })).status,
    201,
  );
  assert.equal((await post('/profiles', { name: 'web', distro: 'rhel9' })).status, 201);
  return { dataDir, base, post, server };
}

/** The HTTP app on a real socket, with an event bus and a trigger runner the test can wait on. */
async function installServer(t: TestContext) {
  const fixture = await apiFixture(t);
  const { services, dataDir } = fixture;
  const store = fixture.store;
  const events = new EventBus(store.events, async () => undefined, { flushMs: 5 });
  t.after(() => events.close());
  const triggers = new TriggerRunner({
    dir: join(dataDir, 'triggers'),
    env: { PATH: process.env.PATH },
    events,
  });
  t.after(() => triggers.close());
  const http = await listenHttp(createApp({ ...services, events, triggers, dataDir }), {
    host: '127.0.0.1',
    port: 0,
  });
  t.after(() => http.close());
  const { inventory } = services;
  await inventory.setSetting('server', '127.0.0.1');
  await inventory.setSetting('http_port', http.port);
  await inventory.add('distro', { name: 'rhel9', kernel: bootFiles.kernel, initrd: bootFiles.initrd });
  await inventory.add('distro', {
    name: 'bookworm',
    kernel: bootFiles.kernel,
    initrd: bootFiles.initrd,
    breed: 'debian',
  });
  await inventory.add('profile', { name: 'web', distro: 'rhel9' });
  await inventory.add('profile', { name: 'deb', distro: 'bookworm' });
  await inventory.add('system', { name: 'vm9', profile: 'web' });
  await inventory.add('system', { name: 'deb9', profile: 'deb' });
  const settled = async () => {
    await triggers.idle();
    await events.flush();
  };
  return { base: `http://127.0.0.1:${http.port}`, dataDir, services, store, triggers, settled };
}

describe('install steps', () => {
  it('report over /cblr/svc/op/trig, run install triggers with type, name and address, and refuse bad adds', async (t) => {
    const { dataDir, base, post } = await servedInventory(t);
    writeTrigger(dataDir, 'install/post', '10-record', `echo "$@" > "${join(dataDir, 'post-args')}"`);
    writeTrigger(
      dataDir,
      'add/system/pre',
      '10-check',
      'echo "vm13 is unlucky" >&2; [ "$1" != vm13 ] || exit 3',
    );
    assert.equal((await post('/systems', { name: 'vm9', profile: 'web' })).status, 201);

    const refused = await post('/systems', { name: 'vm13', profile: 'web' });
    assert.equal(refused.status, 403);
    assert.deepEqual(await refused.json(), {
      error: {
        code: 'E_FORBIDDEN',
        message: 'Trigger add/system/pre/10-check refused to add system "vm13" (exit 3): vm13 is unlucky',
      },
    });
    assert.equal((await fetch(`${base}/api/v1/systems/vm13`)).status, 404);

    const answer = await fetch(`${base}/cblr/svc/op/trig/mode/post/system/vm9`);
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), 'True');
    const args = await eventually('the install/post trigger', async () =>
      readFileSync(join(dataDir, 'post-args'), 'utf8'),
    );
    assert.equal(args, 'system vm9 127.0.0.1\n');

    const events = await eventually('the install.post and trigger.run events', async () => {
      const response = await fetch(`${base}/api/v1/events?system=vm9`);
      const { items } = (await response.json()) as { items: StoredEvent[] };
      return items.some((event) => event.type === 'trigger.run' && event.detail.dir === 'install/post')
        ? items
        : undefined;
    });
    const step = events.find((event) => event.type === 'install.post');
    assert.equal(step?.system, 'vm9');
    assert.equal(step?.source, '127.0.0.1');
    const trigger = events.find((event) => event.detail.dir === 'install/post');
    assert.deepEqual(trigger?.detail.args, ['system', 'vm9', '127.0.0.1']);
    assert.equal(trigger?.detail.status, 0);

    const unknown = await fetch(`${base}/cblr/svc/op/trig/mode/post/system/nosuch`);
    assert.equal(unknown.status, 404);
    const badMode = await fetch(`${base}/cblr/svc/op/trig/mode/during/system/vm9`);
    assert.equal(badMode.status, 400);
    assert.match(await badMode.text(), /Install step "during" is not one of pre, post, firstboot/);
  });

  it('report over REST too, publishing the event even when run_install_triggers is off', async (t) => {
    const s = await installServer(t);
    writeTrigger(s.dataDir, 'install/firstboot', '10-record', `echo "$@" >> "${join(s.dataDir, 'args')}"`);
    const report = (path: string) => fetch(`${s.base}/api/v1${path}`, { method: 'POST' });
    const first = await report('/profiles/web/install/firstboot');
    assert.deepEqual(await first.json(), { reported: 'install.firstboot', triggers: true });
    await s.settled();
    assert.equal(readFileSync(join(s.dataDir, 'args'), 'utf8'), 'profile web 127.0.0.1\n');

    await s.services.inventory.setSetting('run_install_triggers', false);
    const second = await report('/systems/vm9/install/firstboot');
    assert.deepEqual(await second.json(), { reported: 'install.firstboot', triggers: false });
    await s.settled();
    assert.equal(readFileSync(join(s.dataDir, 'args'), 'utf8'), 'profile web 127.0.0.1\n');
    const steps = await s.store.events.query({ type: 'install.firstboot' });
    assert.deepEqual(
      steps.map((event) => [event.system, event.ip, event.source, event.detail]),
      [
        [undefined, '127.0.0.1', '127.0.0.1', { profile: 'web' }],
        ['vm9', undefined, '127.0.0.1', { system: 'vm9' }],
      ],
    );
    assert.equal((await report('/repos/x/install/post')).status, 404);
    assert.equal((await report('/systems/vm9/install/during')).status, 400);
  });
});

describe('install log upload', () => {
  it('keeps chunks sent with offsets per system, lists them and gives them back', async (t) => {
    const s = await installServer(t);
    const put = (path: string, body: string, method = 'PUT') =>
      fetch(`${s.base}/api/v1/systems${path}`, { method, body });
    const off = await put('/vm9/logs/anaconda.log?offset=0', 'x');
    assert.equal(off.status, 403);
    assert.match(((await off.json()) as ErrorBody).error.message, /anamon_enabled --value=true/);
    await s.services.inventory.setSetting('anamon_enabled', true);

    assert.equal((await put('/vm9/logs/anaconda.log?offset=0', 'step 1\n')).status, 200);
    assert.equal((await put('/vm9/logs/anaconda.log?offset=7', 'step 2\n', 'POST')).status, 200);
    const last = await put('/vm9/logs/anaconda.log?offset=14', 'step 3\n');
    assert.equal(((await last.json()) as InstallLogFile).size, 21);
    const gap = await put('/vm9/logs/anaconda.log?offset=99', 'lost');
    assert.equal(gap.status, 400);
    assert.match(((await gap.json()) as ErrorBody).error.message, /the server has 21 bytes; send from there/);

    const text = await fetch(`${s.base}/api/v1/systems/vm9/logs/anaconda.log`);
    assert.equal(text.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await text.text(), 'step 1\nstep 2\nstep 3\n');
    const listed = (await (await fetch(`${s.base}/api/v1/systems/vm9/logs`)).json()) as {
      items: InstallLogFile[];
    };
    assert.deepEqual(
      listed.items.map((file) => [file.name, file.size]),
      [['anaconda.log', 21]],
    );
    assert.equal((await put('/nosuch/logs/anaconda.log?offset=0', 'x')).status, 404);
    assert.equal((await fetch(`${s.base}/api/v1/systems/vm9/logs/missing.log`)).status, 404);
  });

  it('refuses names that would leave the system directory', async (t) => {
    const s = await installServer(t);
    await s.services.inventory.setSetting('anamon_enabled', true);
    writeFileSync(join(s.dataDir, 'secret'), 'do not serve');
    mkdirSync(join(s.dataDir, 'install-logs', 'vm9'), { recursive: true });
    symlinkSync(join(s.dataDir, 'secret'), join(s.dataDir, 'install-logs', 'vm9', 'linked.log'));
    for (const name of ['..%2Fsecret', '..%2F..%2Fsecret', '.hidden', 'a%5Cb', 'linked.log']) {
      const response = await fetch(`${s.base}/api/v1/systems/vm9/logs/${name}?offset=0`, {
        method: 'PUT',
        body: 'overwritten',
      });
      assert.equal(response.status, 400, name);
    }
    for (const name of ['..%2Fsecret', '..%2F..%2Fstore.sqlite']) {
      assert.equal((await fetch(`${s.base}/api/v1/systems/vm9/logs/${name}`)).status, 400, name);
    }
    assert.equal(readFileSync(join(s.dataDir, 'secret'), 'utf8'), 'do not serve');
  });

  it("takes anamon's upload_log_data over XML-RPC, base64 and all", async (t) => {
    const s = await installServer(t);
    const python = (code: string) =>
      run(
        'python3',
        [
          '-c',
          `import base64, json, sys, xmlrpc.client\ns = xmlrpc.client.ServerProxy(sys.argv[1])\n${code}`,
          `${s.base}/cobbler_api`,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
    const upload = `
def up(name, file, data, offset):
    return s.upload_log_data(name, file, len(data), offset, base64.b64encode(data).decode())
`;
    const disabled = await python(`${upload}\nprint(json.dumps(up('vm9', 'anaconda.log', b'x', 0)))`);
    assert.equal(disabled.stdout.trim(), 'false');
    await s.services.inventory.setSetting('anamon_enabled', true);
    const { stdout } = await python(`${upload}
print(json.dumps([
  up('vm9', 'anaconda.log', b'first\\n', 0),
  up('vm9', 'anaconda.log', b'second\\n', 6),
  up('vm9', 'anaconda.log', b'third\\n', -1),
  up('nosuch', 'anaconda.log', b'x', 0),
  s.upload_log_data('vm9', 'anaconda.log', 99, 0, base64.b64encode(b'short').decode()),
]))`);
    assert.deepEqual(JSON.parse(stdout), [true, true, true, false, false]);
    assert.equal(await readInstallLog(s.dataDir, 'vm9', 'anaconda.log'), 'first\nsecond\nthird\n');
  });
});

describe('the upload_install_logs snippet', () => {
  async function renderSnippet(s: Awaited<ReturnType<typeof installServer>>, target: AutoinstallTarget) {
    const { renderer } = s.services;
    const snippet = new TemplateLibrary(s.dataDir).snippet('upload_install_logs', {});
    assert.ok(snippet);
    return renderer.renderFile(snippet, await renderer.variables(target), target, { strict: true }).text;
  }

  /** The snippet's shell with the installer's /tmp and /var/log moved into a directory of the test's own. */
  function relocated(script: string, root: string): string {
    return script.replaceAll('/tmp/', `${root}/tmp/`).replaceAll('/var/log/', `${root}/var/log/`);
  }

  it('renders nothing unless anamon_enabled is on, and nothing for a profile', async (t) => {
    const s = await installServer(t);
    assert.equal((await renderSnippet(s, { kind: 'system', name: 'vm9' })).trim(), '');
    await s.services.inventory.setSetting('anamon_enabled', true);
    assert.equal((await renderSnippet(s, { kind: 'profile', name: 'web' })).trim(), '');
    assert.match(await renderSnippet(s, { kind: 'system', name: 'vm9' }), /bw_tool='curl'/);
  });

  for (const shell of ['dash', 'busybox sh']) {
    it(`streams growing logs with curl from a background loop (${shell}), and once more when included again`, async (t) => {
      const s = await installServer(t);
      await s.services.inventory.setSetting('anamon_enabled', true);
      const root = tempDir(t);
      mkdirSync(join(root, 'tmp'));
      const script = relocated(await renderSnippet(s, { kind: 'system', name: 'vm9' }), root);
      const big = `${'0123456789abcdef'.repeat(40_000)}\n`;
      writeFileSync(join(root, 'tmp', 'anaconda.log'), `starting\n${big}`);
      writeFileSync(join(root, 'tmp', 'program.log'), 'running anaconda\n');
      const [command, ...prefix] = shell.split(' ') as [string, ...string[]];
      await run(command, [...prefix, '-c', script], { timeout: 10_000 });
      const loop = Number(readFileSync(join(root, 'tmp', 'bootwright-upload-logs.pid'), 'utf8'));
      t.after(() => {
        try {
          process.kill(loop);
        } catch {
          // Already gone.
        }
      });
      await eventually('the first pass', async () =>
        (await readInstallLog(s.dataDir, 'vm9', 'program.log').catch(() => '')) === 'running anaconda\n' &&
        (await readInstallLog(s.dataDir, 'vm9', 'anaconda.log').catch(() => '')).length === big.length + 9
          ? true
          : undefined,
      );
      appendFileSync(join(root, 'tmp', 'anaconda.log'), 'installing packages\n');
      // Included again (a %post --nochroot, say): one pass at once, not a second loop.
      await run(command, [...prefix, '-c', script], { timeout: 10_000 });
      assert.equal(
        readFileSync(join(root, 'tmp', 'bootwright-upload-logs.pid'), 'utf8').trim(),
        String(loop),
      );
      assert.equal(
        await readInstallLog(s.dataDir, 'vm9', 'anaconda.log'),
        `starting\n${big}installing packages\n`,
      );
    });
  }

  it('sends with BusyBox wget, which can only POST, for a Debian installer', async (t) => {
    const s = await installServer(t);
    await s.services.inventory.setSetting('anamon_enabled', true);
    const root = tempDir(t);
    const bin = join(root, 'bin');
    mkdirSync(join(root, 'var', 'log', 'installer'), { recursive: true });
    mkdirSync(join(root, 'tmp'));
    mkdirSync(bin);
    symlinkSync('/usr/bin/busybox', join(bin, 'wget'));
    const script = relocated(await renderSnippet(s, { kind: 'system', name: 'deb9' }), root);
    assert.match(script, /bw_tool='wget'/);
    writeFileSync(join(root, 'var', 'log', 'syslog'), 'd-i: hello\n');
    writeFileSync(join(root, 'var', 'log', 'installer', 'syslog'), 'a different syslog\n');
    await run('busybox', ['sh', '-c', script], {
      timeout: 10_000,
      env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    const loop = Number(readFileSync(join(root, 'tmp', 'bootwright-upload-logs.pid'), 'utf8'));
    t.after(() => {
      try {
        process.kill(loop);
      } catch {
        // Already gone.
      }
    });
    const text = await eventually('the upload', async () => readInstallLog(s.dataDir, 'deb9', 'syslog'));
    assert.equal(text, 'd-i: hello\n');
  });
});
