import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryTokenStore } from '../store/memory-token-store.js';
import { TokenIssuer } from './tokens.js';

function fakeClock() {
  const clock = { time: 1_000_000, now: () => clock.time };
  return clock;
}

describe('TokenIssuer', () => {
  it('issues distinct 32-byte base64url tokens that name their owner', async () => {
    const tokens = new TokenIssuer({
      ttlSeconds: 60,
      maxLifetimeSeconds: 3600,
      store: new InMemoryTokenStore(),
    });
    const a = await tokens.issue('alice', 'admin');
    const b = await tokens.issue('bob', 'readonly');
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(a, 'base64url').length, 32);
    assert.notEqual(a, b);
    assert.deepEqual(await tokens.check(a), { user: 'alice', role: 'admin' });
    assert.deepEqual(await tokens.check(b), { user: 'bob', role: 'readonly' });
    assert.equal(await tokens.check('made-up'), undefined);
  });

  it('expires a token ttl after issue and forgets it', async () => {
    const clock = fakeClock();
    const tokens = new TokenIssuer({
      ttlSeconds: 60,
      maxLifetimeSeconds: 3600,
      now: clock.now,
      store: new InMemoryTokenStore(),
    });
    const token = await tokens.issue('alice', 'admin');
    clock.time += 59_999;
    assert.equal((await tokens.check(token))?.user, 'alice');
    clock.time += 60_000;
    assert.equal(await tokens.check(token), undefined);
    assert.equal(await tokens.count(), 0);
    clock.time -= 60_000; // even with the clock turned back, an expired token stays gone
    assert.equal(await tokens.check(token), undefined);
  });

  it('extends the expiry on each successful check', async () => {
    const clock = fakeClock();
    const tokens = new TokenIssuer({
      ttlSeconds: 60,
      maxLifetimeSeconds: 3600,
      now: clock.now,
      store: new InMemoryTokenStore(),
    });
    const token = await tokens.issue('alice', 'admin');
    for (let i = 0; i < 5; i++) {
      clock.time += 50_000;
      assert.equal((await tokens.check(token))?.user, 'alice', `check ${i}`);
    }
    clock.time += 60_000;
    assert.equal(await tokens.check(token), undefined);
  });

  it('ends a token its maximum lifetime after issue, however often it is used', async () => {
    const clock = fakeClock();
    const tokens = new TokenIssuer({
      ttlSeconds: 60,
      maxLifetimeSeconds: 300,
      now: clock.now,
      store: new InMemoryTokenStore(),
    });
    const token = await tokens.issue('alice', 'admin');
    for (let i = 0; i < 5; i++) {
      clock.time += 50_000;
      assert.equal((await tokens.check(token))?.user, 'alice', `check ${i}`);
    }
    // 250 s after issue: the sliding expiry would reach 310 s, the absolute end stops it at 300 s.
    clock.time += 49_999;
    assert.equal((await tokens.check(token))?.user, 'alice');
    clock.time += 1;
    assert.equal(await tokens.check(token), undefined);
    // A new login starts a new lifetime.
    const renewed = await tokens.issue('alice', 'admin');
    clock.time += 59_999;
    assert.equal((await tokens.check(renewed))?.user, 'alice');
  });

  it('revokes a token once', async () => {
    const tokens = new TokenIssuer({
      ttlSeconds: 60,
      maxLifetimeSeconds: 3600,
      store: new InMemoryTokenStore(),
    });
    const token = await tokens.issue('alice', 'admin');
    assert.equal(await tokens.revoke(token), true);
    assert.equal(await tokens.check(token), undefined);
    assert.equal(await tokens.revoke(token), false);
  });

  it('drops expired tokens when issuing, keeping refreshed ones', async () => {
    const clock = fakeClock();
    const tokens = new TokenIssuer({
      ttlSeconds: 60,
      maxLifetimeSeconds: 3600,
      now: clock.now,
      store: new InMemoryTokenStore(),
    });
    const kept = await tokens.issue('kept', 'admin');
    for (let i = 0; i < 100; i++) await tokens.issue(`user${i}`, 'readonly');
    clock.time += 30_000;
    await tokens.check(kept);
    clock.time += 40_000;
    await tokens.issue('new', 'admin');
    assert.equal(await tokens.count(), 2);
    assert.equal((await tokens.check(kept))?.user, 'kept');
  });

  it('refuses a lifetime or maximum lifetime that is not positive', () => {
    for (const seconds of [0, -1, Number.NaN]) {
      assert.throws(
        () =>
          new TokenIssuer({ ttlSeconds: seconds, maxLifetimeSeconds: 3600, store: new InMemoryTokenStore() }),
        {
          code: 'E_INVALID',
        },
      );
      assert.throws(
        () =>
          new TokenIssuer({ ttlSeconds: 60, maxLifetimeSeconds: seconds, store: new InMemoryTokenStore() }),
        {
          code: 'E_INVALID',
          message: /^Token maximum lifetime /,
        },
      );
    }
  });
});
