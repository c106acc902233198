// The autoinstall_secrets setting over real HTTP, on the server `bootwright serve` runs: a machine reads its own
// kickstart and reports its own install with the secret its boot config gave it, and nobody else's.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { runCli } from '../../test/support/cli.js';
import { servedWithToken } from '../../test/support/served.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { dataPaths } from '../config/paths.js';
import { deriveAutoinstallSecret } from '../templates/autoinstall-secrets.js';
import type { AutoinstallTarget } from '../templates/install-urls.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

/** A served inventory with systems vm9 and vm10 of profile "web", autoinstall_secrets as given. */
async function served(t: TestContext, autoinstallSecrets: boolean) {
  const { dataDir, base, token } = await servedWithToken(t);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
    return response;
  };
  await call('PUT', '/settings/server', { value: '192.0.2.1' });
  await call('PUT', '/settings/autoinstall_secrets', { value: autoinstallSecrets });
  await call('POST', '/distros', {
    name: 'rhel9',
    kernel: bootFiles.kernel,
    initrd: bootFiles.initrd,
    os_version: 'rhel9',
  });
  await call('POST', '/profiles', { name: 'web', distro: 'rhel9' });
  await call('POST', '/systems', { name: 'vm9', profile: 'web', mac_address: '52:54:00:00:00:09' });
  await call('POST', '/systems', { name: 'vm10', profile: 'web', mac_address: '52:54:00:00:00:10' });
  // The server makes its key on first use: here, the first boot config.
  assert.equal((await fetch(`${base}/cblr/svc/op/ipxe/mac/52:54:00:00:00:09`)).status, 200);
  const secretOf = (target: AutoinstallTarget) =>
    deriveAutoinstallSecret(readFileSync(dataPaths(dataDir).autoinstallKey, 'utf8').trim(), target);
  const get = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);
  const netboot = async (name: string) =>
    ((await (await call('GET', `/systems/${name}`)).json()) as { netboot_enabled: boolean }).netboot_enabled;
  return { base, token, call, get, secretOf, netboot };
}

async function refused(response: Response): Promise<string> {
  const body = await response.text();
  assert.equal(response.status, 403, body);
  return body;
}

