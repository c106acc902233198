// Named DHCP options and typed accessors for the ones bootwright reads or writes (RFC 2132, RFC 4578 for PXE, RFC
// 3004 user class, RFC 3046 relay agent information, iPXE's encapsulated option 175). Readers return undefined for
// an absent option and throw DhcpPacketError for one whose bytes do not fit its type: a malformed option is the
// client's fault and is dropped like a malformed packet.

import { BootwrightError, quote } from '../errors.js';
import { intToIpv4, ipv4ToInt } from './ipv4.js';
import { type DhcpOptions, DhcpPacketError } from './packet.js';

export const DhcpOption = {
  SubnetMask: 1,
  Router: 3,
  DomainNameServer: 6,
  HostName: 12,
  DomainName: 15,
  VendorSpecific: 43,
  RequestedAddress: 50,
  LeaseTime: 51,
  MessageType: 53,
  ServerIdentifier: 54,
  ParameterRequestList: 55,
  Message: 56,
  MaximumMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  VendorClass: 60,
  ClientIdentifier: 61,
  TftpServerName: 66,
  BootFileName: 67,
  UserClass: 77,
  RelayAgentInformation: 82,
  ClientArchitecture: 93,
  ClientNetworkInterface: 94,
  ClientMachineIdentifier: 97,
  IpxeEncapsulated: 175,
} as const;

/** RFC 2132 §9.6. */
export const MessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
} as const;

export type MessageTypeName =
  | 'discover'
  | 'offer'
  | 'request'
  | 'decline'
  | 'ack'
  | 'nak'
  | 'release'
  | 'inform';

const MESSAGE_TYPE_NAMES: Record<number, MessageTypeName> = {
  1: 'discover',
  2: 'offer',
  3: 'request',
  4: 'decline',
  5: 'ack',
  6: 'nak',
  7: 'release',
  8: 'inform',
};

export function messageTypeName(type: number): MessageTypeName | undefined {
  return MESSAGE_TYPE_NAMES[type];
}

/**
 * RFC 4578 §2.1 and the IANA "Processor Architecture Types" registry. Decimal here, as IANA lists them: Cobbler's
 * dhcp.template writes hex (00:0b), which once turned 25/27 (RISC-V) into 0x25/0x27 (LoongArch).
 */
export const ClientArch = {
  BiosX86: 0,
  EfiIa32: 6,
  EfiX64: 7,
  EfiBc: 9,
  EfiArm32: 10,
  EfiArm64: 11,
  HttpEfiX86: 15,
  HttpEfiX64: 16,
  HttpEfiArm32: 18,
  HttpEfiArm64: 19,
  HttpBios: 20,
} as const;

/** Vendor options of the PXE 2.1 specification, carried inside option 43 of a reply to a PXEClient. */
export const PxeVendorOption = {
  DiscoveryControl: 6,
  BootItem: 71,
} as const;

/**
 * PXE_DISCOVERY_CONTROL bit 3: use the boot file name in this reply and skip boot-server discovery and the boot menu.
 * Without it some BIOS ROMs multicast-discover or wait for a menu nobody sends.
 */
export const PXE_DISCOVERY_USE_BOOTFILE = 0x08;

/** iPXE's sub-option 175.176 (ipxe/include/ipxe/dhcp.h DHCP_EB_NO_PXEDHCP): do not wait for ProxyDHCP offers. */
export const IPXE_NO_PXEDHCP = 176;

/** The user class (option 77, RFC 3004) iPXE sends unless built with another (ipxe/src/net/udp/dhcp.c). */
export const IPXE_USER_CLASS = 'iPXE';

function optionError(code: number, message: string): never {
  throw new DhcpPacketError(`Cannot parse DHCP option ${code}: ${message}`);
}

function expectLength(code: number, value: Buffer, length: number): void {
  if (value.length !== length) {
    optionError(code, `expected ${length} byte${length === 1 ? '' : 's'}, received ${value.length}`);
  }
}

