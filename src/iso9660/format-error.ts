// Every malformed byte the ISO 9660 codecs meet is reported as an IsoFormatError: an E_INVALID BootwrightError whose
// detail the reader puts after the image's name, so that a person learns which image is broken, and where.

import { BootwrightError } from '../errors.js';

export class IsoFormatError extends BootwrightError {
  /** What is wrong, as the second half of a sentence: `directory "/a" (block 20) has a record ...`. */
  readonly detail: string;

  constructor(detail: string) {
    super('E_INVALID', `Cannot read ISO 9660 data: ${detail}`);
    this.name = 'IsoFormatError';
    this.detail = detail;
  }
}

/** Reads an ECMA-119 "both-byte orders" 32-bit field (section 7.3.3) by its little-endian half, as Linux does. */
export function bothEndian32(bytes: Buffer, offset: number): number {
  return bytes.readUInt32LE(offset);
}

/** Reads an ECMA-119 "both-byte orders" 16-bit field (section 7.2.3) by its little-endian half. */
export function bothEndian16(bytes: Buffer, offset: number): number {
  return bytes.readUInt16LE(offset);
}
