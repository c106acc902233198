// SUSP (IEEE P1281, System Use Sharing Protocol 1.12) entries in directory records' system use fields, and the Rock
// Ridge (IEEE P1282, RRIP 1.12) attributes they carry: POSIX names (NM), modes (PX), symlinks (SL), times (TF) and
// the relocation of deep directories (CL, RE). Continuation areas (CE) are read by the caller and parsed here.

import { decodeLongDate, decodeRecordingDate } from './dates.js';
import { bothEndian32, IsoFormatError } from './format-error.js';

export interface SuspEntry {
  signature: string;
  version: number;
  /** The entry without its 4-byte header (signature, length, version). */
  body: Buffer;
}

/** SUSP 5.1: where the system use field goes on. */
export interface ContinuationArea {
  lba: number;
  offset: number;
  length: number;
}

export interface SystemUseArea {
  entries: SuspEntry[];
  continuation?: ContinuationArea;
}

/** The longest name and symlink target accepted, in bytes: Linux's PATH_MAX, far above NAME_MAX. */
export const MAX_NAME_BYTES = 4096;

/**
 * Parses the entries of one system use field or continuation area. Bytes too few to hold an entry header, or an
 * entry whose length is below 4, end the area as padding (as Linux's rock.c does); an entry that runs past the
 * area is an error.
 */
export function parseSystemUseArea(area: Buffer, where: string): SystemUseArea {
  const entries: SuspEntry[] = [];
  let continuation: ContinuationArea | undefined;
  let offset = 0;
  while (offset + 4 <= area.length) {
    const signature = area.toString('latin1', offset, offset + 2);
    const length = area[offset + 2] ?? 0;
    if (length < 4) break;
    if (offset + length > area.length) {
      throw new IsoFormatError(
        `${where} has a system use entry ${JSON.stringify(signature)} at byte ${offset} of length ${length} ` +
          `that runs past the end of its ${area.length}-byte area`,
      );
    }
    const version = area[offset + 3] ?? 0;
    const body = area.subarray(offset + 4, offset + length);
    offset += length;
    if (signature === 'ST') break;
    if (signature === 'PD') continue;
    if (signature === 'CE') {
      if (body.length < 24) {
        throw new IsoFormatError(`${where} has a CE entry of length ${length}; SUSP 5.1 requires 28`);
      }
      continuation = {
        lba: bothEndian32(body, 0),
        offset: bothEndian32(body, 8),
        length: bothEndian32(body, 16),
      };
      continue;
    }
    entries.push({ signature, version, body });
  }
  return continuation ? { entries, continuation } : { entries };
}

/**
 * SUSP 5.3: the SP entry that opens the system use field of the root's "." record says SUSP is in use and how many
 * bytes to skip in every other field. CD-XA images put 14 bytes of XA data first, so it is looked for there too.
 */
export function findSharingProtocol(rootSelfSystemUse: Buffer): { at: number; skip: number } | undefined {
  for (const at of [0, 14]) {
    const area = rootSelfSystemUse.subarray(at);
    if (area.length >= 7 && area.toString('latin1', 0, 2) === 'SP' && area[4] === 0xbe && area[5] === 0xef) {
      const skip = area[6] ?? 0;
      return { at, skip: at === 14 && skip === 0 ? 14 : skip };
    }
  }
  return undefined;
}

const rockRidgeIdentifiers = new Set(['RRIP_1991A', 'IEEE_P1282', 'IEEE_1282']);
const rockRidgeSignatures = new Set(['RR', 'PX', 'PN', 'SL', 'NM', 'CL', 'PL', 'RE', 'TF']);

/** Whether the root's entries announce Rock Ridge: an ER entry naming RRIP (SUSP 5.5), or RRIP entries themselves. */
export function announcesRockRidge(entries: SuspEntry[]): boolean {
  return entries.some((entry) => {
    if (entry.signature === 'ER' && entry.body.length >= 4) {
      const idLength = entry.body[0] ?? 0;
      return rockRidgeIdentifiers.has(entry.body.toString('latin1', 4, 4 + idLength));
    }
    return rockRidgeSignatures.has(entry.signature);
  });
}

export interface RockRidgeAttributes {
  name?: string;
  /** The POSIX st_mode from PX, file type bits included. */
  mode?: number;
  symlinkTarget?: string;
  modifiedMs?: number;
  /** CL: this record stands for a directory relocated to the given block. */
  childLinkLba?: number;
  /** RE: this record is a relocated directory, listed where its CL record is. */
  relocated: boolean;
  /** ZF/Z2: the data is zisofs-compressed; this is the uncompressed size. */
  zisofsSize?: number;
}

export const S_IFMT = 0o170000;
export const S_IFLNK = 0o120000;
export const S_IFDIR = 0o040000;

