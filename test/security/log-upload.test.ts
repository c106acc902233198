// Installer log upload over Cobbler's XML-RPC `upload_log_data` (issue 16, item 5), through Python's own
// xmlrpc.client as Cobbler's anamon calls it. With autoinstall_secrets on, a machine may send only its own logs,
// as over REST; and whoever sends, a log an earlier install wrote is never wiped by a chunk at offset 0.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { type InstallLogFile, maxEarlierInstallLogs } from '../../src/triggers/install-logs.js';
import { sharedBootFiles } from '../support/boot-files.js';
import { servedWithToken } from '../support/served.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const run = promisify(execFile);

/** The real server with log upload on, systems vm9 and vm10, and autoinstall_secrets as given. */
async function served(t: TestContext, autoinstallSecrets: boolean) {
  const { base, token, server } = await servedWithToken(t);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
    return response;
  };
  await call('PUT', '/settings/anamon_enabled', { value: true });
  await call('PUT', '/settings/autoinstall_secrets', { value: autoinstallSecrets });
  await call('POST', '/distros', { name: 'rhel9', kernel: bootFiles.kernel, initrd: bootFiles.initrd });
  await call('POST', '/profiles', { name: 'web', distro: 'rhel9' });
  await call('POST', '/systems', { name: 'vm9', profile: 'web' });
  await call('POST', '/systems', { name: 'vm10', profile: 'web' });
  const logs = async (system: string) =>
    ((await (await call('GET', `/systems/${system}/logs`)).json()) as { items: InstallLogFile[] }).items;
  const log = async (system: string, file: string) =>
    (await call('GET', `/systems/${system}/logs/${file}`)).text();
  return { base, token, port: server.port, call, logs, log };
}

/**
 * Runs `code` in Python with `up(name, file, data, offset, proxy=s)` sending one chunk as anamon does and
 * `anamon_pass(name, file, data)` sending a whole log as one pass of anamon does, and prints what it evaluates to as JSON; an XML-RPC fault comes back as {"fault": its text}.
 */
