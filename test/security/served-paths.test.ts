// Admin-set paths publish host files to anyone (issue 16 #10): a distro's kernel, initrd and tree_source and the
// tftp_root setting are served without a token, so `kernel=/etc/passwd` put /etc/passwd at
// /cobbler/images/DISTRO/passwd, and a tree or TFTP root around the data directory handed out the users file, the
// keys and the store. The real server on loopback, driven by the CLI, REST, XML-RPC, curl-like HTTP and a TFTP
// client: such paths are refused when written, with the fix; and a path that got into the store anyway (written
// directly, left outside when served_roots narrowed, or a link out of a root) is never served.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setUserPassword } from '../../src/auth/password.js';
import { ensureSharedSecret, readSharedSecret } from '../../src/auth/shared-secret.js';
import { dataPaths } from '../../src/config/paths.js';
import { defaultServedRoots } from '../../src/config/served-paths.js';
import type { FieldValue } from '../../src/model/kinds.js';
import { startServer } from '../../src/serve.js';
import { openStore } from '../../src/store/open-store.js';
import { UsersFile } from '../../src/store/users-file.js';
import { parseMethodResponse, serializeMethodCall, type XmlRpcValue } from '../../src/xmlrpc/codec.js';
import { sharedBootFiles } from '../support/boot-files.js';
import { runCli } from '../support/cli.js';
import { freeUdpPort } from '../support/free-port.js';
import { logIn, servedWithToken } from '../support/served.js';
import { tempDir } from '../support/temp-dir.js';
import { tftpFetch } from '../support/tftp-client.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const SECRET = 'root:x:0:0:secret-host-file';

/** Distros and settings written straight into the store, as an older version or a bug would have left them. */
async function storeDirectly(
  dataDir: string,
  distros: Record<string, Record<string, FieldValue>>,
  settings: Record<string, unknown>,
): Promise<void> {
  const store = openStore(dataPaths(dataDir).storeUrl);
  try {
    await store.transaction(async (tx) => {
      for (const [name, value] of Object.entries(settings)) await tx.setSetting(name, value);
      for (const [name, fields] of Object.entries(distros))
        await tx.put({ kind: 'distro', name, uid: name, ctime: 0, mtime: 0, fields });
    });
  } finally {
    await store.close();
  }
}

async function start(t: TestContext, dataDir: string) {
  const server = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: await freeUdpPort() });
  t.after(() => server.stop());
  const base = `http://127.0.0.1:${server.port}`;
  const token = await logIn(base, readSharedSecret(dataPaths(dataDir).sharedSecret) as string);
  return { base, token, tftpPort: server.tftpPort as number };
}

