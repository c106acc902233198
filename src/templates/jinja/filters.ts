// Jinja 3's built-in filters and tests, each doing what jinja2/filters.py and jinja2/tests.py do with the same
// arguments, over the Python values of cheetah/python-values.ts. A few that no kickstart needs and that depend on
// Python's internals (pprint, random, urlize, xmlattr) are left out: naming one is an error, as an unknown filter is.
import { builtins, getAttribute, hasNoAttribute } from '../cheetah/python-builtins.js';
import { formatFixed, percentFormat } from '../cheetah/python-format.js';
import {
  checkValueLength,
  codePoints,
  dictGet,
  dictItems,
  dictKeys,
  isDict,
  isFloat,
  isIntegral,
  isNumeric,
  iterate,
  makeFloat,
  PyCallable,
  PyDict,
  PyDictView,
  PyError,
  PyFloat,
  PyIterator,
  PyRange,
  PyTuple,
  pyBinary,
  pyLen,
  pyOrder,
  pyStr,
  toNumber,
  typeError,
} from '../cheetah/python-values.js';
import { AttributeObject, isUndefined, JinjaMacro, type JinjaUndefined } from './values.js';

export interface FilterEnvironment {
  toText(value: unknown): string;
  truthy(value: unknown): boolean;
  equals(left: unknown, right: unknown): boolean;
  contains(container: unknown, item: unknown): boolean;
  compare(op: string, left: unknown, right: unknown): boolean;
  getattr(target: unknown, name: string): unknown;
  getitem(target: unknown, key: unknown): unknown;
  call(callee: unknown, args: unknown[], kwargs: Map<string, unknown> | null): unknown;
  callFilter(name: string, value: unknown, args: unknown[], kwargs: Map<string, unknown> | null): unknown;
  callTest(name: string, value: unknown, args: unknown[], kwargs: Map<string, unknown> | null): boolean;
  makeUndefined(hint: string): JinjaUndefined;
  groupTuple(grouper: unknown, items: unknown[]): PyTuple;
}

type Kwargs = Map<string, unknown>;
type Filter = (env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs) => unknown;
type Test = (env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs) => boolean;

/** Binds a filter's arguments to its Python signature; an argument left out is `defaults[i]`. */
function bind(
  name: string,
  args: unknown[],
  kwargs: Kwargs,
  params: string[],
  defaults: unknown[],
): unknown[] {
  if (args.length > params.length) {
    throw typeError(`${name}() takes at most ${params.length + 1} arguments (${args.length + 1} given)`);
  }
  const bound = params.map((_, i) => (i < args.length ? args[i] : defaults[i]));
  for (const [key, value] of kwargs) {
    const index = params.indexOf(key);
    if (index === -1) throw typeError(`${name}() got an unexpected keyword argument '${key}'`);
    bound[index] = value;
  }
  return bound;
}

function callMethod(value: string, name: string, ...args: unknown[]): unknown {
  const bound = getAttribute(value, name) as PyCallable;
  return bound.impl(args, null);
}

function items(value: unknown): unknown[] {
  if (isUndefined(value)) return [];
  return Array.from(iterate(value));
}

function toInteger(value: unknown, name: string): number {
  if (!isIntegral(value))
    throw typeError(`'${typeof value}' object cannot be interpreted as an integer (${name})`);
  return toNumber(value);
}

/** Jinja's ignore_case: strings compare in lower case where case_sensitive is off. */
function sortKey(env: FilterEnvironment, caseSensitive: boolean, attribute: unknown) {
  const getter = attribute === undefined || attribute === null ? null : attributeGetter(env, attribute);
  return (item: unknown): unknown => {
    const key = getter ? getter(item) : item;
    return !caseSensitive && typeof key === 'string' ? callMethod(key, 'lower') : key;
  };
}

/** make_attrgetter: "a.b.0" looked up step by step with getitem, integers as indices. */
function attributeGetter(env: FilterEnvironment, attribute: unknown, fallback?: unknown) {
  const parts =
    typeof attribute === 'string'
      ? attribute.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part))
      : [attribute];
  return (item: unknown): unknown => {
    let value = item;
    for (const part of parts) {
      value = env.getitem(value, part);
      if (isUndefined(value) && fallback !== undefined) return fallback;
    }
    return value;
  };
}

