// Dotted-quad IPv4 addresses as the DHCP layers pass them around, and the integer arithmetic that pools and
// subnets need. Pure; every parser returns undefined rather than throwing so callers choose their own error.

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as an unsigned 32-bit integer, or undefined when it is not a dotted quad. */
export function ipv4ToInt(address: string): number | undefined {
  const match = DOTTED_QUAD.exec(address);
  if (!match) return undefined;
  let value = 0;
  for (const part of match.slice(1)) {
    // Leading zeros are refused: inet_aton would read "010" as octal, so the same text means two addresses.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function intToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
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
