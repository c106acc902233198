// api_require_tls over every write path: the REST routes are read from the application itself, and a route that
// asks for a token must, with the setting on, refuse even an admin token that came over plain HTTP. Requests made
// with app.request() have no socket, so they count as plain HTTP; the HTTPS side runs on real sockets in
// serve-tls.test.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiFixture, sampleRoutePath } from '../../test/support/api-fixture.js';
import { createApp } from '../api/app.js';
import { objectKinds } from '../model/kinds.js';
import { parseMethodResponse, serializeMethodCall, type XmlRpcValue } from '../xmlrpc/codec.js';
import { refuseCredentialsInClear } from './require-tls.js';

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'ALL']);
const policy = { httpsPort: 8443, serverName: '192.0.2.1' };

describe('api_require_tls', () => {
  it('names the HTTPS URL by the host the client used, else by the server setting', () => {
    assert.doesNotThrow(() => refuseCredentialsInClear(undefined, { encrypted: false }));
    assert.doesNotThrow(() => refuseCredentialsInClear(policy, { encrypted: true }));
    assert.throws(
      () => refuseCredentialsInClear(policy, { encrypted: false, host: 'boot.example.org:8080' }),
      {
        code: 'E_FORBIDDEN',
        message:
          /only over https:\/\/boot\.example\.org:8443 .*--server=https:\/\/boot\.example\.org:8443\.$/,
      },
    );
    assert.throws(() => refuseCredentialsInClear(policy, { encrypted: false, host: '[2001:db8::1]' }), {
      message: /only over https:\/\/\[2001:db8::1\]:8443 /,
    });
    assert.throws(() => refuseCredentialsInClear(policy, { encrypted: false }), {
      message: /only over https:\/\/192\.0\.2\.1:8443 /,
    });
  });

  it('refuses over plain HTTP the login and every REST route that needs a token, even with an admin token', async (t) => {
    const fixture = await apiFixture(t);
    const requiring = createApp({ ...fixture.services, requireTls: policy });
    const routes = new Set(
      requiring.routes
        .filter((route) => !readMethods.has(route.method))
        .map((route) => `${route.method} ${route.path}`),
    );
    const send = (app: typeof requiring, route: string, token?: string) => {
      const [method, path] = route.split(' ') as [string, string];
      return app.request(sampleRoutePath(path), {
        method,
        headers: {
          host: 'boot.example.org',
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ username: 'admin', password: 'secret-admin', name: 'vm9', value: 'x' }),
      });
    };
    const refused: string[] = [];
    for (const route of routes) {
      // A route that asks for a token without the setting is one the setting must move to HTTPS.
      const needsToken = (await send(fixture.app, route)).status === 401;
      if (!needsToken && route !== 'POST /api/v1/login') continue;
      const response = await send(requiring, route, fixture.adminToken);
      const body = await response.text();
      assert.equal(response.status, 403, `${route}: ${body}`);
      assert.match(body, /only over https:\/\/boot\.example\.org:8443 /, route);
      refused.push(route);
    }
    // The sweep found the routes it should: a broken route table would make it pass vacuously.
    for (const expected of ['POST /api/v1/login', 'POST /api/v1/:kinds', 'PATCH /api/v1/:kinds/:name']) {
      assert.ok(refused.includes(expected), `${expected} was not refused: ${refused.join(', ')}`);
    }
    // Reads stay open over plain HTTP.
    assert.equal((await requiring.request('/api/v1/systems')).status, 200);
  });

  it('refuses over plain HTTP the XML-RPC login and every method that takes a token', async (t) => {
    const fixture = await apiFixture(t);
    const requiring = createApp({ ...fixture.services, requireTls: policy });
    const call = async (method: string, params: XmlRpcValue[]) => {
      const response = await requiring.request('/cobbler_api', {
        method: 'POST',
        headers: { host: 'boot.example.org' },
        body: serializeMethodCall(method, params),
      });
      return parseMethodResponse(await response.text());
    };
    const token = fixture.adminToken;
    const credentialCalls: [string, XmlRpcValue[]][] = [
      ['login', ['admin', 'secret-admin']],
      ['token_check', [token]],
      ['new_subprofile', [token]],
      ['xapi_object_edit', ['system', 'vm9', 'add', { profile: 'p' }, token]],
      ['modify_setting', ['server', '192.0.2.1', token]],
    ];
    for (const kind of objectKinds) {
      credentialCalls.push([`new_${kind}`, [token]]);
      credentialCalls.push([`get_${kind}_handle`, ['vm9', token]]);
      credentialCalls.push([`remove_${kind}`, ['vm9', token]]);
    }
    for (const [method, params] of credentialCalls) {
      const answer = await call(method, params);
      assert.ok(!answer.ok, `${method} succeeded over plain HTTP`);
      assert.match(answer.faultString, /only over https:\/\/boot\.example\.org:8443 /, method);
    }
    for (const [method, params] of [
      ['ping', []],
      ['get_systems', []],
      ['get_settings', []],
    ] as [string, XmlRpcValue[]][]) {
      assert.ok((await call(method, params)).ok, `${method} was refused over plain HTTP`);
    }
  });
});