function sortedBy(list: unknown[], key: (item: unknown) => unknown, reverse: boolean): unknown[] {
  const keyed = list.map((item) => ({ item, key: key(item) }));
  keyed.sort((a, b) => (pyOrder(a.key, b.key, '<') ? -1 : pyOrder(b.key, a.key, '<') ? 1 : 0));
  if (reverse) {
    // Python's sort(reverse=True) keeps equal items in their first order, as a stable sort does.
    keyed.reverse();
    let start = 0;
    for (let i = 1; i <= keyed.length; i++) {
      const previous = keyed[i - 1] as { key: unknown };
      const current = keyed[i];
      if (
        current === undefined ||
        pyOrder(previous.key, current.key, '<') ||
        pyOrder(current.key, previous.key, '<')
      ) {
        const run = keyed.slice(start, i).reverse();
        keyed.splice(start, run.length, ...run);
        start = i;
      }
    }
  }
  return keyed.map((entry) => entry.item);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&#34;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string);
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

function unescapeHtml(text: string): string {
  return text.replace(/&(#\d+|#[xX][\da-fA-F]+|[a-zA-Z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X'))
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return NAMED_ENTITIES[entity] ?? whole;
  });
}

/** urllib.parse.quote_from_bytes over UTF-8, as Jinja's url_quote uses it. */
function urlQuote(value: unknown, env: FilterEnvironment, forQuery: boolean): string {
  const text = typeof value === 'string' ? value : env.toText(value);
  const safe = forQuery ? '' : '/';
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.~-]/.test(char) || safe.includes(char)) out += char;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return forQuery ? out.replaceAll('%20', '+') : out;
}

const JSON_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A JSON string as Python's json.dumps writes it: everything outside printable ASCII as \uXXXX. */
function jsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    const code = text.charCodeAt(i);
    if (JSON_ESCAPES[char]) out += JSON_ESCAPES[char];
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** json.dumps(sort_keys=True) then Jinja's htmlsafe replacements; ensure_ascii as Python's default. */
function toJson(value: unknown, indent: number | null, level = 0): string {
  if (isUndefined(value)) throw typeError('Object of type Undefined is not JSON serializable');
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || value instanceof PyFloat) {
    const n = toNumber(value);
    if (Number.isNaN(n)) return 'NaN';
    if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
    return pyStr(value);
  }
  if (typeof value === 'string') return jsonString(value);
  const inner = indent === null ? '' : `\n${' '.repeat(indent * (level + 1))}`;
  const outer = indent === null ? '' : `\n${' '.repeat(indent * level)}`;
  const separator = indent === null ? ', ' : ',';
  if (
    Array.isArray(value) ||
    value instanceof PyTuple ||
    value instanceof PyIterator ||
    value instanceof PyRange
  ) {
    const list = Array.from(iterate(value));
    if (list.length === 0) return '[]';
    return `[${inner}${list.map((item) => toJson(item, indent, level + 1)).join(separator + inner)}${outer}]`;
  }
  if (isDict(value)) {
    const keys = dictKeys(value)
      .map((key) => ({ key, text: typeof key === 'string' ? key : pyStr(key) }))
      .sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
    if (keys.length === 0) return '{}';
    const entries = keys.map(
      ({ key, text }) => `${toJson(text, indent)}: ${toJson(dictGet(value, key), indent, level + 1)}`,
    );
    return `{${inner}${entries.join(separator + inner)}${outer}}`;
  }
  throw typeError(`Object of type ${value.constructor.name} is not JSON serializable`);
}

function splitLines(text: string): string[] {
  return callMethod(text, 'splitlines') as string[];
}

