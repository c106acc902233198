// XML-RPC (http://xmlrpc.com/spec.md) as Cobbler speaks it through Python's xmlrpc.client. Pure strings in and
// out; the HTTP edge owns transport, body size limits and turning BootwrightErrors into faults.

import { SaxesParser } from 'saxes';
import { asBootwrightError, BootwrightError, quote } from '../errors.js';

/** Forces `<double>` for a value that happens to be integral, e.g. a Cobbler `virt_file_size` of 5.0. */
export class XmlRpcDouble {
  constructor(readonly value: number) {}
}

export type XmlRpcValue =
  | string
  | number
  | boolean
  | Date
  | Buffer
  | XmlRpcDouble
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue }
  | null;

export interface MethodCall {
  methodName: string;
  params: XmlRpcValue[];
}

export type MethodResponse =
  | { ok: true; value: XmlRpcValue }
  | { ok: false; faultCode: number; faultString: string };

// Deep enough for any Cobbler object, shallow enough that hostile input cannot exhaust the stack.
const MAX_DEPTH = 64;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const XML_DECLARATION = "<?xml version='1.0'?>";
// The spec's alphabet for method names.
const METHOD_NAME = /^[A-Za-z0-9_.:/]+$/;

// ---------------------------------------------------------------------------------------------------------------
// Parsing

interface XmlElement {
  name: string;
  children: (XmlElement | string)[];
}

/** A malformed document; the public parsers prefix the message and turn it into E_INVALID. */
class Malformed extends Error {}

export function parseMethodCall(xml: string | Buffer): MethodCall {
  return parseDocument(xml, 'request', (root) => {
    expectRoot(root, 'methodCall');
    const hasParams = elementsOf(root).length > 1;
    const [nameElement, paramsElement] = childElements(
      root,
      hasParams ? ['methodName', 'params'] : ['methodName'],
    );
    const methodName = textOf(nameElement);
    if (!METHOD_NAME.test(methodName)) {
      throw new Malformed(
        `<methodName> holds ${excerpt(methodName)}, expected only letters, digits, "_", ".", ":" and "/"`,
      );
    }
    const params = paramsElement ? elementsNamed(paramsElement, 'param').map(readParam) : [];
    return { methodName, params };
  });
}

export function parseMethodResponse(xml: string | Buffer): MethodResponse {
  return parseDocument(xml, 'response', (root): MethodResponse => {
    expectRoot(root, 'methodResponse');
    const isFault = elementsOf(root)[0]?.name === 'fault';
    const [body] = childElements(root, [isFault ? 'fault' : 'params']);
    if (isFault) {
      const [value] = childElements(body, ['value']);
      const fault = readValue(value, 1);
      const { faultCode, faultString } = isStruct(fault) ? fault : {};
      if (typeof faultCode !== 'number' || !Number.isInteger(faultCode) || typeof faultString !== 'string') {
        throw new Malformed('<fault> must hold a struct with an integer faultCode and a string faultString');
      }
      return { ok: false, faultCode, faultString };
    }
    const params = elementsNamed(body, 'param');
    const [param] = params;
    if (!param || params.length > 1) {
      throw new Malformed(`<params> in a response must hold exactly one <param>, found ${params.length}`);
    }
    return { ok: true, value: readParam(param) };
  });
}

function parseDocument<T>(
  xml: string | Buffer,
  what: 'request' | 'response',
  read: (root: XmlElement) => T,
): T {
  try {
    return read(parseXml(xml));
  } catch (error) {
    if (error instanceof Malformed) {
      throw new BootwrightError('E_INVALID', `Cannot parse XML-RPC ${what}: ${error.message}`);
    }
    throw asBootwrightError(error);
  }
}

