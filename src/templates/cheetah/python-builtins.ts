// The Python built-in functions and the methods of str, list, tuple and dict that templates call. Anything not
// here is an AttributeError or an undefined name, as it would be for a misspelt name in Python.
import { formatWithSpec, roundNumber, strFormat } from './python-format.js';
import {
  checkValueLength,
  codePoints,
  type DictLike,
  dictDelete,
  dictGet,
  dictItems,
  dictKeys,
  dictSet,
  extendWithin,
  isBlank,
  isDict,
  isFloat,
  isIntegral,
  isMissing,
  isNumeric,
  isPythonSpace,
  iterate,
  joinWithin,
  MAX_RANGE_LENGTH,
  MAX_VALUE_LENGTH,
  makeFloat,
  newDict,
  PyCallable,
  PyDict,
  PyDictView,
  PyError,
  PyFloat,
  PyIterator,
  PyRange,
  PyTuple,
  pyEquals,
  pyLen,
  pyOrder,
  pyRepr,
  pyStr,
  pyTruthy,
  sliceIndices,
  textPieces,
  toNumber,
  typeError,
  typeName,
  valueError,
} from './python-values.js';

type Kwargs = Map<string, unknown> | null;

/**
 * Binds call arguments to parameter names like a Python signature `name(p0, p1=..., ...)`; missing optional
 * parameters are undefined. Keyword arguments are accepted by name.
 */
function bind(
  name: string,
  args: readonly unknown[],
  kwargs: Kwargs,
  params: readonly string[],
  required: number,
) {
  if (args.length > params.length) {
    throw typeError(
      `${name}() takes at most ${params.length} argument${params.length === 1 ? '' : 's'} (${args.length} given)`,
    );
  }
  const bound: unknown[] = [...args];
  if (kwargs !== null) {
    for (const [key, value] of kwargs) {
      const index = params.indexOf(key);
      if (index === -1) throw typeError(`${name}() got an unexpected keyword argument '${key}'`);
      if (index < args.length) throw typeError(`${name}() got multiple values for argument '${key}'`);
      bound[index] = value;
    }
  }
  for (let i = 0; i < required; i++) {
    if (bound[i] === undefined) {
      throw typeError(`${name}() missing required argument '${params[i]}'`);
    }
  }
  return bound;
}

function noKeywords(name: string, kwargs: Kwargs): void {
  if (kwargs !== null && kwargs.size > 0) throw typeError(`${name}() takes no keyword arguments`);
}

function expectString(method: string, value: unknown): string {
  if (typeof value !== 'string') throw typeError(`${method}() argument must be str, not ${typeName(value)}`);
  return value;
}

function optionalInt(method: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (!isIntegral(value))
    throw typeError(`'${typeName(value)}' object cannot be interpreted as an integer (${method})`);
  return toNumber(value);
}

function callFunction(fn: unknown, args: unknown[]): unknown {
  if (!(fn instanceof PyCallable)) throw typeError(`'${typeName(fn)}' object is not callable`);
  return fn.impl(args, null);
}

// ---------------------------------------------------------------------------------------------------------------
// str

const DIGITS = /^[\p{Nd}\u00b2\u00b3\u00b9]+$/u;

function isCased(char: string): boolean {
  return char.toLowerCase() !== char.toUpperCase();
}

function stripChars(text: string, chars: unknown, left: boolean, right: boolean): string {
  const set = chars === undefined || chars === null ? null : expectString('strip', chars);
  const strip = (char: string): boolean => (set === null ? isPythonSpace(char) : set.includes(char));
  let start = 0;
  let end = text.length;
  if (left) while (start < end && strip(text[start] as string)) start += 1;
  if (right) while (end > start && strip(text[end - 1] as string)) end -= 1;
  return text.slice(start, end);
}

function splitWhitespace(text: string, maxsplit: number, fromRight: boolean): string[] {
  const words: string[] = [];
  const chars = fromRight ? Array.from(text).reverse() : Array.from(text);
  let i = 0;
  while (i < chars.length) {
    while (i < chars.length && isPythonSpace(chars[i] as string)) i += 1;
    if (i >= chars.length) break;
    if (maxsplit >= 0 && words.length === maxsplit) {
      // The remainder keeps its whitespace on the far side: '  a  b  '.split(None, 1) is ['a', 'b  '].
      const rest = chars.slice(i);
      words.push(fromRight ? rest.reverse().join('') : rest.join(''));
      break;
    }
    let word = '';
    while (i < chars.length && !isPythonSpace(chars[i] as string)) word += chars[i++];
    words.push(fromRight ? Array.from(word).reverse().join('') : word);
  }
  return fromRight ? words.reverse() : words;
}