// textwrap.TextWrapper's chunking (Python 3.11), with \w and letters taken as Unicode's.
const WORD_PUNCT = `[\\p{L}\\p{N}_!"'&.,?]`;
const LETTER = '[\\p{L}_]';
const WS = '[\\t\\n\\x0b\\x0c\\r ]';
const NOWS = '[^\\t\\n\\x0b\\x0c\\r ]';
const WORD_SEPARATOR = new RegExp(
  `(${WS}+|(?<=${WORD_PUNCT})-{2,}(?=[\\p{L}\\p{N}_])|${NOWS}+?(?:-(?:(?<=${LETTER}{2}-)|(?<=${LETTER}-${LETTER}-))(?=${LETTER}-?${LETTER})|(?=${WS}|$)|(?<=${WORD_PUNCT})(?=-{2,}[\\p{L}\\p{N}_])))`,
  'u',
);
const SIMPLE_SEPARATOR = new RegExp(`(${WS}+)`, 'u');

function wrapText(text: string, width: number, breakLongWords: boolean, breakOnHyphens: boolean): string[] {
  const chunks = text
    .split(breakOnHyphens ? WORD_SEPARATOR : SIMPLE_SEPARATOR)
    .filter((chunk) => chunk !== '');
  const length = (chunk: string) => codePoints(chunk).length;
  const isSpace = (chunk: string) => /^[\s]*$/u.test(chunk);
  chunks.reverse();
  const lines: string[] = [];
  while (chunks.length > 0) {
    const line: string[] = [];
    let lineLength = 0;
    if (isSpace(chunks[chunks.length - 1] as string) && lines.length > 0) chunks.pop();
    while (chunks.length > 0) {
      const size = length(chunks[chunks.length - 1] as string);
      if (lineLength + size > width) break;
      line.push(chunks.pop() as string);
      lineLength += size;
    }
    if (chunks.length > 0 && length(chunks[chunks.length - 1] as string) > width) {
      const spaceLeft = width < 1 ? 1 : width - lineLength;
      const chunk = chunks[chunks.length - 1] as string;
      if (breakLongWords) {
        const points = Array.from(chunk);
        let end = spaceLeft;
        if (breakOnHyphens && points.length > spaceLeft) {
          const hyphen = points.slice(0, spaceLeft).lastIndexOf('-');
          if (hyphen > 0 && points.slice(0, hyphen).some((c) => c !== '-')) end = hyphen + 1;
        }
        line.push(points.slice(0, end).join(''));
        chunks[chunks.length - 1] = points.slice(end).join('');
      } else if (line.length === 0) {
        line.push(chunks.pop() as string);
      }
    }
    if (line.length > 0 && isSpace(line[line.length - 1] as string)) line.pop();
    if (line.length > 0) lines.push(line.join(''));
  }
  return lines;
}

function filesize(env: FilterEnvironment, value: unknown, binary: boolean): string {
  const bytes = toNumber(env.callFilter('float', value, [], null) as number);
  const base = binary ? 1024 : 1000;
  const prefixes = binary
    ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB']
    : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
  let unit = base;
  let prefix = '';
  for (let i = 0; i < prefixes.length; i++) {
    unit = base ** (i + 2);
    prefix = prefixes[i] as string;
    if (bytes < unit) break;
  }
  return `${formatFixed((base * bytes) / unit, 1)} ${prefix}`;
}

function indent(env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs): string {
  // Jinja adds "\n" to the value before splitting, and Undefined refuses `+`.
  if (isUndefined(value)) throw value.error();
  const [width, first, blank] = bind('indent', args, kwargs, ['width', 'first', 'blank'], [4, false, false]);
  const indention = typeof width === 'string' ? width : ' '.repeat(toInteger(width, 'indent'));
  const text = `${env.toText(value)}\n`;
  let result: string;
  if (env.truthy(blank)) {
    result = splitLines(text).join(`\n${indention}`);
  } else {
    const lines = splitLines(text);
    result = lines.shift() ?? '';
    if (lines.length > 0) result += `\n${lines.map((line) => (line ? indention + line : line)).join('\n')}`;
  }
  return env.truthy(first) ? indention + result : result;
}