/** Builds an element tree; saxes is iterative, so only the reading of values below needs a depth limit. */
function parseXml(xml: string | Buffer): XmlElement {
  const document: XmlElement = { name: '#document', children: [] };
  const open: XmlElement[] = [];
  let current = document;
  const parser = new SaxesParser();
  parser.on('error', (error) => {
    throw new Malformed(
      `malformed XML ${error.message.replace(/^(\d+):(\d+): /, 'at line $1, column $2: ')}`,
    );
  });
  // Entity declarations are how XXE and billion-laughs attacks start, and XML-RPC never needs them.
  parser.on('doctype', () => {
    throw new Malformed('DOCTYPE declarations are not allowed');
  });
  parser.on('xmldecl', ({ encoding }) => {
    if (encoding !== undefined && !/^(utf-?8|us-ascii)$/i.test(encoding)) {
      throw new Malformed(
        `the XML declaration names encoding ${quote(encoding)}, but only UTF-8 is supported`,
      );
    }
  });
  parser.on('opentag', (tag) => {
    const element: XmlElement = { name: tag.name, children: [] };
    current.children.push(element);
    open.push(current);
    current = element;
  });
  parser.on('closetag', () => {
    current = open.pop() ?? document;
  });
  parser.on('text', (text) => current.children.push(text));
  parser.on('cdata', (text) => current.children.push(text));
  parser.write(decodeUtf8(xml)).close();
  const [root] = elementsOf(document);
  if (!root) throw new Malformed('the document is empty');
  return root;
}

function decodeUtf8(xml: string | Buffer): string {
  if (typeof xml === 'string') return xml;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(xml);
  } catch {
    throw new Malformed('the body is not valid UTF-8');
  }
}

function expectRoot(root: XmlElement, name: string): void {
  if (root.name !== name) throw new Malformed(`the root element is <${root.name}>, expected <${name}>`);
}

function readParam(param: XmlElement): XmlRpcValue {
  const [value] = childElements(param, ['value']);
  return readValue(value, 1);
}

function readValue(value: XmlElement, depth: number): XmlRpcValue {
  if (depth > MAX_DEPTH) throw new Malformed(`values are nested more than ${MAX_DEPTH} deep`);
  // The spec makes a <value> without a type element a string, whitespace and all.
  if (value.children.every((child) => typeof child === 'string')) return value.children.join('');
  const [typed, ...rest] = elementsOf(value);
  if (!typed || rest.length > 0) {
    throw new Malformed(`<value> must hold one type element, found ${listElements(elementsOf(value))}`);
  }
  switch (typed.name) {
    case 'string':
      return textOf(typed);
    case 'int':
    case 'i4':
    case 'i8':
      return readInteger(typed);
    case 'boolean':
      // Python accepts exactly "0" and "1", so anything else is a bug on the sending side worth surfacing.
      return readScalar(typed, /^[01]$/, '0 or 1') === '1';
    case 'double':
      return readDouble(typed);
    case 'dateTime.iso8601':
      return readDateTime(typed);
    case 'base64':
      return readBase64(typed);
    case 'struct':
      // fromEntries defines own properties, so a member named "__proto__" cannot replace the prototype.
      return Object.fromEntries(
        elementsNamed(typed, 'member').map((member) => {
          const [name, memberValue] = childElements(member, ['name', 'value']);
          return [textOf(name), readValue(memberValue, depth + 1)];
        }),
      );
    case 'array': {
      const [data] = childElements(typed, ['data']);
      return elementsNamed(data, 'value').map((item) => readValue(item, depth + 1));
    }
    // <nil/> is Python's allow_none extension, <ex:nil/> the Apache XML-RPC one.
    case 'nil':
    case 'ex:nil':
      childElements(typed, []);
      return null;
    default:
      throw new Malformed(`<${typed.name}> is not an XML-RPC type`);
  }
}

function readScalar(element: XmlElement, pattern: RegExp, expected: string): string {
  const text = textOf(element);
  if (!pattern.test(text)) {
    throw new Malformed(`<${element.name}> holds ${excerpt(text)}, expected ${expected}`);
  }
  return text;
}

function readInteger(element: XmlElement): number {
  const text = readScalar(element, /^\s*[+-]?\d+\s*$/, 'an integer');
  const value = Number(text);
  // <i8> and over-long <int>s can exceed what a JS number holds exactly; rounding them silently would corrupt ids.
  if (!Number.isSafeInteger(value)) {
    throw new Malformed(`<${element.name}> holds ${excerpt(text)}, which is too large to represent exactly`);
  }
  return value;
}

function readDouble(element: XmlElement): number {
  const text = readScalar(element, /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/, 'a finite number');
  const value = Number(text);
  if (!Number.isFinite(value)) {
    throw new Malformed(`<double> holds ${excerpt(text)}, expected a finite number`);
  }
  return value;
}