function split(text: string, sep: unknown, maxsplitValue: unknown, fromRight: boolean): string[] {
  const maxsplit = optionalInt('split', maxsplitValue, -1);
  if (sep === undefined || sep === null) return splitWhitespace(text, maxsplit, fromRight);
  const separator = expectString('split', sep);
  if (separator === '') throw valueError('empty separator');
  const parts = text.split(separator);
  if (maxsplit < 0 || parts.length - 1 <= maxsplit) return parts;
  if (fromRight) {
    const keep = parts.slice(parts.length - maxsplit);
    return [parts.slice(0, parts.length - maxsplit).join(separator), ...keep];
  }
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(separator)];
}

/** The [start:end] window str.find(), str.count() and str.startswith() look in. */
function window(text: string, start: unknown, end: unknown): { text: string; offset: number } {
  const bounds = sliceIndices(text.length, start ?? null, end ?? null, 1);
  return { text: text.slice(bounds.start, Math.max(bounds.start, bounds.stop)), offset: bounds.start };
}

const TITLE_DIGRAPHS: Record<string, string> = {
  Ǆ: 'ǅ',
  ǅ: 'ǅ',
  ǆ: 'ǅ',
  Ǉ: 'ǈ',
  ǈ: 'ǈ',
  ǉ: 'ǈ',
  Ǌ: 'ǋ',
  ǋ: 'ǋ',
  ǌ: 'ǋ',
  Ǳ: 'ǲ',
  ǲ: 'ǲ',
  ǳ: 'ǲ',
};

/** Unicode titlecase, which JavaScript lacks: 'ß' becomes 'Ss' and 'ﬁ' becomes 'Fi', not 'SS' and 'FI'. */
function toTitle(char: string): string {
  const digraph = TITLE_DIGRAPHS[char];
  if (digraph) return digraph;
  const upper = char.toUpperCase();
  return upper.length > 1 ? upper.slice(0, 1) + upper.slice(1).toLowerCase() : upper;
}

function title(text: string): string {
  const pieces: string[] = [];
  let previousCased = false;
  for (const piece of textPieces(text)) {
    let out = '';
    for (const char of piece) {
      if (isCased(char)) {
        out += previousCased ? char.toLowerCase() : toTitle(char);
        previousCased = true;
      } else {
        out += char;
        previousCased = false;
      }
    }
    pieces.push(out);
  }
  return pieces.join('');
}

function justify(
  method: string,
  text: string,
  args: readonly unknown[],
  kwargs: Kwargs,
  where: 'left' | 'right' | 'center',
) {
  const [widthValue, fillValue] = bind(method, args, kwargs, ['width', 'fillchar'], 1);
  const width = optionalInt(method, widthValue, 0);
  const fill = fillValue === undefined ? ' ' : expectString(method, fillValue);
  if (codePoints(fill).length !== 1) throw typeError('The fill character must be exactly one character long');
  const missing = width - codePoints(text).length;
  if (missing <= 0) return text;
  checkValueLength(text.length + fill.length * missing, `str.${method}()`);
  if (where === 'left') return text + fill.repeat(missing);
  if (where === 'right') return fill.repeat(missing) + text;
  // CPython: left = marg / 2 + (marg & width & 1)
  const left = Math.floor(missing / 2) + (missing & width & 1);
  return fill.repeat(left) + text + fill.repeat(missing - left);
}

/**
 * The case mappings can lengthen text ('ß'.upper() is 'SS', 'ﬃ'.upper() is 'FFI', never more than three code units
 * for one): text that could grow past the cap is measured a piece at a time before the whole is mapped.
 */
function caseMapped(method: string, text: string, map: (text: string) => string): string {
  if (text.length * 3 > MAX_VALUE_LENGTH) {
    let length = 0;
    for (const piece of textPieces(text)) length += map(piece).length;
    checkValueLength(length, `str.${method}()`);
  }
  return map(text);
}

/** Occurrences of `old` in `text`, counted only as far as `enough`: replace() needs to know no more. */
function countUpTo(text: string, old: string, enough: number): number {
  let count = 0;
  for (let at = text.indexOf(old); at !== -1 && count < enough; at = text.indexOf(old, at + old.length)) {
    count += 1;
  }
  return count;
}

type Method<T> = (self: T, args: unknown[], kwargs: Kwargs) => unknown;

/** A method that takes no arguments. */
function plain<T>(name: string, fn: (self: T) => unknown): Method<T> {
  return (self, args, kwargs) => {
    bind(name, args, kwargs, [], 0);
    return fn(self);
  };
}

/** What str.splitlines() splits at (besides \r\n). */
const LINE_BREAKS = new Set([0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029]);

