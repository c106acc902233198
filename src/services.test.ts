import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tempDir } from '../test/support/temp-dir.js';
import { dataPaths } from './config/paths.js';
import { openServices } from './services.js';
import { openStore } from './store/open-store.js';

describe('the composition root', () => {
  it('builds the services on the data directory store and stops them once, the event bus before the store', async (t) => {
    const dataDir = tempDir(t);
    const services = await openServices({ dataDir, triggers: false });
    assert.equal(services.leases, undefined, 'no leases while dhcp_mode is off');
    await services.inventory.setSetting('server', '192.0.2.1');
    services.events.publish({ type: 'install.post', system: 'vm9' });
    await services.close();
    await services.close();
    const store = openStore(dataPaths(dataDir).storeUrl);
    t.after(() => store.close());
    assert.deepEqual(await store.settingOverrides(), { server: '192.0.2.1' });
    assert.deepEqual(
      (await store.events.query({})).map((event) => `${event.type} ${event.system}`),
      ['install.post vm9'],
    );
  });

  it('refuses a store URL no backend answers to, naming it', async (t) => {
    await assert.rejects(
      openServices({ dataDir: tempDir(t), storeUrl: 'postgres://db.example/bootwright' }),
      {
        code: 'E_USAGE',
        message:
          /^Store URL "postgres:\/\/db\.example\/bootwright" names no backend this bootwright has; write sqlite:PATH/,
      },
    );
  });
});
