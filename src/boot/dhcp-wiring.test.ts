import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { serveTestRoots } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { Inventory } from '../inventory/inventory.js';
import { openStore } from '../store/open-store.js';
import { InventoryDhcpDirectory } from './dhcp-wiring.js';

const MAC = '52:54:00:d4:c9:01';

/** The DHCP server's inventory, and a second connection to the same store file, as a CLI run beside serve has. */
async function setup(t: TestContext) {
  const path = `${tempDir(t)}/store.sqlite`;
  const store = openStore(`sqlite:${path}`);
  t.after(() => store.close());
  const inventory = new Inventory(store);
  await serveTestRoots(inventory);
  const bootFiles = sharedBootFiles();
  await inventory.add('distro', { name: 'd', kernel: bootFiles.kernel, initrd: bootFiles.initrd });
  await inventory.add('profile', { name: 'p', distro: 'd' });
  const other = openStore(`sqlite:${path}`);
  t.after(() => other.close());
  return { directory: new InventoryDhcpDirectory(inventory), inventory, cli: new Inventory(other) };
}

/** The server reads the inventory version once per turn of the event loop; the next request comes in a later one. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("DHCP's view of the inventory", () => {
  it('sees a machine added, changed or removed from its next request on, by this process or another', async (t) => {
    const { directory, inventory, cli } = await setup(t);
    assert.equal(await directory.hostByMac(MAC), undefined, 'an unknown machine has no host');
    assert.deepEqual(await directory.reservedAddresses(), new Set());

    await cli.add('system', { name: 'vm1', profile: 'p', mac_address: MAC, ip_address: '192.0.2.41' });
    await nextTurn();
    assert.deepEqual(await directory.hostByMac(MAC), {
      name: 'vm1',
      ipAddress: '192.0.2.41',
      netbootEnabled: true,
    });
    assert.deepEqual(await directory.reservedAddresses(), new Set(['192.0.2.41']));

    await inventory.edit('system', 'vm1', { netboot_enabled: false });
    assert.equal(
      (await directory.hostByMac(MAC))?.netbootEnabled,
      false,
      'netboot turned off is seen at once',
    );

    await cli.remove('system', 'vm1');
    await nextTurn();
    assert.equal(await directory.hostByMac(MAC), undefined, 'a removed machine is unknown again');
    assert.deepEqual(await directory.reservedAddresses(), new Set());
  });
});
