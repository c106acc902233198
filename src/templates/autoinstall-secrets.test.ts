import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { AutoinstallSecrets, deriveAutoinstallSecret } from './autoinstall-secrets.js';

describe('autoinstall secrets', () => {
  it('derives 128 bits per object, different for each name and kind, the same for every process', () => {
    const vm9 = deriveAutoinstallSecret('key', { kind: 'system', name: 'vm9' });
    assert.match(vm9, /^[0-9a-f]{32}$/);
    assert.equal(deriveAutoinstallSecret('key', { kind: 'system', name: 'vm9' }), vm9);
    assert.notEqual(deriveAutoinstallSecret('key', { kind: 'system', name: 'vm10' }), vm9);
    assert.notEqual(deriveAutoinstallSecret('key', { kind: 'profile', name: 'vm9' }), vm9);
    assert.notEqual(deriveAutoinstallSecret('other key', { kind: 'system', name: 'vm9' }), vm9);
  });

  it('makes its key file owner-only on first use and keeps it, so secrets survive a restart', (t) => {
    const keyPath = join(tempDir(t), 'autoinstall.key');
    const vm9 = new AutoinstallSecrets(keyPath).secretFor({ kind: 'system', name: 'vm9' });
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    assert.equal(
      vm9,
      deriveAutoinstallSecret(readFileSync(keyPath, 'utf8').trim(), { kind: 'system', name: 'vm9' }),
    );
    assert.equal(new AutoinstallSecrets(keyPath).secretFor({ kind: 'system', name: 'vm9' }), vm9);
  });

  it("accepts only the object's own secret", (t) => {
    const secrets = new AutoinstallSecrets(join(tempDir(t), 'autoinstall.key'));
    const vm9 = { kind: 'system', name: 'vm9' } as const;
    const own = secrets.secretFor(vm9);
    assert.equal(secrets.matches(vm9, own), true);
    assert.equal(secrets.matches(vm9, own.toUpperCase()), true);
    assert.equal(secrets.matches(vm9, undefined), false);
    assert.equal(secrets.matches(vm9, ''), false);
    assert.equal(secrets.matches(vm9, own.slice(0, 31)), false);
    assert.equal(secrets.matches(vm9, `${own}0`), false);
    assert.equal(secrets.matches(vm9, secrets.secretFor({ kind: 'system', name: 'vm10' })), false);
    assert.equal(secrets.matches(vm9, secrets.secretFor({ kind: 'profile', name: 'vm9' })), false);
  });
});
