import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type ApiFixture, apiFixture } from '../../test/support/api-fixture.js';
import { sharedBootFiles } from '../../test/support/boot-files.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

async function call(
  fixture: ApiFixture,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = fixture.adminToken,
) {
  const response = await fixture.app.request(path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function seed(fixture: ApiFixture) {
  assert.equal(
    (
      await call(fixture, 'POST', '/api/v1/distros', {
        name: 'rhel-5.5',
        kernel: bootFiles.kernel,
        initrd: bootFiles.initrd,
        os_version: 'rhel5',
      })
    ).status,
    201,
  );
  assert.equal(
    (
      await call(fixture, 'POST', '/api/v1/profiles', {
        name: 'base',
        distro: 'rhel-5.5',
        kernel_options: 'foo=1',
      })
    ).status,
    201,
  );
}

describe('REST API', () => {
  it('creates, reads, patches and deletes objects', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    await seed(fixture);
    const created = await call(fixture, 'POST', '/api/v1/systems', {
      name: 'vm9',
      profile: 'base',
      hostname: 'vm9',
      interfaces: {
        eth0: { mac_address: '52:54:00:AA:BB:CC', ip_address: '192.0.2.9', dns_name: 'vm9.example.org' },
      },
    });
    assert.equal(created.status, 201);
    assert.equal(created.json.interfaces.eth0.mac_address, '52:54:00:aa:bb:cc');

    const fetched = await call(fixture, 'GET', '/api/v1/systems/vm9', undefined, null);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.json.profile, 'base');

    // What GET returns can be sent back as it is.
    const roundTrip = await call(fixture, 'PATCH', '/api/v1/systems/vm9', {
      ...fetched.json,
      gateway: '192.0.2.1',
    });
    assert.equal(roundTrip.status, 200, JSON.stringify(roundTrip.json));
    assert.equal(roundTrip.json.gateway, '192.0.2.1');
    assert.equal(roundTrip.json.uid, fetched.json.uid);

    const removed = await call(fixture, 'DELETE', '/api/v1/systems/vm9');
    assert.deepEqual(removed.json.removed, [{ kind: 'system', name: 'vm9' }]);
    assert.equal((await call(fixture, 'GET', '/api/v1/systems/vm9')).status, 404);
  });

  it('lists with glob filters and paging', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    await seed(fixture);
    for (const name of ['web1', 'web2', 'web3', 'db1']) {
      await call(fixture, 'POST', '/api/v1/systems', { name, profile: 'base' });
    }
    const all = await call(fixture, 'GET', '/api/v1/systems?limit=2&offset=1');
    assert.deepEqual(
      all.json.items.map((item: { name: string }) => item.name),
      ['web1', 'web2'],
    );
    assert.equal(all.json.total, 4);
    const webs = await call(fixture, 'GET', '/api/v1/systems?name=web*&limit=10');
    assert.deepEqual(
      webs.json.items.map((item: { name: string }) => item.name),
      ['web1', 'web2', 'web3'],
    );
    assert.equal(webs.json.total, 3);
  });

  it('serves the blended and koan-rendered views', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    await seed(fixture);
    await call(fixture, 'POST', '/api/v1/profiles', {
      name: 'child',
      parent: 'base',
      kernel_options: 'bar=2',
    });
    await call(fixture, 'POST', '/api/v1/systems', {
      name: 'vm9',
      profile: 'child',
      kernel_options: '!foo baz=3',
    });
    const blended = await call(fixture, 'GET', '/api/v1/systems/vm9/blended');
    assert.deepEqual(blended.json.kernel_options, { bar: '2', baz: '3' });
    assert.equal(blended.json.distro_name, 'rhel-5.5');
    const rendered = await call(fixture, 'GET', '/api/v1/systems/vm9/rendered');
    assert.equal(rendered.json.kernel_options, 'bar=2 baz=3');
    assert.equal(rendered.json.virt_file_size, 5);
  });

  it('refuses writes without a valid token and from read-only users', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    const anonymous = await call(
      fixture,
      'POST',
      '/api/v1/distros',
      { name: 'd', kernel: bootFiles.kernel, initrd: bootFiles.initrd },
      null,
    );
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.error.code, 'E_UNAUTHORIZED');
    const forged = await call(
      fixture,
      'POST',
      '/api/v1/distros',
      { name: 'd', kernel: bootFiles.kernel, initrd: bootFiles.initrd },
      'not-a-token',
    );
    assert.equal(forged.status, 401);
    const viewerLogin = await call(
      fixture,
      'POST',
      '/api/v1/login',
      { username: 'viewer', password: 'secret-viewer' },
      null,
    );
    const readOnly = await call(
      fixture,
      'POST',
      '/api/v1/distros',
      { name: 'd', kernel: bootFiles.kernel, initrd: bootFiles.initrd },
      viewerLogin.json.token,
    );
    assert.equal(readOnly.status, 403);
    assert.equal((await call(fixture, 'GET', '/api/v1/distros')).json.total, 0, 'nothing was written');
  });

  it('logs in with a password or the shared secret, and logs out', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    const bad = await call(fixture, 'POST', '/api/v1/login', { username: 'admin', password: 'wrong' }, null);
    assert.equal(bad.status, 401);
    assert.match(bad.json.error.message, /admin/);
    const direct = await call(
      fixture,
      'POST',
      '/api/v1/login',
      { username: '', password: fixture.sharedSecret },
      null,
    );
    assert.equal(direct.status, 200);
    const token = direct.json.token as string;
    assert.equal(
      (await call(fixture, 'PUT', '/api/v1/settings/server', { value: '192.0.2.1' }, token)).status,
      200,
    );
    assert.equal((await call(fixture, 'POST', '/api/v1/logout', undefined, token)).json.revoked, true);
    assert.equal(
      (await call(fixture, 'PUT', '/api/v1/settings/server', { value: '192.0.2.2' }, token)).status,
      401,
    );
  });

  it('answers bad input with 4xx and one sentence, and writes nothing', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    await seed(fixture);
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/api/v1/systems', { name: 'vm1', profile: 'nope' }, 404, /profile "nope" does not exist/],
      ['POST', '/api/v1/systems', { name: 'vm1', profile: 'base', mac_address: 'zz:zz' }, 400, /"zz:zz"/],
      [
        'POST',
        '/api/v1/systems',
        { name: 'vm1', profile: 'base', ip_address: '300.1.1.1' },
        400,
        /"300.1.1.1"/,
      ],
      ['POST', '/api/v1/profiles', { name: 'base', distro: 'rhel-5.5' }, 409, /already exists/],
      ['POST', '/api/v1/systems', { name: 'bad name!', profile: 'base' }, 400, /"bad name!"/],
      ['POST', '/api/v1/systems', { name: 'vm1', profile: 'base', bogus: 1 }, 400, /"bogus"/],
      ['GET', '/api/v1/widgets', undefined, 404, /"widgets"/],
      ['DELETE', '/api/v1/distros/rhel-5.5', undefined, 409, /profile "base" depends on it/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const response = await call(fixture, method, path, body);
      assert.equal(response.status, status, `${method} ${path} ${JSON.stringify(body)}`);
      assert.match(response.json.error.message, message);
      assert.equal(response.json.error.message.split('\n').length, 1);
    }
    const malformed = await fixture.app.request('/api/v1/distros', {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.adminToken}` },
      body: '{"name": ',
    });
    assert.equal(malformed.status, 400);
    assert.equal((await call(fixture, 'GET', '/api/v1/systems')).json.total, 0);
  });

  it('adds an array of systems all or none, naming the item it refuses', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    await seed(fixture);
    const system = (index: number) => ({
      name: `rack${index}`,
      profile: 'base',
      interfaces: { eth0: { mac_address: `52:54:00:00:00:0${index}`, ip_address: `192.0.2.${index}` } },
    });
    const refusals: [unknown[], number, RegExp][] = [
      [[system(1), { ...system(2), ip_address: '300.1.1.1' }, system(3)], 400, /^Item 1: .*"300.1.1.1"/],
      [[system(1), { ...system(2), profile: 'nope' }], 404, /^Item 1: .*profile "nope" does not exist/],
      [[system(1), { ...system(2), name: 'rack1' }], 409, /^Item 1: .*"rack1" already exists/],
      [[system(1), { ...system(2), interfaces: system(1).interfaces }], 409, /^Item 1: .*already used/],
      [[system(1), { ...system(2), name: 'bad name!' }], 400, /^Item 1: .*"bad name!"/],
      [[system(1), 'rack2'], 400, /^Item 1 must be a JSON object/],
      [[], 400, /empty array/],
    ];
    for (const [items, status, message] of refusals) {
      const response = await call(fixture, 'POST', '/api/v1/systems', items);
      assert.equal(response.status, status, JSON.stringify(items));
      assert.match(response.json.error.message, message);
      assert.equal((await call(fixture, 'GET', '/api/v1/systems')).json.total, 0, 'nothing was added');
    }
    const unauthorized = await call(fixture, 'POST', '/api/v1/systems', [system(1)], null);
    assert.equal(unauthorized.status, 401);

    const created = await call(fixture, 'POST', '/api/v1/systems', [system(1), system(2), system(3)]);
    assert.equal(created.status, 201);
    assert.deepEqual(
      created.json.items.map((item: { name: string }) => item.name),
      ['rack1', 'rack2', 'rack3'],
    );
    const listed = await call(fixture, 'GET', '/api/v1/systems');
    assert.equal(listed.json.total, 3);
    const byMac = await fixture.services.boot.machines.systemByMac('52:54:00:00:00:02');
    assert.equal(byMac?.name, 'rack2');

    // Exact searches by an indexed value find the same systems a glob search over every system finds.
    const names = async (query: string) =>
      (await call(fixture, 'GET', `/api/v1/systems?${query}`)).json.items.map(
        (item: { name: string }) => item.name,
      );
    assert.deepEqual(await names('mac_address=52:54:00:00:00:02'), ['rack2']);
    assert.deepEqual(await names('mac=52:54:00:00:00:0*'), ['rack1', 'rack2', 'rack3']);
    assert.deepEqual(await names('ip_address=192.0.2.3&profile=base'), ['rack3']);
    assert.deepEqual(await names('ip_address=192.0.2.3&profile=other'), []);
    assert.deepEqual(await names('ip_address=192.0.2.9'), []);
    const unknownField = await call(fixture, 'GET', '/api/v1/systems?ip_address=192.0.2.9&bogus=1');
    assert.equal(unknownField.status, 400);
  });

  it('publishes an OpenAPI document that covers every kind', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    const { json } = await call(fixture, 'GET', '/api/v1/openapi.json');
    assert.equal(json.openapi, '3.1.0');
    for (const kind of ['distro', 'profile', 'system', 'repo']) {
      assert.ok(json.paths[`/api/v1/${kind}s/{name}`], kind);
      assert.ok(json.components.schemas[kind].properties.name, kind);
    }
    assert.ok(json.components.schemas.system.properties.interfaces);
  });
});
