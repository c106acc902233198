import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureSharedSecret, mayReceiveSharedSecret, readSharedSecret } from './shared-secret.js';

const dir = mkdtempSync(join(tmpdir(), 'bootwright-secret-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('shared secret', () => {
  it('is created once, owner-only, as 64 hex digits, and read back the same', () => {
    const path = join(dir, 'web.ss');
    assert.equal(readSharedSecret(path), undefined);
    const secret = ensureSharedSecret(path);
    assert.match(secret, /^[0-9a-f]{64}$/);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(ensureSharedSecret(path), secret);
    assert.equal(readSharedSecret(path), secret);
    assert.equal(readFileSync(path, 'utf8').trim(), secret);
  });

  it('keeps a secret written by someone else', () => {
    const path = join(dir, 'given');
    writeFileSync(path, 'abc123\n', { mode: 0o600 });
    assert.equal(ensureSharedSecret(path), 'abc123');
  });

  it('treats a blank file as no secret and refuses to use it', () => {
    const path = join(dir, 'blank');
    writeFileSync(path, '\n');
    assert.equal(readSharedSecret(path), undefined);
    assert.throws(() => ensureSharedSecret(path), { code: 'E_INVALID' });
  });

  it('goes only to a server named by a loopback address, in any spelling the URL parser accepts', () => {
    const allowed = (text: string) => mayReceiveSharedSecret(new URL(text));
    for (const local of [
      'http://127.0.0.1:8080',
      'http://127.8.9.10',
      'http://127.1',
      'http://0x7f000001',
      'https://localhost:8443',
      'http://LOCALHOST',
      'http://[::1]:80',
      'http://[0:0:0:0:0:0:0:1]',
      'http://[::ffff:127.0.0.1]',
    ]) {
      assert.equal(allowed(local), true, local);
    }
    for (const other of [
      'http://192.0.2.1',
      'https://boot.example.org',
      'http://128.0.0.1',
      'http://0.0.0.0',
      'http://[::]',
      'http://[::2]',
      'http://[::ffff:192.0.2.1]',
      'http://127.0.0.1.example.org',
      'http://localhost.example.org',
      'http://localhost.',
      'http://user@192.0.2.1',
    ]) {
      assert.equal(allowed(other), false, other);
    }
  });
});
