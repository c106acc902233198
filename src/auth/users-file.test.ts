import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BootwrightError, type ErrorCode } from '../errors.js';
import { verifyPassword } from './password.js';
import { cachedUserEntries, readUserEntries, readUsers, removeUser, setUserPassword } from './users-file.js';

const dir = mkdtempSync(join(tmpdir(), 'bootwright-users-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
const freshPath = () => join(dir, `users-${++fileCount}`);

function isError(code: ErrorCode, text: string) {
  return (error: unknown) =>
    error instanceof BootwrightError && error.code === code && error.message.includes(text);
}

describe('users file', () => {
  it('reads a missing file as no users', () => {
    assert.deepEqual(readUsers(join(dir, 'missing')), new Map());
  });

  it('adds users in an owner-only file whose hashes verify', async () => {
    const path = freshPath();
    await setUserPassword(path, 'alice', 'pw-a');
    await setUserPassword(path, 'bob@example.com', 'pw-b');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const users = readUsers(path);
    assert.deepEqual([...users.keys()], ['alice', 'bob@example.com']);
    assert.equal(await verifyPassword('pw-a', users.get('alice') ?? ''), true);
    assert.equal(await verifyPassword('pw-b', users.get('bob@example.com') ?? ''), true);
  });

  it('replaces one password in place, keeping other users and comments, with no temporary file left', async () => {
    const path = freshPath();
    writeFileSync(path, '# admins\nalice:old-hash\n\nbob:bob-hash:readonly\n', { mode: 0o644 });
    await setUserPassword(path, 'alice', 'new-pw');
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines[0], '# admins');
    assert.match(lines[1] ?? '', /^alice:scrypt\$/);
    assert.deepEqual(lines.slice(2), ['', 'bob:bob-hash:readonly', '']);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(await verifyPassword('new-pw', readUsers(path).get('alice') ?? ''), true);
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.endsWith('.tmp')),
      [],
    );
  });

  it('stores roles, and keeps a read-only user read-only when only the password changes', async () => {
    const path = freshPath();
    await setUserPassword(path, 'viewer', 'pw1', 'readonly');
    assert.match(readFileSync(path, 'utf8'), /^viewer:scrypt\$[^:\n]+:readonly\n$/);
    await setUserPassword(path, 'viewer', 'pw2');
    assert.equal(readUserEntries(path).get('viewer')?.role, 'readonly');
    await setUserPassword(path, 'viewer', 'pw3', 'admin');
    assert.equal(readUserEntries(path).get('viewer')?.role, 'admin');
    assert.doesNotMatch(readFileSync(path, 'utf8'), /:admin/);
  });

  it('removes a user and reports one that is not there', async () => {
    const path = freshPath();
    await setUserPassword(path, 'alice', 'a');
    await setUserPassword(path, 'bob', 'b');
    removeUser(path, 'alice');
    assert.deepEqual([...readUsers(path).keys()], ['bob']);
    assert.throws(() => removeUser(path, 'alice'), isError('E_NOT_FOUND', '"alice"'));
  });

  it('refuses user names outside [A-Za-z0-9_.@-], quoting the name', async () => {
    const path = freshPath();
    for (const name of ['', 'a:b', 'a b', 'a\nb', '<DIRECT>']) {
      await assert.rejects(setUserPassword(path, name, 'pw'), isError('E_INVALID', JSON.stringify(name)));
      assert.throws(() => removeUser(path, name), isError('E_INVALID', JSON.stringify(name)));
    }
  });

  it('reads the file again for each change, by the CLI or by hand, and not otherwise', async () => {
    const path = freshPath();
    const current = cachedUserEntries(path);
    assert.deepEqual(current(), new Map());
    await setUserPassword(path, 'alice', 'pw-a');
    const first = current();
    assert.deepEqual([...first.keys()], ['alice']);
    // Unchanged file, same parse: the check on every request costs a stat.
    assert.equal(current(), first);
    await setUserPassword(path, 'alice', 'pw-a', 'readonly');
    assert.equal(current().get('alice')?.role, 'readonly');
    appendFileSync(path, 'bob:$scrypt$x\n');
    assert.deepEqual([...current().keys()], ['alice', 'bob']);
    removeUser(path, 'alice');
    assert.deepEqual([...current().keys()], ['bob']);
    rmSync(path);
    assert.deepEqual(current(), new Map());
  });

  it('reports a malformed line by number without quoting it', () => {
    const path = freshPath();
    writeFileSync(path, 'alice:hash\nbob:secret-hash:superuser\n');
    assert.throws(
      () => readUsers(path),
      (error) => isError('E_INVALID', 'line 2')(error) && !(error as Error).message.includes('secret-hash'),
    );
  });
});
