// Parsers for the single values people type: names, MACs, addresses, booleans, numbers and lists.
// Each returns the canonical form that is stored, or throws one sentence that quotes the bad value.

import { isIPv4, isIPv6 } from 'node:net';
import { invalid, quote } from '../errors.js';

const namePattern = /^[A-Za-z0-9_.:-]+$/;

export function parseName(value: unknown, what = 'Name', flag = '--name'): string {
  const name = String(value ?? '');
  if (name === '') throw invalid(`${what} is missing; pass ${flag}=NAME.`);
  if (!namePattern.test(name) || name.length > 255) {
    throw invalid(`${what} ${quote(name)} is not valid: use letters, digits and _ . : - only.`);
  }
  return name;
}

/** Canonical MACs are lower-case and colon-separated; dashes (Windows) and dots (Cisco) are accepted on input. */
export function parseMac(value: unknown, what = 'MAC address'): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  const hex = text.replaceAll(/[:\-.]/g, '').toLowerCase();
  const separatorsOk =
    /^([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}$/i.test(text) ||
    /^([0-9a-f]{1,2}-){5}[0-9a-f]{1,2}$/i.test(text) ||
    /^([0-9a-f]{4}\.){2}[0-9a-f]{4}$/i.test(text);
  if (!separatorsOk || !/^[0-9a-f]+$/.test(hex)) {
    throw invalid(
      `${what} ${quote(text)} is not valid: expected six hex bytes such as 52:54:00:12:34:56, or "random".`,
    );
  }
  const bytes = text.includes('.')
    ? (hex.match(/../g) ?? [])
    : text.split(/[:-]/).map((b) => b.padStart(2, '0'));
  return bytes.join(':').toLowerCase();
}

export function parseIpv4(value: unknown, what = 'IP address'): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  if (!isIPv4(text)) throw invalid(`${what} ${quote(text)} is not a valid IPv4 address such as 192.0.2.9.`);
  return text;
}

export function parseIpv6(value: unknown, what = 'IPv6 address'): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  if (!isIPv6(text)) throw invalid(`${what} ${quote(text)} is not a valid IPv6 address such as 2001:db8::9.`);
  return text;
}

/** Netmasks are stored dotted; a prefix length such as 24 or /24 is converted. */
export function parseNetmask(value: unknown, what = 'Netmask'): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  const prefix = /^\/?(\d{1,2})$/.exec(text);
  if (prefix) {
    const bits = Number(prefix[1]);
    if (bits <= 32) {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join('.');
    }
  }
  if (isIPv4(text)) {
    const mask = text.split('.').reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
    const inverted = ~mask >>> 0;
    if ((inverted & (inverted + 1)) === 0) return text;
  }
  throw invalid(
    `${what} ${quote(text)} is not valid: expected a mask such as 255.255.255.0 or a prefix length such as 24.`,
  );
}

const labelPattern = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** A host or DNS name per RFC 1123, with or without the root's trailing dot. */
export function isHostname(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.length <= 253 && name.split('.').every((label) => labelPattern.test(label));
}

/** Host and DNS names per RFC 1123; they end up in shell lines of kickstarts, so nothing else is let through. */
export function parseHostname(value: unknown, what = 'Hostname'): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  if (!isHostname(text)) {
    throw invalid(`${what} ${quote(text)} is not valid: use letters, digits and - in dot-separated labels.`);
  }
  return text.endsWith('.') ? text.slice(0, -1) : text;
}

/**
 * The address installers, koan and boot loaders reach a server at (`server`, `next_server`): an IPv4 address or a
 * host name, with a port when the server listens elsewhere than the http_port says. It becomes the host of every
 * install URL and a word of iPXE scripts and DHCP options, so nothing that could end the host or the word (`/`,
 * white space, `||`) is let through.
 */
