import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { serveTestRoots } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { Inventory } from '../inventory/inventory.js';
import { openStore } from '../store/open-store.js';
import { AutoinstallSecrets } from '../templates/autoinstall-secrets.js';
import { BootFiles } from './boot-files.js';
import { ipxeLoader } from './loaders/ipxe.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

async function setup(t: TestContext) {
  const store = openStore(`sqlite:${tempDir(t)}/store.sqlite`);
  t.after(() => store.close());
  const inventory = new Inventory(store);
  await serveTestRoots(inventory);
  await inventory.setSetting('server', '192.0.2.1');
  await inventory.add('distro', {
    name: 'rhel9',
    kernel: bootFiles.kernel,
    initrd: bootFiles.initrd,
    os_version: 'rhel9',
  });
  await inventory.add('profile', { name: 'rhel9-base', distro: 'rhel9', kernel_options: 'quiet' });
  await inventory.add('system', {
    name: 'vm9',
    profile: 'rhel9-base',
    mac_address: '52:54:00:00:00:09',
    ip_address: '192.0.2.9',
  });
  return { store, inventory, boot: new BootFiles(inventory) };
}

describe('boot files from the store', () => {
  it("puts each object's secret in its autoinstall URL while autoinstall_secrets is on, and only then", async (t) => {
    const { inventory } = await setup(t);
    const secrets = new AutoinstallSecrets(`${tempDir(t)}/autoinstall.key`);
    const boot = new BootFiles(inventory, secrets);
    const vm9 = secrets.secretFor({ kind: 'system', name: 'vm9' });
    const profile = secrets.secretFor({ kind: 'profile', name: 'rhel9-base' });
    const plain = await boot.configAt('pxelinux.cfg/01-52-54-00-00-00-09');
    assert.doesNotMatch(plain ?? '', /secret/);

    await inventory.setSetting('autoinstall_secrets', true);
    const systemUrl = `inst.ks=http://192.0.2.1/cblr/svc/op/autoinstall/system/vm9/secret/${vm9} `;
    assert.ok((await boot.configAt('pxelinux.cfg/01-52-54-00-00-00-09'))?.includes(systemUrl));
    assert.ok((await boot.configAt('grub/system/52:54:00:00:00:09'))?.includes(systemUrl));
    const system = await boot.machines.systemByMac('52:54:00:00:00:09');
    assert.ok(system);
    assert.ok((await boot.systemConfig(ipxeLoader, system)).includes(systemUrl));
    const profileUrl = `/cblr/svc/op/autoinstall/profile/rhel9-base/secret/${profile} `;
    assert.ok((await boot.configAt('pxelinux.cfg/default'))?.includes(profileUrl));
    assert.ok((await boot.configAt('grub/grub.cfg'))?.includes(profileUrl));
    assert.ok((await boot.menuConfig(ipxeLoader)).includes(profileUrl));
    assert.ok((await boot.profileConfig(ipxeLoader, 'rhel9-base')).includes(profileUrl));
    // Without a key the server would hand out URLs that it then refuses: it says so instead.
    await assert.rejects(new BootFiles(inventory).configAt('pxelinux.cfg/01-52-54-00-00-00-09'), {
      code: 'E_UNAVAILABLE',
    });
  });

  it('serves the install config by MAC and by hex IP, and local boot once netboot is off', async (t) => {
    const { inventory, boot } = await setup(t);
    const byMac = await boot.configAt('pxelinux.cfg/01-52-54-00-00-00-09');
    assert.match(byMac ?? '', /KERNEL \/images\/rhel9\/vmlinuz/);
    assert.match(byMac ?? '', /inst\.ks=http:\/\/192\.0\.2\.1\/cblr\/svc\/op\/autoinstall\/system\/vm9/);
    assert.equal(await boot.configAt('pxelinux.cfg/C0000209'), byMac);
    await inventory.edit('system', 'vm9', { netboot_enabled: false });
    assert.match((await boot.configAt('pxelinux.cfg/01-52-54-00-00-00-09')) ?? '', /LOCALBOOT -1/);
    assert.match((await boot.configAt('grub/system/52:54:00:00:00:09')) ?? '', /exit 1/);
  });

  it('lets pxelinux fall through to the menu for unknown machines', async (t) => {
    const { boot } = await setup(t);
    assert.equal(await boot.configAt('pxelinux.cfg/01-52-54-00-99-99-99'), undefined);
    const menu = (await boot.configAt('pxelinux.cfg/default')) ?? '';
    assert.match(menu, /LABEL local/);
    assert.match(menu, /LABEL rhel9-base/);
    assert.match(menu, /autoinstall\/profile\/rhel9-base/);
  });

  it('boots a "default" system\'s profile on menu timeout and hides profiles with enable_menu off', async (t) => {
    const { inventory, boot } = await setup(t);
    await inventory.add('profile', { name: 'hidden', distro: 'rhel9', enable_menu: false });
    await inventory.add('system', { name: 'default', profile: 'rhel9-base' });
    const menu = (await boot.configAt('pxelinux.cfg/default')) ?? '';
    assert.match(menu, /ONTIMEOUT rhel9-base/);
    assert.doesNotMatch(menu, /hidden/);
  });

  it('answers the first boot request after an add among thousands of systems, with no sync step', async (t) => {
    const { store, inventory, boot } = await setup(t);
    await store.transaction(async (tx) => {
      const template = await tx.get('system', 'vm9');
      assert.ok(template);
      for (let i = 0; i < 10_000; i++) {
        const mac = `52:54:01:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
        await tx.put({
          ...template,
          name: `bulk${i}`,
          uid: `bulk${i}`,
          interfaces: {
            default: {
              ...(template.interfaces?.default as NonNullable<typeof template.interfaces>[string]),
              mac_address: mac,
              ip_address: '',
            },
          },
        });
      }
    });
    await inventory.add('system', { name: 'fresh', profile: 'rhel9-base', mac_address: '52:54:00:aa:bb:cc' });
    const config = await boot.configAt('pxelinux.cfg/01-52-54-00-aa-bb-cc');
    assert.match(config ?? '', /autoinstall\/system\/fresh/);
    assert.match(
      await boot.systemConfig(ipxeLoader, await inventory.get('system', 'fresh')),
      /^#!ipxe\nkernel http:\/\/192\.0\.2\.1\/cobbler\/images\/rhel9\/vmlinuz/,
    );
  });

  it('maps image paths to the distro files they name', async (t) => {
    const { boot } = await setup(t);
    assert.deepEqual(await boot.distroFile('rhel9', 'initrd.img'), {
      distro: 'rhel9',
      field: 'initrd',
      source: bootFiles.initrd,
    });
    assert.equal(await boot.distroFile('rhel9', 'passwd'), undefined);
    assert.equal(await boot.distroFile('nope', 'vmlinuz'), undefined);
  });
});
