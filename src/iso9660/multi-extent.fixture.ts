// Multi-extent files without writing 4 GiB. xorriso splits a file into extents only above 4 GiB - 2 KiB (libisofs
// hard-codes ISO_EXTENT_SIZE; `-file_size_limit` only caps the total and `-split_size` makes a directory of part
// files, not extents), and writing such an image takes about 20 s here. So this fixture takes a small image xorriso
// wrote and rewrites one file's directory record into several records with the multi-extent flag (ECMA-119 6.5.1,
// 9.1.6 bit 7), each pointing at the data of another file of the image, exactly as libisofs lays out the records
// of a big file (each section record a full copy, Rock Ridge entries included). The tests then check with xorriso
// that it reads the rewritten file as we expect, so the fixture does not rest on the reader under test.
//
// This parser is deliberately separate from the reader's: it handles only what xorriso writes.

import { readFileSync, writeFileSync } from 'node:fs';

const sectorSize = 2048;

interface RawRecord {
  bytes: Buffer;
  name: string;
  lba: number;
  length: number;
}

/**
 * In the root directory of the primary tree and of the Joliet tree (when there is one), replaces the record of
 * `target` with one record per part, each pointing at that part's data: the target's content becomes the parts'
 * contents concatenated. Every part but the last must be a whole number of blocks.
 */
export function splitIntoExtents(imagePath: string, target: string, parts: string[]): void {
  const image = readFileSync(imagePath);
  let rewritten = 0;
  for (let sector = 16; sector < 32; sector++) {
    const descriptor = image.subarray(sector * sectorSize, (sector + 1) * sectorSize);
    const type = descriptor[0];
    if (type === 255) break;
    const joliet = type === 2 && descriptor.toString('latin1', 88, 90) === '%/';
    if (type !== 1 && !joliet) continue;
    const rootLba = descriptor.readUInt32LE(156 + 2);
    const rootLength = descriptor.readUInt32LE(156 + 10);
    rewriteDirectory(image, rootLba, rootLength, joliet, target, parts);
    rewritten += 1;
  }
  if (rewritten === 0) throw new Error(`${imagePath}: no volume descriptor found`);
  writeFileSync(imagePath, image);
}

function rewriteDirectory(
  image: Buffer,
  lba: number,
  length: number,
  joliet: boolean,
  target: string,
  parts: string[],
): void {
  const directory = image.subarray(lba * sectorSize, lba * sectorSize + length);
  const records = readRecords(directory, joliet);
  const targetRecord = records.find((record) => sameName(record.name, target));
  if (targetRecord === undefined) throw new Error(`no record for ${target} in the directory at block ${lba}`);
  const sections = parts.map((part, index) => {
    const source = records.find((record) => sameName(record.name, part));
    if (source === undefined) throw new Error(`no record for ${part} in the directory at block ${lba}`);
    const last = index === parts.length - 1;
    if (!last && source.length % sectorSize !== 0) throw new Error(`${part} is not a whole number of blocks`);
    const section = Buffer.from(targetRecord.bytes);
    writeBothEndian32(section, 2, source.lba);
    writeBothEndian32(section, 10, source.length);
    section[25] = last ? (section[25] ?? 0) & ~0x80 : (section[25] ?? 0) | 0x80;
    return section;
  });
  const replaced = records.flatMap((record) => (record === targetRecord ? sections : [record.bytes]));
  const packed = Buffer.alloc(directory.length);
  let offset = 0;
  for (const record of replaced) {
    // Records never cross a sector boundary: the rest of the sector stays zero.
    if ((offset % sectorSize) + record.length > sectorSize)
      offset = Math.ceil(offset / sectorSize) * sectorSize;
    if (offset + record.length > packed.length)
      throw new Error(`the directory at block ${lba} has no room left`);
    record.copy(packed, offset);
    offset += record.length;
  }
  packed.copy(directory);
}

function readRecords(directory: Buffer, joliet: boolean): RawRecord[] {
  const records: RawRecord[] = [];
  let offset = 0;
  while (offset < directory.length) {
    const length = directory[offset] ?? 0;
    if (length === 0) {
      offset = (Math.floor(offset / sectorSize) + 1) * sectorSize;
      continue;
    }
    const bytes = directory.subarray(offset, offset + length);
    const nameLength = bytes[32] ?? 0;
    const identifier = bytes.subarray(33, 33 + nameLength);
    records.push({
      bytes: Buffer.from(bytes),
      name: joliet ? jolietName(identifier) : identifier.toString('latin1').replace(/;1$/, ''),
      lba: bytes.readUInt32LE(2),
      length: bytes.readUInt32LE(10),
    });
    offset += length;
  }
  return records;
}

function jolietName(identifier: Buffer): string {
  // "." and ".." are the single bytes 0 and 1 in every tree.
  return identifier.length % 2 === 0 ? Buffer.from(identifier).swap16().toString('utf16le') : '';
}

function writeBothEndian32(bytes: Buffer, offset: number, value: number): void {
  bytes.writeUInt32LE(value, offset);
  bytes.writeUInt32BE(value, offset + 4);
}

/** Plain ISO 9660 names are upper case; the fixture names files the same way in every tree. */
function sameName(recorded: string, wanted: string): boolean {
  return recorded.toLowerCase() === wanted.toLowerCase();
}
