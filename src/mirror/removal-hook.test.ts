import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { BootwrightError } from '../errors.js';
import type { InventoryHooks } from '../inventory/hooks.js';
import { Inventory } from '../inventory/inventory.js';
import { openStore } from '../store/open-store.js';
import type { EventInput } from '../store/store.js';
import { allHooks, mirrorRemovalHook } from './removal-hook.js';

function setup(t: TestContext, refuse?: InventoryHooks) {
  const store = openStore(`sqlite:${join(tempDir(t), 'store.db')}`);
  t.after(() => store.close());
  const removed: string[] = [];
  const events: EventInput[] = [];
  const mirrors = {
    remove: async (name: string) => {
      removed.push(name);
      return name === 'epel' ? 4096 : 0;
    },
  };
  const inventory = new Inventory(
    store,
    allHooks([refuse, mirrorRemovalHook(mirrors, (event) => events.push(event))]),
  );
  return { inventory, removed, events };
}

describe('removing a repo frees its mirror', () => {
  it('after the removal commits, with the bytes freed on the timeline', async (t) => {
    const { inventory, removed, events } = setup(t);
    await inventory.add('repo', { name: 'epel', mirror: 'http://192.0.2.1/epel/' });
    await inventory.add('repo', { name: 'other', mirror: 'http://192.0.2.1/other/' });
    await inventory.edit('repo', 'epel', { comment: 'changed' });
    assert.deepEqual(removed, [], 'an edit keeps the mirror');
    await inventory.remove('repo', 'epel');
    assert.deepEqual(removed, ['epel']);
    assert.deepEqual(events, [{ type: 'mirror.removed', detail: { repo: 'epel', bytes: 4096 } }]);
    await assert.rejects(inventory.remove('repo', 'nosuch'));
    assert.deepEqual(removed, ['epel'], 'a refused removal frees nothing');
  });

  it('not when another hook refuses the removal and it is rolled back', async (t) => {
    const refuse: InventoryHooks = {
      beforeChange: async (change) => {
        if (change.action === 'remove')
          throw new BootwrightError('E_INVALID', 'a pre-delete trigger said no');
      },
      afterChange: async () => {},
    };
    const { inventory, removed } = setup(t, refuse);
    await inventory.add('repo', { name: 'epel', mirror: 'http://192.0.2.1/epel/' });
    await assert.rejects(inventory.remove('repo', 'epel'), /pre-delete trigger said no/);
    assert.deepEqual(removed, []);
    assert.ok(await inventory.find('repo', 'epel'));
  });
});
