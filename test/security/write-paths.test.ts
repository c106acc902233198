// Every write path needs a token (issue 10). The REST routes are read from the application itself, so a route
// added later is checked too: each one that changes state must refuse no token, an unknown token and a read-only
// token, unless it is on the short list of routes installers call while they run (they have no token, as in
// Cobbler). The XML-RPC write methods are checked the same way, through Python's own xmlrpc.client elsewhere and
// here through the app.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { objectKinds } from '../../src/model/kinds.js';
import { parseMethodResponse, serializeMethodCall, type XmlRpcValue } from '../../src/xmlrpc/codec.js';
import { apiFixture, sampleRoutePath } from '../support/api-fixture.js';
import { sharedBootFiles } from '../support/boot-files.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

/** Routes an installer or koan calls during an install, without a token; everything else that writes needs one. */
const openWrites = new Set([
  'POST /api/v1/login',
  'POST /api/v1/logout',
  'POST /api/v1/systems/:name/nopxe',
  'POST /api/v1/:kinds/:name/install/:mode',
  'POST /api/v1/:kinds/:name/koan',
  'PUT /api/v1/systems/:name/logs/:file',
  'POST /api/v1/systems/:name/logs/:file',
  // XML-RPC: its methods are checked one by one below.
  'POST /cobbler_api',
]);

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

