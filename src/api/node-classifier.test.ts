// The puppet node classifier over HTTP (Cobbler's /cblr/svc/op/puppet/... and /api/v1/enc/...), and the role
// kind through the generated REST, OpenAPI and XML-RPC surfaces.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { apiFixture } from '../../test/support/api-fixture.js';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { EventBus } from '../events/event-bus.js';
import { createApp } from './app.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

async function classifierFixture(t: TestContext) {
  const fixture = await apiFixture(t);
  const { store } = fixture;
  const events = new EventBus(store.events, async () => undefined, { flushMs: 5 });
  const app = createApp({ ...fixture.services, events });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.adminToken}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text: await response.text(),
    };
  };
  const created = async (path: string, body: unknown) =>
    assert.equal((await call('POST', path, body)).status, 201);
  await created('/api/v1/distros', {
    name: 'deb12',
    kernel: bootFiles.kernel,
    initrd: bootFiles.initrd,
    mgmt_classes: 'base',
  });
  await created('/api/v1/profiles', {
    name: 'web',
    distro: 'deb12',
    mgmt_parameters: { ntp: 'pool.example.org' },
  });
  await created('/api/v1/systems', {
    name: 'web1',
    profile: 'web',
    status: 'testing',
    mgmt_classes: 'monitoring',
    interfaces: { eth0: { mac_address: '52:54:00:00:00:01', dns_name: 'web1.example.org' } },
  });
  await created('/api/v1/roles', {
    name: 'web',
    pattern: '/^web\\d+\\./',
    classes: 'role_web',
    parameters: { tier: 'web' },
  });
  return { app, call, events, store };
}

describe('puppet node classifier over HTTP', () => {
  it("answers Cobbler's /cblr/svc/op/puppet/hostname/FQDN with the system's and the rules' classes", async (t) => {
    const { call } = await classifierFixture(t);
    const answer = await call('GET', '/cblr/svc/op/puppet/hostname/web1.example.org');
    assert.equal(answer.status, 200);
    assert.match(answer.type ?? '', /^text\/plain/);
    assert.deepEqual(parse(answer.text), {
      classes: ['base', 'monitoring', 'role_web'],
      parameters: { from_cobbler: true, ntp: 'pool.example.org', tier: 'web' },
      environment: 'testing',
    });
  });

  it('answers /api/v1/enc/FQDN as YAML, and a host without a system with what the rules give', async (t) => {
    const { call } = await classifierFixture(t);
    const known = await call('GET', '/api/v1/enc/web1.example.org');
    assert.equal(known.status, 200);
    assert.match(known.type ?? '', /^text\/yaml/);
    assert.deepEqual(parse(known.text).classes, ['base', 'monitoring', 'role_web']);
    const unknown = await call('GET', '/api/v1/enc/web7.example.org');
    assert.deepEqual(parse(unknown.text), { classes: ['role_web'], parameters: { tier: 'web' } });
    const nobody = await call('GET', '/api/v1/enc/mail.example.org');
    assert.equal(nobody.text, 'classes: []\nparameters: {}\n');
  });

  it('records each request as a check-in event, not as a plain HTTP request', async (t) => {
    const { call, events, store } = await classifierFixture(t);
    await call('GET', '/cblr/svc/op/puppet/hostname/web1.example.org');
    await call('GET', '/api/v1/enc/web7.example.org');
    await events.flush();
    const stored = await store.events.query({});
    assert.deepEqual(
      stored.map((event) => [event.type, event.system, event.detail]),
      [
        [
          'enc.checkin',
          'web1',
          {
            fqdn: 'web1.example.org',
            classes: 'base monitoring role_web',
            environment: 'testing',
            rules: ['web'],
          },
        ],
        ['enc.checkin', undefined, { fqdn: 'web7.example.org', classes: 'role_web', rules: ['web'] }],
      ],
    );
  });

  it('refuses a missing or malformed host name', async (t) => {
    const { call } = await classifierFixture(t);
    const missing = await call('GET', '/cblr/svc/op/puppet');
    assert.equal(missing.status, 400);
    assert.match(missing.text, /^# \*\*\* ERROR \*\*\*/);
    const malformed = await call('GET', '/api/v1/enc/web_1!.example.org');
    assert.equal(malformed.status, 400);
    assert.match(JSON.parse(malformed.text).error.message, /^Host name "web_1!.example.org" is not valid/);
  });
});

describe('role rules through the generated APIs', () => {
  it('lists, patches and removes roles over REST and refuses a bad pattern in one sentence', async (t) => {
    const { call } = await classifierFixture(t);
    const bad = await call('POST', '/api/v1/roles', { name: 'broken', pattern: '/^db(/' });
    assert.equal(bad.status, 400);
    assert.equal(
      JSON.parse(bad.text).error.message,
      '--pattern "/^db(/" is not a valid regular expression: Unterminated group.',
    );
    const missing = await call('POST', '/api/v1/roles', { name: 'nopattern' });
    assert.match(JSON.parse(missing.text).error.message, /Role "nopattern" needs --pattern/);
    const patched = await call('PATCH', '/api/v1/roles/web', { priority: 5, merge: 'yes' });
    assert.equal(patched.status, 200);
    assert.deepEqual(
      (({ pattern, priority, merge, classes }) => ({ pattern, priority, merge, classes }))(
        JSON.parse(patched.text),
      ),
      { pattern: '/^web\\d+\\./', priority: 5, merge: true, classes: ['role_web'] },
    );
    assert.deepEqual(
      JSON.parse((await call('GET', '/api/v1/roles?pattern=*web*')).text).items.map(
        (item: { name: string }) => item.name,
      ),
      ['web'],
    );
    assert.equal((await call('DELETE', '/api/v1/roles/web')).status, 200);
    assert.equal(JSON.parse((await call('GET', '/api/v1/roles')).text).total, 0);
  });

  it('describes roles and the classifier in OpenAPI and serves them over XML-RPC', async (t) => {
    const { app, call } = await classifierFixture(t);
    const document = JSON.parse((await call('GET', '/api/v1/openapi.json')).text);
    assert.deepEqual(document.components.schemas.role.required, ['name', 'pattern']);
    assert.ok(document.paths['/api/v1/roles/{name}']);
    assert.ok(document.paths['/api/v1/enc/{fqdn}']);
    const response = await app.request('/cobbler_api', {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: '<?xml version="1.0"?><methodCall><methodName>get_roles</methodName><params/></methodCall>',
    });
    const xml = await response.text();
    assert.match(xml, /<name>pattern<\/name><value><string>\/\^web\\d\+\\\.\/<\/string><\/value>/);
  });
});
