import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { writePrivateFile } from './_private-file.js';

const dir = mkdtempSync(join(tmpdir(), 'bootwright-private-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('writePrivateFile', () => {
  it('replaces a file with an owner-only one and leaves no temporary file', () => {
    const path = join(dir, 'replace');
    writeFileSync(path, 'old', { mode: 0o644 });
    assert.equal(writePrivateFile(path, 'new', { replace: true }), true);
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['replace']);
  });

  it('keeps an existing file when told not to replace it', () => {
    const path = join(dir, 'create');
    assert.equal(writePrivateFile(path, 'first', { replace: false }), true);
    assert.equal(writePrivateFile(path, 'second', { replace: false }), false);
    assert.equal(readFileSync(path, 'utf8'), 'first');
    assert.deepEqual(readdirSync(dir).sort(), ['create', 'replace']);
  });

  it('names the missing directory', () => {
    assert.throws(
      () => writePrivateFile(join(dir, 'nope', 'file'), 'x', { replace: true }),
      (error) =>
        error instanceof BootwrightError && error.code === 'E_NOT_FOUND' && error.message.includes('nope'),
    );
  });
});