// Python writes 20261125T18:50:00 with no zone; the dashed ISO 8601 form and zones come from other peers.
const DATE_TIME = /^(\d{4})-?(\d\d)-?(\d\d)T(\d\d):?(\d\d):?(\d\d)(?:\.(\d+))?(?:Z|([+-])(\d\d):?(\d\d))?$/;

function readDateTime(element: XmlElement): Date {
  const text = textOf(element).trim();
  const invalid = new Malformed(
    `<dateTime.iso8601> holds ${excerpt(text)}, expected a date like "20261125T18:50:00"`,
  );
  const match = DATE_TIME.exec(text);
  if (!match) throw invalid;
  const wallClock = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}`;
  const utc = Date.parse(`${wallClock}Z`);
  // Date.parse rolls 30 February over into March; comparing with what it made catches such dates.
  if (Number.isNaN(utc) || new Date(utc).toISOString().slice(0, 19) !== wallClock) throw invalid;
  const milliseconds = Number((match[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const offsetMinutes = (match[8] === '-' ? -1 : 1) * (Number(match[9] ?? 0) * 60 + Number(match[10] ?? 0));
  return new Date(utc + milliseconds - offsetMinutes * 60_000);
}

function readBase64(element: XmlElement): Buffer {
  // Python's encodebytes breaks lines every 76 characters.
  const text = textOf(element).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Malformed(`<base64> holds ${excerpt(text)}, expected base64`);
  }
  return Buffer.from(text, 'base64');
}

/** The child elements, after checking that any text between them is whitespace. */
function elementsOf(element: XmlElement): XmlElement[] {
  const elements: XmlElement[] = [];
  for (const child of element.children) {
    if (typeof child !== 'string') elements.push(child);
    else if (!/^[ \t\r\n]*$/.test(child)) {
      throw new Malformed(
        `<${element.name}> holds the text ${excerpt(child.trim())} where only elements belong`,
      );
    }
  }
  return elements;
}

/** The child elements, after checking that they are exactly `names` in that order. */
function childElements<const Names extends readonly string[]>(
  element: XmlElement,
  names: Names,
): { [Index in keyof Names]: XmlElement } {
  const elements = elementsOf(element);
  if (elements.length !== names.length || elements.some((child, index) => child.name !== names[index])) {
    const expected = names.length > 0 ? names.map((name) => `<${name}>`).join(' then ') : 'nothing';
    throw new Malformed(`<${element.name}> must hold ${expected}, found ${listElements(elements)}`);
  }
  return elements as { [Index in keyof Names]: XmlElement };
}

function elementsNamed(element: XmlElement, name: string): XmlElement[] {
  const elements = elementsOf(element);
  const stray = elements.find((child) => child.name !== name);
  if (stray) throw new Malformed(`<${element.name}> may only hold <${name}> elements, found <${stray.name}>`);
  return elements;
}

function textOf(element: XmlElement): string {
  const nested = element.children.find((child) => typeof child !== 'string');
  if (nested) throw new Malformed(`<${element.name}> holds the element <${nested.name}>, expected text`);
  return element.children.join('');
}

function listElements(elements: XmlElement[]): string {
  return elements.length > 0 ? elements.map((element) => `<${element.name}>`).join(', ') : 'nothing';
}

/** Quotes input text for an error message without echoing megabytes of hostile input back. */
function excerpt(text: string): string {
  return quote(text.length > 60 ? `${text.slice(0, 60)}...` : text);
}

function isStruct(value: XmlRpcValue): value is { [key: string]: XmlRpcValue } {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

// ---------------------------------------------------------------------------------------------------------------
// Serializing

export function serializeMethodCall(methodName: string, params: XmlRpcValue[]): string {
  if (!METHOD_NAME.test(methodName)) {
    throw new BootwrightError(
      'E_INTERNAL',
      `Cannot call XML-RPC method ${quote(methodName)}: names hold only letters, digits, "_", ".", ":" and "/"`,
    );
  }
  const body = Array.from(
    params,
    (param, index) => `<param>${valueXml(param, `params[${index}]`, 1)}</param>`,
  );
  return `${XML_DECLARATION}<methodCall><methodName>${methodName}</methodName><params>${body.join('')}</params></methodCall>`;
}

export function serializeMethodResponse(value: XmlRpcValue): string {
  return `${XML_DECLARATION}<methodResponse><params><param>${valueXml(value, 'response', 1)}</param></params></methodResponse>`;
}

export function serializeFault(faultCode: number, faultString: string): string {
  if (!Number.isInteger(faultCode) || faultCode < INT32_MIN || faultCode > INT32_MAX) {
    throw new BootwrightError(
      'E_INTERNAL',
      `Cannot send fault code ${faultCode}: it must be a 32-bit integer`,
    );
  }
  return `${XML_DECLARATION}<methodResponse><fault>${valueXml({ faultCode, faultString }, 'fault', 1)}</fault></methodResponse>`;
}

function valueXml(value: XmlRpcValue | undefined, path: string, depth: number): string {
  return `<value>${typedXml(value, path, depth)}</value>`;
}

function typedXml(value: XmlRpcValue | undefined, path: string, depth: number): string {
  if (depth > MAX_DEPTH) {
    throw unsendable(`values nested more than ${MAX_DEPTH} deep (is there a cycle?)`, path);
  }
  // Koan crashes on <nil/>, and Cobbler never sends it; a null here is a bug in the caller.
  if (value === null || value === undefined) throw unsendable(String(value), path);
  if (typeof value === 'string') return `<string>${escapeText(value, path)}</string>`;
  if (typeof value === 'boolean') return `<boolean>${value ? 1 : 0}</boolean>`;
  if (typeof value === 'number') return numberXml(value, path, false);
  if (value instanceof XmlRpcDouble) return numberXml(value.value, path, true);
  if (value instanceof Date) return `<dateTime.iso8601>${dateTimeText(value, path)}</dateTime.iso8601>`;
  if (value instanceof Uint8Array) {
    return `<base64>${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}</base64>`;
  }
  if (Array.isArray(value)) {
    // Array.from visits holes as undefined, so a sparse array is refused rather than silently compacted.
    const items = Array.from(value, (item, index) => valueXml(item, `${path}[${index}]`, depth + 1));
    return `<array><data>${items.join('')}</data></array>`;
  }
  if (isStruct(value)) {
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([name, member]) => {
        const memberPath = /^[A-Za-z_$][\w$]*$/.test(name)
          ? `${path}.${name}`
          : `${path}[${JSON.stringify(name)}]`;
        return `<member><name>${escapeText(name, memberPath)}</name>${valueXml(member, memberPath, depth + 1)}</member>`;
      });
    return `<struct>${members.join('')}</struct>`;
  }
  const kind = typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value;
  throw unsendable(`a ${kind}`, path);
}

function numberXml(value: number, path: string, forceDouble: boolean): string {
  if (!Number.isFinite(value)) throw unsendable(String(value), path);
  // <int> is the spec's only integer and is 32-bit; Python refuses to send larger ints, so they travel as doubles.
  const isInt = !forceDouble && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
  return isInt ? `<int>${value}</int>` : `<double>${value}</double>`;
}

function dateTimeText(date: Date, path: string): string {
  const year = date.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) {
    const what = Number.isNaN(year) ? 'an invalid Date' : `the date ${date.toISOString()}`;
    throw unsendable(what, path, 'dates need a year from 0000 to 9999');
  }
  const pad = (field: number) => String(field).padStart(2, '0');
  const day = `${String(year).padStart(4, '0')}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}`;
  return `${day}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

// Characters outside XML 1.0's Char production (section 2.2): no escape can carry them, peers reject the document.
const UNSENDABLE_CHARACTER = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

function escapeText(text: string, path: string): string {
  const character = UNSENDABLE_CHARACTER.exec(text)?.[0];
  if (character !== undefined) {
    const codePoint = (character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    throw unsendable(`a string containing U+${codePoint}`, path, 'XML 1.0 cannot carry that character');
  }
  // A raw CR would reach the peer as LF (XML 1.0 section 2.11); a character reference survives.
  return text.replace(/[&<>\r]/g, (special) => ESCAPES[special] ?? special);
}

function unsendable(what: string, path: string, why?: string): BootwrightError {
  return new BootwrightError(
    'E_INTERNAL',
    `Cannot send ${what} over XML-RPC at ${path}${why ? ` (${why})` : ''}`,
  );
}
