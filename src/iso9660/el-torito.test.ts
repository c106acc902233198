import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { parseBootCatalog, parseBootRecord } from './el-torito.js';

function validationEntry(platformId: number, id: string): Buffer {
  const entry = Buffer.alloc(32);
  entry[0] = 0x01;
  entry[1] = platformId;
  entry.write(id, 4, 'latin1');
  entry[30] = 0x55;
  entry[31] = 0xaa;
  let sum = 0;
  for (let i = 0; i < 32; i += 2) sum = (sum + entry.readUInt16LE(i)) & 0xffff;
  entry.writeUInt16LE((0x10000 - sum) & 0xffff, 28);
  return entry;
}

function bootEntry(bootable: boolean, media: number, sectors: number, lba: number, segment = 0): Buffer {
  const entry = Buffer.alloc(32);
  entry[0] = bootable ? 0x88 : 0x00;
  entry[1] = media;
  entry.writeUInt16LE(segment, 2);
  entry.writeUInt16LE(sectors, 6);
  entry.writeUInt32LE(lba, 8);
  return entry;
}

function sectionHeader(final: boolean, platformId: number, count: number, id = ''): Buffer {
  const header = Buffer.alloc(32);
  header[0] = final ? 0x91 : 0x90;
  header[1] = platformId;
  header.writeUInt16LE(count, 2);
  header.write(id, 4, 'latin1');
  return header;
}

function catalog(...entries: Buffer[]): Buffer {
  const bytes = Buffer.alloc(2048);
  Buffer.concat(entries).copy(bytes);
  return bytes;
}

function assertCorrupt(work: () => unknown, pattern: RegExp): void {
  assert.throws(work, (error: unknown) => error instanceof BootwrightError && pattern.test(error.message));
}

describe('El Torito', () => {
  it('finds the catalog sector in a boot record whose system ID is El Torito', () => {
    const sector = Buffer.alloc(2048);
    sector.write('\x00CD001\x01EL TORITO SPECIFICATION', 0, 'latin1');
    sector.writeUInt32LE(33, 0x47);
    assert.deepEqual(parseBootRecord(sector), { catalogSector: 33 });
    sector.write('SOMETHING ELSE', 7, 'latin1');
    assert.equal(parseBootRecord(sector), undefined);
  });

  it('describes the default entry and the entries of each section, skipping extension entries', () => {
    const efi = bootEntry(true, 0x20, 16, 40);
    const extension = Buffer.alloc(32);
    extension[0] = 0x44;
    const parsed = parseBootCatalog(
      catalog(
        validationEntry(0, 'BOOTWRIGHT'),
        bootEntry(true, 0, 4, 36, 0x7c0),
        sectionHeader(false, 0xef, 1, 'UEFI'),
        efi,
        extension,
        sectionHeader(true, 1, 1),
        bootEntry(false, 2, 1, 50),
      ),
    );
    assert.equal(parsed.idString, 'BOOTWRIGHT');
    assert.deepEqual(
      parsed.entries.map((entry) => entry.description),
      [
        'x86 BIOS, bootable, no emulation, load segment 0x07c0, 4 virtual sectors at sector 36',
        'UEFI, bootable, no emulation, 16 virtual sectors at sector 40',
        'PowerPC, not bootable, floppy-1.44M emulation, 1 virtual sectors at sector 50',
      ],
    );
    assert.equal(parsed.entries[1]?.sectionId, 'UEFI');
  });

  it('refuses a catalog without a valid validation entry, or with a section cut short', () => {
    const broken = validationEntry(0, 'X');
    broken[5] = (broken[5] ?? 0) ^ 1;
    assertCorrupt(
      () => parseBootCatalog(catalog(broken, bootEntry(true, 0, 4, 36))),
      /checksum does not add up/,
    );
    assertCorrupt(
      () => parseBootCatalog(catalog(Buffer.alloc(32), bootEntry(true, 0, 4, 36))),
      /does not start with a validation entry \(header 0x00, key 0x00 0x00; expected 0x01 and 0x55 0xaa\)/,
    );
    const cut = Buffer.concat([
      validationEntry(0, ''),
      bootEntry(true, 0, 4, 36),
      sectionHeader(true, 0xef, 3, 'E'),
    ]);
    assertCorrupt(
      () => parseBootCatalog(cut),
      /section "E" announces 3 entries but the catalog ends after 0/,
    );
    assertCorrupt(
      () => parseBootCatalog(catalog(validationEntry(0, ''), bootEntry(true, 9, 4, 36))),
      /media type 9; expected 0 to 4/,
    );
  });
});