const swapcase = (s: string) =>
  Array.from(s, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');

const strMethods: Record<string, Method<string>> = {
  lower: plain('lower', (s: string) => caseMapped('lower', s, (t) => t.toLowerCase())),
  upper: plain('upper', (s: string) => caseMapped('upper', s, (t) => t.toUpperCase())),
  casefold: plain('casefold', (s: string) => caseMapped('casefold', s, (t) => t.toLowerCase())),
  swapcase: plain('swapcase', (s: string) => caseMapped('swapcase', s, swapcase)),
  capitalize: (s, a, k) => {
    bind('capitalize', a, k, [], 0);
    // Measured as title() would map it: the first character titled, the rest no longer than lower case makes them.
    caseMapped('capitalize', s, (t) => t.toLowerCase());
    const [first = '', ...rest] = Array.from(s);
    return toTitle(first) + rest.join('').toLowerCase();
  },
  title: plain('title', (s: string) => caseMapped('title', s, title)),
  strip: (s, a, k) => stripChars(s, bind('strip', a, k, ['chars'], 0)[0], true, true),
  lstrip: (s, a, k) => stripChars(s, bind('lstrip', a, k, ['chars'], 0)[0], true, false),
  rstrip: (s, a, k) => stripChars(s, bind('rstrip', a, k, ['chars'], 0)[0], false, true),
  split: (s, a, k) => {
    const [sep, maxsplit] = bind('split', a, k, ['sep', 'maxsplit'], 0);
    return split(s, sep, maxsplit, false);
  },
  rsplit: (s, a, k) => {
    const [sep, maxsplit] = bind('rsplit', a, k, ['sep', 'maxsplit'], 0);
    return split(s, sep, maxsplit, true);
  },
  splitlines: (s, a, k) => {
    const [keepends] = bind('splitlines', a, k, ['keepends'], 0);
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      if (!LINE_BREAKS.has(s.charCodeAt(i))) continue;
      const end = s[i] === '\r' && s[i + 1] === '\n' ? i + 2 : i + 1;
      lines.push(s.slice(start, pyTruthy(keepends) ? end : i));
      start = end;
      i = end - 1;
    }
    if (start < s.length) lines.push(s.slice(start));
    return lines;
  },
  startswith: (s, a, k) => affix('startswith', s, a, k, (t, p) => t.startsWith(p)),
  endswith: (s, a, k) => affix('endswith', s, a, k, (t, p) => t.endsWith(p)),
  replace: (s, a, k) => {
    const [oldValue, newValue, countValue] = bind('replace', a, k, ['old', 'new', 'count'], 2);
    const old = expectString('replace', oldValue);
    const replacement = expectString('replace', newValue);
    const count = optionalInt('replace', countValue, -1);
    // Measured before it is built: each replacement adds the difference in length, up to `count` times.
    const growth = replacement.length - old.length;
    if (growth > 0) {
      const room = Math.floor((MAX_VALUE_LENGTH - s.length) / growth);
      const most = old === '' ? codePoints(s).length + 1 : countUpTo(s, old, room + 1);
      checkValueLength(s.length + growth * (count < 0 ? most : Math.min(count, most)), 'str.replace()');
    }
    if (old === '') {
      // Before each of the first `count` code points, and at the end when count reaches past them.
      const chars = Array.from(s);
      const before = count < 0 ? chars.length + 1 : Math.min(count, chars.length + 1);
      const head = chars.slice(0, Math.min(before, chars.length));
      const inserted = before === 0 ? '' : replacement + head.join(replacement);
      return inserted + chars.slice(head.length).join('') + (before > chars.length ? replacement : '');
    }
    if (count < 0) return s.replaceAll(old, replacement);
    // Replaced natively up to the end of the count-th occurrence (no string built one piece at a time).
    let end = 0;
    for (let done = 0; done < count; done++) {
      const at = s.indexOf(old, end);
      if (at === -1) break;
      end = at + old.length;
    }
    return s.slice(0, end).replaceAll(old, replacement) + s.slice(end);
  },
  join: (s, a, k) => {
    noKeywords('join', k);
    const [iterable] = bind('join', a, null, ['iterable'], 1);
    const parts: string[] = [];
    for (const item of iterate(iterable)) {
      if (typeof item !== 'string') {
        throw typeError(`sequence item ${parts.length}: expected str instance, ${typeName(item)} found`);
      }
      parts.push(item);
    }
    return joinWithin(parts, s, 'str.join()');
  },
  find: (s, a, k) => search('find', s, a, k, false, false),
  rfind: (s, a, k) => search('rfind', s, a, k, true, false),
  index: (s, a, k) => search('index', s, a, k, false, true),
  rindex: (s, a, k) => search('rindex', s, a, k, true, true),
  count: (s, a, k) => {
    const [subValue, start, end] = bind('count', a, k, ['sub', 'start', 'end'], 1);
    const sub = expectString('count', subValue);
    const { text } = window(s, start, end);
    if (sub === '') return codePoints(text).length + 1;
    return text.split(sub).length - 1;
  },
  format: (s, a, k) => strFormat(s, a, k),
  zfill: (s, a, k) => {
    const width = optionalInt('zfill', bind('zfill', a, k, ['width'], 1)[0], 0);
    const missing = width - codePoints(s).length;
    if (missing <= 0) return s;
    checkValueLength(s.length + missing, 'str.zfill()');
    const signed = s.startsWith('-') || s.startsWith('+');
    return signed ? s[0] + '0'.repeat(missing) + s.slice(1) : '0'.repeat(missing) + s;
  },
  center: (s, a, k) => justify('center', s, a, k, 'center'),
  ljust: (s, a, k) => justify('ljust', s, a, k, 'left'),
  rjust: (s, a, k) => justify('rjust', s, a, k, 'right'),
  partition: (s, a, k) => partition('partition', s, a, k, false),
  rpartition: (s, a, k) => partition('rpartition', s, a, k, true),
  isdigit: plain('isdigit', (s: string) => DIGITS.test(s)),
  isdecimal: plain('isdecimal', (s: string) => /^\p{Nd}+$/u.test(s)),
  isnumeric: plain('isnumeric', (s: string) => /^\p{N}+$/u.test(s)),
  isalpha: plain('isalpha', (s: string) => /^\p{L}+$/u.test(s)),
  isalnum: plain('isalnum', (s: string) => /^[\p{L}\p{N}]+$/u.test(s)),
  isspace: plain('isspace', (s: string) => s !== '' && isBlank(s)),
  islower: plain('islower', (s: string) => Array.from(s).some(isCased) && s.toLowerCase() === s),
  isupper: plain('isupper', (s: string) => Array.from(s).some(isCased) && s.toUpperCase() === s),
};

