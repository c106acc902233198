// The DHCP/BOOTP wire format: the fixed BOOTP header (RFC 951, RFC 2131 §2) and the options that follow the magic
// cookie (RFC 2132), including options overloaded into the sname/file fields (RFC 2132 §9.3) and long options split
// over several instances (RFC 3396). Pure bytes <-> struct: the sockets live in server.ts and the decision what
// to answer in policy.ts. Any input, however hostile, either parses or throws a DhcpPacketError.

import { BootwrightError } from '../errors.js';
import { intToIpv4, ipv4ToInt } from './ipv4.js';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

/** RFC 2131 §2: the broadcast bit, the only flag defined; the other 15 bits MUST be zero. */
export const BROADCAST_FLAG = 0x8000;

/** Option values by code, each the concatenation of every instance of that code (RFC 3396). */
export type DhcpOptions = Map<number, Buffer>;

export interface DhcpPacket {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The 16-byte client hardware address field; the first `hlen` bytes are significant. */
  chaddr: Buffer;
  /**
   * Server host name, up to the first NUL. RFC 2131 names no character set, so the field is read and written byte
   * for byte (latin1) and survives a round trip unchanged. Empty when the field carries overloaded options.
   */
  sname: string;
  /** Boot file name, read like sname. Empty when the field carries overloaded options. */
  file: string;
  options: DhcpOptions;
}

/** A packet that cannot be read; the transport counts it and drops it, the policy never sees it. */
export class DhcpPacketError extends BootwrightError {
  constructor(message: string) {
    super('E_INVALID', message);
    this.name = 'DhcpPacketError';
  }
}

export const OPTION_PAD = 0;
export const OPTION_END = 255;
export const OPTION_OVERLOAD = 52;
const OPTION_MESSAGE_TYPE = 53;
const OPTION_SERVER_ID = 54;
const OPTION_RELAY_AGENT_INFO = 82;

const SNAME_OFFSET = 44;
const SNAME_LENGTH = 64;
const FILE_OFFSET = 108;
const FILE_LENGTH = 128;
const COOKIE_OFFSET = 236;
const OPTIONS_OFFSET = 240;
const MAGIC_COOKIE = 0x63825363;
/** RFC 1542 §2.1: BOOTP relays and old clients expect at least the 300-octet BOOTP message (64-byte vend field). */
const MINIMUM_MESSAGE_LENGTH = 300;
/** The largest UDP payload over IPv4; anything longer did not come off a socket. */
const MAXIMUM_MESSAGE_LENGTH = 65_507;
/**
 * Real clients send a few dozen options. The limit bounds the work a crafted packet can cause: without it a
 * maximum-size datagram of zero-length options holds more than 30,000 of them.
 */
const MAXIMUM_OPTION_INSTANCES = 512;
/** RFC 2132 §2: one option instance carries at most 255 bytes; longer values are split (RFC 3396). */
const MAXIMUM_INSTANCE_LENGTH = 255;

function fail(message: string): never {
  throw new DhcpPacketError(`Cannot parse DHCP packet: ${message}`);
}

