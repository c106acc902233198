import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BootwrightError, type ErrorCode } from '../errors.js';
import { InMemoryTokenStore } from '../store/memory-token-store.js';
import { UsersFile } from '../store/users-file.js';
import { Authenticator, DIRECT_USER } from './authenticator.js';
import { setUserPassword } from './password.js';
import { TokenIssuer } from './tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'bootwright-authenticator-'));
const users = new UsersFile(join(dir, 'users'));
const sharedSecret = 'f'.repeat(64);
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => {
  await setUserPassword(users, 'alice', 'alice-pw');
  await setUserPassword(users, 'viewer', 'viewer-pw', 'readonly');
});

function setup(options: { maxFailuresPerMinute?: number; sharedSecret?: string } = {}) {
  const clock = { time: 1_000_000, now: () => clock.time };
  const tokens = new TokenIssuer({
    ttlSeconds: 3600,
    maxLifetimeSeconds: 43200,
    now: clock.now,
    store: new InMemoryTokenStore(),
  });
  const auth = new Authenticator({ users, sharedSecret, tokens, now: clock.now, ...options });
  return { clock, auth };
}

function isError(code: ErrorCode, message: string) {
  return (error: unknown) =>
    error instanceof BootwrightError && error.code === code && error.message === message;
}

const loginFailed = (user: string) =>
  isError('E_UNAUTHORIZED', `Login failed for user "${user}": wrong user name or password.`);