function affix(
  method: string,
  s: string,
  args: unknown[],
  kwargs: Kwargs,
  test: (t: string, p: string) => boolean,
) {
  const [prefix, start, end] = bind(method, args, kwargs, ['prefix', 'start', 'end'], 1);
  const { text } = window(s, start, end);
  if (prefix instanceof PyTuple) return prefix.items.some((item) => test(text, expectString(method, item)));
  if (typeof prefix !== 'string') {
    throw typeError(`${method} first arg must be str or a tuple of str, not ${typeName(prefix)}`);
  }
  return test(text, prefix);
}

function search(
  method: string,
  s: string,
  args: unknown[],
  kwargs: Kwargs,
  fromRight: boolean,
  raise: boolean,
) {
  const [subValue, start, end] = bind(method, args, kwargs, ['sub', 'start', 'end'], 1);
  const sub = expectString(method, subValue);
  const { text, offset } = window(s, start, end);
  const found = fromRight ? text.lastIndexOf(sub) : text.indexOf(sub);
  if (found === -1) {
    if (raise) throw valueError('substring not found');
    return -1;
  }
  return found + offset;
}

function partition(method: string, s: string, args: unknown[], kwargs: Kwargs, fromRight: boolean) {
  const sep = expectString(method, bind(method, args, kwargs, ['sep'], 1)[0]);
  if (sep === '') throw valueError('empty separator');
  const at = fromRight ? s.lastIndexOf(sep) : s.indexOf(sep);
  if (at === -1) return new PyTuple(fromRight ? ['', '', s] : [s, '', '']);
  return new PyTuple([s.slice(0, at), sep, s.slice(at + sep.length)]);
}

// ---------------------------------------------------------------------------------------------------------------
// list, tuple, dict

function sortItems(items: unknown[], key: unknown, reverse: unknown): unknown[] {
  const keyed = items.map((item) => ({
    item,
    key: key === undefined || key === null ? item : callFunction(key, [item]),
  }));
  const descending = pyTruthy(reverse ?? false);
  keyed.sort((a, b) => {
    const [x, y] = descending ? [b.key, a.key] : [a.key, b.key];
    if (pyOrder(x, y, '<')) return -1;
    return pyOrder(y, x, '<') ? 1 : 0;
  });
  return keyed.map((entry) => entry.item);
}

function sequenceIndex(name: string, items: readonly unknown[], args: unknown[], kwargs: Kwargs): number {
  const [value, start, end] = bind('index', args, kwargs, ['value', 'start', 'stop'], 1);
  const bounds = sliceIndices(items.length, start ?? null, end ?? null, 1);
  for (let i = bounds.start; i < bounds.stop; i++) if (pyEquals(items[i], value)) return i;
  throw valueError(`${pyRepr(value)} is not in ${name}`);
}

