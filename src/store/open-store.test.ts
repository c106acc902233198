import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { openStore, storeBackend } from './open-store.js';

describe('store URLs', () => {
  it('opens the SQLite store a sqlite: URL names', async (context) => {
    const store = openStore(`sqlite:${join(tempDir(context), 'data', 'store.sqlite')}`);
    context.after(() => store.close());
    await store.transaction((tx) => tx.setSetting('server', 'boot.example'));
    assert.deepEqual(await store.settingOverrides(), { server: 'boot.example' });
  });

  it('names the value and the form to write when no backend answers to it', () => {
    for (const url of ['postgres://db.example/bootwright', '/var/lib/bootwright/store.sqlite', '']) {
      assert.throws(() => storeBackend(url), {
        code: 'E_USAGE',
        message: `Store URL ${JSON.stringify(url)} names no backend this bootwright has; write sqlite:PATH (for example sqlite:/var/lib/bootwright/store.sqlite).`,
      });
    }
    assert.throws(() => storeBackend('sqlite:'), {
      code: 'E_USAGE',
      message: 'Store URL "sqlite:" names no file; write sqlite:PATH.',
    });
  });
});