export function parseHost(value: unknown, what = 'Server address'): string {
  const text = String(value ?? '').trim();
  const [, host = '', port] = /^(.*?)(?::(\d{1,5}))?$/.exec(text) ?? [];
  const portOk = port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
  if (text === '' || (portOk && (isIPv4(host) || isHostname(host)))) return text;
  throw invalid(
    `${what} ${quote(text)} is not an IPv4 address or host name (with a :port if need be) such as 192.0.2.1 or boot.example.org.`,
  );
}

/** A subnet in CIDR form, such as 192.0.2.0/24. */
export function parseIpv4Subnet(value: unknown, what = 'Subnet'): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text);
  if (match && isIPv4(match[1] as string) && Number(match[2]) <= 32) return text;
  throw invalid(`${what} ${quote(text)} is not a subnet such as 192.0.2.0/24.`);
}

/** The file name a kernel or initrd is known by: the last part of its path, URL (without query) or tree: path. */
export function bootFileName(source: string): string {
  const path = source.replace(/^tree:/, '').split('?')[0] ?? '';
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Characters a kernel or initrd file name may hold. The name goes unquoted into pxelinux `KERNEL` and `initrd=`
 * (which have no quoting at all, and where `,` separates initrds), GRUB's `linux` and iPXE's `kernel` lines, so
 * only characters that every one of them reads literally are let through.
 */
const bootFileNamePattern = /^[A-Za-z0-9._+~-]+$/;

/** A kernel or initrd: a path on this server, a URL or `tree:PATH`, whose file name boot loaders can carry. */
export function parseBootFile(value: unknown, what = 'Boot file'): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  if (/\p{Cc}/u.test(text)) throw invalid(`${what} ${quote(text)} contains control characters; remove them.`);
  const name = bootFileName(text);
  if (!bootFileNamePattern.test(name)) {
    throw invalid(
      `${what} ${quote(text)} is not valid: its file name ${quote(name)} may hold letters, digits and . _ - + ~ only, because boot loaders read it unquoted; link the file under such a name.`,
    );
  }
  return text;
}

/**
 * An image's location as Cobbler 3.3 takes it (items/image.py): `/path/file`, `host:/path/file`,
 * `user@host:/path/file` or `user:password@host:/path/file` (koan mounts the host's export over NFS), never a URL.
 */
export function parseImageFile(value: unknown, what = 'Image file'): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  if (/\p{Cc}/u.test(text)) throw invalid(`${what} ${quote(text)} contains control characters; remove them.`);
  const fault = (reason: string) =>
    invalid(
      `${what} ${quote(text)} is not valid: ${reason}; give /path/file, host:/path/file or user@host:/path/file.`,
    );
  if (text.includes('://')) throw fault('it is a URL, and images are files or NFS exports');
  const at = text.split('@');
  if (at.length > 2) throw fault('it holds more than one "@"');
  const location = at.length === 2 ? (at[1] as string) : text;
  const colon = location.split(':');
  if (colon.length > 2) throw fault('it holds more than one ":" after the user');
  const [host, path] = colon.length === 2 ? [colon[0] as string, colon[1] as string] : ['', location];
  if (at.length === 2 && host === '') throw fault('a user needs a host');
  if (colon.length === 2 && host === '') throw fault('the host before ":" is empty');
  if (!path.startsWith('/')) throw fault('the path is not absolute');
  if (path.endsWith('/')) throw fault('it names a directory, not a file');
  return text;
}

/** DHCP tags become dnsmasq `set:` tags and Kea class names, where `,` and `:` would start another field. */
export function parseDhcpTag(value: unknown, what = 'DHCP tag'): string {
  const text = String(value ?? '').trim();
  if (text === '' || /^[A-Za-z0-9_.-]+$/.test(text)) return text;
  throw invalid(`${what} ${quote(text)} is not valid: a tag may hold letters, digits and _ . - only.`);
}

