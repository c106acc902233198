import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blend, httpServer, type Lineage } from './blend.js';
import { INHERIT, type InventoryObject, type NetworkInterface } from './kinds.js';
import { parseKvString } from './kv.js';
import { renderForKoan } from './rendered.js';
import { applySettingOverrides, defaultSettings } from './settings.js';
import { make } from './stored-object.fixture.js';

const distro = make('distro', 'rhel9', {
  kernel: '/srv/rhel9/vmlinuz',
  initrd: '/srv/rhel9/initrd.img',
  breed: 'redhat',
  os_version: 'rhel9',
});

/** Cobbler's system test basic-inheritance: fake-1 is a sub-profile of fake-0, and so on down to fake-3. */
function cobblerChain(): InventoryObject[] {
  const options = ['foo=1', 'bar=3 not-wanted', '!not-wanted', 'bar=2'];
  return options.map((text, depth) =>
    make('profile', `fake-${depth}`, {
      distro: depth === 0 ? distro.name : '',
      parent: depth === 0 ? '' : `fake-${depth - 1}`,
      kernel_options: parseKvString(text),
    }),
  );
}

describe('blend: the Cobbler basic-inheritance case', () => {
  const profiles = cobblerChain().reverse(); // nearest first, as Lineage wants
  const system = make(
    'system',
    'vm1',
    { profile: 'fake-3' },
    { default: { mac_address: '52:54:00:00:00:01' } },
  );
  const lineage: Lineage = { system, profiles, distro, repos: [] };

  it('renders the system kernel options as foo=1 bar=2', () => {
    const view = blend(lineage, defaultSettings());
    assert.deepEqual(view.kernel_options, { foo: '1', bar: '2' });
    assert.equal(renderForKoan(view).kernel_options, 'foo=1 bar=2');
  });

  it('keeps not-wanted out of every profile below the one that removes it', () => {
    const at = (depth: number) =>
      blend({ profiles: profiles.slice(3 - depth), distro, repos: [] }, defaultSettings()).kernel_options;
    assert.deepEqual(at(0), { foo: '1' });
    assert.deepEqual(at(1), { foo: '1', bar: '3', 'not-wanted': null });
    assert.deepEqual(at(2), { foo: '1', bar: '3' });
    assert.deepEqual(at(3), { foo: '1', bar: '2' });
  });

  it('names the system, the nearest profile and the distro', () => {
    const view = blend(lineage, defaultSettings());
    assert.equal(view.name, 'vm1');
    assert.equal(view.system_name, 'vm1');
    assert.equal(view.profile_name, 'fake-3');
    assert.equal(view.profile, 'fake-3');
    assert.equal(view.distro_name, 'rhel9');
    assert.equal(view.distro, 'rhel9');
    assert.equal(view.os_version, 'rhel9');
  });
});

