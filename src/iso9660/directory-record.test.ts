import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import {
  directoryRecords,
  fileFlags,
  isoFileName,
  isSelf,
  isSelfOrParent,
  parseDirectoryRecord,
  recordExtents,
} from './directory-record.js';
import { directoryRecordBytes } from './records.fixture.js';

function assertCorrupt(work: () => unknown, pattern: RegExp): void {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof BootwrightError);
    assert.equal(error.code, 'E_INVALID');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('parseDirectoryRecord (ECMA-119 9.1)', () => {
  it('reads the fields, and finds the system use field after the padding byte of an even-length name', () => {
    const systemUse = Buffer.from('PX\x04\x01');
    const bytes = directoryRecordBytes({
      identifier: 'VMLINUZ.;1',
      lba: 1234,
      dataLength: 70_000,
      flags: fileFlags.multiExtent,
      extendedAttributeLength: 2,
      systemUse,
    });
    const record = parseDirectoryRecord(bytes, 0, 'directory "/" (block 20)');
    assert.equal(record.extentLba, 1234);
    assert.equal(record.dataLength, 70_000);
    assert.equal(record.flags, fileFlags.multiExtent);
    assert.equal(record.extendedAttributeLength, 2);
    assert.equal(record.identifier.toString(), 'VMLINUZ.;1');
    assert.deepEqual(record.systemUse.subarray(0, 4), systemUse);
    assert.equal(record.recordedMs, Date.UTC(2024, 0, 2, 3, 4, 5));
  });

  it('refuses records too short, too long for the directory, or too short for their name', () => {
    const where = 'directory "/images" (block 25)';
    assertCorrupt(
      () => parseDirectoryRecord(Buffer.from([20, ...Buffer.alloc(40)]), 0, where),
      /^Cannot read ISO 9660 data: directory "\/images" \(block 25\) has a record at byte 0 of length 20, shorter than the 34-byte minimum$/,
    );
    const record = directoryRecordBytes({ identifier: 'A' });
    assertCorrupt(
      () => parseDirectoryRecord(record.subarray(0, 30), 0, where),
      /record at byte 0 of length 34 that runs past the end of the directory \(30 bytes\)/,
    );
    const badName = Buffer.from(record);
    badName[32] = 200;
    assertCorrupt(
      () => parseDirectoryRecord(badName, 0, where),
      /whose 200-byte name does not fit its length 34/,
    );
  });
});

describe('directoryRecords', () => {
  it('walks records in order and skips the zero padding at the end of each block', () => {
    const block = 2048;
    const data = Buffer.alloc(2 * block);
    const self = directoryRecordBytes({ identifier: Buffer.from([0]), flags: fileFlags.directory });
    const parent = directoryRecordBytes({ identifier: Buffer.from([1]), flags: fileFlags.directory });
    self.copy(data, 0);
    parent.copy(data, self.length);
    directoryRecordBytes({ identifier: 'B.TXT;1' }).copy(data, block);
    const records = [...directoryRecords(data, block, 'directory "/"')];
    assert.deepEqual(
      records.map((record) => record.offset),
      [0, self.length, block],
    );
    assert.ok(isSelf(records[0] ?? assert.fail()));
    assert.ok(isSelfOrParent(records[1] ?? assert.fail()));
    assert.equal(isSelfOrParent(records[2] ?? assert.fail()), false);
  });
});

describe('isoFileName', () => {
  it('shows identifiers as Linux does by default: lower case, no version, no dot before an empty extension', () => {
    assert.equal(isoFileName(Buffer.from('HELLO.TXT;1')), 'hello.txt');
    assert.equal(isoFileName(Buffer.from('README.;1')), 'readme');
    assert.equal(isoFileName(Buffer.from('PXEBOOT')), 'pxeboot');
    assert.equal(isoFileName(Buffer.from('INITRD.IMG')), 'initrd.img');
  });
});

describe('recordExtents', () => {
  const base = parseDirectoryRecord(
    directoryRecordBytes({ identifier: 'A;1', lba: 100, dataLength: 5000 }),
    0,
    '',
  );

  it('puts the data after the extended attribute record', () => {
    assert.deepEqual(recordExtents({ ...base, extendedAttributeLength: 3 }, 2048, 10), [
      { lba: 103, length: 5000 },
    ]);
    assert.deepEqual(recordExtents({ ...base, dataLength: 0 }, 2048, 10), []);
  });

  it('splits an interleaved file into its units, and refuses more units than allowed', () => {
    const interleaved = { ...base, fileUnitSize: 1, interleaveGap: 2 };
    assert.deepEqual(recordExtents(interleaved, 2048, 10), [
      { lba: 100, length: 2048 },
      { lba: 103, length: 2048 },
      { lba: 106, length: 904 },
    ]);
    assertCorrupt(() => recordExtents(interleaved, 2048, 2), /needs 3 extents, more than the 2 allowed/);
  });
});
