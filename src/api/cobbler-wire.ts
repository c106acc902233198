// What every Cobbler XML-RPC method shares: the method signature, how values go on the wire ("~" for None, as
// Cobbler's xmlrpc_hacks does), how objects look to Cobbler clients, and the argument readers.

import type { RequestTransport } from '../auth/require-tls.js';
import type { TokenOwner } from '../auth/tokens.js';
import { invalid, quote } from '../errors.js';
import { type InventoryObject, isObjectKind, type ObjectKind, objectKinds } from '../model/kinds.js';
import { kvToString } from '../model/kv.js';
import { XmlRpcDouble, type XmlRpcValue } from '../xmlrpc/codec.js';
import { objectToJson } from './object-json.js';

/** `source` is the caller's address; `urlSecret` the `?secret=` of the URL it called, which installers may carry. */
export type Method = (
  params: XmlRpcValue[],
  source: string | undefined,
  urlSecret: string | undefined,
  /** How the call arrived: a token in it must come over TLS when api_require_tls says so. */
  transport: RequestTransport,
) => Promise<XmlRpcValue>;

/** Where a group of methods registers itself: `open` ones take no credentials, `withToken` ones do. */
export interface MethodRegistry {
  open(name: string, method: Method): void;
  withToken(name: string, method: Method): void;
  owner(token: XmlRpcValue | undefined, access?: 'read' | 'write'): Promise<TokenOwner>;
}

/** Cobbler sends None as "~"; bootwright's dictionaries use null for a bare key (`quiet`), which becomes "~". */
export function toWire(value: unknown): XmlRpcValue {
  if (value === null || value === undefined) return '~';
  if (Array.isArray(value)) return value.map(toWire);
  if (value instanceof Date || Buffer.isBuffer(value) || value instanceof XmlRpcDouble)
    return value as XmlRpcValue;
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toWire(item)]));
  }
  return value as XmlRpcValue;
}

export function text(value: XmlRpcValue | undefined, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw invalid(`${what} must be a string, received ${quote(JSON.stringify(value))}.`);
}

/** An optional name argument: Cobbler's clients send "", "~" or nothing for "none". */
export function optionalText(value: XmlRpcValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' && value !== '~' ? value : undefined;
}

/** Python's truth: Cobbler tests `if expand:`, so Ansible's token in that slot means "yes". */
export function truthy(value: XmlRpcValue | undefined): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof XmlRpcDouble) return value.value !== 0;
  if (typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value))
    return Object.keys(value).length > 0;
  return true;
}

/** A struct argument as a record, or undefined for anything else (arrays, dates, binary, scalars). */
export function structOf(value: XmlRpcValue | undefined): Record<string, XmlRpcValue> | undefined {
  const isStruct =
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !Buffer.isBuffer(value) &&
    !(value instanceof XmlRpcDouble);
  return isStruct ? (value as Record<string, XmlRpcValue>) : undefined;
}

export function kindFrom(what: XmlRpcValue | undefined): ObjectKind {
  const kind = text(what, 'Type');
  if (!isObjectKind(kind))
    throw invalid(`Unknown object type ${quote(kind)}; use ${objectKinds.join(', ')}.`);
  return kind;
}

/** Cobbler 3.3 names some fields differently; an object shows both names so that either client finds its key. */
const cobblerSpellings: Record<string, string> = { next_server_v4: 'next_server' };

/** An object as Cobbler's `to_dict()` shows it to get_item, get_*s and find_*. */
export function cobblerItem(object: InventoryObject): Record<string, unknown> {
  const json = objectToJson(object);
  for (const [cobblerName, ownName] of Object.entries(cobblerSpellings)) {
    if (ownName in json && !(cobblerName in json)) json[cobblerName] = json[ownName];
  }
  return json;
}

/** Cobbler's `flatten=True`: the dictionaries and lists koan once needed as text, as text. */
export function flattenItem(item: Record<string, unknown>): Record<string, unknown> {
  const flat = { ...item };
  for (const key of [
    'environment',
    'kernel_options',
    'kernel_options_post',
    'yumopts',
    'autoinstall_meta',
    'template_files',
    'boot_files',
    'fetchable_files',
  ]) {
    const value = flat[key];
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      flat[key] = kvToString(value as Parameters<typeof kvToString>[0]);
  }
  for (const key of ['repos', 'rpm_list']) {
    const value = flat[key];
    if (Array.isArray(value)) flat[key] = value.join(' ');
  }
  return flat;
}