const listMethods: Record<string, Method<unknown[]>> = {
  append: (list, a, k) => {
    const [item] = bind('append', a, k, ['object'], 1);
    checkValueLength(list.length + 1, 'list.append()');
    list.push(item);
    return null;
  },
  extend: (list, a, k) => {
    extendWithin(list, bind('extend', a, k, ['iterable'], 1)[0], 'list.extend()');
    return null;
  },
  insert: (list, a, k) => {
    const [indexValue, value] = bind('insert', a, k, ['index', 'object'], 2);
    checkValueLength(list.length + 1, 'list.insert()');
    let index = optionalInt('insert', indexValue, 0);
    if (index < 0) index = Math.max(0, index + list.length);
    list.splice(Math.min(index, list.length), 0, value);
    return null;
  },
  pop: (list, a, k) => {
    const index = optionalInt('pop', bind('pop', a, k, ['index'], 0)[0], -1);
    if (list.length === 0) throw new PyError('IndexError', 'pop from empty list');
    const at = index < 0 ? index + list.length : index;
    if (at < 0 || at >= list.length) throw new PyError('IndexError', 'pop index out of range');
    return list.splice(at, 1)[0];
  },
  remove: (list, a, k) => {
    const [value] = bind('remove', a, k, ['value'], 1);
    const at = list.findIndex((item) => pyEquals(item, value));
    if (at === -1) throw valueError('list.remove(x): x not in list');
    list.splice(at, 1);
    return null;
  },
  index: (list, a, k) => sequenceIndex('list', list, a, k),
  count: (list, a, k) => {
    const [value] = bind('count', a, k, ['value'], 1);
    return list.filter((item) => pyEquals(item, value)).length;
  },
  sort: (list, a, k) => {
    if (a.length > 0) throw typeError('sort() takes no positional arguments');
    const [key, reverse] = bind('sort', [], k, ['key', 'reverse'], 0);
    const sorted = sortItems(list, key, reverse);
    list.splice(0, list.length, ...sorted);
    return null;
  },
  reverse: (list, a, k) => {
    bind('reverse', a, k, [], 0);
    list.reverse();
    return null;
  },
  copy: plain('copy', (list: unknown[]) => [...list]),
  clear: (list, a, k) => {
    bind('clear', a, k, [], 0);
    list.length = 0;
    return null;
  },
};

const tupleMethods: Record<string, Method<PyTuple>> = {
  index: (tuple, a, k) => sequenceIndex('tuple', tuple.items, a, k),
  count: (tuple, a, k) => {
    const [value] = bind('count', a, k, ['value'], 1);
    return tuple.items.filter((item) => pyEquals(item, value)).length;
  },
};

function updateDict(target: DictLike, args: unknown[], kwargs: Kwargs): void {
  const [source] = bind('update', args, null, ['other'], 0);
  if (source !== undefined && source !== null) {
    if (isDict(source)) for (const key of dictKeys(source)) dictSet(target, key, dictGet(source, key));
    else {
      for (const pair of iterate(source)) {
        const items = Array.from(iterate(pair));
        if (items.length !== 2) {
          throw valueError(`dictionary update sequence element has length ${items.length}; 2 is required`);
        }
        dictSet(target, items[0], items[1]);
      }
    }
  }
  if (kwargs !== null) for (const [key, value] of kwargs) dictSet(target, key, value);
}

const dictMethods: Record<string, Method<DictLike>> = {
  keys: plain('keys', (d: DictLike) => new PyDictView(d, 'keys')),
  values: plain('values', (d: DictLike) => new PyDictView(d, 'values')),
  items: plain('items', (d: DictLike) => new PyDictView(d, 'items')),
  get: (d, a, k) => {
    noKeywords('get', k);
    const [key, fallback] = bind('get', a, null, ['key', 'default'], 1);
    const value = dictGet(d, key);
    return isMissing(value) ? (fallback ?? null) : value;
  },
  // Python 2's dict.has_key(): gone from Python 3, but years of Cobbler snippets call it.
  has_key: (d, a, k) => {
    noKeywords('has_key', k);
    return !isMissing(dictGet(d, bind('has_key', a, null, ['key'], 1)[0]));
  },
  update: (d, a, k) => {
    updateDict(d, a, k);
    return null;
  },
  pop: (d, a, k) => {
    noKeywords('pop', k);
    const [key, fallback] = bind('pop', a, null, ['key', 'default'], 1);
    const value = dictGet(d, key);
    if (isMissing(value)) {
      if (a.length > 1) return fallback ?? null;
      throw new PyError('KeyError', `key ${pyRepr(key)} is not in the dict`);
    }
    dictDelete(d, key);
    return value;
  },
  setdefault: (d, a, k) => {
    noKeywords('setdefault', k);
    const [key, fallback] = bind('setdefault', a, null, ['key', 'default'], 1);
    const value = dictGet(d, key);
    if (!isMissing(value)) return value;
    dictSet(d, key, fallback ?? null);
    return fallback ?? null;
  },
  copy: (d, a, k) => {
    bind('copy', a, k, [], 0);
    return d instanceof PyDict
      ? newDict(dictItems(d).map((t) => [t.items[0], t.items[1]] as const))
      : { ...d };
  },
  clear: (d, a, k) => {
    bind('clear', a, k, [], 0);
    for (const key of dictKeys(d)) dictDelete(d, key);
    return null;
  },
};

const NO_ATTRIBUTE = Symbol('no attribute');

