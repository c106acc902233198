// What only the users file does: its format (comments kept, roles as a third field), its mode, and a cache that
// reads it again when it changes. What every user store does is in conformance/users.ts, run by conformance.test.ts.

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
import { setUserPassword, verifyPassword } from '../auth/password.js';
import { BootwrightError, type ErrorCode } from '../errors.js';
import { cachedUserEntries, readUserEntries, UsersFile } from './users-file.js';

const dir = mkdtempSync(join(tmpdir(), 'bootwright-users-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
const freshPath = () => join(dir, `users-${++fileCount}`);
const hashOf = (path: string, name: string) => readUserEntries(path).get(name)?.hash ?? '';

function isError(code: ErrorCode, text: string) {
  return (error: unknown) =>
    error instanceof BootwrightError && error.code === code && error.message.includes(text);
}

describe('users file', () => {
  it('adds users in an owner-only file whose hashes verify', async () => {
    const path = freshPath();
    const users = new UsersFile(path);
    await setUserPassword(users, 'alice', 'pw-a');
    await setUserPassword(users, 'bob@example.com', 'pw-b');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual([...(await users.entries()).keys()], ['alice', 'bob@example.com']);
    assert.equal(await verifyPassword('pw-a', hashOf(path, 'alice')), true);
    assert.equal(await verifyPassword('pw-b', hashOf(path, 'bob@example.com')), true);
  });

  it('replaces one password in place, keeping other users and comments, with no temporary file left', async () => {
    const path = freshPath();
    writeFileSync(path, '# admins\nalice:old-hash\n\nbob:bob-hash:readonly\n', { mode: 0o644 });
    await setUserPassword(new UsersFile(path), 'alice', 'new-pw');
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines[0], '# admins');
    assert.match(lines[1] ?? '', /^alice:scrypt\$/);
    assert.deepEqual(lines.slice(2), ['', 'bob:bob-hash:readonly', '']);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(await verifyPassword('new-pw', hashOf(path, 'alice')), true);
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.endsWith('.tmp')),
      [],
    );
  });

  it('stores roles, and keeps a read-only user read-only when only the password changes', async () => {
    const path = freshPath();
    const users = new UsersFile(path);
    await setUserPassword(users, 'viewer', 'pw1', 'readonly');
    assert.match(readFileSync(path, 'utf8'), /^viewer:scrypt\$[^:\n]+:readonly\n$/);
    await setUserPassword(users, 'viewer', 'pw2');
    assert.equal((await users.get('viewer'))?.role, 'readonly');
    await setUserPassword(users, 'viewer', 'pw3', 'admin');
    assert.equal((await users.get('viewer'))?.role, 'admin');
    assert.doesNotMatch(readFileSync(path, 'utf8'), /:admin/);
  });

  it('reads the file again for each change, by the CLI or by hand, and not otherwise', async () => {
    const path = freshPath();
    const current = cachedUserEntries(path);
    const users = new UsersFile(path);
    assert.deepEqual(current(), new Map());
    await setUserPassword(users, 'alice', 'pw-a');
    const first = current();
    assert.deepEqual([...first.keys()], ['alice']);
    // Unchanged file, same parse: the check on every request costs a stat.
    assert.equal(current(), first);
    await setUserPassword(users, 'alice', 'pw-a', 'readonly');
    assert.equal(current().get('alice')?.role, 'readonly');
    appendFileSync(path, 'bob:$scrypt$x\n');
    assert.deepEqual([...current().keys()], ['alice', 'bob']);
    await users.remove('alice');
    assert.deepEqual([...current().keys()], ['bob']);
    rmSync(path);
    assert.deepEqual(current(), new Map());
  });

  it('reports a malformed line by number without quoting it', () => {
    const path = freshPath();
    writeFileSync(path, 'alice:hash\nbob:secret-hash:superuser\n');
    assert.throws(
      () => readUserEntries(path),
      (error) => isError('E_INVALID', 'line 2')(error) && !(error as Error).message.includes('secret-hash'),
    );
  });
});