export function parseDhcpPacket(bytes: Uint8Array): DhcpPacket {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < OPTIONS_OFFSET) {
    fail(`expected at least ${OPTIONS_OFFSET} bytes (header and magic cookie), received ${buffer.length}`);
  }
  if (buffer.length > MAXIMUM_MESSAGE_LENGTH) {
    fail(`expected at most ${MAXIMUM_MESSAGE_LENGTH} bytes, received ${buffer.length}`);
  }
  const op = buffer.readUInt8(0);
  if (op !== BOOTREQUEST && op !== BOOTREPLY) fail(`op is ${op}, expected 1 (BOOTREQUEST) or 2 (BOOTREPLY)`);
  const hlen = buffer.readUInt8(2);
  if (hlen > 16) fail(`hlen is ${hlen}, expected at most 16`);
  // BOOTP packets without the RFC 1048 cookie carry no options we could read; nothing we answer sends them.
  const cookie = buffer.readUInt32BE(COOKIE_OFFSET);
  if (cookie !== MAGIC_COOKIE)
    fail(`the magic cookie is 0x${cookie.toString(16).padStart(8, '0')}, expected 0x63825363`);

  const read: OptionsRead = { options: new Map(), repeated: new Map(), count: 0 };
  readOptionArea(buffer, OPTIONS_OFFSET, buffer.length, 'options field', read);

  // RFC 2132 §9.3: option 52 says the file (1), sname (2) or both (3) fields hold more options. It is honoured only
  // from the options field, so an overloaded field cannot point at itself.
  const overloadParts = read.repeated.get(OPTION_OVERLOAD);
  const overloadValue = overloadParts ? Buffer.concat(overloadParts) : read.options.get(OPTION_OVERLOAD);
  read.options.delete(OPTION_OVERLOAD);
  read.repeated.delete(OPTION_OVERLOAD);
  let overload = 0;
  if (overloadValue !== undefined) {
    if (overloadValue.length !== 1) {
      fail(`option 52 (overload) must be 1 byte and appear once, received ${overloadValue.length} bytes`);
    }
    overload = overloadValue[0] ?? 0;
    if (overload < 1 || overload > 3) fail(`option 52 (overload) is ${overload}, expected 1, 2 or 3`);
  }
  // RFC 3396: instances are concatenated in the order options field, file field, sname field.
  if (overload & 1) readOptionArea(buffer, FILE_OFFSET, FILE_OFFSET + FILE_LENGTH, 'file field', read);
  if (overload & 2) readOptionArea(buffer, SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH, 'sname field', read);
  const { options } = read;
  for (const [code, parts] of read.repeated) options.set(code, Buffer.concat(parts));

  return {
    op,
    htype: buffer.readUInt8(1),
    hlen,
    hops: buffer.readUInt8(3),
    xid: buffer.readUInt32BE(4),
    secs: buffer.readUInt16BE(8),
    flags: buffer.readUInt16BE(10),
    ciaddr: intToIpv4(buffer.readUInt32BE(12)),
    yiaddr: intToIpv4(buffer.readUInt32BE(16)),
    siaddr: intToIpv4(buffer.readUInt32BE(20)),
    giaddr: intToIpv4(buffer.readUInt32BE(24)),
    chaddr: Buffer.from(buffer.subarray(28, 44)),
    sname: overload & 2 ? '' : readCString(buffer, SNAME_OFFSET, SNAME_LENGTH),
    file: overload & 1 ? '' : readCString(buffer, FILE_OFFSET, FILE_LENGTH),
    options,
  };
}

/**
 * Each option's value as a view of the datagram, not a copy: almost every option comes once. The instances of one
 * that comes again (RFC 3396) are gathered and concatenated once, at the end.
 */
interface OptionsRead {
  options: DhcpOptions;
  repeated: Map<number, Buffer[]>;
  count: number;
}

function readOptionArea(buffer: Buffer, start: number, end: number, area: string, read: OptionsRead): void {
  let offset = start;
  while (offset < end) {
    const code = buffer[offset] as number;
    if (code === OPTION_END) return;
    if (code === OPTION_PAD) {
      offset += 1;
      continue;
    }
    if (offset + 1 >= end) fail(`option ${code} at byte ${offset} of the ${area} has no length byte`);
    const length = buffer[offset + 1] as number;
    const valueStart = offset + 2;
    if (valueStart + length > end) {
      fail(
        `option ${code} at byte ${offset} of the ${area} claims ${length} bytes, but only ${end - valueStart} remain`,
      );
    }
    if (area !== 'options field' && code === OPTION_OVERLOAD) {
      fail(`option 52 (overload) appears inside the ${area}, where RFC 2132 §9.3 does not allow it`);
    }
    read.count += 1;
    if (read.count > MAXIMUM_OPTION_INSTANCES) fail(`more than ${MAXIMUM_OPTION_INSTANCES} options`);
    const value = buffer.subarray(valueStart, valueStart + length);
    const first = read.options.get(code);
    if (first === undefined) read.options.set(code, value);
    else {
      const parts = read.repeated.get(code);
      if (parts) parts.push(value);
      else read.repeated.set(code, [first, value]);
    }
    offset = valueStart + length;
  }
  // A missing end option is tolerated: the field's own length bounds it, and some relays and ROMs omit it.
}

function readCString(buffer: Buffer, offset: number, length: number): string {
  const field = buffer.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? length : nul).toString('latin1');
}

// ---------------------------------------------------------------------------------------------------------------
// Serializing

/** A packet this process built wrongly; a bug, never the client's fault. */
function unsendable(message: string): never {
  throw new BootwrightError('E_INTERNAL', `Cannot serialize DHCP packet: ${message}`);
}

/**
 * Options go out in a stable order: message type first and server identifier second (some PXE ROMs and relays look
 * for 53 at the start), then ascending codes, and relay agent information last, where the relay put it
 * (RFC 3046 §2.1).
 */
export function optionOrder(codes: Iterable<number>): number[] {
  const rank = (code: number): number => {
    if (code === OPTION_MESSAGE_TYPE) return -2;
    if (code === OPTION_SERVER_ID) return -1;
    if (code === OPTION_RELAY_AGENT_INFO) return 256;
    return code;
  };
  return [...codes].sort((a, b) => rank(a) - rank(b));
}