export function hasNoAttribute(value: unknown): boolean {
  return value === NO_ATTRIBUTE;
}

function boundMethod<T>(self: T, name: string, method: Method<T>, owner: string): PyCallable {
  return new PyCallable(
    name,
    false,
    (args, kwargs) => method(self, args, kwargs),
    'builtin_function_or_method',
    `<built-in method ${name} of ${owner} object>`,
  );
}

/** getattr(value, name) for the attributes templates use; NO_ATTRIBUTE when Python would raise AttributeError. */
export function getAttribute(value: unknown, name: string): unknown {
  if (typeof value === 'string') {
    const method = Object.hasOwn(strMethods, name) ? strMethods[name] : undefined;
    return method ? boundMethod(value, name, method, 'str') : NO_ATTRIBUTE;
  }
  if (Array.isArray(value)) {
    const method = Object.hasOwn(listMethods, name) ? listMethods[name] : undefined;
    return method ? boundMethod(value, name, method, 'list') : NO_ATTRIBUTE;
  }
  if (value instanceof PyTuple) {
    const method = Object.hasOwn(tupleMethods, name) ? tupleMethods[name] : undefined;
    return method ? boundMethod(value, name, method, 'tuple') : NO_ATTRIBUTE;
  }
  if (isDict(value)) {
    const method = Object.hasOwn(dictMethods, name) ? dictMethods[name] : undefined;
    return method ? boundMethod(value, name, method, 'dict') : NO_ATTRIBUTE;
  }
  if (value instanceof PyRange && (name === 'start' || name === 'stop' || name === 'step'))
    return value[name];
  if (value instanceof PyCallable && value.isClass) return unboundMethod(value.name, name);
  return NO_ATTRIBUTE;
}

