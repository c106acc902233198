// Repos by breed in what installers and installed systems are given: apt repos in the preseed and /op/apt, yum
// repos in the kickstart and /op/yum, each at this server's mirror while mirror_locally is on and at its origin
// otherwise.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { apiFixture } from '../../test/support/api-fixture.js';
import { sharedBootFiles } from '../../test/support/boot-files.js';

const bootFiles = sharedBootFiles();

async function setup(t: TestContext) {
  const fixture = await apiFixture(t);
  const { inventory } = fixture.services;
  await inventory.setSetting('server', '192.0.2.1');
  await inventory.add('repo', {
    name: 'debian-local',
    breed: 'apt',
    mirror: 'http://198.51.100.7/debian/',
    apt_dists: 'bookworm bookworm-updates',
    apt_components: 'main contrib',
  });
  await inventory.add('repo', {
    name: 'vendor',
    breed: 'apt',
    mirror: 'http://198.51.100.8/vendor/',
    mirror_locally: false,
    apt_dists: 'stable',
  });
  await inventory.add('repo', { name: 'epel', mirror: 'http://198.51.100.7/epel/' });
  for (const [name, breed] of [
    ['deb12', 'debian'],
    ['rhel9', 'redhat'],
  ] as const) {
    await inventory.add('distro', {
      name,
      breed,
      kernel: bootFiles.kernel,
      initrd: bootFiles.initrd,
      autoinstall_meta: 'tree=http://192.0.2.1/cblr/links/deb12',
    });
    await inventory.add('profile', { name, distro: name, repos: 'debian-local vendor epel' });
  }
  const get = async (path: string) => {
    const response = await fixture.app.request(path);
    assert.equal(response.status, 200, path);
    return response.text();
  };
  return { ...fixture, get };
}

describe('repos by breed', () => {
  it('the preseed gives the installer each apt dist, at the mirror or the origin, and no yum repo', async (t) => {
    const { get } = await setup(t);
    const preseed = await get('/cblr/svc/op/autoinstall/profile/deb12');
    const lines = preseed.split('\n').filter((line) => line.startsWith('d-i apt-setup/'));
    assert.deepEqual(lines, [
      'd-i apt-setup/local0/repository string http://192.0.2.1/cobbler/repo_mirror/debian-local bookworm main contrib',
      'd-i apt-setup/local1/repository string http://192.0.2.1/cobbler/repo_mirror/debian-local bookworm-updates main contrib',
      'd-i apt-setup/local2/repository string http://198.51.100.8/vendor/ stable main',
    ]);
    assert.doesNotMatch(preseed, /epel/);
  });

  it('a key named in autoinstall_meta goes with its line', async (t) => {
    const { get, services } = await setup(t);
    await services.inventory.edit('profile', 'deb12', {
      autoinstall_meta: 'apt_key_2=http://198.51.100.8/key.asc',
    });
    const preseed = await get('/cblr/svc/op/autoinstall/profile/deb12');
    assert.match(
      preseed,
      /d-i apt-setup\/local2\/repository string http:\/\/198\.51\.100\.8\/vendor\/ stable main\nd-i apt-setup\/local2\/key string http:\/\/198\.51\.100\.8\/key\.asc\n/,
    );
  });

  it('/cblr/svc/op/apt gives installed systems sources.list lines; /op/yum only the yum repos', async (t) => {
    const { get } = await setup(t);
    assert.equal(
      await get('/cblr/svc/op/apt/profile/deb12'),
      [
        'deb http://192.0.2.1/cobbler/repo_mirror/debian-local bookworm main contrib',
        'deb http://192.0.2.1/cobbler/repo_mirror/debian-local bookworm-updates main contrib',
        'deb http://198.51.100.8/vendor/ stable main',
        '',
      ].join('\n'),
    );
    assert.equal(
      await get('/cblr/svc/op/yum/profile/rhel9'),
      '[epel]\nname=epel\nbaseurl=http://192.0.2.1/cobbler/repo_mirror/epel\nenabled=1\npriority=99\ngpgcheck=0\n',
    );
  });

  it('the kickstart lists only the yum repos, and fetches their file while yum_post_install_mirror is on', async (t) => {
    const { get, services } = await setup(t);
    const kickstart = await get('/cblr/svc/op/autoinstall/profile/rhel9');
    assert.match(
      kickstart,
      /^repo --name=epel --baseurl=http:\/\/192\.0\.2\.1\/cobbler\/repo_mirror\/epel$/m,
    );
    assert.doesNotMatch(kickstart, /debian-local|vendor/);
    assert.match(kickstart, /curl -s "http:\/\/192\.0\.2\.1\/cblr\/svc\/op\/yum\/profile\/rhel9"/);
    await services.inventory.setSetting('yum_post_install_mirror', false);
    assert.doesNotMatch(await get('/cblr/svc/op/autoinstall/profile/rhel9'), /op\/yum/);
  });
});
