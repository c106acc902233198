import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { blend } from './blend.js';
import { type FieldValue, INHERIT } from './kinds.js';
import { parseKvString } from './kv.js';
import { renderForKoan, substituteAtAt } from './rendered.js';
import { applySettingOverrides } from './settings.js';
import { make } from './stored-object.fixture.js';

const settings = applySettingOverrides({ server: 'boot.example', http_port: 8080 });
const distro = make('distro', 'deb12', {
  kernel: '/srv/deb12/linux',
  initrd: '/srv/deb12/initrd.gz',
  breed: 'debian',
  os_version: 'bookworm',
  kernel_options: parseKvString('quiet !rhgb'),
  autoinstall_meta: parseKvString('tree=http://@@http_server@@/cblr/links/deb12 bare'),
});
const profile = make('profile', 'deb12-web', {
  distro: 'deb12',
  kernel_options: parseKvString('console=ttyS0,115200 "motd=hello world"'),
  repos: ['extras', 'updates'],
  autoinstall: 'web.seed',
});
const system = make(
  'system',
  'web1',
  { profile: 'deb12-web', hostname: 'web1.example', virt_file_size: '5,10', virt_cpus: 2 },
  {
    default: { mac_address: '52:54:00:00:00:01', ip_address: '192.0.2.10' },
    eth1: { mac_address: '' },
  },
);

function renderedSystem(extra: Record<string, FieldValue> = {}): Record<string, unknown> {
  const changed = { ...system, fields: { ...system.fields, ...extra } };
  return renderForKoan(blend({ system: changed, profiles: [profile], distro, repos: [] }, settings));
}

function renderedProfile(): Record<string, unknown> {
  return renderForKoan(blend({ profiles: [profile], distro, repos: [] }, settings));
}

/** Every path in a value whose leaf is something koan cannot take. */
function badLeaves(value: unknown, path = '$'): string[] {
  if (value === null || value === undefined || value === '~' || value === INHERIT)
    return [`${path}=${String(value)}`];
  if (typeof value === 'number' && !Number.isFinite(value)) return [`${path}=${value}`];
  if (typeof value === 'string' && value.includes(INHERIT)) return [`${path}=${value}`];
  if (Array.isArray(value)) return value.flatMap((item, index) => badLeaves(item, `${path}[${index}]`));
  if (typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => badLeaves(item, `${path}.${key}`));
  }
  return [];
}

describe('renderForKoan', () => {
  it('sends kernel options as one string, with removals applied and spaces quoted', () => {
    const rendered = renderedSystem();
    assert.equal(typeof rendered.kernel_options, 'string');
    assert.equal(rendered.kernel_options, `quiet console=ttyS0,115200 'motd=hello world'`);
    assert.equal(rendered.kernel_options_post, '');
  });

  it('sends a single disk size as an integer and several as text', () => {
    assert.equal(renderedSystem().virt_file_size, '5,10');
    assert.equal(renderedSystem({ virt_file_size: '20' }).virt_file_size, 20);
    assert.equal(renderedSystem({ virt_file_size: INHERIT }).virt_file_size, 5, 'default_virt_file_size');
  });

  it('sends virt_ram and virt_cpus as integers', () => {
    const rendered = renderedSystem();
    assert.equal(rendered.virt_ram, 512);
    assert.equal(rendered.virt_cpus, 2);
    assert.equal(renderedProfile().virt_cpus, 1);
  });

  it('sends autoinstall_meta as a struct with @@http_server@@ substituted, and the tree', () => {
    const rendered = renderedSystem();
    assert.deepEqual(rendered.autoinstall_meta, {
      tree: 'http://boot.example:8080/cblr/links/deb12',
      bare: '',
    });
    assert.deepEqual(rendered.ks_meta, rendered.autoinstall_meta);
    assert.equal(rendered.install_tree, 'http://boot.example:8080/cblr/links/deb12');
    assert.equal(rendered.http_server, 'boot.example:8080');
  });

  it('sends the template as kickstart, which is the name koan reads', () => {
    assert.equal(renderedSystem().kickstart, 'web.seed');
    assert.equal(renderedSystem().autoinstall, 'web.seed');
    assert.equal(renderedSystem({ autoinstall: 'own.seed' }).kickstart, 'own.seed');
  });

  it('sends the fields koan requires as text', () => {
    const rendered = renderedSystem();
    assert.equal(rendered.name, 'web1');
    assert.equal(rendered.breed, 'debian');
    assert.equal(rendered.os_version, 'bookworm');
    assert.equal(rendered.virt_path, '');
    assert.equal(rendered.virt_type, 'xenpv');
    assert.equal(rendered.virt_bridge, 'xenbr0');
    assert.equal(rendered.repos, 'extras updates');
    assert.equal(renderedProfile().virt_bridge, 'xenbr0', 'koan needs a top-level bridge for profiles');
  });

  it('gives every interface a MAC and a resolved bridge', () => {
    const interfaces = renderedSystem().interfaces as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(interfaces).sort(), ['default', 'eth1']);
    assert.equal(interfaces.default?.mac_address, '52:54:00:00:00:01');
    assert.equal(interfaces.default?.virt_bridge, 'xenbr0');
    assert.equal(interfaces.eth1?.mac_address, '');
    assert.equal(interfaces.eth1?.virt_bridge, 'xenbr0');
  });

  it('leaves no null, undefined, "~" or <<inherit>> anywhere, for systems and profiles', () => {
    assert.deepEqual(badLeaves(renderedSystem()), []);
    assert.deepEqual(badLeaves(renderedProfile()), []);
    assert.deepEqual(badLeaves(renderForKoan(blend({ profiles: [], distro, repos: [] }, settings))), []);
  });

  it('refuses to send an <<inherit>> that nothing resolved', () => {
    assert.throws(
      () => renderForKoan({ name: 'x', nested: { list: ['a', INHERIT] } }),
      (error: unknown) =>
        error instanceof BootwrightError &&
        error.code === 'E_INTERNAL' &&
        error.message.includes('rendered.nested.list[1]'),
    );
  });
});

describe('substituteAtAt', () => {
  it('replaces known text and number values and leaves the rest', () => {
    const view = { http_server: 'h:81', http_port: 81, interfaces: {} };
    assert.equal(
      substituteAtAt('@@http_server@@/@@http_port@@/@@interfaces@@/@@nope@@', view),
      'h:81/81/@@interfaces@@/@@nope@@',
    );
  });
});
