// Turns what a person typed (CLI text) or a client sent (JSON, XML-RPC) into the canonical stored value of a
// field. One function for every edge, so that `--virt-ram=512` and `{"virt_ram": 512}` are the same thing.

import { isAbsolute, resolve } from 'node:path';
import { invalid, quote } from '../errors.js';
import type { FieldDef } from './fields.js';
import { compileHostPattern } from './host-pattern.js';
import { type FieldValue, INHERIT } from './kinds.js';
import { toKvDict } from './kv.js';
import {
  parseBool,
  parseBootFile,
  parseDhcpTag,
  parseDiskSizes,
  parseHost,
  parseHostname,
  parseHttpUrl,
  parseImageFile,
  parseInteger,
  parseIpv4,
  parseIpv4Subnet,
  parseIpv6,
  parseList,
  parseMac,
  parseName,
  parseNetmask,
  parsePasswordHash,
} from './values.js';

/** Control characters would end up in boot configs and shell lines of kickstarts; free text may hold newlines. */
function hasControlCharacters(text: string, allowNewlines: boolean): boolean {
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (allowNewlines && (char === '\n' || char === '\t')) continue;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Kernel options are written into kernel command lines, GRUB and iPXE scripts and kickstart `bootloader` lines,
 * where these characters separate commands, substitute variables or quote: one of them in a value would let an
 * object's editor run commands in every boot loader and installer that reads it.
 */
const commandLineMeta = /[\s;&|`$<>\\"'{}]/u;

/** What in a word a kernel command line or boot loader would read as more than text, for the message; or undefined. */
function commandLineFault(text: string): string | undefined {
  const bad = commandLineMeta.exec(text)?.[0] ?? (hasControlCharacters(text, false) ? '\n' : undefined);
  if (bad === undefined) return undefined;
  return /\s/.test(bad) ? 'white space' : quote(bad);
}

const commandLineAdvice = 'which boot loaders and installers would read as a command or quote';

function checkCommandLine(dict: Record<string, unknown>, what: string): void {
  for (const [key, value] of Object.entries(dict)) {
    for (const word of [
      key.replace(/^!/, ''),
      ...(value === null ? [] : Array.isArray(value) ? value : [value]),
    ]) {
      const text = String(word);
      const fault = commandLineFault(text);
      if (fault === undefined) continue;
      throw invalid(
        `${what} ${quote(key)}${value === null ? '' : `=${quote(text)}`} holds ${fault}, ${commandLineAdvice}; use plain key=value words, and put commands in a snippet.`,
      );
    }
  }
}

/** A DNS server: an IPv4 or IPv6 address, nothing that could extend a kickstart `network` line. */
function parseAddress(value: string, what: string): string {
  try {
    return parseIpv4(value, what);
  } catch {
    try {
      return parseIpv6(value, what);
    } catch {
      throw invalid(`${what} ${quote(value)} is not an IP address such as 192.0.2.53 or 2001:db8::53.`);
    }
  }
}

/** A directory on this server, tidied (`/srv/` and `/srv/./x/..` are `/srv`) so that prefix checks hold. */
function parseAbsolutePath(value: string, what: string): string {
  if (!isAbsolute(value) || hasControlCharacters(value, false))
    throw invalid(`${what} ${quote(value)} is not an absolute directory such as /srv/install.`);
  return resolve(value);
}

function label(field: FieldDef): string {
  return `--${field.name.replaceAll('_', '-')}`;
}

/** Structured parameters: a JSON object, or "k=v" text like the other dictionaries. */
function parseParams(value: unknown, what: string): Record<string, unknown> {
  if (value === null || value === undefined || value === '') return {};
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw invalid(`${what} ${quote(text)} is not valid JSON.`);
      }
      return parseParams(parsed, what);
    }
    return toKvDict(text, what);
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(
      `${what} must be an object or "key=value ..." text, received ${quote(JSON.stringify(value))}.`,
    );
  }
  return value as Record<string, unknown>;
}

export function parseFieldValue(field: FieldDef, value: unknown, what = label(field)): FieldValue {
  if (value === INHERIT) {
    if (field.default === INHERIT) return INHERIT;
    if (field.type === 'dict' || field.type === 'params') return {};
    if (field.type === 'list') return [];
    throw invalid(`${what} cannot be "${INHERIT}": it has no parent to inherit from.`);
  }
  // Only these take a list or an object: anything else must be one value, and an object (from a JSON body) is
  // refused here rather than turned into text by String(), which throws on {"toString": ""}.
  const structured = field.type === 'dict' || field.type === 'params' || field.type === 'list';
  if (!structured && value !== null && typeof value === 'object') {
    throw invalid(`${what} must be one value, received ${quote(JSON.stringify(value))}.`);
  }
  switch (field.type) {
    case 'string':
    case 'text': {
      const text = value === null || value === undefined ? '' : String(value);
      if (hasControlCharacters(text, field.type === 'text')) {
        throw invalid(`${what} ${quote(text)} contains control characters; remove them.`);
      }
      const fault = field.commandLine ? commandLineFault(text) : undefined;
      if (fault !== undefined) throw invalid(`${what} ${quote(text)} holds ${fault}, ${commandLineAdvice}.`);
      return text;
    }
    case 'ref':
      return value === null || value === undefined || value === '' ? '' : parseName(value, what);
    case 'bool':
      return parseBool(value, what);
    case 'int':
      return parseInteger(value, what, field.range?.[0], field.range?.[1]);
    case 'disk-sizes':
      return parseDiskSizes(value, what);
    case 'dict': {
      const dict = toKvDict(value, what);
      if (field.commandLine) checkCommandLine(dict, what);
      return dict;
    }
    case 'params':
      return parseParams(value, what) as FieldValue;
    case 'list': {
      const items = parseList(value, what);
      if (field.choices) {
        const bad = items.find((item) => !field.choices?.includes(item));
        if (bad !== undefined)
          throw invalid(`${what} ${quote(bad)} is not one of: ${field.choices.join(', ')}.`);
      }
      if (field.refKind) for (const item of items) parseName(item, what);
      if (field.items === 'address') for (const item of items) parseAddress(item, what);
      if (field.items === 'ipv4') for (const item of items) parseIpv4(item, what);
      if (field.items === 'hostname') for (const item of items) parseHostname(item, what);
      if (field.items === 'absolute-path')
        return [...new Set(items.map((item) => parseAbsolutePath(item, what)))];
      return [...new Set(items)];
    }
    case 'enum': {
      const text = value === null || value === undefined ? '' : String(value).trim();
      if (!field.choices?.includes(text)) {
        const shown = field.choices?.filter((choice) => choice !== '').join(', ');
        throw invalid(`${what} ${quote(text)} is not one of: ${shown}.`);
      }
      return text;
    }
    case 'mac':
      return parseMac(value, what);
    case 'ipv4':
      return parseIpv4(value, what);
    case 'ipv6':
      return parseIpv6(value, what);
    case 'netmask':
      return parseNetmask(value, what);
    case 'hostname':
      return parseHostname(value, what);
    case 'host':
      return parseHost(value, what);
    case 'boot-file':
      return parseBootFile(value, what);
    case 'dhcp-tag':
      return parseDhcpTag(value, what);
    case 'ipv4-subnet':
      return parseIpv4Subnet(value, what);
    case 'image-file':
      return parseImageFile(value, what);
    case 'http-url':
      return parseHttpUrl(value, what);
    case 'password-hash':
      return parsePasswordHash(value, what);
    case 'host-pattern': {
      if (value !== null && typeof value === 'object') {
        throw invalid(`${what} must be text, received ${quote(JSON.stringify(value))}.`);
      }
      const text = String(value ?? '').trim();
      return text === '' ? '' : compileHostPattern(text, what).text;
    }
  }
}
