// Joliet: a second directory tree, described by a supplementary volume descriptor, whose names are UCS-2 big-endian
// (Joliet specification 1995, sections 4 and 5). The tree points at the same file data as the primary one.

/** The UCS-2 level named by the escape sequences field (SVD bytes 88-119): `%/@`, `%/C` or `%/E` (section 4.2). */
export function jolietLevel(escapeSequences: Buffer): 1 | 2 | 3 | undefined {
  if (escapeSequences[0] !== 0x25 || escapeSequences[1] !== 0x2f) return undefined;
  switch (escapeSequences[2]) {
    case 0x40:
      return 1;
    case 0x43:
      return 2;
    case 0x45:
      return 3;
    default:
      return undefined;
  }
}

/** Decodes big-endian UCS-2 (and UTF-16, which some writers use); an odd trailing byte is dropped. */
export function decodeUcs2(bytes: Buffer): string {
  const length = bytes.length - (bytes.length % 2);
  const swapped = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += 2) {
    swapped[i] = bytes[i + 1] ?? 0;
    swapped[i + 1] = bytes[i] ?? 0;
  }
  return swapped.toString('utf16le');
}

/**
 * A Joliet file identifier as a name: UCS-2 decoded, without the `;1` version that mkisofs appends (libisofs does
 * not) and without a trailing dot, as Linux's get_joliet_filename presents it.
 */
export function decodeJolietName(identifier: Buffer): string {
  let name = decodeUcs2(identifier);
  const version = name.search(/;\d*$/);
  if (version > 0) name = name.slice(0, version);
  if (name.length > 1 && name.endsWith('.')) name = name.slice(0, -1);
  return name;
}

/** Decodes a UCS-2 descriptor field such as the Joliet volume identifier, without its padding. */
export function decodeJolietText(bytes: Buffer): string {
  return decodeUcs2(bytes).replace(/[\s\0]+$/u, '');
}
