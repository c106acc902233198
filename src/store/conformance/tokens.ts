// What every token store does, whatever keeps the sessions: run by conformance.test.ts against each backend and the
// in-memory store. The rules of a token's life are auth/tokens.ts's; these are what it relies on.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { TokenSession, TokenStore } from '../token-store.js';

const session = (overrides: Partial<TokenSession> = {}): TokenSession => ({
  user: 'alice',
  role: 'admin',
  expiresAt: 2000,
  endsAt: 5000,
  ...overrides,
});

/** Registers the token store's tests; `open` gives an empty store for each. */
export function tokenStoreConformance(
  name: string,
  open: (context: TestContext) => TokenStore | Promise<TokenStore>,
): void {
  describe(`${name}: tokens`, () => {
    it('gives back each session under its token, and nothing for another', async (context) => {
      const tokens = await open(context);
      await tokens.put('token-a', session());
      await tokens.put('token-b', session({ user: 'bob', role: 'readonly' }));
      assert.deepEqual(await tokens.get('token-a'), session());
      assert.deepEqual(await tokens.get('token-b'), session({ user: 'bob', role: 'readonly' }));
      assert.equal(await tokens.get('made-up'), undefined);
      assert.equal(await tokens.count(), 2);
    });

    it('hands out copies, not its own records', async (context) => {
      const tokens = await open(context);
      await tokens.put('token-a', session());
      const read = await tokens.get('token-a');
      assert.ok(read);
      read.expiresAt = 9999;
      assert.equal((await tokens.get('token-a'))?.expiresAt, 2000);
    });

    it('moves the expiry of a held session, and does not bring back a forgotten one', async (context) => {
      const tokens = await open(context);
      await tokens.put('token-a', session());
      await tokens.extend('token-a', 3000);
      assert.deepEqual(await tokens.get('token-a'), session({ expiresAt: 3000 }));
      await tokens.extend('made-up', 3000);
      assert.equal(await tokens.get('made-up'), undefined);
      assert.equal(await tokens.count(), 1);
    });

    it('forgets a token once', async (context) => {
      const tokens = await open(context);
      await tokens.put('token-a', session());
      assert.equal(await tokens.delete('token-a'), true);
      assert.equal(await tokens.get('token-a'), undefined);
      assert.equal(await tokens.delete('token-a'), false);
      assert.equal(await tokens.count(), 0);
    });

    it('forgets every session expired by a time, wherever it was put, and keeps the others', async (context) => {
      const tokens = await open(context);
      await tokens.put('late', session({ expiresAt: 4000 }));
      await tokens.put('due', session({ expiresAt: 2000 }));
      await tokens.put('early', session({ expiresAt: 1000 }));
      await tokens.put('moved', session({ expiresAt: 1000 }));
      await tokens.extend('moved', 3000);
      assert.equal(await tokens.deleteExpired(2000), 2);
      assert.equal(await tokens.get('due'), undefined, 'expired at the very time');
      assert.equal(await tokens.get('early'), undefined);
      assert.equal((await tokens.get('moved'))?.expiresAt, 3000);
      assert.equal((await tokens.get('late'))?.expiresAt, 4000);
      assert.equal(await tokens.count(), 2);
      assert.equal(await tokens.deleteExpired(2000), 0);
    });
  });
}