function expectMultiple(code: number, value: Buffer, unit: number): void {
  if (value.length === 0 || value.length % unit !== 0) {
    optionError(code, `expected a non-empty multiple of ${unit} bytes, received ${value.length}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Readers

export function readUint8(options: DhcpOptions, code: number): number | undefined {
  const value = options.get(code);
  if (value === undefined) return undefined;
  expectLength(code, value, 1);
  return value.readUInt8(0);
}

export function readUint16(options: DhcpOptions, code: number): number | undefined {
  const value = options.get(code);
  if (value === undefined) return undefined;
  expectLength(code, value, 2);
  return value.readUInt16BE(0);
}

export function readUint32(options: DhcpOptions, code: number): number | undefined {
  const value = options.get(code);
  if (value === undefined) return undefined;
  expectLength(code, value, 4);
  return value.readUInt32BE(0);
}

export function readIpv4(options: DhcpOptions, code: number): string | undefined {
  const value = options.get(code);
  if (value === undefined) return undefined;
  expectLength(code, value, 4);
  return intToIpv4(value.readUInt32BE(0));
}

export function readIpv4List(options: DhcpOptions, code: number): string[] | undefined {
  const value = options.get(code);
  if (value === undefined) return undefined;
  expectMultiple(code, value, 4);
  const addresses: string[] = [];
  for (let offset = 0; offset < value.length; offset += 4)
    addresses.push(intToIpv4(value.readUInt32BE(offset)));
  return addresses;
}

/**
 * Text options. Trailing NULs are dropped: RFC 2132 §2 says "SHOULD NOT" include one, but Windows and several
 * embedded clients NUL-terminate host names and vendor classes anyway.
 */
export function readString(options: DhcpOptions, code: number): string | undefined {
  const value = options.get(code);
  if (value === undefined) return undefined;
  let end = value.length;
  while (end > 0 && value[end - 1] === 0) end -= 1;
  return value.subarray(0, end).toString('utf8');
}

export function readMessageType(options: DhcpOptions): number | undefined {
  const type = readUint8(options, DhcpOption.MessageType);
  if (type !== undefined && messageTypeName(type) === undefined) {
    optionError(DhcpOption.MessageType, `message type ${type} is not one of 1 to 8`);
  }
  return type;
}

/** RFC 4578 §2.1: a list of 16-bit architecture types, most preferred first. */
export function readClientArchitectures(options: DhcpOptions): number[] | undefined {
  const value = options.get(DhcpOption.ClientArchitecture);
  if (value === undefined) return undefined;
  expectMultiple(DhcpOption.ClientArchitecture, value, 2);
  const arches: number[] = [];
  for (let offset = 0; offset < value.length; offset += 2) arches.push(value.readUInt16BE(offset));
  return arches;
}

/** RFC 4578 §2.2: UNDI interface type (1 = UNDI) and version. */
export function readClientNetworkInterface(
  options: DhcpOptions,
): { type: number; major: number; minor: number } | undefined {
  const value = options.get(DhcpOption.ClientNetworkInterface);
  if (value === undefined) return undefined;
  expectLength(DhcpOption.ClientNetworkInterface, value, 3);
  return { type: value[0] as number, major: value[1] as number, minor: value[2] as number };
}

/** RFC 4578 §2.3: type 0 followed by a 16-byte GUID, as a lowercase UUID string. */
export function readClientMachineIdentifier(options: DhcpOptions): string | undefined {
  const value = options.get(DhcpOption.ClientMachineIdentifier);
  if (value === undefined) return undefined;
  expectLength(DhcpOption.ClientMachineIdentifier, value, 17);
  if (value[0] !== 0)
    optionError(DhcpOption.ClientMachineIdentifier, `type is ${value[0]}, expected 0 (GUID)`);
  const hex = value.subarray(1).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Option 77. RFC 3004 §4 wants a list of length-prefixed classes, but iPXE (and several ROMs) send one raw string,
 * e.g. the four bytes "iPXE". A value that does not split exactly into RFC 3004 items is read as one raw class.
 */
export function readUserClasses(options: DhcpOptions): string[] | undefined {
  const value = options.get(DhcpOption.UserClass);
  if (value === undefined) return undefined;
  const classes: string[] = [];
  let offset = 0;
  while (offset < value.length) {
    const length = value[offset] as number;
    if (length === 0 || offset + 1 + length > value.length)
      return [readString(options, DhcpOption.UserClass) ?? ''];
    classes.push(value.subarray(offset + 1, offset + 1 + length).toString('utf8'));
    offset += 1 + length;
  }
  return classes.length > 0 ? classes : [''];
}

/** Sub-options inside an encapsulating option (43, 82, 175), each a code/length/value like top-level options. */
export function readEncapsulated(options: DhcpOptions, code: number): Map<number, Buffer> | undefined {
  const value = options.get(code);
  if (value === undefined) return undefined;
  const subOptions = new Map<number, Buffer>();
  let offset = 0;
  while (offset < value.length) {
    const subCode = value[offset] as number;
    if (subCode === 255) break;
    if (subCode === 0) {
      offset += 1;
      continue;
    }
    const length = value[offset + 1];
    if (length === undefined || offset + 2 + length > value.length) {
      optionError(code, `sub-option ${subCode} at byte ${offset} runs past the end of the option`);
    }
    subOptions.set(subCode, value.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  return subOptions;
}

export function readParameterRequestList(options: DhcpOptions): number[] | undefined {
  const value = options.get(DhcpOption.ParameterRequestList);
  return value === undefined ? undefined : [...value];
}

/** The architecture a PXE ROM puts in its vendor class, "PXEClient:Arch:00007:UNDI:003016" (PXE 2.1). */
export function vendorClassArchitecture(vendorClass: string | undefined): number | undefined {
  const match = /^(?:PXEClient|HTTPClient):Arch:(\d{5})/.exec(vendorClass ?? '');
  return match ? Number(match[1]) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoders

export function encodeUint8(value: number): Buffer {
  return Buffer.from([value]);
}

// Small values come from Node's shared buffer pool (allocUnsafe) and are written whole: Buffer.alloc would make a
// fresh ArrayBuffer for each, several per reply.

export function encodeUint32(value: number): Buffer {
  const buffer = Buffer.allocUnsafe(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

export function encodeIpv4(address: string): Buffer {
  return encodeIpv4List([address]);
}

export function encodeIpv4List(addresses: readonly string[]): Buffer {
  const buffer = Buffer.allocUnsafe(addresses.length * 4);
  addresses.forEach((address, index) => {
    const value = ipv4ToInt(address);
    if (value === undefined) {
      throw new BootwrightError('E_INTERNAL', `Cannot encode ${quote(address)} as an IPv4 address`);
    }
    buffer.writeUInt32BE(value, index * 4);
  });
  return buffer;
}

export function encodeString(value: string): Buffer {
  return Buffer.from(value, 'utf8');
}

/** Sub-options in ascending order, closed by an end byte as the PXE 2.1 specification shows for option 43. */
export function encodeEncapsulated(subOptions: ReadonlyMap<number, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const code of [...subOptions.keys()].sort((a, b) => a - b)) {
    const value = subOptions.get(code) as Buffer;
    parts.push(Buffer.from([code, value.length]), value);
  }
  parts.push(Buffer.from([255]));
  return Buffer.concat(parts);
}