/** `str.lower` and friends, as in `sorted($names, key=str.lower)`: the method with its object as first argument. */
function unboundMethod(type: string, name: string): unknown {
  const table: Record<string, Method<never>> | undefined =
    type === 'str' ? strMethods : type === 'list' ? listMethods : type === 'dict' ? dictMethods : undefined;
  const method = table && Object.hasOwn(table, name) ? (table[name] as Method<unknown>) : undefined;
  if (!method) return NO_ATTRIBUTE;
  const check =
    type === 'str' ? (v: unknown) => typeof v === 'string' : type === 'list' ? Array.isArray : isDict;
  return new PyCallable(
    `${type}.${name}`,
    false,
    (args, kwargs) => {
      const [self, ...rest] = args;
      if (!check(self))
        throw typeError(
          `descriptor '${name}' for '${type}' objects doesn't apply to a '${typeName(self)}' object`,
        );
      return method(self, rest, kwargs);
    },
    'method_descriptor',
    `<method '${name}' of '${type}' objects>`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// built-in functions

const INT_TEXT = /^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|\d(?:_?\d)*)$/;
const FLOAT_TEXT =
  /^[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.(?:[eE][+-]?\d(?:_?\d)*)?)$/;
const SPECIAL_FLOAT = /^([+-]?)(inf|infinity|nan)$/i;

function parseIntText(text: string, baseValue: unknown): number {
  const base = optionalInt('int', baseValue, 10);
  const trimmed = stripChars(text, null, true, true);
  const invalid = () => valueError(`invalid literal for int() with base ${base}: ${pyRepr(text)}`);
  if (base === 10) {
    if (!/^[+-]?\d(?:_?\d)*$/.test(trimmed)) throw invalid();
    return Number(trimmed.replaceAll('_', ''));
  }
  if (base === 0) {
    if (!INT_TEXT.test(trimmed) || /^[+-]?0\d/.test(trimmed.replaceAll('_', ''))) throw invalid();
    const negative = trimmed.startsWith('-');
    const body = trimmed.replace(/^[+-]/, '').replaceAll('_', '');
    return (negative ? -1 : 1) * Number(body);
  }
  if (base < 2 || base > 36) throw valueError('int() base must be >= 2 and <= 36, or 0');
  const negative = trimmed.startsWith('-');
  let body = trimmed.replace(/^[+-]/, '');
  const prefix = { 16: /^0[xX]_?/, 8: /^0[oO]_?/, 2: /^0[bB]_?/ }[base as 16 | 8 | 2];
  if (prefix) body = body.replace(prefix, '');
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
  if (body === '' || body.startsWith('_') || body.endsWith('_') || body.includes('__')) throw invalid();
  let result = 0;
  for (const char of body.replaceAll('_', '').toLowerCase()) {
    const digit = digits.indexOf(char);
    if (digit === -1) throw invalid();
    result = result * base + digit;
  }
  return negative ? -result : result;
}

function toInt(args: unknown[], kwargs: Kwargs): number {
  const [value, base] = bind('int', args, kwargs, ['x', 'base'], 0);
  if (value === undefined) return 0;
  if (typeof value === 'string') return parseIntText(value, base);
  if (base !== undefined) throw typeError("int() can't convert non-string with explicit base");
  if (isNumeric(value)) {
    const n = toNumber(value);
    if (Number.isNaN(n)) throw valueError('cannot convert float NaN to integer');
    if (!Number.isFinite(n)) throw new PyError('OverflowError', 'cannot convert float infinity to integer');
    return Math.trunc(n) || 0;
  }
  throw typeError(`int() argument must be a string or a real number, not '${typeName(value)}'`);
}

function toFloat(args: unknown[], kwargs: Kwargs): number | PyFloat {
  noKeywords('float', kwargs);
  const [value] = bind('float', args, null, ['x'], 0);
  if (value === undefined) return new PyFloat(0);
  if (isNumeric(value)) return makeFloat(toNumber(value));
  if (typeof value === 'string') {
    const trimmed = stripChars(value, null, true, true);
    const special = SPECIAL_FLOAT.exec(trimmed);
    if (special) {
      const sign = special[1] === '-' ? -1 : 1;
      return special[2]?.toLowerCase() === 'nan' ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    }
    if (!FLOAT_TEXT.test(trimmed)) throw valueError(`could not convert string to float: ${pyRepr(value)}`);
    return makeFloat(Number(trimmed.replaceAll('_', '')));
  }
  throw typeError(`float() argument must be a string or a real number, not '${typeName(value)}'`);
}

function makeRange(args: unknown[], kwargs: Kwargs): PyRange {
  noKeywords('range', kwargs);
  if (args.length === 0 || args.length > 3)
    throw typeError(`range expected 1 to 3 arguments, got ${args.length}`);
  const numbers = args.map((arg) => {
    if (!isIntegral(arg)) throw typeError(`'${typeName(arg)}' object cannot be interpreted as an integer`);
    return toNumber(arg);
  });
  const [a = 0, b, c = 1] = numbers;
  if (c === 0) throw valueError('range() arg 3 must not be zero');
  const range = b === undefined ? new PyRange(0, a, 1) : new PyRange(a, b, c);
  if (range.length > MAX_RANGE_LENGTH) {
    throw new PyError(
      'MemoryError',
      `range() of ${range.length} numbers is over the ${MAX_RANGE_LENGTH} a template may loop over`,
    );
  }
  return range;
}

function extreme(name: 'min' | 'max', args: unknown[], kwargs: Kwargs): unknown {
  let key: unknown;
  let fallback: unknown;
  let hasFallback = false;
  if (kwargs !== null) {
    for (const [keyword, value] of kwargs) {
      if (keyword === 'key') key = value;
      else if (keyword === 'default') {
        fallback = value;
        hasFallback = true;
      } else throw typeError(`${name}() got an unexpected keyword argument '${keyword}'`);
    }
  }
  if (args.length === 0) throw typeError(`${name} expected at least 1 argument, got 0`);
  const items = args.length === 1 ? Array.from(iterate(args[0])) : args;
  if (items.length === 0) {
    if (hasFallback) return fallback;
    throw valueError(`${name}() arg is an empty sequence`);
  }
  let best = items[0];
  let bestKey = key === undefined || key === null ? best : callFunction(key, [best]);
  for (const item of items.slice(1)) {
    const itemKey = key === undefined || key === null ? item : callFunction(key, [item]);
    if (name === 'min' ? pyOrder(itemKey, bestKey, '<') : pyOrder(itemKey, bestKey, '>')) {
      best = item;
      bestKey = itemKey;
    }
  }
  return best;
}

function sum(args: unknown[], kwargs: Kwargs): unknown {
  const [iterable, start] = bind('sum', args, kwargs, ['iterable', 'start'], 1);
  if (typeof start === 'string') throw typeError("sum() can't sum strings [use ''.join(seq) instead]");
  let total: unknown = start ?? 0;
  let float = isFloat(total);
  let value = isNumeric(total) ? toNumber(total) : 0;
  for (const item of iterate(iterable)) {
    if (!isNumeric(item) || !isNumeric(total)) {
      if (typeof item === 'string') throw typeError("unsupported operand type(s) for +: 'int' and 'str'");
      throw typeError(`unsupported operand type(s) for +: '${typeName(total)}' and '${typeName(item)}'`);
    }
    float ||= isFloat(item);
    value += toNumber(item);
    total = value;
  }
  return float ? makeFloat(value) : value;
}

function round(args: unknown[], kwargs: Kwargs): unknown {
  const [value, digits] = bind('round', args, kwargs, ['number', 'ndigits'], 1);
  if (!isNumeric(value)) throw typeError(`type ${typeName(value)} doesn't define __round__ method`);
  const n = toNumber(value);
  if (digits === undefined || digits === null) {
    if (!Number.isFinite(n)) throw valueError('cannot convert float to integer');
    return roundNumber(n, 0) || 0;
  }
  const places = optionalInt('round', digits, 0);
  if (isIntegral(value)) return places >= 0 ? n : roundNumber(n, places);
  return makeFloat(roundNumber(n, places));
}

function builtin(
  name: string,
  impl: (args: unknown[], kwargs: Kwargs) => unknown,
  isClass = false,
): PyCallable {
  return new PyCallable(name, isClass, impl);
}

function single(name: string, args: unknown[], kwargs: Kwargs): unknown {
  noKeywords(name, kwargs);
  return bind(name, args, null, ['object'], 1)[0];
}

const builtinList: PyCallable[] = [
  builtin('len', (a, k) => pyLen(single('len', a, k))),
  builtin('repr', (a, k) => pyRepr(single('repr', a, k))),
  builtin(
    'str',
    (a, k) => {
      const [value] = bind('str', a, k, ['object'], 0);
      return value === undefined ? '' : pyStr(value);
    },
    true,
  ),
  builtin('int', toInt, true),
  builtin('float', toFloat, true),
  builtin(
    'bool',
    (a, k) => {
      const [value] = bind('bool', a, k, ['x'], 0);
      return value === undefined ? false : pyTruthy(value);
    },
    true,
  ),
  builtin(
    'list',
    (a, k) => {
      const [value] = bind('list', a, k, ['iterable'], 0);
      return value === undefined ? [] : Array.from(iterate(value));
    },
    true,
  ),
  builtin(
    'tuple',
    (a, k) => {
      const [value] = bind('tuple', a, k, ['iterable'], 0);
      return new PyTuple(value === undefined ? [] : Array.from(iterate(value)));
    },
    true,
  ),
  builtin(
    'dict',
    (a, k) => {
      const dict = new PyDict();
      updateDict(dict, a, k);
      return dict;
    },
    true,
  ),
  builtin('range', makeRange, true),
  builtin(
    'enumerate',
    (a, k) => {
      const [iterable, start] = bind('enumerate', a, k, ['iterable', 'start'], 1);
      let index = optionalInt('enumerate', start, 0);
      return new PyIterator(
        'enumerate',
        Array.from(iterate(iterable), (item) => new PyTuple([index++, item])),
      );
    },
    true,
  ),
  builtin(
    'zip',
    (a, k) => {
      noKeywords('zip', k);
      const lists = a.map((iterable) => Array.from(iterate(iterable)));
      const length = lists.length === 0 ? 0 : Math.min(...lists.map((list) => list.length));
      return new PyIterator(
        'zip',
        Array.from({ length }, (_, i) => new PyTuple(lists.map((list) => list[i]))),
      );
    },
    true,
  ),
  builtin(
    'reversed',
    (a, k) => {
      const sequence = single('reversed', a, k);
      if (isDict(sequence) || sequence instanceof PyIterator) {
        throw typeError(`'${typeName(sequence)}' object is not reversible`);
      }
      return new PyIterator('reversed', Array.from(iterate(sequence)).reverse());
    },
    true,
  ),
  builtin('sorted', (a, k) => {
    if (a.length !== 1) throw typeError(`sorted expected 1 argument, got ${a.length}`);
    const [key, reverse] = bind('sorted', [], k, ['key', 'reverse'], 0);
    return sortItems(Array.from(iterate(a[0])), key, reverse);
  }),
  builtin('min', (a, k) => extreme('min', a, k)),
  builtin('max', (a, k) => extreme('max', a, k)),
  builtin('sum', sum),
  builtin('abs', (a, k) => {
    const value = single('abs', a, k);
    if (!isNumeric(value)) throw typeError(`bad operand type for abs(): '${typeName(value)}'`);
    const n = Math.abs(toNumber(value));
    return isFloat(value) ? makeFloat(n) : n;
  }),
  builtin('round', round),
  builtin('any', (a, k) => Array.from(iterate(single('any', a, k))).some(pyTruthy)),
  builtin('all', (a, k) => Array.from(iterate(single('all', a, k))).every(pyTruthy)),
  builtin('format', (a, k) => {
    const [value, spec] = bind('format', a, k, ['value', 'format_spec'], 1);
    return formatWithSpec(value, spec === undefined ? '' : expectString('format', spec));
  }),
  builtin('chr', (a, k) => String.fromCodePoint(optionalInt('chr', single('chr', a, k), 0))),
  builtin('ord', (a, k) => {
    const text = expectString('ord', single('ord', a, k));
    if (codePoints(text).length !== 1)
      throw typeError(`ord() expected a character, but string of length ${text.length} found`);
    return text.codePointAt(0);
  }),
];

/** Python's builtins module as far as templates reach it: bare names and the last stop of a $name lookup. */
export const builtins: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ['True', true],
  ['False', false],
  ['None', null],
  ...builtinList.map((fn) => [fn.name, fn] as [string, unknown]),
]);
