// What every user store does, whatever keeps the users: run by conformance.test.ts against each backend. The
// authenticator reads them at each login and each use of a token; `bootwright user` writes them.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { BootwrightError, type ErrorCode } from '../../errors.js';
import type { UserStore } from '../user-store.js';

function isError(code: ErrorCode, text: string) {
  return (error: unknown) =>
    error instanceof BootwrightError && error.code === code && error.message.includes(text);
}

/** Registers the user store's tests; `open` gives a store without users for each. */
export function userStoreConformance(
  name: string,
  open: (context: TestContext) => UserStore | Promise<UserStore>,
): void {
  describe(`${name}: users`, () => {
    it('has no users before the first is added', async (context) => {
      const users = await open(context);
      assert.deepEqual(await users.entries(), new Map());
      assert.equal(await users.get('alice'), undefined);
    });

    it('adds users as admins, keeping their hashes as given, in the order they came', async (context) => {
      const users = await open(context);
      assert.equal(await users.set('alice', 'hash-a'), 'admin');
      assert.equal(await users.set('bob@example.com', 'hash-b'), 'admin');
      assert.deepEqual(
        await users.entries(),
        new Map([
          ['alice', { hash: 'hash-a', role: 'admin' }],
          ['bob@example.com', { hash: 'hash-b', role: 'admin' }],
        ]),
      );
      assert.deepEqual(await users.get('bob@example.com'), { hash: 'hash-b', role: 'admin' });
    });

    it('stores roles, and keeps a read-only user read-only when only the password changes', async (context) => {
      const users = await open(context);
      await users.set('viewer', 'hash-1', 'readonly');
      assert.deepEqual(await users.get('viewer'), { hash: 'hash-1', role: 'readonly' });
      assert.equal(await users.set('viewer', 'hash-2'), 'readonly');
      assert.deepEqual(await users.get('viewer'), { hash: 'hash-2', role: 'readonly' });
      assert.equal(await users.set('viewer', 'hash-3', 'admin'), 'admin');
      assert.equal((await users.get('viewer'))?.role, 'admin');
      assert.deepEqual([...(await users.entries()).keys()], ['viewer'], 'a changed user is not added twice');
    });

    it('removes a user and reports one that is not there', async (context) => {
      const users = await open(context);
      await users.set('alice', 'a');
      await users.set('bob', 'b');
      await users.remove('alice');
      assert.deepEqual([...(await users.entries()).keys()], ['bob']);
      assert.equal(await users.get('alice'), undefined);
      await assert.rejects(users.remove('alice'), isError('E_NOT_FOUND', '"alice"'));
    });

    it('refuses user names outside [A-Za-z0-9_.@-], quoting the name', async (context) => {
      const users = await open(context);
      for (const name of ['', 'a:b', 'a b', 'a\nb', '<DIRECT>']) {
        await assert.rejects(users.set(name, 'hash'), isError('E_INVALID', JSON.stringify(name)));
        await assert.rejects(users.remove(name), isError('E_INVALID', JSON.stringify(name)));
      }
      assert.deepEqual(await users.entries(), new Map());
    });
  });
}
