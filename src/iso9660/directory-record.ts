// ECMA-119 section 9.1: directory records, and the walk over the records of one directory's extent.

import { decodeRecordingDate } from './dates.js';
import { bothEndian32, IsoFormatError } from './format-error.js';

export interface DirectoryRecord {
  /** Byte offset of the record inside the directory's data. */
  offset: number;
  length: number;
  extendedAttributeLength: number;
  extentLba: number;
  dataLength: number;
  recordedMs: number;
  flags: number;
  fileUnitSize: number;
  interleaveGap: number;
  identifier: Buffer;
  systemUse: Buffer;
}

/** ECMA-119 9.1.6 file flags. */
export const fileFlags = {
  hidden: 0x01,
  directory: 0x02,
  associated: 0x04,
  multiExtent: 0x80,
} as const;

export const MIN_RECORD_LENGTH = 34;

/**
 * Parses the record at `offset`; `where` names the directory for messages (`directory "/a" (block 20)`).
 * The record must lie inside `bytes`, and its identifier inside the record.
 */
export function parseDirectoryRecord(bytes: Buffer, offset: number, where: string): DirectoryRecord {
  const length = bytes[offset] ?? 0;
  if (length < MIN_RECORD_LENGTH) {
    throw new IsoFormatError(
      `${where} has a record at byte ${offset} of length ${length}, shorter than the ${MIN_RECORD_LENGTH}-byte minimum`,
    );
  }
  if (offset + length > bytes.length) {
    throw new IsoFormatError(
      `${where} has a record at byte ${offset} of length ${length} that runs past the end of the directory ` +
        `(${bytes.length} bytes)`,
    );
  }
  const identifierLength = bytes[offset + 32] ?? 0;
  if (identifierLength === 0 || 33 + identifierLength > length) {
    throw new IsoFormatError(
      `${where} has a record at byte ${offset} whose ${identifierLength}-byte name does not fit its length ${length}`,
    );
  }
  const identifierEnd = offset + 33 + identifierLength;
  // 9.1.12: a padding byte follows an identifier of even length, so that the system use field starts at an even byte.
  const systemUseStart = Math.min(identifierEnd + (identifierLength % 2 === 0 ? 1 : 0), offset + length);
  return {
    offset,
    length,
    extendedAttributeLength: bytes[offset + 1] ?? 0,
    extentLba: bothEndian32(bytes, offset + 2),
    dataLength: bothEndian32(bytes, offset + 10),
    recordedMs: decodeRecordingDate(bytes, offset + 18),
    flags: bytes[offset + 25] ?? 0,
    fileUnitSize: bytes[offset + 26] ?? 0,
    interleaveGap: bytes[offset + 27] ?? 0,
    identifier: bytes.subarray(offset + 33, identifierEnd),
    systemUse: bytes.subarray(systemUseStart, offset + length),
  };
}

/**
 * Every record of a directory's data, in order. A zero length byte means the rest of the logical block is padding
 * (9.1.1: records do not cross sector boundaries), so the walk jumps to the next block.
 */
export function* directoryRecords(
  data: Buffer,
  blockSize: number,
  where: string,
): Generator<DirectoryRecord> {
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] === 0) {
      offset = (Math.floor(offset / blockSize) + 1) * blockSize;
      continue;
    }
    const record = parseDirectoryRecord(data, offset, where);
    yield record;
    offset += record.length;
  }
}

/** The "." (0x00) and ".." (0x01) records that start every directory (9.1.11). */
export function isSelfOrParent(record: DirectoryRecord): boolean {
  return record.identifier.length === 1 && (record.identifier[0] === 0 || record.identifier[0] === 1);
}

export function isSelf(record: DirectoryRecord): boolean {
  return record.identifier.length === 1 && record.identifier[0] === 0;
}

/**
 * A plain ISO 9660 identifier as Linux shows it with its default `map=normal`: lower case, without the `;1`
 * version and without the dot that level 1 requires after a name that has no extension.
 */
export function isoFileName(identifier: Buffer): string {
  let name = identifier.toString('latin1');
  const version = name.search(/;\d*$/);
  if (version > 0) name = name.slice(0, version);
  if (name.length > 1 && name.endsWith('.')) name = name.slice(0, -1);
  return name.toLowerCase();
}

export interface Extent {
  lba: number;
  length: number;
}

/**
 * Where one record's data lies. The data starts after the extended attribute record (9.5), and an interleaved file
 * (9.1.8-9.1.9) is recorded in units of `fileUnitSize` blocks separated by `interleaveGap` blocks.
 */
export function recordExtents(record: DirectoryRecord, blockSize: number, maxExtents: number): Extent[] {
  const lba = record.extentLba + record.extendedAttributeLength;
  if (record.dataLength === 0) return [];
  if (record.fileUnitSize === 0) return [{ lba, length: record.dataLength }];
  const unitBytes = record.fileUnitSize * blockSize;
  const units = Math.ceil(record.dataLength / unitBytes);
  if (units > maxExtents) {
    throw new IsoFormatError(
      `an interleaved file of ${record.dataLength} bytes in units of ${record.fileUnitSize} blocks needs ` +
        `${units} extents, more than the ${maxExtents} allowed`,
    );
  }
  const extents: Extent[] = [];
  for (let unit = 0; unit < units; unit++) {
    extents.push({
      lba: lba + unit * (record.fileUnitSize + record.interleaveGap),
      length: Math.min(unitBytes, record.dataLength - unit * unitBytes),
    });
  }
  return extents;
}
