// ECMA-119 section 8: the volume descriptor set, 2048-byte sectors from sector 16 (byte 32768) up to a terminator.
// The first 16 sectors are the system area, which hybrid images fill with an MBR or GPT; it is never read here.

import { type DirectoryRecord, MIN_RECORD_LENGTH, parseDirectoryRecord } from './directory-record.js';
import { parseBootRecord } from './el-torito.js';
import { bothEndian16, bothEndian32, IsoFormatError } from './format-error.js';
import { decodeJolietText, jolietLevel } from './joliet.js';

export const DESCRIPTOR_SIZE = 2048;
export const FIRST_DESCRIPTOR_SECTOR = 16;
export const STANDARD_IDENTIFIER = 'CD001';

export interface VolumeDirectoryDescriptor {
  volumeId: string;
  /** In logical blocks. */
  volumeSpaceSize: number;
  logicalBlockSize: number;
  root: DirectoryRecord;
}

export type VolumeDescriptor =
  | ({ type: 'primary' } & VolumeDirectoryDescriptor)
  | ({ type: 'supplementary'; jolietLevel: 1 | 2 | 3 | undefined } & VolumeDirectoryDescriptor)
  | { type: 'boot'; catalogSector: number | undefined }
  | { type: 'partition' }
  | { type: 'terminator' }
  | { type: 'unknown'; code: number };

export function hasStandardIdentifier(sector: Buffer): boolean {
  return sector.toString('latin1', 1, 6) === STANDARD_IDENTIFIER;
}

/** Parses the descriptor in one 2048-byte sector, whose standard identifier the caller has checked. */
export function parseVolumeDescriptor(sector: Buffer, sectorNumber: number): VolumeDescriptor {
  if (sector.length < DESCRIPTOR_SIZE) {
    throw new IsoFormatError(
      `the volume descriptor in sector ${sectorNumber} is only ${sector.length} bytes`,
    );
  }
  const code = sector[0] ?? 0;
  switch (code) {
    case 0:
      return { type: 'boot', catalogSector: parseBootRecord(sector)?.catalogSector };
    case 1:
      return { type: 'primary', ...volumeDirectory(sector, sectorNumber, 'primary') };
    case 2: {
      const level = jolietLevel(sector.subarray(88, 120));
      const volume = volumeDirectory(sector, sectorNumber, 'supplementary');
      if (level !== undefined) volume.volumeId = decodeJolietText(sector.subarray(40, 72));
      return { type: 'supplementary', jolietLevel: level, ...volume };
    }
    case 3:
      return { type: 'partition' };
    case 255:
      return { type: 'terminator' };
    default:
      return { type: 'unknown', code };
  }
}

/** ECMA-119 6.2.2: a logical block is 2^(n+9) bytes and no larger than a 2048-byte logical sector. */
const logicalBlockSizes = new Set([512, 1024, 2048]);

function volumeDirectory(sector: Buffer, sectorNumber: number, kind: string): VolumeDirectoryDescriptor {
  const logicalBlockSize = bothEndian16(sector, 128);
  if (!logicalBlockSizes.has(logicalBlockSize)) {
    throw new IsoFormatError(
      `the ${kind} volume descriptor in sector ${sectorNumber} gives a logical block size of ` +
        `${logicalBlockSize} bytes; ISO 9660 allows 512, 1024 or 2048`,
    );
  }
  const rootBytes = sector.subarray(156, 156 + MIN_RECORD_LENGTH);
  const root = parseDirectoryRecord(
    rootBytes,
    0,
    `the root directory record of the ${kind} volume descriptor in sector ${sectorNumber}`,
  );
  return {
    volumeId: sector
      .toString('latin1', 40, 72)
      .replace(/[\s\0]+$/, '')
      .replace(/[^\x20-\x7e]/g, '?'),
    volumeSpaceSize: bothEndian32(sector, 80),
    logicalBlockSize,
    root,
  };
}
