import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenIssuer } from './tokens.js';

function fakeClock() {
  const clock = { time: 1_000_000, now: () => clock.time };
  return clock;
}

describe('TokenIssuer', () => {
  it('issues distinct 32-byte base64url tokens that name their owner', () => {
    const tokens = new TokenIssuer({ ttlSeconds: 60, maxLifetimeSeconds: 3600 });
    const a = tokens.issue('alice', 'admin');
    const b = tokens.issue('bob', 'readonly');
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(a, 'base64url').length, 32);
    assert.notEqual(a, b);
    assert.deepEqual(tokens.check(a), { user: 'alice', role: 'admin' });
    assert.deepEqual(tokens.check(b), { user: 'bob', role: 'readonly' });
    assert.equal(tokens.check('made-up'), undefined);
  });

  it('expires a token ttl after issue and forgets it', () => {
    const clock = fakeClock();
    const tokens = new TokenIssuer({ ttlSeconds: 60, maxLifetimeSeconds: 3600, now: clock.now });
    const token = tokens.issue('alice', 'admin');
    clock.time += 59_999;
    assert.equal(tokens.check(token)?.user, 'alice');
    clock.time += 60_000;
    assert.equal(tokens.check(token), undefined);
    assert.equal(tokens.size, 0);
    clock.time -= 60_000; // even with the clock turned back, an expired token stays gone
    assert.equal(tokens.check(token), undefined);
  });

  it('extends the expiry on each successful check', () => {
    const clock = fakeClock();
    const tokens = new TokenIssuer({ ttlSeconds: 60, maxLifetimeSeconds: 3600, now: clock.now });
    const token = tokens.issue('alice', 'admin');
    for (let i = 0; i < 5; i++) {
      clock.time += 50_000;
      assert.equal(tokens.check(token)?.user, 'alice', `check ${i}`);
    }
    clock.time += 60_000;
    assert.equal(tokens.check(token), undefined);
  });

  it('ends a token its maximum lifetime after issue, however often it is used', () => {
    const clock = fakeClock();
    const tokens = new TokenIssuer({ ttlSeconds: 60, maxLifetimeSeconds: 300, now: clock.now });
    const token = tokens.issue('alice', 'admin');
    for (let i = 0; i < 5; i++) {
      clock.time += 50_000;
      assert.equal(tokens.check(token)?.user, 'alice', `check ${i}`);
    }
    // 250 s after issue: the sliding expiry would reach 310 s, the absolute end stops it at 300 s.
    clock.time += 49_999;
    assert.equal(tokens.check(token)?.user, 'alice');
    clock.time += 1;
    assert.equal(tokens.check(token), undefined);
    // A new login starts a new lifetime.
    const renewed = tokens.issue('alice', 'admin');
    clock.time += 59_999;
    assert.equal(tokens.check(renewed)?.user, 'alice');
  });

  it('revokes a token once', () => {
    const tokens = new TokenIssuer({ ttlSeconds: 60, maxLifetimeSeconds: 3600 });
    const token = tokens.issue('alice', 'admin');
    assert.equal(tokens.revoke(token), true);
    assert.equal(tokens.check(token), undefined);
    assert.equal(tokens.revoke(token), false);
  });

  it('drops expired tokens when issuing, keeping refreshed ones', () => {
    const clock = fakeClock();
    const tokens = new TokenIssuer({ ttlSeconds: 60, maxLifetimeSeconds: 3600, now: clock.now });
    const kept = tokens.issue('kept', 'admin');
    for (let i = 0; i < 100; i++) tokens.issue(`user${i}`, 'readonly');
    clock.time += 30_000;
    tokens.check(kept);
    clock.time += 40_000;
    tokens.issue('new', 'admin');
    assert.equal(tokens.size, 2);
    assert.equal(tokens.check(kept)?.user, 'kept');
  });

  it('refuses a lifetime or maximum lifetime that is not positive', () => {
    for (const seconds of [0, -1, Number.NaN]) {
      assert.throws(() => new TokenIssuer({ ttlSeconds: seconds, maxLifetimeSeconds: 3600 }), {
        code: 'E_INVALID',
      });
      assert.throws(() => new TokenIssuer({ ttlSeconds: 60, maxLifetimeSeconds: seconds }), {
        code: 'E_INVALID',
        message: /^Token maximum lifetime /,
      });
    }
  });
});
