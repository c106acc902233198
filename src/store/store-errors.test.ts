import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { settled, storeFailure } from './store-errors.js';

const sqliteError = (code: string) => Object.assign(new Error('SQLite said no'), { code });

describe('store failures', () => {
  it('says what to do about a fault of the machine under SQLite, extended codes included', () => {
    for (const [code, sentence] of [
      ['SQLITE_BUSY', /^The store is locked by another process .*retry when it is done\.$/],
      [
        'SQLITE_FULL',
        /^The disk holding the store is full, so nothing was written; free some space and retry\.$/,
      ],
      ['SQLITE_IOERR_WRITE', /^The disk holding the store failed a read or write/],
      ['SQLITE_NOTADB', /^The store file is not a SQLite database; point --data-dir at/],
    ] as const) {
      const failure = storeFailure(sqliteError(code));
      assert.ok(failure instanceof BootwrightError, code);
      assert.equal(failure.code, 'E_UNAVAILABLE');
      assert.match(failure.message, sentence);
    }
  });

  it('passes on what is not a fault of the machine, unchanged', () => {
    const constraint = sqliteError('SQLITE_CONSTRAINT_UNIQUE');
    assert.equal(storeFailure(constraint), constraint);
    const notFound = new BootwrightError('E_NOT_FOUND', 'No such thing.');
    assert.equal(storeFailure(notFound), notFound);
    const plain = new Error('bug');
    assert.equal(storeFailure(plain), plain);
  });

  it('turns a driver call into a promise, its failure reported', async () => {
    assert.equal(await settled(() => 42), 42);
    await assert.rejects(
      settled(() => {
        throw sqliteError('SQLITE_BUSY_SNAPSHOT');
      }),
      { code: 'E_UNAVAILABLE', message: /locked by another process/ },
    );
  });
});
