import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { hasStandardIdentifier, parseVolumeDescriptor } from './descriptors.js';
import { directoryRecordBytes } from './records.fixture.js';

function descriptor(type: number, fill: (sector: Buffer) => void = () => {}): Buffer {
  const sector = Buffer.alloc(2048);
  sector[0] = type;
  sector.write('CD001', 1, 'latin1');
  sector[6] = 1;
  fill(sector);
  return sector;
}

function volume(sector: Buffer, blockSize = 2048): void {
  sector.writeUInt32LE(1000, 80);
  sector.writeUInt32BE(1000, 84);
  sector.writeUInt16LE(blockSize, 128);
  sector.writeUInt16BE(blockSize, 130);
  directoryRecordBytes({ identifier: Buffer.from([0]), lba: 20, dataLength: 2048, flags: 2 }).copy(
    sector,
    156,
  );
}

describe('parseVolumeDescriptor (ECMA-119 8)', () => {
  it('reads the primary descriptor: volume ID, size, logical block size and root record', () => {
    const sector = descriptor(1, (s) => {
      s.write('Fedora-S-dvd-x86_64-40'.padEnd(32), 40, 'latin1');
      volume(s);
    });
    assert.ok(hasStandardIdentifier(sector));
    const parsed = parseVolumeDescriptor(sector, 16);
    assert.equal(parsed.type, 'primary');
    if (parsed.type !== 'primary') return;
    assert.equal(parsed.volumeId, 'Fedora-S-dvd-x86_64-40');
    assert.equal(parsed.volumeSpaceSize, 1000);
    assert.equal(parsed.logicalBlockSize, 2048);
    assert.equal(parsed.root.extentLba, 20);
  });

  it('tells a Joliet supplementary descriptor by its escape sequences and decodes its UCS-2 volume ID', () => {
    const sector = descriptor(2, (s) => {
      Buffer.from('Mixé', 'utf16le').swap16().copy(s, 40);
      s.write('%/E', 88, 'latin1');
      volume(s);
    });
    const parsed = parseVolumeDescriptor(sector, 17);
    assert.equal(parsed.type, 'supplementary');
    if (parsed.type !== 'supplementary') return;
    assert.equal(parsed.jolietLevel, 3);
    assert.equal(parsed.volumeId, 'Mixé');
  });

  it('reads boot records, terminators and descriptors it does not know', () => {
    const boot = descriptor(0, (s) => {
      s.write('EL TORITO SPECIFICATION', 7, 'latin1');
      s.writeUInt32LE(33, 0x47);
    });
    assert.deepEqual(parseVolumeDescriptor(boot, 17), { type: 'boot', catalogSector: 33 });
    assert.deepEqual(parseVolumeDescriptor(descriptor(255), 18), { type: 'terminator' });
    assert.deepEqual(parseVolumeDescriptor(descriptor(7), 18), { type: 'unknown', code: 7 });
    assert.equal(hasStandardIdentifier(Buffer.alloc(2048)), false);
  });

  it('refuses a logical block size ISO 9660 does not allow', () => {
    const sector = descriptor(1, (s) => volume(s, 4096));
    assert.throws(
      () => parseVolumeDescriptor(sector, 16),
      (error: unknown) =>
        error instanceof BootwrightError &&
        error.message ===
          'Cannot read ISO 9660 data: the primary volume descriptor in sector 16 gives a logical block size of ' +
            '4096 bytes; ISO 9660 allows 512, 1024 or 2048',
    );
  });
});