describe('autoinstall secrets over HTTP', () => {
  it("serves a system its own kickstart with its secret, and refuses it without or with another's", async (t) => {
    const { get, secretOf, token } = await served(t, true);
    const vm9 = secretOf({ kind: 'system', name: 'vm9' });
    const vm10 = secretOf({ kind: 'system', name: 'vm10' });

    for (const op of ['autoinstall', 'ks']) {
      const own = await get(`/cblr/svc/op/${op}/system/vm9/secret/${vm9}`);
      const kickstart = await own.text();
      assert.equal(own.status, 200, kickstart);
      assert.match(kickstart, /rootpw --iscrypted/);
      // The installer's own calls back carry the same secret.
      assert.ok(kickstart.includes(`/cblr/svc/op/nopxe/system/vm9/secret/${vm9}"`), kickstart);
      assert.ok(kickstart.includes(`/cblr/svc/op/trig/mode/post/system/vm9/secret/${vm9}"`), kickstart);

      const none = await refused(await get(`/cblr/svc/op/${op}/system/vm9`));
      assert.match(none, /System "vm9" is protected by autoinstall_secrets: this URL has no secret;/);
      assert.doesNotMatch(none, /rootpw/);
      assert.match(
        await refused(await get(`/cblr/svc/op/${op}/system/vm9/secret/${vm10}`)),
        /secret is wrong/,
      );
    }
    // A name that does not exist is refused the same way, so refusals do not tell which names exist.
    await refused(await get('/cblr/svc/op/autoinstall/system/nosuch'));
    // The REST twin takes ?secret=, or an operator's token.
    assert.equal((await get(`/api/v1/systems/vm9/autoinstall?secret=${vm9}`)).status, 200);
    await refused(await get('/api/v1/systems/vm9/autoinstall'));
    await refused(await get(`/api/v1/systems/vm9/autoinstall?secret=${vm10}`));
    await refused(await get('/api/v1/systems/vm9/variables'));
    const withToken = { headers: { authorization: `Bearer ${token}` } };
    assert.equal((await get('/api/v1/systems/vm9/autoinstall', withToken)).status, 200);
    assert.equal((await get('/cblr/svc/op/autoinstall/system/vm9', withToken)).status, 200);
    await refused(
      await get('/cblr/svc/op/autoinstall/system/vm9', { headers: { authorization: 'Bearer dead' } }),
    );
    // Profiles have theirs, and the other renders of an object need it too.
    const web = secretOf({ kind: 'profile', name: 'web' });
    assert.equal((await get(`/cblr/svc/op/autoinstall/profile/web/secret/${web}`)).status, 200);
    await refused(await get('/cblr/svc/op/autoinstall/profile/web'));
    await refused(await get(`/cblr/svc/op/autoinstall/profile/web/secret/${vm9}`));
    await refused(await get('/cblr/svc/op/script/system/vm9?script=preseed_late_default'));
    await refused(await get('/cblr/svc/op/ipxe/system/vm9'));

    // The install timeline, an open read, records the fetch without the secret.
    let timeline = '';
    for (let tries = 0; !timeline.includes('http.autoinstall') && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      timeline = await (await get('/api/v1/events?system=vm9')).text();
    }
    assert.ok(timeline.includes('/cblr/svc/op/autoinstall/system/vm9/secret/********'), timeline);
    assert.ok(!timeline.includes(vm9) && !timeline.includes(vm10), timeline);
  });

  it('puts the secret in boot configs and kernel command lines', async (t) => {
    const { get, call, secretOf } = await served(t, true);
    const vm9 = secretOf({ kind: 'system', name: 'vm9' });
    const url = `inst.ks=http://192.0.2.1/cblr/svc/op/autoinstall/system/vm9/secret/${vm9}`;
    const ipxe = await (await get('/cblr/svc/op/ipxe/mac/52:54:00:00:00:09')).text();
    assert.ok(ipxe.includes(url), ipxe);
    const variables = (await (await call('GET', '/systems/vm9/variables')).json()) as Record<string, string>;
    assert.ok(variables.install_kernel_options?.includes(url), variables.install_kernel_options);
    assert.equal(variables.autoinstall_url, url.slice('inst.ks='.length));
  });

  it('refuses one machine turning off or reporting for another', async (t) => {
    const { get, base, secretOf, netboot } = await served(t, true);
    const vm9 = secretOf({ kind: 'system', name: 'vm9' });
    const vm10 = secretOf({ kind: 'system', name: 'vm10' });

    await refused(await get(`/cblr/svc/op/nopxe/system/vm9/secret/${vm10}`));
    await refused(await get('/cblr/svc/op/nopxe/system/vm9'));
    await refused(await fetch(`${base}/api/v1/systems/vm9/nopxe?secret=${vm10}`, { method: 'POST' }));
    assert.equal(await netboot('vm9'), true);
    await refused(await get(`/cblr/svc/op/trig/mode/pre/system/vm9/secret/${vm10}`));
    await refused(await fetch(`${base}/api/v1/systems/vm9/install/pre`, { method: 'POST' }));
    await refused(
      await fetch(`${base}/api/v1/systems/vm9/logs/x.log?secret=${vm10}`, { method: 'PUT', body: 'x' }),
    );
    await refused(await get('/api/v1/systems/vm9/logs'));
    await refused(await get(`/api/v1/systems/vm9/logs/x.log?secret=${vm10}`));
    assert.equal((await get(`/api/v1/systems/vm9/logs?secret=${vm9}`)).status, 200);

    assert.equal(await (await get(`/cblr/svc/op/trig/mode/pre/system/vm9/secret/${vm9}`)).text(), 'True');
    const install = await fetch(`${base}/api/v1/systems/vm9/install/post?secret=${vm9}`, { method: 'POST' });
    assert.equal(install.status, 200);
    assert.equal(await (await get(`/cblr/svc/op/nopxe/system/vm9/secret/${vm9}`)).text(), 'True');
    assert.equal(await netboot('vm9'), false);
    assert.equal(await netboot('vm10'), true);
  });

  it('lets the remote CLI read a kickstart with its token, and refuses it without one', async (t) => {
    const { base, token } = await served(t, true);
    const remote = (...argv: string[]) => runCli(tempDir(t), `--server=${base}`, ...argv);
    const withToken = await remote(`--token=${token}`, 'system', 'get-autoinstall', '--name=vm9');
    assert.equal(withToken.code, 0, withToken.stderr);
    assert.match(withToken.stdout, /rootpw --iscrypted/);
    const without = await remote('system', 'get-autoinstall', '--name=vm9');
    assert.notEqual(without.code, 0);
    assert.match(without.stderr, /secret/);
  });

  it('changes nothing while the setting is off', async (t) => {
    const { get, base, netboot } = await served(t, false);
    const kickstart = await (await get('/cblr/svc/op/autoinstall/system/vm9')).text();
    assert.match(kickstart, /rootpw --iscrypted/);
    assert.ok(kickstart.includes('/cblr/svc/op/nopxe/system/vm9"'), kickstart);
    assert.doesNotMatch(kickstart, /secret/);
    assert.equal((await get('/api/v1/systems/vm9/autoinstall')).status, 200);
    assert.doesNotMatch(await (await get('/cblr/svc/op/ipxe/mac/52:54:00:00:00:09')).text(), /secret/);
    assert.equal((await fetch(`${base}/api/v1/systems/vm9/nopxe`, { method: 'POST' })).status, 200);
    assert.equal(await netboot('vm9'), false);
  });
});