describe('blend', () => {
  it('concatenates lists without repeats, parents first', () => {
    const profile = make('profile', 'p', { distro: 'rhel9', name_servers: ['192.0.2.1'] });
    const system = make('system', 's', { profile: 'p', name_servers: ['192.0.2.2', '192.0.2.1'] });
    const view = blend({ system, profiles: [profile], distro, repos: [] }, defaultSettings());
    assert.deepEqual(view.name_servers, ['192.0.2.1', '192.0.2.2']);
  });

  it('puts the default_name_servers setting under every system', () => {
    const profile = make('profile', 'p', { distro: 'rhel9', name_servers: ['192.0.2.1'] });
    const system = make('system', 's', { profile: 'p', name_servers: ['192.0.2.2'] });
    const settings = applySettingOverrides({ default_name_servers: ['192.0.2.53'] });
    const view = blend({ system, profiles: [profile], distro, repos: [] }, settings);
    assert.deepEqual(view.name_servers, ['192.0.2.53', '192.0.2.1', '192.0.2.2']);
  });

  // Cobbler 3.3's blender (utils.__consolidate): the first `<<inherit>>` it meets going down the chain is resolved
  // (owners to default_ownership, boot_loaders to the distro's supported loaders), and every list below extends it;
  // an object that gives its own list before any `<<inherit>>` starts the list itself.
  it('resolves the first inherited list to its setting and adds the lists below to it, as Cobbler blends', () => {
    const inheriting = make('profile', 'p', { distro: 'rhel9' });
    const defaults = blend({ profiles: [inheriting], distro, repos: [] }, defaultSettings());
    assert.deepEqual(defaults.boot_loaders, ['pxe', 'ipxe', 'grub']);
    assert.deepEqual(defaults.owners, ['admin']);

    const owned = make('profile', 'p', { distro: 'rhel9', boot_loaders: ['grub'], owners: ['alice'] });
    const view = blend({ profiles: [owned], distro, repos: [] }, defaultSettings());
    assert.deepEqual(view.boot_loaders, ['pxe', 'ipxe', 'grub'], 'the distro inherits, so its list counts');
    assert.deepEqual(view.owners, ['admin', 'alice']);

    const ownDistro = make('distro', 'rhel9', { ...distro.fields, owners: ['ops'], boot_loaders: ['ipxe'] });
    const first = blend({ profiles: [owned], distro: ownDistro, repos: [] }, defaultSettings());
    assert.deepEqual(
      first.owners,
      ['ops', 'alice'],
      'a list given before any <<inherit>> leaves the setting out',
    );
    assert.deepEqual(first.boot_loaders, ['ipxe', 'grub']);

    const system = make('system', 's', { profile: 'p', owners: ['bob'] });
    const below = blend({ system, profiles: [owned], distro: ownDistro, repos: [] }, defaultSettings());
    assert.deepEqual(below.owners, ['ops', 'alice', 'bob']);
  });

  it('resolves <<inherit>> virt_ram from the parent profile, then from default_virt_ram', () => {
    const parent = make('profile', 'parent', { distro: 'rhel9', virt_ram: 2048 });
    const child = make('profile', 'child', { parent: 'parent', virt_ram: INHERIT });
    const system = make('system', 's', { profile: 'child', virt_ram: INHERIT });
    const settings = applySettingOverrides({ default_virt_ram: 768 });
    assert.equal(blend({ system, profiles: [child, parent], distro, repos: [] }, settings).virt_ram, 2048);

    const inheritingParent = make('profile', 'parent', { distro: 'rhel9' });
    assert.equal(inheritingParent.fields.virt_ram, INHERIT);
    const view = blend({ system, profiles: [child, inheritingParent], distro, repos: [] }, settings);
    assert.equal(view.virt_ram, 768);
    assert.equal(
      blend({ system, profiles: [child, inheritingParent], distro, repos: [] }, defaultSettings()).virt_ram,
      512,
    );
  });

  it('lets the nearest object that says something win over its parents', () => {
    const parent = make('profile', 'parent', { distro: 'rhel9', virt_ram: 2048, virt_cpus: 2 });
    const child = make('profile', 'child', { parent: 'parent', virt_ram: 1024 });
    const system = make('system', 's', { profile: 'child', virt_cpus: 4 });
    const view = blend({ system, profiles: [child, parent], distro, repos: [] }, defaultSettings());
    assert.equal(view.virt_ram, 1024);
    assert.equal(view.virt_cpus, 4);
  });

  it('keeps the parent distro for a sub-profile that names none', () => {
    const parent = make('profile', 'parent', { distro: 'rhel9' });
    const child = make('profile', 'child', { parent: 'parent', distro: '' });
    const view = blend({ profiles: [child, parent], distro, repos: [] }, defaultSettings());
    assert.equal(view.distro, 'rhel9');
    assert.equal(view.distro_name, 'rhel9');
    assert.equal(view.name, 'child');
    assert.equal(view.parent, 'parent');
    assert.equal(view.breed, 'redhat');
  });

  it("resolves an interface's <<inherit>> virt_bridge to the profile's bridge", () => {
    const profile = make('profile', 'p', { distro: 'rhel9', virt_bridge: 'br0' });
    const system = make(
      'system',
      's',
      { profile: 'p' },
      { eth0: { mac_address: '52:54:00:00:00:01' }, eth1: { virt_bridge: 'br1' } },
    );
    const view = blend({ system, profiles: [profile], distro, repos: [] }, defaultSettings());
    const interfaces = view.interfaces as Record<string, NetworkInterface>;
    assert.equal(interfaces.eth0?.virt_bridge, 'br0');
    assert.equal(interfaces.eth1?.virt_bridge, 'br1');
    assert.equal(view.virt_bridge_eth0, 'br0');
    assert.equal(view.mac_address_eth0, '52:54:00:00:00:01');
    assert.equal(system.interfaces?.eth0?.virt_bridge, INHERIT, 'the stored object is not changed');
  });

  it('falls back to default_virt_bridge when the profile inherits its bridge too', () => {
    const profile = make('profile', 'p', { distro: 'rhel9' });
    const system = make('system', 's', { profile: 'p' }, { default: {} });
    const settings = applySettingOverrides({ default_virt_bridge: 'virbr0' });
    const view = blend({ system, profiles: [profile], distro, repos: [] }, settings);
    assert.equal((view.interfaces as Record<string, NetworkInterface>).default?.virt_bridge, 'virbr0');
    assert.equal(view.virt_bridge, 'virbr0');
  });

  it('adds the HTTP port to http_server only when it is not 80', () => {
    const profile = make('profile', 'p', { distro: 'rhel9' });
    const lineage: Lineage = { profiles: [profile], distro, repos: [] };
    assert.equal(
      blend(lineage, applySettingOverrides({ server: 'boot.example' })).http_server,
      'boot.example',
    );
    const withPort = applySettingOverrides({ server: 'boot.example', http_port: 8080 });
    assert.equal(blend(lineage, withPort).http_server, 'boot.example:8080');
    const ownServer = make('profile', 'p', { distro: 'rhel9', server: '192.0.2.7' });
    assert.equal(blend({ profiles: [ownServer], distro, repos: [] }, withPort).http_server, '192.0.2.7:8080');
    assert.equal(httpServer('h', '80'), 'h');
    assert.equal(httpServer('h', 81), 'h:81');
  });

  it('merges autoinstall_meta into mgmt_parameters and offers the 2.x names', () => {
    const profile = make('profile', 'p', {
      distro: 'rhel9',
      autoinstall: 'web.ks',
      autoinstall_meta: { tree: 'http://@@http_server@@/cblr/links/rhel9' },
      mgmt_parameters: { role: 'web' },
    });
    const view = blend({ profiles: [profile], distro, repos: [] }, defaultSettings());
    assert.deepEqual(view.mgmt_parameters, {
      from_cobbler: true,
      role: 'web',
      tree: 'http://@@http_server@@/cblr/links/rhel9',
    });
    assert.equal(view.kickstart, 'web.ks');
    assert.deepEqual(view.ks_meta, view.autoinstall_meta);
  });

  it('takes the autoinstall setting when no profile names a template', () => {
    const profile = make('profile', 'p', { distro: 'rhel9' });
    const view = blend(
      { profiles: [profile], distro, repos: [] },
      applySettingOverrides({ autoinstall: 'x.ks' }),
    );
    assert.equal(view.autoinstall, 'x.ks');
    assert.equal(view.kickstart, 'x.ks');
  });

  it('sorts repo_data by priority', () => {
    const profile = make('profile', 'p', { distro: 'rhel9', repos: ['late', 'early'] });
    const repos = [
      make('repo', 'late', { mirror: 'http://m/late', priority: 99 }),
      make('repo', 'early', { mirror: 'http://m/early', priority: 10 }),
    ];
    const view = blend({ profiles: [profile], distro, repos }, defaultSettings());
    assert.deepEqual(
      (view.repo_data as { name: string }[]).map((repo) => repo.name),
      ['early', 'late'],
    );
  });
});
