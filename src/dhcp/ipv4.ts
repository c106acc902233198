// Dotted-quad IPv4 addresses as the DHCP layers pass them around, and the integer arithmetic that pools and
// subnets need. Pure; every parser returns undefined rather than throwing so callers choose their own error.

/**
 * The address as an unsigned 32-bit integer, or undefined when it is not a dotted quad. Read character by
 * character rather than with a regular expression: every packet in and out goes through here several times.
 */
export function ipv4ToInt(address: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let index = 0; index <= address.length; index += 1) {
    const char = index < address.length ? address.charCodeAt(index) : DOT;
    if (char >= ZERO_DIGIT && char <= ZERO_DIGIT + 9) {
      // Leading zeros are refused: inet_aton would read "010" as octal, so the same text means two addresses.
      if (digits === 1 && octet === 0) return undefined;
      octet = octet * 10 + (char - ZERO_DIGIT);
      digits += 1;
      if (digits > 3 || octet > 255) return undefined;
    } else if (char === DOT && digits > 0) {
      value = value * 256 + octet;
      if (index < address.length && ++dots > 3) return undefined;
      octet = 0;
      digits = 0;
    } else return undefined;
  }
  return dots === 3 ? value : undefined;
}

const DOT = 0x2e;
const ZERO_DIGIT = 0x30;

export function intToIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

export function isIpv4(address: string): boolean {
  return ipv4ToInt(address) !== undefined;
}

export function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function prefixToNetmask(prefix: number): string {
  return intToIpv4(prefixToMask(prefix));
}

/** The prefix length of a contiguous netmask such as 255.255.255.0, or undefined for anything else. */
export function netmaskToPrefix(netmask: string): number | undefined {
  const mask = ipv4ToInt(netmask);
  if (mask === undefined) return undefined;
  for (let prefix = 0; prefix <= 32; prefix += 1) if (prefixToMask(prefix) === mask) return prefix;
  return undefined;
}

export interface Ipv4Subnet {
  network: string;
  prefix: number;
}

export function inSubnet(address: string, subnet: Ipv4Subnet): boolean {
  const value = ipv4ToInt(address);
  const network = ipv4ToInt(subnet.network);
  if (value === undefined || network === undefined) return false;
  const mask = prefixToMask(subnet.prefix);
  return (value & mask) >>> 0 === (network & mask) >>> 0;
}

/** The subnet's own address and its directed broadcast address, which no host may be given (RFC 919, RFC 922). */
export function subnetBounds(subnet: Ipv4Subnet): { network: number; broadcast: number } {
  const mask = prefixToMask(subnet.prefix);
  const network = ((ipv4ToInt(subnet.network) ?? 0) & mask) >>> 0;
  return { network, broadcast: (network | (~mask >>> 0)) >>> 0 };
}

export const ZERO_ADDRESS = '0.0.0.0';
export const LIMITED_BROADCAST = '255.255.255.255';