const nmFlags = { continue: 0x01, current: 0x02, parent: 0x04 } as const;
const slComponentFlags = {
  continue: 0x01,
  current: 0x02,
  parent: 0x04,
  root: 0x08,
  volumeRoot: 0x10,
} as const;

/** Interprets the RRIP entries of one record, from its system use field and all its continuation areas, in order. */
export function interpretRockRidge(entries: SuspEntry[], where: string): RockRidgeAttributes {
  const attributes: RockRidgeAttributes = { relocated: false };
  const nameParts: Buffer[] = [];
  let nameBytes = 0;
  const symlink = new SymlinkBuilder(where);
  let sawSymlink = false;
  for (const { signature, body } of entries) {
    switch (signature) {
      case 'NM': {
        const flags = body[0] ?? 0;
        if (flags & (nmFlags.current | nmFlags.parent)) break;
        nameBytes += body.length - 1;
        if (nameBytes > MAX_NAME_BYTES) {
          throw new IsoFormatError(`${where} has a Rock Ridge name longer than ${MAX_NAME_BYTES} bytes`);
        }
        nameParts.push(body.subarray(1));
        break;
      }
      case 'PX':
        if (body.length < 32) throw new IsoFormatError(`${where} has a PX entry of ${body.length + 4} bytes`);
        attributes.mode = bothEndian32(body, 0);
        break;
      case 'SL':
        sawSymlink = true;
        symlink.add(body);
        break;
      case 'TF': {
        const modified = timestampModified(body);
        if (modified !== undefined) attributes.modifiedMs = modified;
        break;
      }
      case 'CL':
        if (body.length < 8) throw new IsoFormatError(`${where} has a CL entry of ${body.length + 4} bytes`);
        attributes.childLinkLba = bothEndian32(body, 0);
        break;
      case 'RE':
        attributes.relocated = true;
        break;
      case 'ZF':
        if (body.length >= 12) attributes.zisofsSize = bothEndian32(body, 4);
        break;
      case 'Z2':
        if (body.length >= 12) attributes.zisofsSize = Number(body.readBigUInt64LE(4));
        break;
    }
  }
  if (nameParts.length > 0) attributes.name = Buffer.concat(nameParts).toString('utf8');
  if (sawSymlink) attributes.symlinkTarget = symlink.target();
  return attributes;
}

/** RRIP 4.1.6: the TF entry lists the times its flags name, in flag order; bit 7 selects the 17-byte long form. */
function timestampModified(body: Buffer): number | undefined {
  const flags = body[0] ?? 0;
  const size = flags & 0x80 ? 17 : 7;
  let offset = 1;
  for (let bit = 0x01; bit <= 0x40; bit <<= 1) {
    if (!(flags & bit)) continue;
    if (bit === 0x02) {
      if (offset + size > body.length) return undefined;
      return size === 17 ? decodeLongDate(body, offset) : decodeRecordingDate(body, offset);
    }
    offset += size;
  }
  return undefined;
}

/**
 * RRIP 4.1.3: a symlink target is a list of component records, possibly spread over several SL entries. A component
 * with the CONTINUE flag goes on in the next component (even in the next SL entry), without a slash between.
 */
class SymlinkBuilder {
  readonly #where: string;
  readonly #components: Buffer[][] = [];
  #absolute = false;
  #continuing = false;
  #bytes = 0;

  constructor(where: string) {
    this.#where = where;
  }

  add(body: Buffer): void {
    let offset = 1;
    while (offset + 2 <= body.length) {
      const flags = body[offset] ?? 0;
      const length = body[offset + 1] ?? 0;
      const content = body.subarray(offset + 2, offset + 2 + length);
      if (content.length !== length) {
        throw new IsoFormatError(
          `${this.#where} has a symlink component of ${length} bytes that runs past the end of its SL entry`,
        );
      }
      offset += 2 + length;
      if (flags & (slComponentFlags.root | slComponentFlags.volumeRoot)) {
        this.#components.length = 0;
        this.#absolute = true;
        this.#continuing = false;
        continue;
      }
      const text =
        flags & slComponentFlags.current
          ? Buffer.from('.')
          : flags & slComponentFlags.parent
            ? Buffer.from('..')
            : content;
      this.#bytes += text.length + 1;
      if (this.#bytes > MAX_NAME_BYTES) {
        throw new IsoFormatError(`${this.#where} has a symlink target longer than ${MAX_NAME_BYTES} bytes`);
      }
      const last = this.#components.at(-1);
      if (this.#continuing && last) last.push(text);
      else this.#components.push([text]);
      this.#continuing = (flags & slComponentFlags.continue) !== 0;
    }
  }

  target(): string {
    const path = this.#components.map((parts) => Buffer.concat(parts).toString('utf8')).join('/');
    return this.#absolute ? `/${path}` : path;
  }
}