const trueWords = new Set(['true', 'yes', 'y', 'on', '1']);
const falseWords = new Set(['false', 'no', 'n', 'off', '0', '']);

export function parseBool(value: unknown, what = 'Value'): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
  const text = String(value ?? '')
    .trim()
    .toLowerCase();
  if (trueWords.has(text)) return true;
  if (falseWords.has(text)) return false;
  throw invalid(`${what} ${quote(value)} is not a yes/no value: use true or false.`);
}

export function parseInteger(value: unknown, what = 'Value', min = 0, max?: number): number {
  const text = String(value ?? '').trim();
  const number = Number(text);
  // Plain decimal digits only: Number() would also take 0x10 and 1e1.
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(number) || number < min || number > (max ?? number)) {
    const expected = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
    throw invalid(`${what} ${quote(value)} is not valid: expected a whole number ${expected}.`);
  }
  return number;
}

/**
 * An http(s) URL that installers are handed (a proxy), written unquoted into kickstart and preseed lines and
 * shell commands: a host as `parseHost` takes it, an optional user:password@, and a path of the characters of
 * RFC 3986 that no shell or kickstart parser reads as more than text (no `;`, `&`, `$`, quotes, white space).
 */
export function parseHttpUrl(value: unknown, what = 'URL'): string {
  const text = String(value ?? '').trim();
  if (text === '') return '';
  const match = /^https?:\/\/(?:[\w.~%-]+(?::[\w.~%-]*)?@)?([^/?#@]+)([/?#][\w.~%/:@+,=?#-]*)?$/.exec(text);
  let hostOk = false;
  if (match) {
    try {
      parseHost(match[1], what);
      hostOk = true;
    } catch {}
  }
  if (!hostOk)
    throw invalid(
      `${what} ${quote(text)} is not an http(s) URL such as http://proxy.example.org:3128 (letters, digits and . - _ ~ % / : @ + , = ? # only).`,
    );
  return text;
}

/** A crypt(3) hash (`$6$salt$hash`, `$y$...`, DES): only the characters crypt writes, so it stays one word. */
export function parsePasswordHash(value: unknown, what = 'Password hash'): string {
  const text = String(value ?? '').trim();
  if (/^[A-Za-z0-9./$=]*$/.test(text)) return text;
  throw invalid(
    `${what} ${quote(text)} is not a crypt(3) hash; make one with "openssl passwd -6" (it holds only letters, digits, ".", "/", "$" and "=").`,
  );
}

/**
 * Disk sizes in whole gigabytes, one per disk: `5` or `5,10`. Cobbler stores floats such as 5.0, which Koan
 * silently turns into a 1 GB disk, so values are kept as integers from the start; `5.0` is accepted as 5.
 */
export function parseDiskSizes(value: unknown, what = 'Disk size'): string {
  const text = String(value ?? '').trim();
  const parts = text.split(',').map((part) => part.trim());
  const sizes = parts.map((part) => {
    const number = Number(part);
    if (!/^\d+(\.0*)?$/.test(part) || !Number.isSafeInteger(number)) {
      throw invalid(
        `${what} ${quote(text)} is not valid: expected whole gigabytes per disk, such as 5 or 5,10.`,
      );
    }
    return String(number);
  });
  return sizes.join(',');
}

/** Lists arrive as arrays (JSON) or as text separated by spaces or commas (CLI, Cobbler habit). */
export function parseList(value: unknown, what = 'List'): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    const nested = value.find((item) => item !== null && typeof item === 'object');
    if (nested !== undefined) {
      throw invalid(`${what} must be a list of text, but holds ${quote(JSON.stringify(nested))}.`);
    }
    return value.map((item) => String(item).trim()).filter((item) => item !== '');
  }
  if (typeof value === 'object') {
    throw invalid(`${what} must be a list or text, received ${quote(JSON.stringify(value))}.`);
  }
  return String(value)
    .split(/[\s,]+/)
    .filter((item) => item !== '');
}
