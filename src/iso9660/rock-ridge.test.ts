import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { bothEndian32, suspEntry } from './records.fixture.js';
import {
  announcesRockRidge,
  findSharingProtocol,
  interpretRockRidge,
  parseSystemUseArea,
  type SuspEntry,
} from './rock-ridge.js';

const where = 'the record at byte 68 of directory "/" (block 20)';

function entries(...raw: Buffer[]): SuspEntry[] {
  return parseSystemUseArea(Buffer.concat(raw), where).entries;
}

function component(flags: number, text = ''): number[] {
  return [flags, text.length, ...Buffer.from(text)];
}

describe('parseSystemUseArea (SUSP 1.12)', () => {
  it('returns the entries and the continuation area, and skips padding entries', () => {
    const area = parseSystemUseArea(
      Buffer.concat([
        suspEntry('PX', Buffer.alloc(36)),
        suspEntry('PD', [0, 0, 0]),
        suspEntry('CE', [...bothEndian32(40), ...bothEndian32(100), ...bothEndian32(237)]),
        suspEntry('NM', [0, ...Buffer.from('vmlinuz')]),
      ]),
      where,
    );
    assert.deepEqual(
      area.entries.map((entry) => entry.signature),
      ['PX', 'NM'],
    );
    assert.deepEqual(area.continuation, { lba: 40, offset: 100, length: 237 });
  });

  it('stops at ST and at bytes too short for an entry, and refuses an entry that runs past the area', () => {
    const stopped = parseSystemUseArea(
      Buffer.concat([suspEntry('NM', [0, 0x61]), suspEntry('ST', []), suspEntry('NM', [0, 0x62])]),
      where,
    );
    assert.equal(stopped.entries.length, 1);
    assert.equal(
      parseSystemUseArea(Buffer.concat([suspEntry('NM', [0, 0x61]), Buffer.alloc(6)]), where).entries.length,
      1,
    );
    const overrun = suspEntry('NM', [0, ...Buffer.from('abcdef')]).subarray(0, 8);
    assert.throws(
      () => parseSystemUseArea(overrun, where),
      (error: unknown) =>
        error instanceof BootwrightError &&
        /has a system use entry "NM" at byte 0 of length 11 that runs past the end of its 8-byte area/.test(
          error.message,
        ),
    );
  });
});

describe('findSharingProtocol and announcesRockRidge', () => {
  it('finds SP at the start of the root field, or after 14 bytes of CD-XA data', () => {
    const sp = suspEntry('SP', [0xbe, 0xef, 0]);
    assert.deepEqual(findSharingProtocol(sp), { at: 0, skip: 0 });
    assert.deepEqual(findSharingProtocol(Buffer.concat([Buffer.alloc(14, 0x58), sp])), { at: 14, skip: 14 });
    assert.equal(findSharingProtocol(suspEntry('SP', [0xbe, 0xee, 0])), undefined);
  });

  it('recognises the RRIP extension identifiers, or RRIP entries themselves', () => {
    const er = (id: string) => suspEntry('ER', [id.length, 0, 0, 1, ...Buffer.from(id)]);
    assert.ok(announcesRockRidge(entries(er('RRIP_1991A'))));
    assert.ok(announcesRockRidge(entries(er('IEEE_P1282'))));
    assert.equal(announcesRockRidge(entries(er('AAIP_0200'))), false);
    assert.ok(announcesRockRidge(entries(suspEntry('PX', Buffer.alloc(32)))));
  });
});

describe('interpretRockRidge (RRIP 1.12)', () => {
  it('joins NM pieces marked CONTINUE, in order, and ignores "." and ".." names', () => {
    const attributes = interpretRockRidge(
      entries(
        suspEntry('NM', [0x01, ...Buffer.from('long-')]),
        suspEntry('NM', [0x00, ...Buffer.from('name.txt')]),
        suspEntry('NM', [0x02]),
      ),
      where,
    );
    assert.equal(attributes.name, 'long-name.txt');
  });

  it('reads the mode from PX and the modification time from TF, after a creation time', () => {
    const px = suspEntry('PX', [...bothEndian32(0o100755), ...Buffer.alloc(24)]);
    const tf = suspEntry('TF', [0x03, 99, 1, 1, 0, 0, 0, 0, 124, 1, 2, 3, 4, 5, 0]);
    const attributes = interpretRockRidge(entries(px, tf), where);
    assert.equal(attributes.mode, 0o100755);
    assert.equal(attributes.modifiedMs, Date.UTC(2024, 0, 2, 3, 4, 5));
    const long = suspEntry('TF', [0x82, ...Buffer.from('2024010203040500'), 0]);
    assert.equal(interpretRockRidge(entries(long), where).modifiedMs, Date.UTC(2024, 0, 2, 3, 4, 5));
  });

  it('builds symlink targets from components: root, parent, current, and names continued across SL entries', () => {
    const absolute = suspEntry('SL', [
      0,
      ...component(0x08),
      ...component(0, 'images'),
      ...component(0, 'pxeboot'),
    ]);
    assert.equal(interpretRockRidge(entries(absolute), where).symlinkTarget, '/images/pxeboot');
    const relative = suspEntry('SL', [0, ...component(0x04), ...component(0x02), ...component(0, 'x')]);
    assert.equal(interpretRockRidge(entries(relative), where).symlinkTarget, '.././x');
    const split = entries(
      suspEntry('SL', [0x01, ...component(0, 'dir'), ...component(0x01, 'very-long-')]),
      suspEntry('SL', [0x00, ...component(0, 'name'), ...component(0, 'end')]),
    );
    assert.equal(interpretRockRidge(split, where).symlinkTarget, 'dir/very-long-name/end');
  });

  it('refuses a symlink component that runs past its SL entry', () => {
    assert.throws(
      () => interpretRockRidge(entries(suspEntry('SL', [0, 0, 10, 0x61])), where),
      /has a symlink component of 10 bytes that runs past the end of its SL entry/,
    );
  });

  it('notes relocated directories (CL, RE) and zisofs data (ZF)', () => {
    assert.equal(interpretRockRidge(entries(suspEntry('CL', bothEndian32(77))), where).childLinkLba, 77);
    assert.equal(interpretRockRidge(entries(suspEntry('RE', [])), where).relocated, true);
    const zf = suspEntry('ZF', [0x70, 0x7a, 4, 15, ...bothEndian32(123_456)]);
    assert.equal(interpretRockRidge(entries(zf), where).zisofsSize, 123_456);
  });

  it('refuses a name longer than 4096 bytes', () => {
    const piece = suspEntry('NM', [0x01, ...Buffer.alloc(250, 0x61)]);
    assert.throws(
      () => interpretRockRidge(entries(...Array.from({ length: 17 }, () => piece)), where),
      /has a Rock Ridge name longer than 4096 bytes/,
    );
  });
});
