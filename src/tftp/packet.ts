// The TFTP codec: bytes <-> packets, pure. RFC 1350 packets, RFC 2347 options and OACK. Every malformed input is
// reported as a TftpPacketError and nothing else, so the transport can drop or answer it without guessing.

import { BootwrightError, quote } from '../errors.js';

export const opcodes = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

/** RFC 1350 section 5 error codes, plus RFC 2347's code 8 for refused options. */
export const tftpErrorCodes = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTransferId: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionRefused: 8,
} as const;

export type TftpMode = 'netascii' | 'octet';

/** Option names in lower case (RFC 2347: names are case-insensitive), in the order they came. */
export type TftpOptions = Map<string, string>;

export interface TftpRequest {
  type: 'RRQ' | 'WRQ';
  filename: string;
  mode: TftpMode;
  options: TftpOptions;
}

export type TftpPacket =
  | TftpRequest
  | { type: 'DATA'; block: number; data: Buffer }
  | { type: 'ACK'; block: number }
  | { type: 'ERROR'; code: number; message: string }
  | { type: 'OACK'; options: TftpOptions };

/** RFC 2347: "the maximum size of a request packet is 512 octets". */
export const maxRequestBytes = 512;
/** RFC 2348: the largest block size, so that a DATA packet fits a 65535-byte UDP datagram over IPv4. */
export const maxDataBytes = 65464;
/** No real client sends more than a handful of options; a cap bounds the work a hostile packet causes. */
export const maxOptionCount = 16;

export class TftpPacketError extends BootwrightError {
  constructor(message: string) {
    super('E_INVALID', message);
    this.name = 'TftpPacketError';
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');
const typeByOpcode = ['', 'RRQ', 'WRQ', 'DATA', 'ACK', 'ERROR', 'OACK'] as const;

export function parseTftpPacket(bytes: Uint8Array): TftpPacket {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buffer.length < 2) {
    throw new TftpPacketError(
      `Cannot parse TFTP packet: expected at least 2 bytes, received ${buffer.length}`,
    );
  }
  const opcode = buffer.readUInt16BE(0);
  const type = typeByOpcode[opcode];
  if (!type) throw new TftpPacketError(`Cannot parse TFTP packet: unknown opcode ${opcode}`);
  switch (type) {
    case 'RRQ':
    case 'WRQ':
      return parseRequest(type, buffer);
    case 'DATA': {
      if (buffer.length < 4) throw lengthError(type, 'at least 4', buffer.length);
      if (buffer.length > 4 + maxDataBytes)
        throw lengthError(type, `at most ${4 + maxDataBytes}`, buffer.length);
      return { type, block: buffer.readUInt16BE(2), data: buffer.subarray(4) };
    }
    case 'ACK':
      if (buffer.length !== 4) throw lengthError(type, 'exactly 4', buffer.length);
      return { type, block: buffer.readUInt16BE(2) };
    case 'ERROR': {
      if (buffer.length < 5) throw lengthError(type, 'at least 5', buffer.length);
      const reader = new StringReader(buffer, 4, type);
      const message = reader.next('error message', lenientUtf8);
      reader.expectEnd();
      return { type, code: buffer.readUInt16BE(2), message };
    }
    case 'OACK': {
      const options = parseOptions(new StringReader(buffer, 2, type));
      if (options.size === 0) throw new TftpPacketError('Cannot parse TFTP OACK: it acknowledges no option');
      return { type, options };
    }
  }
}

function parseRequest(type: 'RRQ' | 'WRQ', buffer: Buffer): TftpRequest {
  if (buffer.length > maxRequestBytes) throw lengthError(type, `at most ${maxRequestBytes}`, buffer.length);
  const reader = new StringReader(buffer, 2, type);
  const filename = reader.next('filename', strictUtf8);
  if (filename === '') throw new TftpPacketError(`Cannot parse TFTP ${type}: filename is empty`);
  if (hasControlCharacter(filename)) {
    throw new TftpPacketError(
      `Cannot parse TFTP ${type}: filename ${quote(filename)} contains a control character`,
    );
  }
  const rawMode = reader.next('mode', strictUtf8);
  // RFC 1350 section 5: the mode may be in "any combination of upper and lower case". "mail" is obsolete.
  const mode = rawMode.toLowerCase();
  if (mode !== 'netascii' && mode !== 'octet') {
    throw new TftpPacketError(
      `Cannot parse TFTP ${type}: mode ${quote(rawMode)} is not supported (expected "netascii" or "octet")`,
    );
  }
  return { type, filename, mode, options: parseOptions(reader) };
}

function parseOptions(reader: StringReader): TftpOptions {
  const options: TftpOptions = new Map();
  while (!reader.atEnd()) {
    if (options.size === maxOptionCount) {
      throw new TftpPacketError(`Cannot parse TFTP ${reader.type}: more than ${maxOptionCount} options`);
    }
    const name = reader.next('option name', strictUtf8).toLowerCase();
    if (name === '') throw new TftpPacketError(`Cannot parse TFTP ${reader.type}: an option name is empty`);
    const value = reader.next(`value of option ${quote(name)}`, strictUtf8);
    if (options.has(name)) {
      throw new TftpPacketError(`Cannot parse TFTP ${reader.type}: option ${quote(name)} appears twice`);
    }
    options.set(name, value);
  }
  return options;
}

class StringReader {
  constructor(
    private readonly buffer: Buffer,
    private offset: number,
    readonly type: string,
  ) {}

