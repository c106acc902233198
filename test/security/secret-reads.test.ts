// Reads are open, as in Cobbler, but the power-management password and the root password hash are not (issue 10):
// without a token REST shows "********" for them, with a token (even a read-only one) the value; XML-RPC reads,
// which carry no token, never send them. A field that is empty stays empty, so a reader can tell "unset".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED } from '../../src/api/secrets.js';
import { parseMethodResponse, serializeMethodCall } from '../../src/xmlrpc/codec.js';
import { apiFixture } from '../support/api-fixture.js';
import { sharedBootFiles } from '../support/boot-files.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const HASH = '$6$salt$0123456789abcdef';

describe('secrets in open reads', () => {
  it('hides power_pass and the root password hash from readers without a token, everywhere they appear', async (t) => {
    const fixture = await apiFixture(t);
    const admin = { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' };
    const write = async (method: string, path: string, body: unknown) => {
      const response = await fixture.app.request(path, {
        method,
        headers: admin,
        body: JSON.stringify(body),
      });
      assert.ok(response.status < 300, `${method} ${path}: ${await response.text()}`);
    };
    await write('PUT', '/api/v1/settings/default_password_crypted', { value: HASH });
    await write('POST', '/api/v1/distros', {
      name: 'd',
      kernel: bootFiles.kernel,
      initrd: bootFiles.initrd,
    });
    await write('POST', '/api/v1/profiles', { name: 'p', distro: 'd' });
    await write('POST', '/api/v1/systems', {
      name: 'vm9',
      profile: 'p',
      power_type: 'ipmilan',
      power_pass: 'hunter2',
    });
    await write('POST', '/api/v1/systems', { name: 'vm10', profile: 'p' });

    const viewer = await fixture.services.auth.login('viewer', 'secret-viewer');
    for (const path of [
      '/api/v1/settings',
      '/api/v1/systems',
      '/api/v1/systems/vm9',
      '/api/v1/systems/vm9/blended',
      '/api/v1/systems/vm9/variables',
    ]) {
      const open = await (await fixture.app.request(path)).text();
      assert.doesNotMatch(open, /hunter2|\$6\$salt/, `${path} without a token`);
      const withToken = await (
        await fixture.app.request(path, { headers: { authorization: `Bearer ${viewer}` } })
      ).text();
      assert.ok(
        withToken.includes('hunter2') || withToken.includes(HASH),
        `${path} with a token shows the secret`,
      );
    }
    const vm9 = (await (await fixture.app.request('/api/v1/systems/vm9')).json()) as Record<string, unknown>;
    assert.equal(vm9.power_pass, REDACTED);
    const vm10 = (await (await fixture.app.request('/api/v1/systems/vm10')).json()) as Record<
      string,
      unknown
    >;
    assert.equal(vm10.power_pass, '', 'an unset secret stays visibly unset');

    for (const [method, params] of [
      ['get_system', ['vm9']],
      ['get_systems', []],
      ['get_system_as_rendered', ['vm9']],
      ['get_blended_data', ['', 'vm9']],
      ['get_settings', []],
      ['find_system', [{ name: 'vm9' }, true]],
    ] as const) {
      const response = await fixture.app.request('/cobbler_api', {
        method: 'POST',
        body: serializeMethodCall(method, [...params]),
      });
      const text = await response.text();
      const answer = parseMethodResponse(text);
      assert.ok(answer.ok, `${method}: ${text.slice(0, 300)}`);
      assert.doesNotMatch(text, /hunter2|\$6\$salt/, `${method} sent a secret`);
    }
  });
});
