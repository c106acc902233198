// El Torito (Bootable CD-ROM Format Specification 1.0, 1995): the boot record volume descriptor points at a boot
// catalog, whose entries say which images firmware may boot. bootwright only describes them; it never boots them.

import { IsoFormatError } from './format-error.js';

export const EL_TORITO_SYSTEM_ID = 'EL TORITO SPECIFICATION';
/** El Torito counts in 2048-byte CD sectors, whatever the ISO 9660 logical block size. */
export const CD_SECTOR_SIZE = 2048;
const entrySize = 32;

export type BootEmulation = 'none' | 'floppy-1.2M' | 'floppy-1.44M' | 'floppy-2.88M' | 'hard-disk';

export interface BootEntry {
  /** 0 x86 BIOS, 1 PowerPC, 2 Mac, 0xEF UEFI (section 2.1, and UEFI 2.x section 13.3.2.1). */
  platformId: number;
  platform: string;
  bootable: boolean;
  emulation: BootEmulation;
  loadSegment: number;
  systemType: number;
  /** How many 512-byte virtual sectors the firmware loads. */
  sectorCount: number;
  /** The 2048-byte sector where the boot image starts. */
  lba: number;
  /** The ID string of the section header, for entries after the default one. */
  sectionId?: string;
  description: string;
}

export interface BootCatalog {
  /** From the validation entry: the platform of the default entry, and the manufacturer's ID string. */
  platformId: number;
  idString: string;
  entries: BootEntry[];
}

/** The boot catalog's sector, from a boot record volume descriptor (type 0) whose system ID is El Torito's. */
export function parseBootRecord(sector: Buffer): { catalogSector: number } | undefined {
  const systemId = sector.toString('latin1', 7, 39).replace(/\0+$/, '');
  if (systemId !== EL_TORITO_SYSTEM_ID) return undefined;
  return { catalogSector: sector.readUInt32LE(0x47) };
}

const platforms: Record<number, string> = { 0: 'x86 BIOS', 1: 'PowerPC', 2: 'Mac', 239: 'UEFI' };
const emulations: BootEmulation[] = ['none', 'floppy-1.2M', 'floppy-1.44M', 'floppy-2.88M', 'hard-disk'];

export function platformName(platformId: number): string {
  return platforms[platformId] ?? `platform 0x${platformId.toString(16).padStart(2, '0')}`;
}

/**
 * Parses a boot catalog: the validation entry (section 2.1), the initial/default entry (2.2), then section headers
 * (2.3) each followed by their section entries (2.4) and any extension entries (2.5), until the final header's
 * entries are read. `catalog` holds as many sectors as the caller read; running past them is an error.
 */
export function parseBootCatalog(catalog: Buffer): BootCatalog {
  if (catalog.length < 2 * entrySize) {
    throw new IsoFormatError(
      `the El Torito boot catalog is ${catalog.length} bytes, too short for two entries`,
    );
  }
  const validation = catalog.subarray(0, entrySize);
  if (validation[0] !== 0x01 || validation[30] !== 0x55 || validation[31] !== 0xaa) {
    throw new IsoFormatError(
      `the El Torito boot catalog does not start with a validation entry (header ${hex(validation[0])}, ` +
        `key ${hex(validation[30])} ${hex(validation[31])}; expected 0x01 and 0x55 0xaa)`,
    );
  }
  let sum = 0;
  for (let i = 0; i < entrySize; i += 2) sum = (sum + validation.readUInt16LE(i)) & 0xffff;
  if (sum !== 0) {
    throw new IsoFormatError(
      `the El Torito validation entry's checksum does not add up (sum ${hex(sum, 4)})`,
    );
  }
  const platformId = validation[1] ?? 0;
  const entries: BootEntry[] = [bootEntry(catalog.subarray(entrySize, 2 * entrySize), platformId)];
  let offset = 2 * entrySize;
  let final = false;
  while (!final && offset + entrySize <= catalog.length) {
    const header = catalog[offset];
    // A catalog may simply stop after the default entry: the rest of the sector is zeros.
    if (header !== 0x90 && header !== 0x91) break;
    final = header === 0x91;
    const sectionPlatform = catalog[offset + 1] ?? 0;
    const count = catalog.readUInt16LE(offset + 2);
    const sectionId = text(catalog.subarray(offset + 4, offset + entrySize));
    offset += entrySize;
    for (let i = 0; i < count; i++) {
      if (offset + entrySize > catalog.length) {
        throw new IsoFormatError(
          `the El Torito section ${JSON.stringify(sectionId)} announces ${count} entries but the catalog ends after ${i}`,
        );
      }
      const entry = catalog.subarray(offset, offset + entrySize);
      entries.push({ ...bootEntry(entry, sectionPlatform), sectionId });
      offset += entrySize;
      // 2.5: bit 5 of the media byte says extension entries (0x44) follow; each says whether another follows.
      let more = ((entry[1] ?? 0) & 0x20) !== 0;
      while (more && offset + entrySize <= catalog.length && catalog[offset] === 0x44) {
        more = ((catalog[offset + 1] ?? 0) & 0x20) !== 0;
        offset += entrySize;
      }
    }
  }
  return { platformId, idString: text(validation.subarray(4, 28)), entries };
}

function bootEntry(entry: Buffer, platformId: number): Omit<BootEntry, 'sectionId'> {
  const indicator = entry[0] ?? 0;
  if (indicator !== 0x88 && indicator !== 0x00) {
    throw new IsoFormatError(
      `an El Torito boot entry has boot indicator ${hex(indicator)}; expected 0x88 (bootable) or 0x00`,
    );
  }
  const media = (entry[1] ?? 0) & 0x0f;
  const emulation = emulations[media];
  if (emulation === undefined) {
    throw new IsoFormatError(`an El Torito boot entry has media type ${media}; expected 0 to 4`);
  }
  const described = {
    platformId,
    platform: platformName(platformId),
    bootable: indicator === 0x88,
    emulation,
    loadSegment: entry.readUInt16LE(2),
    systemType: entry[4] ?? 0,
    sectorCount: entry.readUInt16LE(6),
    lba: entry.readUInt32LE(8),
  };
  return { ...described, description: describeBootEntry(described) };
}

/** One line for a person: `UEFI, bootable, no emulation, 8 virtual sectors at sector 34`. */
export function describeBootEntry(entry: Omit<BootEntry, 'description' | 'sectionId'>): string {
  const emulation = entry.emulation === 'none' ? 'no emulation' : `${entry.emulation} emulation`;
  const segment = entry.loadSegment === 0 ? '' : `, load segment ${hex(entry.loadSegment, 4)}`;
  return (
    `${entry.platform}, ${entry.bootable ? 'bootable' : 'not bootable'}, ${emulation}${segment}, ` +
    `${entry.sectorCount} virtual sectors at sector ${entry.lba}`
  );
}

function text(bytes: Buffer): string {
  return bytes
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/[^\x20-\x7e]/g, '?');
}

function hex(value: number | undefined, digits = 2): string {
  return `0x${(value ?? 0).toString(16).padStart(digits, '0')}`;
}