function selectOrReject(
  env: FilterEnvironment,
  value: unknown,
  args: unknown[],
  kwargs: Kwargs,
  byAttribute: boolean,
  keep: boolean,
): PyIterator {
  const list = items(value);
  let getter = (item: unknown) => item;
  let rest = args;
  if (byAttribute) {
    if (args.length === 0) throw typeError('Missing parameter for attribute name');
    getter = attributeGetter(env, args[0]) as (item: unknown) => unknown;
    rest = args.slice(1);
  }
  const check =
    rest.length === 0
      ? (item: unknown) => env.truthy(item)
      : (item: unknown) => env.callTest(pyStr(rest[0]), item, rest.slice(1), kwargs);
  return new PyIterator(
    'generator',
    list.filter((item) => check(getter(item)) === keep),
  );
}

function mapFilter(env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs): PyIterator {
  const list = items(value);
  if (args.length === 0 && kwargs.has('attribute')) {
    const getter = attributeGetter(env, kwargs.get('attribute'), kwargs.get('default'));
    return new PyIterator('generator', list.map(getter));
  }
  if (args.length === 0) throw typeError('map requires a filter argument');
  const [name, ...rest] = args;
  return new PyIterator(
    'generator',
    list.map((item) => env.callFilter(pyStr(name), item, rest, kwargs)),
  );
}

function extreme(
  env: FilterEnvironment,
  value: unknown,
  args: unknown[],
  kwargs: Kwargs,
  largest: boolean,
): unknown {
  const [caseSensitive, attribute] = bind(
    largest ? 'max' : 'min',
    args,
    kwargs,
    ['case_sensitive', 'attribute'],
    [false, null],
  );
  const list = items(value);
  if (list.length === 0) return env.makeUndefined('No aggregated item, sequence was empty.');
  const key = sortKey(env, env.truthy(caseSensitive), attribute);
  let best = list[0];
  let bestKey = key(best);
  for (const item of list.slice(1)) {
    const itemKey = key(item);
    if (pyOrder(itemKey, bestKey, largest ? '>' : '<')) {
      best = item;
      bestKey = itemKey;
    }
  }
  return best;
}

function toInt(_env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs): unknown {
  // int(Undefined) is an error in Jinja, not a conversion that falls back to the default.
  if (isUndefined(value)) throw value.error();
  const [fallback, base] = bind('int', args, kwargs, ['default', 'base'], [0, 10]);
  const int = builtins.get('int') as PyCallable;
  const float = builtins.get('float') as PyCallable;
  try {
    return typeof value === 'string' ? int.impl([value, base], null) : int.impl([value], null);
  } catch (error) {
    if (!(error instanceof PyError) || !['TypeError', 'ValueError'].includes(error.pyType)) throw error;
  }
  try {
    return int.impl([float.impl([value], null)], null);
  } catch (error) {
    if (!(error instanceof PyError) || !['TypeError', 'ValueError', 'OverflowError'].includes(error.pyType))
      throw error;
    return fallback;
  }
}

function toFloat(_env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs): unknown {
  if (isUndefined(value)) throw value.error();
  const [fallback] = bind('float', args, kwargs, ['default'], [new PyFloat(0)]);
  try {
    return (builtins.get('float') as PyCallable).impl([value], null);
  } catch (error) {
    if (!(error instanceof PyError) || !['TypeError', 'ValueError'].includes(error.pyType)) throw error;
    return fallback;
  }
}

function round(env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs): unknown {
  const [precision, how] = bind('round', args, kwargs, ['precision', 'method'], [0, 'common']);
  if (how === 'common') return (builtins.get('round') as PyCallable).impl([value, precision], null);
  if (how !== 'ceil' && how !== 'floor')
    throw new PyError('FilterArgumentError', 'method must be common, ceil or floor');
  if (!isNumeric(value)) throw typeError(`must be real number, not ${env.toText(value)}`);
  const scale = 10 ** toInteger(precision, 'round');
  const rounded = (how === 'ceil' ? Math.ceil : Math.floor)(toNumber(value) * scale);
  return makeFloat(rounded / scale);
}

