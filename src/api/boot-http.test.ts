import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { apiFixture } from '../../test/support/api-fixture.js';
import { tempDir } from '../../test/support/temp-dir.js';

async function setup(t: TestContext) {
  const fixture = await apiFixture(t);
  const dir = tempDir(t);
  const kernel = Buffer.alloc(100_000, 7);
  kernel.write('KERNEL', 0);
  writeFileSync(join(dir, 'vmlinuz'), kernel);
  writeFileSync(join(dir, 'initrd.img'), 'INITRD');
  const { inventory } = fixture.services;
  await inventory.setSetting('server', '192.0.2.1');
  await inventory.add('distro', {
    name: 'rhel9',
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    os_version: 'rhel9',
  });
  await inventory.add('distro', {
    name: 'remote',
    kernel: 'http://198.51.100.7/k/vmlinuz',
    initrd: 'http://198.51.100.7/k/initrd',
  });
  await inventory.add('profile', { name: 'rhel9-base', distro: 'rhel9' });
  await inventory.add('system', { name: 'vm9', profile: 'rhel9-base', mac_address: '52:54:00:00:00:09' });
  return { ...fixture, kernel };
}

describe('boot files over HTTP', () => {
  it("serves kernels at Cobbler's path with lengths, ranges and ETags", async (t) => {
    const { app, kernel } = await setup(t);
    const whole = await app.request('/cobbler/images/rhel9/vmlinuz');
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-length'), String(kernel.length));
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), kernel);
    const etag = whole.headers.get('etag') ?? '';
    const part = await app.request('/images/rhel9/vmlinuz', { headers: { range: 'bytes=0-5' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 0-5/${kernel.length}`);
    assert.equal(await part.text(), 'KERNEL');
    const tail = await app.request('/images/rhel9/vmlinuz', { headers: { range: 'bytes=-10' } });
    assert.equal((await tail.arrayBuffer()).byteLength, 10);
    assert.equal(
      (await app.request('/images/rhel9/vmlinuz', { headers: { range: 'bytes=999999-' } })).status,
      416,
    );
    assert.equal(
      (await app.request('/images/rhel9/vmlinuz', { headers: { 'if-none-match': etag } })).status,
      304,
    );
    const head = await app.request('/cobbler/images/rhel9/initrd.img', { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), '6');
  });

  it('redirects to kernels that live elsewhere and refuses names the distro does not have', async (t) => {
    const { app } = await setup(t);
    const moved = await app.request('/cobbler/images/remote/vmlinuz');
    assert.equal(moved.status, 302);
    assert.equal(moved.headers.get('location'), 'http://198.51.100.7/k/vmlinuz');
    const refused = await app.request('/cobbler/images/rhel9/..%2F..%2Fetc%2Fpasswd');
    assert.equal(refused.status, 404);
  });

  it('serves iPXE scripts by system, by MAC and as a menu for unknown machines', async (t) => {
    const { app, services } = await setup(t);
    const bySystem = await (await app.request('/cblr/svc/op/ipxe/system/vm9')).text();
    assert.match(
      bySystem,
      /^#!ipxe\nkernel http:\/\/192\.0\.2\.1\/cobbler\/images\/rhel9\/vmlinuz initrd=initrd\.img .*inst\.ks=http:\/\/192\.0\.2\.1\/cblr\/svc\/op\/autoinstall\/system\/vm9/,
    );
    assert.equal(await (await app.request('/cblr/svc/op/ipxe/mac/52:54:00:00:00:09')).text(), bySystem);
    assert.match(
      await (await app.request('/cblr/svc/op/ipxe/mac/52:54:00:99:99:99')).text(),
      /^#!ipxe\nmenu bootwright/,
    );
    await services.inventory.edit('system', 'vm9', { netboot_enabled: false });
    assert.match(await (await app.request('/cblr/svc/op/ipxe/system/vm9')).text(), /sanboot/);
    assert.match(await (await app.request('/api/v1/systems/vm9/boot/pxelinux')).text(), /LOCALBOOT -1/);
  });

  it('turns netboot off through nopxe when pxe_just_once is set', async (t) => {
    const { app, services } = await setup(t);
    assert.equal(await (await app.request('/cblr/svc/op/nopxe/system/vm9')).text(), 'True');
    assert.equal((await services.inventory.get('system', 'vm9')).fields.netboot_enabled, false);
    assert.match(await (await app.request('/api/v1/systems/vm9/boot/grub')).text(), /exit 1/);
    await services.inventory.setSetting('pxe_just_once', false);
    await services.inventory.edit('system', 'vm9', { netboot_enabled: true });
    assert.equal(await (await app.request('/cblr/svc/op/nopxe/system/vm9')).text(), 'False');
    assert.equal((await services.inventory.get('system', 'vm9')).fields.netboot_enabled, true);
  });
});