describe('Authenticator', () => {
  it('logs in a user from the users file as admin', async () => {
    const { auth } = setup();
    const token = await auth.login('alice', 'alice-pw', '10.0.0.1');
    assert.deepEqual(await auth.requireToken(token, 'write'), { user: 'alice', role: 'admin' });
  });

  it('refuses a wrong password, an unknown user and an empty password alike', async () => {
    const { auth } = setup();
    await assert.rejects(auth.login('alice', 'nope'), loginFailed('alice'));
    await assert.rejects(auth.login('mallory', 'alice-pw'), loginFailed('mallory'));
    await assert.rejects(auth.login('alice', ''), loginFailed('alice'));
  });

  it('sees users added after it started', async () => {
    const { auth } = setup();
    await assert.rejects(auth.login('carol', 'carol-pw'), loginFailed('carol'));
    await setUserPassword(users, 'carol', 'carol-pw');
    assert.equal((await auth.requireToken(await auth.login('carol', 'carol-pw'), 'write')).user, 'carol');
  });

  it('gives an admin token for "<DIRECT>" to an empty user name with the shared secret', async () => {
    const { auth } = setup();
    const token = await auth.login('', sharedSecret);
    assert.deepEqual(await auth.requireToken(token, 'write'), { user: DIRECT_USER, role: 'admin' });
    assert.equal(DIRECT_USER, '<DIRECT>');
    await assert.rejects(auth.login('', 'e'.repeat(64)), loginFailed(''));
    await assert.rejects(auth.login('', ''), loginFailed(''));
  });

  it('refuses the empty user name when no shared secret is set, even an empty one', async () => {
    for (const secret of [undefined, '']) {
      const { auth } = setup({ sharedSecret: secret });
      await assert.rejects(auth.login('', ''), loginFailed(''));
      await assert.rejects(auth.login('', sharedSecret), loginFailed(''));
    }
  });

  it('lets a read-only user read but not write', async () => {
    const { auth } = setup();
    const token = await auth.login('viewer', 'viewer-pw');
    assert.deepEqual(await auth.requireToken(token, 'read'), { user: 'viewer', role: 'readonly' });
    await assert.rejects(
      auth.requireToken(token, 'write'),
      isError('E_FORBIDDEN', 'User "viewer" may only read; log in as an admin user to make changes.'),
    );
  });

  it('refuses the token of a removed user and gives a demoted user only reads, at the next use', async () => {
    const { auth } = setup();
    await setUserPassword(users, 'dave', 'dave-pw');
    await setUserPassword(users, 'erin', 'erin-pw');
    const dave = await auth.login('dave', 'dave-pw');
    const erin = await auth.login('erin', 'erin-pw');
    assert.equal((await auth.requireToken(dave, 'write')).role, 'admin');
    assert.equal((await auth.requireToken(erin, 'write')).role, 'admin');

    await users.remove('dave');
    const removed = isError(
      'E_UNAUTHORIZED',
      'User "dave" of this login token has been removed; log in as another user.',
    );
    await assert.rejects(auth.requireToken(dave, 'read'), removed);
    // Forgotten, not only refused: adding a user of that name again does not bring the old token back.
    await setUserPassword(users, 'dave', 'dave-pw-2');
    await assert.rejects(auth.requireToken(dave, 'read'), {
      code: 'E_UNAUTHORIZED',
      message: /log in first/,
    });

    await setUserPassword(users, 'erin', 'erin-pw', 'readonly');
    await assert.rejects(auth.requireToken(erin, 'write'), { code: 'E_FORBIDDEN' });
    assert.deepEqual(await auth.requireToken(erin, 'read'), { user: 'erin', role: 'readonly' });
  });

  it('keeps the shared-secret user, who has no line in the users file, an admin', async () => {
    const { auth } = setup();
    const token = await auth.login('', sharedSecret);
    await setUserPassword(users, 'frank', 'frank-pw', 'readonly');
    assert.deepEqual(await auth.requireToken(token, 'write'), { user: DIRECT_USER, role: 'admin' });
  });

  it('ends a token at its maximum lifetime even when used all along', async () => {
    const { auth, clock } = setup();
    const token = await auth.login('alice', 'alice-pw');
    // Used every 50 minutes, well within the hour it may stay idle, for 11 h 40 min.
    for (let use = 1; use <= 14; use++) {
      clock.time += 3000_000;
      assert.equal((await auth.requireToken(token, 'write')).user, 'alice', `use ${use}`);
    }
    clock.time += 1200_000 - 1;
    assert.equal((await auth.requireToken(token, 'write')).user, 'alice', '1 ms before 12 h');
    clock.time += 1;
    await assert.rejects(auth.requireToken(token, 'read'), {
      code: 'E_UNAUTHORIZED',
      message: /log in first/,
    });
  });

  it('asks for a login when the token is missing, unknown or expired', async () => {
    const { auth, clock } = setup();
    const needsLogin = isError(
      'E_UNAUTHORIZED',
      'This change needs a valid login token; log in first (REST POST /api/v1/login or XML-RPC login) and send the token.',
    );
    await assert.rejects(auth.requireToken(undefined, 'read'), needsLogin);
    await assert.rejects(auth.requireToken('', 'read'), needsLogin);
    await assert.rejects(auth.requireToken('not-a-token', 'read'), needsLogin);
    const token = await auth.login('alice', 'alice-pw');
    clock.time += 3600_000;
    await assert.rejects(auth.requireToken(token, 'read'), needsLogin);
  });

  it('blocks a source at its 11th failure within a minute, even with the right password, until 60 s pass', async () => {
    const { auth, clock } = setup();
    const tooMany = isError(
      'E_UNAUTHORIZED',
      'Too many failed logins from "1.2.3.4"; wait a minute and try again.',
    );
    for (let i = 0; i < 10; i++) {
      clock.time += 1000;
      await assert.rejects(auth.login('alice', `guess${i}`, '1.2.3.4'), loginFailed('alice'));
    }
    await assert.rejects(auth.login('alice', 'guess10', '1.2.3.4'), tooMany);
    await assert.rejects(auth.login('alice', 'alice-pw', '1.2.3.4'), tooMany);
    // Other sources are not affected.
    assert.ok(await auth.login('alice', 'alice-pw', '5.6.7.8'));
    // The window slides: 60 s after the first failure one attempt is free again, and then blocked again.
    clock.time += 51_000;
    await assert.rejects(auth.login('alice', 'guess11', '1.2.3.4'), loginFailed('alice'));
    await assert.rejects(auth.login('alice', 'alice-pw', '1.2.3.4'), tooMany);
    // 60 s after the last failure, all is forgotten.
    clock.time += 60_000;
    assert.ok(await auth.login('alice', 'alice-pw', '1.2.3.4'));
    for (let i = 0; i < 10; i++)
      await assert.rejects(auth.login('alice', 'x', '1.2.3.4'), loginFailed('alice'));
    await assert.rejects(auth.login('alice', 'x', '1.2.3.4'), tooMany);
  });

  it('holds parallel guesses to the limit too', async () => {
    const { auth } = setup();
    const results = await Promise.allSettled(
      Array.from({ length: 15 }, (_, i) => auth.login('alice', `guess${i}`, '9.9.9.9')),
    );
    const messages = results.map((result) => (result.status === 'rejected' ? result.reason.message : 'ok'));
    assert.equal(messages.filter((message) => message.startsWith('Login failed')).length, 10);
    assert.equal(messages.filter((message) => message.startsWith('Too many')).length, 5);
  });

  it('does not count a successful login as a failure', async () => {
    const { auth } = setup({ maxFailuresPerMinute: 1 });
    for (let i = 0; i < 3; i++) assert.ok(await auth.login('alice', 'alice-pw', '7.7.7.7'));
    await assert.rejects(auth.login('alice', 'x', '7.7.7.7'), loginFailed('alice'));
    await assert.rejects(auth.login('alice', 'alice-pw', '7.7.7.7'), { message: /^Too many/ });
  });

  it('counts failures per user when the source is unknown, honouring a custom limit', async () => {
    const { auth, clock } = setup({ maxFailuresPerMinute: 2 });
    await assert.rejects(auth.login('alice', 'x'), loginFailed('alice'));
    await assert.rejects(auth.login('alice', 'y'), loginFailed('alice'));
    await assert.rejects(
      auth.login('alice', 'alice-pw'),
      isError('E_UNAUTHORIZED', 'Too many failed logins for user "alice"; wait a minute and try again.'),
    );
    assert.ok(await auth.login('viewer', 'viewer-pw'));
    clock.time += 60_000;
    assert.ok(await auth.login('alice', 'alice-pw'));
  });

  it('refuses a failure limit that is not a positive whole number', () => {
    for (const maxFailuresPerMinute of [0, 1.5, -3]) {
      assert.throws(() => setup({ maxFailuresPerMinute }), { code: 'E_INVALID' });
    }
  });
});