function truncate(env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs): string {
  const [length, killwords, end, leeway] = bind(
    'truncate',
    args,
    kwargs,
    ['length', 'killwords', 'end', 'leeway'],
    [255, false, '...', 5],
  );
  const text = Array.from(env.toText(value));
  const size = toInteger(length, 'truncate');
  const ending = pyStr(end);
  const endLength = Array.from(ending).length;
  const slack = leeway === null ? 5 : toInteger(leeway, 'truncate');
  if (size < endLength) throw new PyError('AssertionError', 'expected length >= len(end)');
  if (text.length <= size + slack) return text.join('');
  const head = text.slice(0, Math.max(0, size - endLength)).join('');
  if (env.truthy(killwords)) return head + ending;
  const space = head.lastIndexOf(' ');
  return (space === -1 ? head : head.slice(0, space)) + ending;
}

function title(text: string): string {
  return text
    .split(/([-\s({[<]+)/u)
    .filter((part) => part !== '')
    .map((part) => {
      const [first = '', ...rest] = Array.from(part);
      return (callMethod(first, 'upper') as string) + (callMethod(rest.join(''), 'lower') as string);
    })
    .join('');
}

function slices(_env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs): PyIterator {
  const [count, fillWith] = bind('slice', args, kwargs, ['slices', 'fill_with'], [undefined, null]);
  const list = items(value);
  const total = toInteger(count, 'slice');
  const perSlice = Math.floor(list.length / total);
  const withExtra = list.length % total;
  const out: unknown[][] = [];
  let offset = 0;
  for (let n = 0; n < total; n++) {
    const start = offset + n * perSlice;
    if (n < withExtra) offset += 1;
    const end = offset + (n + 1) * perSlice;
    const part = list.slice(start, end);
    if (fillWith !== null && n >= withExtra) part.push(fillWith);
    out.push(part);
  }
  return new PyIterator('generator', out);
}

function batch(_env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs): PyIterator {
  const [count, fillWith] = bind('batch', args, kwargs, ['linecount', 'fill_with'], [undefined, null]);
  const size = toInteger(count, 'batch');
  const list = items(value);
  const out: unknown[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  const last = out[out.length - 1];
  if (last && fillWith !== null && last.length < size) while (last.length < size) last.push(fillWith);
  return new PyIterator('generator', out);
}

function groupby(env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs): unknown[] {
  const [attribute, fallback, caseSensitive] = bind(
    'groupby',
    args,
    kwargs,
    ['attribute', 'default', 'case_sensitive'],
    [undefined, undefined, false],
  );
  const key = sortKey(env, env.truthy(caseSensitive), undefined);
  const getter = attributeGetter(env, attribute, fallback ?? undefined);
  const keyOf = (item: unknown) => key(getter(item));
  const sorted = sortedBy(items(value), keyOf, false);
  const groups: { key: unknown; list: unknown[] }[] = [];
  for (const item of sorted) {
    const itemKey = keyOf(item);
    const last = groups[groups.length - 1];
    if (last && env.equals(last.key, itemKey)) last.list.push(item);
    else groups.push({ key: itemKey, list: [item] });
  }
  return groups.map((group) =>
    env.groupTuple(env.truthy(caseSensitive) ? group.key : getter(group.list[0]), group.list),
  );
}

function unique(env: FilterEnvironment, value: unknown, args: unknown[], kwargs: Kwargs): PyIterator {
  const [caseSensitive, attribute] = bind(
    'unique',
    args,
    kwargs,
    ['case_sensitive', 'attribute'],
    [false, null],
  );
  const key = sortKey(env, env.truthy(caseSensitive), attribute);
  const seen: unknown[] = [];
  const out: unknown[] = [];
  for (const item of items(value)) {
    const itemKey = key(item);
    if (seen.some((other) => env.equals(other, itemKey))) continue;
    seen.push(itemKey);
    out.push(item);
  }
  return new PyIterator('generator', out);
}

export const filters: Map<string, Filter> = new Map<string, Filter>([
  ['abs', (_env, value) => (builtins.get('abs') as PyCallable).impl([value], null)],
  // attr() reads an attribute only, never an item: `{'a': 1} | attr('a')` is undefined.
  [
    'attr',
    (env, value, args) => {
      if (isUndefined(value)) throw value.error();
      const attribute = getAttribute(value, pyStr(args[0]));
      return hasNoAttribute(attribute)
        ? env.makeUndefined(`object has no attribute '${pyStr(args[0])}'`)
        : attribute;
    },
  ],
  ['batch', batch],
  ['capitalize', (env, value) => callMethod(env.toText(value), 'capitalize')],
  [
    'center',
    (env, value, args, kwargs) =>
      callMethod(env.toText(value), 'center', ...bind('center', args, kwargs, ['width'], [80])),
  ],
  ['count', (_env, value) => (isUndefined(value) ? 0 : pyLen(value))],
  ['length', (_env, value) => (isUndefined(value) ? 0 : pyLen(value))],
  [
    'default',
    (env, value, args, kwargs) => {
      const [fallback, boolean] = bind('default', args, kwargs, ['default_value', 'boolean'], ['', false]);
      if (isUndefined(value) || (env.truthy(boolean) && !env.truthy(value))) return fallback;
      return value;
    },
  ],
  [
    'dictsort',
    (env, value, args, kwargs) => {
      const [caseSensitive, by, reverse] = bind(
        'dictsort',
        args,
        kwargs,
        ['case_sensitive', 'by', 'reverse'],
        [false, 'key', false],
      );
      if (!isDict(value)) throw typeError('dictsort filter: value must be a dict');
      const position = by === 'key' ? 0 : by === 'value' ? 1 : -1;
      if (position === -1)
        throw new PyError('FilterArgumentError', 'You can only sort by either "key" or "value"');
      const key = sortKey(env, env.truthy(caseSensitive), null);
      return sortedBy(
        dictItems(value),
        (pair) => key((pair as PyTuple).items[position]),
        env.truthy(reverse),
      );
    },
  ],
  ['escape', (env, value) => escapeHtml(env.toText(value))],
  ['e', (env, value) => escapeHtml(env.toText(value))],
  ['forceescape', (env, value) => escapeHtml(env.toText(value))],
  [
    'filesizeformat',
    (env, value, args, kwargs) =>
      filesize(env, value, env.truthy(bind('filesizeformat', args, kwargs, ['binary'], [false])[0])),
  ],
  [
    'first',
    (env, value) =>
      isUndefined(value)
        ? value
        : (items(value)[0] ?? env.makeUndefined('No first item, sequence was empty.')),
  ],
  [
    'last',
    (env, value) => {
      const list = items(value);
      return list.length === 0
        ? env.makeUndefined('No last item, sequence was empty.')
        : list[list.length - 1];
    },
  ],
  ['float', toFloat],
  [
    'format',
    (env, value, args, kwargs) => {
      if (args.length > 0 && kwargs.size > 0)
        throw new PyError(
          'FilterArgumentError',
          "can't handle positional and keyword arguments at the same time",
        );
      const values = kwargs.size > 0 ? new PyDict() : new PyTuple(args);
      if (values instanceof PyDict)
        for (const [key, item] of kwargs) values.entries.set(key, { key, value: item });
      return percentFormat(env.toText(value), values);
    },
  ],
  ['groupby', groupby],
  ['indent', indent],
  ['int', toInt],
  [
    'items',
    (_env, value) => {
      if (isUndefined(value)) return new PyIterator('generator', []);
      if (!isDict(value)) throw typeError('Can only get item pairs from a mapping.');
      return new PyIterator('dict_itemiterator', dictItems(value));
    },
  ],
  [
    'join',
    (env, value, args, kwargs) => {
      const [separator, attribute] = bind('join', args, kwargs, ['d', 'attribute'], ['', null]);
      let list = items(value);
      if (attribute !== null) list = list.map(attributeGetter(env, attribute));
      const parts = list.map((item) => env.toText(item));
      checkValueLength(
        parts.reduce((sum, part) => sum + part.length, 0),
        'the joined text',
      );
      return parts.join(env.toText(separator));
    },
  ],
  ['list', (_env, value) => items(value)],
  ['lower', (env, value) => callMethod(env.toText(value), 'lower')],
  ['upper', (env, value) => callMethod(env.toText(value), 'upper')],
  ['map', mapFilter],
  ['max', (env, value, args, kwargs) => extreme(env, value, args, kwargs, true)],
  ['min', (env, value, args, kwargs) => extreme(env, value, args, kwargs, false)],
  ['reject', (env, value, args, kwargs) => selectOrReject(env, value, args, kwargs, false, false)],
  ['rejectattr', (env, value, args, kwargs) => selectOrReject(env, value, args, kwargs, true, false)],
  ['select', (env, value, args, kwargs) => selectOrReject(env, value, args, kwargs, false, true)],
  ['selectattr', (env, value, args, kwargs) => selectOrReject(env, value, args, kwargs, true, true)],
  [
    'replace',
    (env, value, args, kwargs) => {
      const [old, replacement, count] = bind(
        'replace',
        args,
        kwargs,
        ['old', 'new', 'count'],
        [undefined, undefined, null],
      );
      return callMethod(
        env.toText(value),
        'replace',
        pyStr(old),
        pyStr(replacement),
        count === null ? -1 : count,
      );
    },
  ],
  [
    'reverse',
    (_env, value) => {
      if (typeof value === 'string') return Array.from(value).reverse().join('');
      return new PyIterator('reversed', items(value).reverse());
    },
  ],
  ['round', round],
  ['safe', (_env, value) => value],
  ['slice', slices],
  [
    'sort',
    (env, value, args, kwargs) => {
      const [reverse, caseSensitive, attribute] = bind(
        'sort',
        args,
        kwargs,
        ['reverse', 'case_sensitive', 'attribute'],
        [false, false, null],
      );
      return sortedBy(items(value), sortKey(env, env.truthy(caseSensitive), attribute), env.truthy(reverse));
    },
  ],
  ['string', (env, value) => env.toText(value)],
  [
    'striptags',
    (env, value) => {
      const stripped = env.toText(value).replace(/<!--[\s\S]*?-->|<[^>]*>/g, '');
      return unescapeHtml((callMethod(stripped, 'split') as string[]).join(' '));
    },
  ],
  [
    'sum',
    (env, value, args, kwargs) => {
      const [attribute, start] = bind('sum', args, kwargs, ['attribute', 'start'], [null, 0]);
      let list = items(value);
      if (attribute !== null) list = list.map(attributeGetter(env, attribute));
      // Python's sum() adds anything that `+` adds: lists too, as in `sum(start=[])`.
      return list.reduce((total, item) => pyBinary('+', total, item, percentFormat), start);
    },
  ],
  ['title', (env, value) => title(env.toText(value))],
  [
    'tojson',
    (_env, value, args, kwargs) => {
      const [indentWidth] = bind('tojson', args, kwargs, ['indent'], [null]);
      const json = toJson(value, indentWidth === null ? null : toInteger(indentWidth, 'tojson'));
      return json.replace(/[<>&']/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    },
  ],
  [
    'trim',
    (env, value, args, kwargs) =>
      callMethod(env.toText(value), 'strip', bind('trim', args, kwargs, ['chars'], [null])[0]),
  ],
  ['truncate', truncate],
  ['unique', unique],
  [
    'urlencode',
    (env, value) => {
      if (typeof value === 'string' || !(isDict(value) || Array.isArray(value) || value instanceof PyTuple)) {
        return urlQuote(value, env, false);
      }
      const pairs = isDict(value)
        ? dictItems(value).map((pair) => pair.items)
        : items(value).map((pair) => items(pair));
      return pairs.map(([key, item]) => `${urlQuote(key, env, true)}=${urlQuote(item, env, true)}`).join('&');
    },
  ],
  ['wordcount', (env, value) => (env.toText(value).match(/[\p{L}\p{N}_]+/gu) ?? []).length],
  [
    'wordwrap',
    (env, value, args, kwargs) => {
      const [width, breakLong, wrapString, breakHyphens] = bind(
        'wordwrap',
        args,
        kwargs,
        ['width', 'break_long_words', 'wrapstring', 'break_on_hyphens'],
        [79, true, null, true],
      );
      if (isUndefined(value)) throw value.error();
      const separator = wrapString === null ? '\n' : pyStr(wrapString);
      const size = toInteger(width, 'wordwrap');
      return splitLines(env.toText(value))
        .map((line) => wrapText(line, size, env.truthy(breakLong), env.truthy(breakHyphens)).join(separator))
        .join(separator);
    },
  ],
]);
filters.set('d', filters.get('default') as Filter);

/** Jinja asks for __len__ and __getitem__, which Undefined has too. */
function isSequence(value: unknown): boolean {
  return (
    isUndefined(value) ||
    typeof value === 'string' ||
    Array.isArray(value) ||
    value instanceof PyTuple ||
    value instanceof PyRange ||
    isDict(value)
  );
}

function isIterable(value: unknown): boolean {
  return isSequence(value) || value instanceof PyIterator || value instanceof PyDictView;
}

const comparison =
  (op: string): Test =>
  (env, value, args) =>
    env.compare(op, value, args[0]);

export const tests: Map<string, Test> = new Map<string, Test>([
  ['defined', (_env, value) => !isUndefined(value)],
  ['undefined', (_env, value) => isUndefined(value)],
  ['none', (_env, value) => value === null],
  ['boolean', (_env, value) => typeof value === 'boolean'],
  ['true', (_env, value) => value === true],
  ['false', (_env, value) => value === false],
  ['integer', (_env, value) => typeof value === 'number' && Number.isInteger(value)],
  ['float', (_env, value) => isFloat(value)],
  ['number', (_env, value) => isNumeric(value)],
  ['string', (_env, value) => typeof value === 'string'],
  ['mapping', (_env, value) => isDict(value)],
  ['sequence', (_env, value) => isSequence(value)],
  ['iterable', (_env, value) => isIterable(value)],
  [
    'callable',
    (_env, value) =>
      value instanceof PyCallable ||
      value instanceof JinjaMacro ||
      isUndefined(value) ||
      (value instanceof AttributeObject && value.call !== undefined),
  ],
  ['lower', (env, value) => callMethod(env.toText(value), 'islower') as boolean],
  ['upper', (env, value) => callMethod(env.toText(value), 'isupper') as boolean],
  [
    'odd',
    (_env, value) => {
      if (!isIntegral(value)) throw typeError('not all arguments converted during string formatting');
      return Math.abs(toNumber(value) % 2) === 1;
    },
  ],
  [
    'even',
    (_env, value) => {
      if (!isIntegral(value)) throw typeError('not all arguments converted during string formatting');
      return toNumber(value) % 2 === 0;
    },
  ],
  [
    'divisibleby',
    (_env, value, args) => {
      const divisor = args[0];
      if (!isNumeric(value) || !isNumeric(divisor)) throw typeError('unsupported operand type(s) for %');
      if (toNumber(divisor) === 0)
        throw new PyError('ZeroDivisionError', 'integer division or modulo by zero');
      return toNumber(value) % toNumber(divisor) === 0;
    },
  ],
  ['sameas', (_env, value, args) => value === args[0] || (value instanceof PyFloat && args[0] === value)],
  ['in', (env, value, args) => env.contains(args[0], value)],
  ['escaped', () => false],
  ['filter', (_env, value) => typeof value === 'string' && filters.has(value)],
  ['test', (_env, value) => typeof value === 'string' && tests.has(value)],
  ['==', comparison('==')],
  ['eq', comparison('==')],
  ['equalto', comparison('==')],
  ['!=', comparison('!=')],
  ['ne', comparison('!=')],
  ['>', comparison('>')],
  ['gt', comparison('>')],
  ['greaterthan', comparison('>')],
  ['>=', comparison('>=')],
  ['ge', comparison('>=')],
  ['<', comparison('<')],
  ['lt', comparison('<')],
  ['lessthan', comparison('<')],
  ['<=', comparison('<=')],
  ['le', comparison('<=')],
]);
