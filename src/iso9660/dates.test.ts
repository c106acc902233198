import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLongDate, decodeRecordingDate } from './dates.js';

describe('decodeRecordingDate (ECMA-119 9.1.5)', () => {
  it('reads years since 1900 and applies the offset from GMT in quarter hours', () => {
    // 2024-01-02 03:04:05 at +02:00 is 01:04:05 UTC.
    assert.equal(decodeRecordingDate(Buffer.from([124, 1, 2, 3, 4, 5, 8]), 0), Date.UTC(2024, 0, 2, 1, 4, 5));
    // -05:00 (offset -20) is five hours later in UTC.
    assert.equal(
      decodeRecordingDate(Buffer.from([99, 12, 31, 23, 0, 0, 0xec]), 0),
      Date.UTC(2000, 0, 1, 4, 0, 0),
    );
  });

  it('reads an unset or impossible date as the epoch, and an impossible offset as GMT', () => {
    assert.equal(decodeRecordingDate(Buffer.alloc(7), 0), 0);
    assert.equal(decodeRecordingDate(Buffer.from([124, 13, 1, 0, 0, 0, 0]), 0), 0);
    assert.equal(decodeRecordingDate(Buffer.from([124, 1, 1, 24, 0, 0, 0]), 0), 0);
    assert.equal(decodeRecordingDate(Buffer.from([124, 1, 1, 0, 0, 0, 100]), 0), Date.UTC(2024, 0, 1));
    assert.equal(decodeRecordingDate(Buffer.from([124, 1, 1]), 0), 0);
  });
});

describe('decodeLongDate (ECMA-119 8.4.26.1)', () => {
  it('reads the 16 digits, hundredths included, and the offset byte', () => {
    const bytes = Buffer.concat([Buffer.from('2024010203040550'), Buffer.from([0xec])]);
    assert.equal(decodeLongDate(bytes, 0), Date.UTC(2024, 0, 2, 8, 4, 5, 500));
  });

  it('reads "not specified" (all zeros) and non-digits as the epoch', () => {
    assert.equal(decodeLongDate(Buffer.concat([Buffer.from('0000000000000000'), Buffer.from([0])]), 0), 0);
    assert.equal(decodeLongDate(Buffer.concat([Buffer.from('2024-1-02T030405'), Buffer.from([0])]), 0), 0);
    assert.equal(decodeLongDate(Buffer.alloc(17), 0), 0);
  });
});