async function get(base: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${base}${path}`, { redirect: 'manual' });
  return { status: response.status, body: await response.text() };
}

/** What a TFTP client gets: the file's text, or the server's ERROR. */
async function tftp(port: number, filename: string): Promise<string> {
  try {
    return (await tftpFetch(port, filename, { deadlineMs: 5000 })).data.toString('latin1');
  } catch (error) {
    return (error as Error).message;
  }
}

function rest(base: string, token: string) {
  return async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      message: (JSON.parse(text) as { error?: { message: string } }).error?.message,
    };
  };
}

async function xmlRpc(base: string, method: string, params: XmlRpcValue[]) {
  const response = await fetch(`${base}/cobbler_api`, {
    method: 'POST',
    body: serializeMethodCall(method, params),
  });
  return parseMethodResponse(await response.text());
}

const outsideRoots =
  /is outside the served_roots setting, the directories whose files anyone may download; move it under one of them, or add its directory: bootwright setting edit --name=served_roots --value=".*"\.$/;

describe('served paths', () => {
  it('refuses kernel=/etc/passwd, tree_source=/etc and tftp_root=/etc when written, over the CLI, REST and XML-RPC', async (t) => {
    const { base, token, dataDir } = await servedWithToken(t);
    const cli = await runCli(
      dataDir,
      'distro',
      'add',
      '--name=d',
      '--kernel=/etc/passwd',
      '--initrd=/etc/passwd',
    );
    assert.equal(cli.code, 2);
    assert.equal(cli.stderr.split('\n').length, 2, cli.stderr);
    assert.match(
      cli.stderr,
      /^bootwright: Distro "d": kernel "\/etc\/passwd" is outside the served_roots setting/,
    );
    assert.match(cli.stderr.trim(), outsideRoots);
    assert.match(cli.stderr, / \/etc"\.\n$/, 'the fix adds /etc to the roots');

    const call = rest(base, token);
    const posted = await call('POST', '/distros', {
      name: 'd',
      kernel: '/etc/passwd',
      initrd: '/etc/passwd',
    });
    assert.equal(posted.status, 400);
    assert.match(posted.message ?? '', /^Distro "d": kernel "\/etc\/passwd" is outside/);
    assert.match(posted.message ?? '', outsideRoots);
    const tree = await call('POST', '/distros', {
      name: 'd',
      kernel: 'tree:passwd',
      initrd: 'tree:passwd',
      tree_source: '/etc',
    });
    assert.equal(tree.status, 400);
    assert.match(tree.message ?? '', /^Distro "d": tree_source "\/etc" is outside/);
    const root = await call('PUT', '/settings/tftp_root', { value: '/etc' });
    assert.equal(root.status, 400);
    assert.match(root.message ?? '', /^Setting tftp_root "\/etc" is outside/);
    const cliRoot = await runCli(dataDir, 'setting', 'edit', '--name=tftp_root', '--value=/etc');
    assert.equal(cliRoot.code, 2);
    assert.match(cliRoot.stderr, /Setting tftp_root "\/etc" is outside the served_roots setting/);

    const edit = await xmlRpc(base, 'xapi_object_edit', [
      'distro',
      'd',
      'add',
      { kernel: '/etc/passwd', initrd: '/etc/passwd' },
      token,
    ]);
    assert.ok(!edit.ok);
    assert.match(edit.faultString, /Distro "d": kernel "\/etc\/passwd" is outside the served_roots setting/);
    const handle = await xmlRpc(base, 'new_distro', [token]);
    assert.ok(handle.ok);
    for (const [field, value] of [
      ['name', 'd'],
      ['kernel', bootFiles.kernel],
      ['initrd', '/etc/shadow'],
    ] as const)
      assert.ok((await xmlRpc(base, 'modify_distro', [handle.value, field, value, token])).ok);
    const saved = await xmlRpc(base, 'save_distro', [handle.value, token]);
    assert.ok(!saved.ok);
    assert.match(saved.faultString, /Distro "d": initrd "\/etc\/shadow" is outside the served_roots setting/);
    const setting = await xmlRpc(base, 'modify_setting', ['tftp_root', '/etc', token]);
    assert.ok(!setting.ok);
    assert.match(setting.faultString, /Setting tftp_root "\/etc" is outside/);

    // Nothing of it was written, and the same distro under a served root is taken.
    assert.equal((await get(base, '/api/v1/distros/d')).status, 404);
    const settings = (await (await fetch(`${base}/api/v1/settings`)).json()) as Record<string, unknown>;
    assert.equal(settings.tftp_root, '');
    const good = await call('POST', '/distros', {
      name: 'd',
      kernel: bootFiles.kernel,
      initrd: bootFiles.initrd,
    });
    assert.equal(good.status, 201);
  });

  it('does not serve a path stored outside the roots, left outside when they narrowed, or linked out of a root', async (t) => {
    const outside = tempDir(t);
    writeFileSync(join(outside, 'passwd'), SECRET);
    const root = tempDir(t);
    writeFileSync(join(root, 'vmlinuz'), 'kernel bytes');
    writeFileSync(join(root, 'initrd.img'), 'initrd bytes');
    symlinkSync(join(outside, 'passwd'), join(root, 'passwd'));
    const dataDir = tempDir(t);
    // Both temporary directories lie under the system's temporary directory; only `root` is a served root.
    await storeDirectly(
      dataDir,
      {
        direct: { kernel: join(outside, 'passwd'), initrd: join(outside, 'passwd'), tree_source: outside },
        linked: { kernel: join(root, 'passwd'), initrd: join(root, 'initrd.img') },
      },
      { served_roots: [...defaultServedRoots, root] },
    );
    const { base, token, tftpPort } = await start(t, dataDir);
    const call = rest(base, token);

    // The link is refused when written too, by where it leads.
    const linked = await call('POST', '/distros', {
      name: 'linked2',
      kernel: join(root, 'passwd'),
      initrd: join(root, 'initrd.img'),
    });
    assert.equal(linked.status, 400);
    assert.match(linked.message ?? '', /kernel ".*\/passwd" is outside the served_roots setting/);

    // Served while its root is one, refused once the roots narrow.
    const added = await call('POST', '/distros', {
      name: 'narrowed',
      kernel: join(root, 'vmlinuz'),
      initrd: join(root, 'initrd.img'),
      tree_source: root,
    });
    assert.equal(added.status, 201, added.message);
    assert.deepEqual(await get(base, '/cobbler/images/narrowed/vmlinuz'), {
      status: 200,
      body: 'kernel bytes',
    });
    assert.equal((await get(base, '/distros/narrowed/initrd.img')).body, 'initrd bytes');
    assert.equal(await tftp(tftpPort, 'images/narrowed/vmlinuz'), 'kernel bytes');
    assert.equal(
      (await call('PUT', '/settings/served_roots', { value: [...defaultServedRoots] })).status,
      200,
    );

    for (const path of [
      '/cobbler/images/direct/passwd',
      '/images/direct/passwd',
      '/distros/direct/passwd',
      '/distros/direct/',
      '/cblr/links/direct/passwd',
      '/cobbler/images/linked/passwd',
      '/cobbler/images/narrowed/vmlinuz',
      '/distros/narrowed/vmlinuz',
    ]) {
      const { status, body } = await get(base, path);
      assert.equal(status, 403, `${path}: ${body}`);
      assert.doesNotMatch(body, /secret-host-file|kernel bytes/, path);
      assert.match(body, /is outside the served_roots setting/, path);
    }
    for (const filename of ['images/direct/passwd', 'images/linked/passwd', 'images/narrowed/vmlinuz'])
      assert.match(await tftp(tftpPort, filename), /^ERROR 2 /, filename);

    // `bootwright check` names each of them, with the fix.
    const checked = await runCli(dataDir, 'check');
    for (const [distro, field] of [
      ['direct', 'kernel'],
      ['direct', 'tree_source'],
      ['linked', 'kernel'],
      ['narrowed', 'kernel'],
      ['narrowed', 'tree_source'],
    ])
      assert.match(
        checked.stdout,
        new RegExp(
          `Distro ${distro}: ${field} ".*" is outside the served_roots setting, .*, so it is not served\n +fix: move it under one of them, or add its directory: bootwright setting edit --name=served_roots`,
        ),
        `${distro} ${field}: ${checked.stdout}`,
      );
  });

  it('never serves the data directory or the TLS key, even from a tree or TFTP root around them', async (t) => {
    const parent = tempDir(t);
    const dataDir = join(parent, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    const paths = dataPaths(dataDir);
    await setUserPassword(new UsersFile(paths.usersFile), 'admin', 'admin-pass');
    ensureSharedSecret(paths.autoinstallKey);
    const cert = join(parent, 'tls.pem');
    const key = join(parent, 'tls.key');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
      ]),
      { stdio: 'pipe' },
    );
    writeFileSync(join(parent, 'hello.txt'), 'hello');
    await storeDirectly(
      dataDir,
      {
        around: { kernel: 'tree:data/users', initrd: 'tree:tls.key', tree_source: parent },
        inside: { kernel: 'tree:users', initrd: 'tree:shared-secret', tree_source: dataDir },
        key: { kernel: key, initrd: join(dataDir, 'store.sqlite') },
      },
      { served_roots: [parent], tftp_root: parent, tls_cert: cert, tls_key: key, tls_port: 0 },
    );
    const { base, token, tftpPort } = await start(t, dataDir);
    const privateFiles = ['users', 'shared-secret', 'autoinstall.key', 'store.sqlite'];
    const contents = [
      ...privateFiles.map((name) => readFileSync(join(dataDir, name), 'latin1').slice(0, 40)),
      'PRIVATE KEY',
    ];
    const leaks = (body: string) => contents.filter((text) => text !== '' && body.includes(text));

    // What is meant to be served from the same roots is.
    assert.deepEqual(await get(base, '/distros/around/hello.txt'), { status: 200, body: 'hello' });
    assert.equal(await tftp(tftpPort, 'hello.txt'), 'hello');
    const index = await get(base, '/distros/around/');
    assert.match(index.body, /hello\.txt/);
    assert.doesNotMatch(
      index.body,
      /"data\/"|tls\.key/,
      'the index lists neither the data directory nor the key',
    );

    for (const path of [
      ...privateFiles.map((name) => `/distros/around/data/${name}`),
      '/distros/around/tls.key',
      '/cobbler/images/around/users',
      '/cobbler/images/around/tls.key',
      ...privateFiles.map((name) => `/distros/inside/${name}`),
      '/cblr/links/inside/users',
      '/cobbler/images/inside/users',
      '/cobbler/images/key/tls.key',
      '/cobbler/images/key/store.sqlite',
    ]) {
      const { status, body } = await get(base, path);
      assert.ok(status === 403 || status === 404, `${path}: status ${status}`);
      assert.deepEqual(leaks(body), [], `${path} leaked`);
    }
    for (const filename of [
      ...privateFiles.map((name) => `data/${name}`),
      'tls.key',
      'images/around/users',
      'images/inside/users',
      'images/key/tls.key',
      'images/key/store.sqlite',
    ]) {
      const answer = await tftp(tftpPort, filename);
      assert.match(answer, /^ERROR [12] /, filename);
      assert.deepEqual(leaks(answer), [], `${filename} leaked`);
    }

    // And they are refused when written, with the reason.
    const call = rest(base, token);
    const tree = await call('POST', '/distros', {
      name: 'd',
      kernel: 'tree:users',
      initrd: 'tree:users',
      tree_source: dataDir,
    });
    assert.equal(tree.status, 400);
    assert.match(
      tree.message ?? '',
      /tree_source ".*\/data" is inside the data directory .* and is never served/,
    );
    const keyFile = await call('POST', '/distros', {
      name: 'd',
      kernel: key,
      initrd: join(parent, 'hello.txt'),
    });
    assert.equal(keyFile.status, 400);
    assert.match(keyFile.message ?? '', /kernel ".*tls\.key" is the TLS private key, which is never served/);
    const tftpRoot = await call('PUT', '/settings/tftp_root', { value: dataDir });
    assert.equal(tftpRoot.status, 400);
    assert.match(tftpRoot.message ?? '', /Setting tftp_root ".*\/data" is inside the data directory/);
  });
});