export function serializeDhcpPacket(packet: DhcpPacket): Buffer {
  const codes = optionOrder(packet.options.keys());
  // Sized first, then written in place: one allocation for the whole datagram.
  let optionsLength = 1;
  for (const code of codes) {
    if (!Number.isInteger(code) || code <= OPTION_PAD || code >= OPTION_END) {
      unsendable(`option code ${code} is not between 1 and 254`);
    }
    const valueLength = (packet.options.get(code) as Buffer).length;
    // RFC 3396: a value longer than 255 bytes goes out as consecutive instances of the same code.
    optionsLength += valueLength + 2 * Math.max(1, Math.ceil(valueLength / MAXIMUM_INSTANCE_LENGTH));
  }
  const length = Math.max(MINIMUM_MESSAGE_LENGTH, OPTIONS_OFFSET + optionsLength);
  if (length > MAXIMUM_MESSAGE_LENGTH) unsendable(`${length} bytes do not fit in one UDP datagram`);

  // From the shared pool, zeroed: the unused header fields and the padding go out as zeros.
  const buffer = Buffer.allocUnsafe(length).fill(0);
  buffer.writeUInt8(checkInteger('op', packet.op, 0xff), 0);
  buffer.writeUInt8(checkInteger('htype', packet.htype, 0xff), 1);
  buffer.writeUInt8(checkInteger('hlen', packet.hlen, 16), 2);
  buffer.writeUInt8(checkInteger('hops', packet.hops, 0xff), 3);
  buffer.writeUInt32BE(checkInteger('xid', packet.xid, 0xffffffff), 4);
  buffer.writeUInt16BE(checkInteger('secs', packet.secs, 0xffff), 8);
  buffer.writeUInt16BE(checkInteger('flags', packet.flags, 0xffff), 10);
  buffer.writeUInt32BE(checkAddress('ciaddr', packet.ciaddr), 12);
  buffer.writeUInt32BE(checkAddress('yiaddr', packet.yiaddr), 16);
  buffer.writeUInt32BE(checkAddress('siaddr', packet.siaddr), 20);
  buffer.writeUInt32BE(checkAddress('giaddr', packet.giaddr), 24);
  if (packet.chaddr.length > 16) unsendable(`chaddr is ${packet.chaddr.length} bytes, expected at most 16`);
  packet.chaddr.copy(buffer, 28);
  writeCString(buffer, 'sname', packet.sname, SNAME_OFFSET, SNAME_LENGTH);
  writeCString(buffer, 'file', packet.file, FILE_OFFSET, FILE_LENGTH);
  buffer.writeUInt32BE(MAGIC_COOKIE, COOKIE_OFFSET);
  let at = OPTIONS_OFFSET;
  for (const code of codes) {
    const value = packet.options.get(code) as Buffer;
    let offset = 0;
    do {
      const partLength = Math.min(MAXIMUM_INSTANCE_LENGTH, value.length - offset);
      buffer[at] = code;
      buffer[at + 1] = partLength;
      value.copy(buffer, at + 2, offset, offset + partLength);
      at += 2 + partLength;
      offset += MAXIMUM_INSTANCE_LENGTH;
    } while (offset < value.length);
  }
  buffer[at] = OPTION_END;
  return buffer;
}

function checkInteger(field: string, value: number, maximum: number): number {
  if (!Number.isInteger(value) || value < 0 || value > maximum) {
    unsendable(`${field} is ${value}, expected an integer from 0 to ${maximum}`);
  }
  return value;
}

function checkAddress(field: string, address: string): number {
  const value = ipv4ToInt(address);
  if (value === undefined) unsendable(`${field} is ${JSON.stringify(address)}, expected an IPv4 address`);
  return value;
}

function writeCString(buffer: Buffer, field: string, value: string, offset: number, length: number): void {
  // A field filled to the last byte has no NUL; RFC 2131 allows that and parsing accepts it, so writing does too
  // (policy.ts keeps its own file names shorter, for ROMs that copy the field with strcpy).
  if (value.length > length) unsendable(`${field} is ${value.length} bytes, expected at most ${length}`);
  for (let index = 0; index < value.length; index += 1) {
    const char = value.charCodeAt(index);
    if (char === 0 || char > 0xff) {
      unsendable(`${field} holds character U+${char.toString(16).padStart(4, '0')}, expected bytes 1 to 255`);
    }
  }
  buffer.write(value, offset, 'latin1');
}