  atEnd(): boolean {
    return this.offset >= this.buffer.length;
  }

  next(what: string, decoder: TextDecoder): string {
    const end = this.buffer.indexOf(0, this.offset);
    if (end < 0) throw new TftpPacketError(`Cannot parse TFTP ${this.type}: ${what} is not NUL-terminated`);
    const bytes = this.buffer.subarray(this.offset, end);
    this.offset = end + 1;
    try {
      return decoder.decode(bytes);
    } catch {
      throw new TftpPacketError(`Cannot parse TFTP ${this.type}: ${what} is not valid UTF-8`);
    }
  }

  expectEnd(): void {
    if (!this.atEnd()) {
      const extra = this.buffer.length - this.offset;
      throw new TftpPacketError(
        `Cannot parse TFTP ${this.type}: ${extra} unexpected bytes after the last field`,
      );
    }
  }
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function lengthError(type: string, expected: string, received: number): TftpPacketError {
  return new TftpPacketError(`Cannot parse TFTP ${type}: expected ${expected} bytes, received ${received}`);
}

export function serializeTftpPacket(packet: TftpPacket): Buffer {
  switch (packet.type) {
    case 'RRQ':
    case 'WRQ':
      return withStrings(packet.type, [packet.filename, packet.mode, ...flattenOptions(packet.options)]);
    case 'DATA': {
      if (packet.data.length > maxDataBytes) {
        throw new TftpPacketError(
          `Cannot serialize TFTP DATA: expected at most ${maxDataBytes} data bytes, received ${packet.data.length}`,
        );
      }
      const out = Buffer.allocUnsafe(4 + packet.data.length);
      out.writeUInt16BE(opcodes.DATA, 0);
      out.writeUInt16BE(checkUint16('block number', packet.block), 2);
      packet.data.copy(out, 4);
      return out;
    }
    case 'ACK': {
      const out = Buffer.allocUnsafe(4);
      out.writeUInt16BE(opcodes.ACK, 0);
      out.writeUInt16BE(checkUint16('block number', packet.block), 2);
      return out;
    }
    case 'ERROR': {
      const code = Buffer.allocUnsafe(2);
      code.writeUInt16BE(checkUint16('error code', packet.code), 0);
      return withStrings('ERROR', [packet.message], code);
    }
    case 'OACK':
      return withStrings('OACK', flattenOptions(packet.options));
  }
}

function flattenOptions(options: TftpOptions): string[] {
  return [...options].flat();
}

/** The opcode, an optional fixed field (ERROR's code), then each string NUL-terminated. */
function withStrings(type: keyof typeof opcodes, strings: string[], fixed = Buffer.alloc(0)): Buffer {
  const parts = strings.map((text) => {
    if (text.includes('\0'))
      throw new TftpPacketError(`Cannot serialize TFTP ${type}: ${quote(text)} contains NUL`);
    return Buffer.from(`${text}\0`, 'utf8');
  });
  const out = Buffer.concat([Buffer.alloc(2), fixed, ...parts]);
  out.writeUInt16BE(opcodes[type], 0);
  return out;
}

function checkUint16(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new TftpPacketError(`Cannot serialize TFTP packet: ${what} ${quote(value)} is not in 0..65535`);
  }
  return value;
}
