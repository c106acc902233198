import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureSharedSecret, readSharedSecret } from './shared-secret.js';

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
});