describe('every write path needs a token', () => {
  it('refuses each REST write route without a token, with an unknown one, and with a read-only one, and lets an admin through', async (t) => {
    const fixture = await apiFixture(t);
    const viewer = await fixture.services.auth.login('viewer', 'secret-viewer');
    const routes = new Set(
      fixture.app.routes
        .filter((route) => !readMethods.has(route.method) && route.method !== 'ALL')
        .map((route) => `${route.method} ${route.path}`),
    );
    const checked: string[] = [];
    for (const route of routes) {
      if (openWrites.has(route)) continue;
      const [method, path] = route.split(' ') as [string, string];
      for (const [who, token, status] of [
        ['no token', undefined, 401],
        ['an unknown token', 'not-a-token', 401],
        ['a read-only token', viewer, 403],
      ] as const) {
        const response = await fixture.app.request(sampleRoutePath(path), {
          method,
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ name: 'vm9', value: 'x' }),
        });
        assert.equal(response.status, status, `${route} with ${who}: ${await response.text()}`);
      }
      // An admin gets past the guard: whatever the route answers then, it is not a refusal of the token.
      const response = await fixture.app.request(sampleRoutePath(path), {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.adminToken}` },
        body: JSON.stringify({ name: 'vm9', value: 'x' }),
      });
      assert.ok(
        response.status !== 401 && response.status !== 403 && response.status < 500,
        `${route} with an admin token: ${response.status} ${await response.text()}`,
      );
      checked.push(route);
    }
    // The sweep found the write routes it should: a broken route table would make it pass vacuously.
    for (const expected of [
      'POST /api/v1/:kinds',
      'PATCH /api/v1/:kinds/:name',
      'DELETE /api/v1/:kinds/:name',
    ]) {
      assert.ok(checked.includes(expected), `${expected} was not checked: ${checked.join(', ')}`);
    }
    assert.ok(checked.length >= 7, checked.join(', '));
  });

  it('refuses each XML-RPC write method without a token, with an unknown one, and with a read-only one', async (t) => {
    const fixture = await apiFixture(t);
    const call = async (method: string, params: XmlRpcValue[]) => {
      const response = await fixture.app.request('/cobbler_api', {
        method: 'POST',
        body: serializeMethodCall(method, params),
      });
      return parseMethodResponse(await response.text());
    };
    const login = await call('login', ['viewer', 'secret-viewer']);
    assert.ok(login.ok);
    const viewer = login.value as string;
    // Each write method with its arguments; the token goes where Cobbler expects it (last).
    const writes: [string, (token: string) => XmlRpcValue[]][] = [
      ['new_subprofile', (token) => [token]],
      ['xapi_object_edit', (token) => ['system', 'vm9', 'add', { profile: 'p' }, token]],
      ['modify_setting', (token) => ['server', '192.0.2.1', token]],
      ['new_item', (token) => ['system', token]],
      ['modify_item', (token) => ['system', 'system::handle', 'comment', 'x', token]],
      ['save_item', (token) => ['system', 'system::handle', token]],
      ['remove_item', (token) => ['system', 'vm9', token]],
      ['copy_item', (token) => ['system', 'system::handle', 'vm10', token]],
      ['rename_item', (token) => ['system', 'system::handle', 'vm10', token]],
      ['get_item_handle', (token) => ['system', 'vm9', token]],
      ['sync', (token) => [token]],
      ['sync_dhcp', (token) => [token]],
      ['background_sync', (token) => [{}, token]],
      ['background_syncsystems', (token) => [{}, token]],
      ['background_hardlink', (token) => [{}, token]],
      ['background_validate_autoinstall_files', (token) => [{}, token]],
      ['background_signature_update', (token) => [{}, token]],
      ['background_import', (token) => [{ path: '/srv/x' }, token]],
      ['write_autoinstall_template', (token) => ['x.ks', 'text', token]],
      ['remove_autoinstall_template', (token) => ['x.ks', token]],
      ['write_autoinstall_snippet', (token) => ['x', 'text', token]],
      ['remove_autoinstall_snippet', (token) => ['x', token]],
      ['clear_system_logs', (token) => ['system::vm9', token]],
    ];
    for (const kind of objectKinds) {
      writes.push([`new_${kind}`, (token) => [token]]);
      writes.push([`modify_${kind}`, (token) => [`${kind}::handle`, 'comment', 'x', token]]);
      writes.push([`save_${kind}`, (token) => [`${kind}::handle`, token]]);
      writes.push([`remove_${kind}`, (token) => ['vm9', token]]);
      writes.push([`copy_${kind}`, (token) => [`${kind}::handle`, 'vm10', token]]);
      writes.push([`rename_${kind}`, (token) => [`${kind}::handle`, 'vm10', token]]);
    }
    for (const [method, params] of writes) {
      for (const [who, token] of [
        ['no token', ''],
        ['an unknown token', 'not-a-token'],
        ['a read-only token', viewer],
      ] as const) {
        const answer = await call(method, params(token));
        assert.ok(!answer.ok, `${method} with ${who} succeeded`);
        assert.match(
          answer.faultString,
          /token|log ?in|permission|read-only|not allowed/i,
          `${method} with ${who}: ${answer.faultString}`,
        );
      }
    }
  });

  it('refuses each open install-time write without the secret or a token when autoinstall_secrets is on', async (t) => {
    const fixture = await apiFixture(t);
    const admin = { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' };
    for (const [path, body] of [
      ['/api/v1/settings/autoinstall_secrets', { value: true }],
      ['/api/v1/settings/pxe_just_once', { value: true }],
      ['/api/v1/settings/anamon_enabled', { value: true }],
    ] as const) {
      const response = await fixture.app.request(path, {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 200, await response.text());
    }
    for (const [kind, body] of [
      ['distros', { name: 'd', kernel: bootFiles.kernel, initrd: bootFiles.initrd }],
      ['profiles', { name: 'p', distro: 'd' }],
      ['systems', { name: 'vm9', profile: 'p' }],
    ] as const) {
      const response = await fixture.app.request(`/api/v1/${kind}`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 201, await response.text());
    }
    const viewer = await fixture.services.auth.login('viewer', 'secret-viewer');
    const secret = fixture.services.renderer.secrets?.secretFor({ kind: 'system', name: 'vm9' }) as string;
    const checked: string[] = [];
    for (const route of fixture.app.routes) {
      const key = `${route.method} ${route.path}`;
      // Not guarded by the secret: logging in and out, XML-RPC (its upload is checked in log-upload.test.ts), and
      // koan's step reports, which only add a timeline event and come from koan, which has no secret.
      if (!openWrites.has(key) || /^\/cobbler_api$|\/log(in|out)$|\/koan$/.test(route.path)) continue;
      const path = sampleRoutePath(route.path.replace(':mode', 'post'));
      const send = (query: string, token?: string) =>
        fixture.app.request(`${path}${query}`, {
          method: route.method,
          headers: token ? { authorization: `Bearer ${token}` } : {},
          body: 'line\n',
        });
      for (const [who, query, token, allowed] of [
        ['no secret', '', undefined, false],
        ['a wrong secret', `?secret=${'0'.repeat(32)}`, undefined, false],
        ["the system's secret", `?secret=${secret}`, undefined, true],
        ['a read-only token', '', viewer, true],
      ] as const) {
        const response = await send(query, token);
        const text = await response.text();
        if (allowed) assert.ok(response.status < 400, `${key} with ${who}: ${response.status} ${text}`);
        else assert.equal(response.status, 403, `${key} with ${who}: ${text}`);
      }
      checked.push(key);
    }
    assert.ok(checked.includes('POST /api/v1/systems/:name/nopxe'), checked.join(', '));
    assert.ok(checked.length >= 4, checked.join(', '));
    // Their XML-RPC twins, Cobbler's disable_netboot and run_install_triggers: the secret in the URL, or a token.
    for (const [method, params] of [
      ['disable_netboot', ['vm9']],
      ['run_install_triggers', ['post', 'system', 'vm9', '192.0.2.9']],
    ] as const) {
      for (const [who, query, extra, allowed] of [
        ['no secret', '', [], false],
        ['a wrong secret', `?secret=${'0'.repeat(32)}`, [], false],
        ["the system's secret", `?secret=${secret}`, [], true],
        ['a read-only token', '', [viewer], true],
      ] as const) {
        const response = await fixture.app.request(`/cobbler_api${query}`, {
          method: 'POST',
          body: serializeMethodCall(method, [...params, ...extra]),
        });
        const answer = parseMethodResponse(await response.text());
        if (allowed) assert.ok(answer.ok, `${method} with ${who}: ${JSON.stringify(answer)}`);
        else
          assert.ok(!answer.ok && answer.faultCode === 5, `${method} with ${who}: ${JSON.stringify(answer)}`);
      }
    }
  });
});