async function python(url: string, code: string): Promise<unknown> {
  const prelude = `import base64, json, sys, xmlrpc.client
s = xmlrpc.client.ServerProxy(sys.argv[1])
def up(name, file, data, offset, proxy=None, *extra):
    try:
        return (proxy or s).upload_log_data(name, file, len(data), offset, base64.b64encode(data).decode(), *extra)
    except xmlrpc.client.Fault as fault:
        return {'fault': fault.faultString}
def anamon_pass(name, file, data):
    # Anamon sends a log that grew again from offset 0, then an empty chunk at -1 with the size it sent.
    return [up(name, file, data, 0), s.upload_log_data(name, file, len(data), -1, '')]
`;
  const { stdout } = await run('python3', ['-c', `${prelude}\nprint(json.dumps(${code}))`, url], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(stdout);
}

describe('XML-RPC log upload', () => {
  it('needs the system secret (in the URL or the call) or a token when autoinstall_secrets is on', async (t) => {
    const s = await served(t, true);
    // What the templates get as $autoinstall_secret and write into the machine's own URLs.
    const secretOf = async (name: string) =>
      ((await (await s.call('GET', `/systems/${name}/variables`)).json()) as { autoinstall_secret: string })
        .autoinstall_secret;
    const vm9 = await secretOf('vm9');
    const vm10 = await secretOf('vm10');
    assert.match(vm9, /^[0-9a-f]{32}$/);
    const api = `${s.base}/cobbler_api`;

    // A stranger: no secret, another system's secret, a made-up one, in the URL or in the call.
    const strangers = (await python(
      api,
      `[
  up('vm9', 'anaconda.log', b'forged 1\\n', 0),
  up('vm9', 'anaconda.log', b'forged 2\\n', -1),
  up('vm9', 'anaconda.log', b'forged 3\\n', 0, xmlrpc.client.ServerProxy(sys.argv[1] + '?secret=${vm10}')),
  up('vm9', 'anaconda.log', b'forged 4\\n', 0, None, '${vm10}'),
  up('vm9', 'anaconda.log', b'forged 5\\n', 0, None, 'not-a-token'),
  up('nosuch', 'anaconda.log', b'forged 6\\n', 0),
]`,
    )) as { fault?: string }[];
    for (const [index, answer] of strangers.entries()) {
      assert.match(
        answer.fault ?? JSON.stringify(answer),
        /is protected by autoinstall_secrets: this (URL has no secret|secret is wrong); use the URL from its boot config/,
        `upload ${index + 1}`,
      );
    }
    assert.deepEqual(await s.logs('vm9'), []);

    // The machine itself: its secret in the URL it was given, as a stock anamon builds that URL from its
    // --server and --port options ("http://%s:%s/cobbler_api"), or in the call's sixth argument, Cobbler's token
    // slot, which takes an operator's login token too.
    const own = await python(
      api,
      `[
  up('vm9', 'anaconda.log', b'line 1\\n', 0, xmlrpc.client.ServerProxy(sys.argv[1] + '?secret=${vm9}')),
  up('vm9', 'anaconda.log', b'line 2\\n', 7, xmlrpc.client.ServerProxy(
      'http://%s:%s/cobbler_api' % ('127.0.0.1', '${s.port}/cobbler_api?secret=${vm9}&'))),
  up('vm9', 'anaconda.log', b'line 3\\n', -1, None, '${vm9}'),
  up('vm9', 'anaconda.log', b'line 4\\n', 21, None, '${s.token}'),
]`,
    );
    assert.deepEqual(own, [true, true, true, true]);
    assert.equal(await s.log('vm9', 'anaconda.log'), 'line 1\nline 2\nline 3\nline 4\n');
  });

  it('keeps the log an earlier install wrote when a new one (or a stranger) starts again at offset 0', async (t) => {
    // Open, as in Cobbler: anyone may send, and nobody can make the server forget what was sent before.
    const s = await served(t, false);
    const api = `${s.base}/cobbler_api`;
    const anamonPass = (text: string) => `anamon_pass('vm9', 'anaconda.log', b'${text}')`;
    assert.deepEqual(await python(api, anamonPass('install 1 starts\\n')), [true, true]);
    assert.deepEqual(await python(api, anamonPass('install 1 starts\\ninstall 1 ends\\n')), [true, true]);
    // The same install sending again is the same log, not a new one.
    assert.deepEqual(
      (await s.logs('vm9')).map((file) => [file.name, file.size]),
      [['anaconda.log', 32]],
    );

    assert.deepEqual(await python(api, `up('vm9', 'anaconda.log', b'', 0)`), true);
    assert.deepEqual(await python(api, `up('vm9', 'anaconda.log', b'wiped?\\n', 0)`), true);
    assert.deepEqual(await python(api, anamonPass('install 2 starts\\n')), [true, true]);
    assert.equal(await s.log('vm9', 'anaconda.log'), 'install 2 starts\n');
    const kept = await s.logs('vm9');
    assert.deepEqual(
      kept.map((file) => file.name),
      ['anaconda.log', 'anaconda.log.~1~', 'anaconda.log.~2~'],
    );
    assert.equal(await s.log('vm9', 'anaconda.log.~1~'), 'wiped?\n');
    assert.equal(await s.log('vm9', 'anaconda.log.~2~'), 'install 1 starts\ninstall 1 ends\n');

    // Bounded: the oldest generations go once more installs than the bound have started over.
    const more = await python(
      api,
      `[up('vm9', 'anaconda.log', b'install %d\\n' % n, 0) for n in range(3, ${maxEarlierInstallLogs + 4})]`,
    );
    assert.deepEqual(more, Array(maxEarlierInstallLogs + 1).fill(true));
    const bounded = await s.logs('vm9');
    assert.equal(bounded.length, maxEarlierInstallLogs + 1, JSON.stringify(bounded));
    assert.equal(await s.log('vm9', `anaconda.log.~${maxEarlierInstallLogs}~`), `install 3\n`);
    // Earlier generations are the server's, not the uploader's: they cannot be written by name.
    const named = await python(api, `up('vm9', 'anaconda.log.~1~', b'x', 0)`);
    assert.match((named as { fault: string }).fault, /Install log name "anaconda.log.~1~" is not allowed/);
  });
});
