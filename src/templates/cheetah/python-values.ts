// Python semantics for the values a template sees. Variables arrive as JSON-like JavaScript values and are used
// as they are, without copying: string -> str, integral number -> int, other number -> float, boolean -> bool,
// null/undefined -> None, array -> list, plain object -> dict. Values the engine creates that JavaScript cannot
// express (tuples, floats with an integral value, dicts with non-string keys, views, ranges) are small classes.

/** Marks every value class below, so that a plain object can be told apart from an engine value cheaply. */
export abstract class PyObject {}

/** A float whose value happens to be integral (5.0): a bare JavaScript number would read as the int 5. */
export class PyFloat extends PyObject {
  constructor(readonly value: number) {
    super();
  }
}

export class PyTuple extends PyObject {
  constructor(readonly items: readonly unknown[]) {
    super();
  }
}

/** A dict the engine built (literal, dict(), update of a copy); keys keep their Python type and insertion order. */
export class PyDict extends PyObject {
  readonly entries = new Map<unknown, { key: unknown; value: unknown }>();
}

export class PyDictView extends PyObject {
  constructor(
    readonly dict: DictLike,
    readonly kind: 'keys' | 'values' | 'items',
  ) {
    super();
  }
}

export class PyRange extends PyObject {
  constructor(
    readonly start: number,
    readonly stop: number,
    readonly step: number,
  ) {
    super();
  }

  get length(): number {
    const span = this.step > 0 ? this.stop - this.start : this.start - this.stop;
    return span <= 0 ? 0 : Math.ceil(span / Math.abs(this.step));
  }

  at(index: number): number {
    return this.start + index * this.step;
  }
}

/** A one-shot iterator such as enumerate(), zip(), reversed() or a generator expression. */
export class PyIterator extends PyObject {
  private position = 0;

  constructor(
    readonly typeName: string,
    private readonly items: readonly unknown[],
  ) {
    super();
  }

  *drain(): Generator<unknown> {
    while (this.position < this.items.length) yield this.items[this.position++];
  }
}

export type PyCallImpl = (args: unknown[], kwargs: Map<string, unknown> | null) => unknown;

/**
 * Anything a template can call: builtins, bound methods of str/list/dict, template #defs, getVar. Cheetah calls
 * what it reaches through $a.b without parentheses ("autocalling"), except classes such as str or dict.
 */
export class PyCallable extends PyObject {
  constructor(
    readonly name: string,
    readonly isClass: boolean,
    readonly impl: PyCallImpl,
    readonly pyTypeName: string = isClass ? 'type' : 'builtin_function_or_method',
    readonly reprText: string = isClass ? `<class '${name}'>` : `<built-in function ${name}>`,
  ) {
    super();
  }
}

/** A Python exception raised while evaluating; the renderer adds the file position and turns it into E_TEMPLATE. */
/**
 * A template is data from whoever may edit templates, so what it may build is bounded: no string or list longer
 * than this, no range longer than MAX_RANGE_LENGTH. Real kickstarts stay far below both; `'x' * 10**9` does not.
 */
export const MAX_VALUE_LENGTH = 16 * 2 ** 20;
export const MAX_RANGE_LENGTH = 10_000_000;

/** Throws before a value over MAX_VALUE_LENGTH is built; `length` is what it would measure. */
export function checkValueLength(length: number, what: string): void {
  if (length > MAX_VALUE_LENGTH) {
    throw new PyError(
      'MemoryError',
      `${what} would hold ${length} items or characters, over the ${MAX_VALUE_LENGTH} a template may build`,
    );
  }
}

/**
 * The last line of the cap: the evaluator measures every value an expression yields (characters of a str, items of
 * a list, tuple or dict), so that an operation which forgot to check before building cannot hand on a larger one.
 * The builders below check first, so that the oversized value is never made at all.
 */
export function checkValueSize(value: unknown): void {
  // Numbers and booleans, most of what a loop evaluates, leave at the first test.
  if (typeof value !== 'string' && (typeof value !== 'object' || value === null)) return;
  const length =
    typeof value === 'string' || Array.isArray(value)
      ? value.length
      : value instanceof PyTuple
        ? value.items.length
        : value instanceof PyDict
          ? value.entries.size
          : 0;
  if (length > MAX_VALUE_LENGTH) checkValueLength(length, 'the value');
}

/** `parts` joined by `separator`, measured before it is built. */
export function joinWithin(parts: readonly string[], separator: string, what: string): string {
  let length = separator.length * Math.max(0, parts.length - 1);
  for (const part of parts) length += part.length;
  checkValueLength(length, what);
  return parts.join(separator);
}

/** list.extend() and `+=` on a list: the items are counted before the list grows. */
export function extendWithin(list: unknown[], iterable: unknown, what: string): void {
  const items = Array.from(iterate(iterable));
  checkValueLength(list.length + items.length, what);
  // One push per item: push(...items) overflows the stack for a few hundred thousand.
  for (const item of items) list.push(item);
}

export class PyError extends Error {
  /** Where it happened, set by the innermost expression that saw it. */
  location: { file: string; line: number; column: number } | undefined;

  constructor(
    readonly pyType: string,
    message: string,
  ) {
    super(message);
  }
}

/** Cheetah's NameMapper.NotFound: the one error that #errorCatcher (verbatim mode) turns back into text. */
export class NotFoundError extends PyError {
  constructor(message: string) {
    super('NotFound', message);
  }
}

/** The characters Python's str.isspace(), str.split() and str.strip() treat as whitespace. */
const PYTHON_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
  0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

export function isPythonSpace(char: string | undefined): boolean {
  return char !== undefined && PYTHON_SPACE.has(char.charCodeAt(0));
}

/** str.isspace() without the non-empty requirement. */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!PYTHON_SPACE.has(text.charCodeAt(i))) return false;
  return true;
}

export const typeError = (message: string): PyError => new PyError('TypeError', message);
export const valueError = (message: string): PyError => new PyError('ValueError', message);

export type DictLike = PyDict | Record<string, unknown>;

export function isPlainDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof PyObject);
}

export function isDict(value: unknown): value is DictLike {
  return value instanceof PyDict || isPlainDict(value);
}

export function isNumeric(value: unknown): value is number | boolean | PyFloat {
  return typeof value === 'number' || typeof value === 'boolean' || value instanceof PyFloat;
}

export function isFloat(value: unknown): boolean {
  return value instanceof PyFloat || (typeof value === 'number' && !Number.isInteger(value));
}

/** int or bool: the values Python accepts as an index or a repeat count. */
export function isIntegral(value: unknown): value is number | boolean {
  return typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value));
}

export function toNumber(value: number | boolean | PyFloat): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value.value;
}

export function makeFloat(value: number): number | PyFloat {
  return Number.isInteger(value) ? new PyFloat(value) : value;
}

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'object':
      break;
    default:
      return typeof value;
  }
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyFloat) return 'float';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PyDictView) return `dict_${value.kind}`;
  if (value instanceof PyRange) return 'range';
  if (value instanceof PyIterator) return value.typeName;
  if (value instanceof PyCallable) return value.pyTypeName;
  return 'dict';
}

// ---------------------------------------------------------------------------------------------------------------
// dicts

const MISSING_KEY = Symbol('missing');

/** Dict keys compare the Python way: 1, 1.0 and True are one key; unhashable keys are a TypeError. */
function hashKey(key: unknown): unknown {
  // Names looked up in dictionaries are nearly always strings: first, before the instanceof tests.
  if (typeof key === 'string') return key;
  if (key === undefined) return null;
  if (typeof key === 'boolean') return key ? 1 : 0;
  if (key instanceof PyFloat) return key.value;
  if (key instanceof PyTuple)
    return `\u0000tuple:${key.items.map((item) => String(hashKeyText(item))).join(',')}`;
  if (Array.isArray(key) || isDict(key)) throw typeError(`unhashable type: '${typeName(key)}'`);
  return key;
}

function hashKeyText(key: unknown): unknown {
  const hashed = hashKey(key);
  return typeof hashed === 'string' ? JSON.stringify(hashed) : hashed;
}

export function dictGet(dict: DictLike, key: unknown): unknown {
  if (dict instanceof PyDict) {
    const entry = dict.entries.get(hashKey(key));
    return entry === undefined ? MISSING_KEY : entry.value;
  }
  if (typeof key !== 'string') {
    hashKey(key);
    return MISSING_KEY;
  }
  return Object.hasOwn(dict, key) ? (dict[key] ?? null) : MISSING_KEY;
}

export function isMissing(value: unknown): boolean {
  return value === MISSING_KEY;
}

export function dictHas(dict: DictLike, key: unknown): boolean {
  return dictGet(dict, key) !== MISSING_KEY;
}

export function dictSet(dict: DictLike, key: unknown, value: unknown): void {
  if (dict instanceof PyDict) {
    const hashed = hashKey(key);
    const existing = dict.entries.get(hashed);
    if (existing) existing.value = value;
    else dict.entries.set(hashed, { key, value });
    return;
  }
  if (typeof key !== 'string') {
    throw typeError(`a dict that came from the variables only takes str keys, not ${typeName(key)}`);
  }
  dict[key] = value;
}

export function dictDelete(dict: DictLike, key: unknown): boolean {
  if (dict instanceof PyDict) return dict.entries.delete(hashKey(key));
  if (typeof key !== 'string' || !Object.hasOwn(dict, key)) return false;
  delete dict[key];
  return true;
}

export function dictKeys(dict: DictLike): unknown[] {
  if (dict instanceof PyDict) return Array.from(dict.entries.values(), (entry) => entry.key);
  return Object.keys(dict);
}

export function dictValues(dict: DictLike): unknown[] {
  if (dict instanceof PyDict) return Array.from(dict.entries.values(), (entry) => entry.value);
  return Object.values(dict).map((value) => value ?? null);
}

export function dictItems(dict: DictLike): PyTuple[] {
  if (dict instanceof PyDict)
    return Array.from(dict.entries.values(), (entry) => new PyTuple([entry.key, entry.value]));
  return Object.entries(dict).map(([key, value]) => new PyTuple([key, value ?? null]));
}

export function dictSize(dict: DictLike): number {
  return dict instanceof PyDict ? dict.entries.size : Object.keys(dict).length;
}

export function newDict(entries: Iterable<readonly [unknown, unknown]>): PyDict {
  const dict = new PyDict();
  for (const [key, value] of entries) dictSet(dict, key, value);
  return dict;
}

// ---------------------------------------------------------------------------------------------------------------
// str() and repr()

/** str(value), which is also what a $placeholder writes (after None has become ''). */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? intToString(value) : floatRepr(value);
  return pyRepr(value);
}

export function intToString(value: number): string {
  return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
}

export function pyRepr(value: unknown, seen: Set<unknown> = new Set()): string {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'string':
      return stringRepr(value);
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return Number.isInteger(value) ? intToString(value) : floatRepr(value);
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (value instanceof PyRange) {
    return value.step === 1
      ? `range(${value.start}, ${value.stop})`
      : `range(${value.start}, ${value.stop}, ${value.step})`;
  }
  if (value instanceof PyIterator) return `<${value.typeName} object>`;
  if (value instanceof PyCallable) return value.reprText;
  if (value instanceof PyDictView) {
    const inner =
      value.kind === 'keys'
        ? dictKeys(value.dict)
        : value.kind === 'values'
          ? dictValues(value.dict)
          : dictItems(value.dict);
    return `dict_${value.kind}(${sequenceRepr(inner, '[', ']', seen)})`;
  }
  if (seen.has(value)) return Array.isArray(value) ? '[...]' : value instanceof PyTuple ? '(...)' : '{...}';
  if (Array.isArray(value)) return sequenceRepr(value, '[', ']', seen);
  if (value instanceof PyTuple) {
    if (value.items.length === 1) return `(${reprNested(value.items[0], value, seen)},)`;
    return sequenceRepr(value.items, '(', ')', seen, value);
  }
  const dict = value as DictLike;
  seen.add(value);
  let text = '{';
  const add = (part: string) => {
    text += text === '{' ? part : `, ${part}`;
    checkReprLength(text);
  };
  if (dict instanceof PyDict) {
    for (const entry of dict.entries.values())
      add(`${pyRepr(entry.key, seen)}: ${pyRepr(entry.value, seen)}`);
  } else {
    for (const key of Object.keys(dict)) add(`${stringRepr(key)}: ${pyRepr(dict[key], seen)}`);
  }
  seen.delete(value);
  return `${text}}`;
}

/**
 * repr() is built a piece at a time and measured as it grows: `str(['xx'] * 16000000)` would be 96 million
 * characters. JavaScript joins the pieces lazily, so what is held stays near the cap when it stops.
 */
function checkReprLength(text: string): void {
  if (text.length > MAX_VALUE_LENGTH) checkValueLength(text.length, 'the repr()');
}

function reprNested(item: unknown, container: unknown, seen: Set<unknown>): string {
  seen.add(container);
  const text = pyRepr(item, seen);
  seen.delete(container);
  return text;
}

function sequenceRepr(
  items: readonly unknown[],
  open: string,
  close: string,
  seen: Set<unknown>,
  container: unknown = items,
): string {
  seen.add(container);
  let text = open;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) text += ', ';
    text += pyRepr(items[i], seen);
    checkReprLength(text);
  }
  seen.delete(container);
  return text + close;
}

/** What repr() escapes: the quote, backslash, and the unprintable (control characters among them), but not ' '. */
const ESCAPED_IN_SINGLE = /[\\']|(?! )[\p{C}\p{Z}]/gu;
const ESCAPED_IN_DOUBLE = /[\\"]|(?! )[\p{C}\p{Z}]/gu;

function escapeForRepr(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  if (char === "'" || char === '"' || char === '\\') return `\\${char}`;
  if (code < 0x100) return `\\x${hex(code, 2)}`;
  return code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
}

/**
 * repr() of a str: single quotes unless the text holds a single quote and no double quote; escapes as CPython.
 * Escaped a piece at a time and measured as it grows, since escapes make text up to ten times longer.
 */
export function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = quote === "'" ? ESCAPED_IN_SINGLE : ESCAPED_IN_DOUBLE;
  const pieces = [quote];
  let length = 2;
  for (const piece of textPieces(text)) {
    const out = piece.replace(escaped, escapeForRepr);
    length += out.length;
    checkValueLength(length, 'the repr()');
    pieces.push(out);
  }
  pieces.push(quote);
  return pieces.join('');
}

/**
 * Text in pieces of about 64K code units, never between the halves of a surrogate pair: for work that must measure
 * or build a long result a part at a time. (Adding to a string one character at a time makes one heap object per
 * character: 16 million characters took over half a gigabyte.)
 */
export function* textPieces(text: string, size = 1 << 16): Generator<string> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + size);
    const code = text.charCodeAt(end);
    if (end < text.length && code >= 0xdc00 && code <= 0xdfff) end += 1;
    yield text.slice(start, end);
    start = end;
  }
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/** repr() of a float: the shortest digits that read back, in fixed notation for 1e-4 <= |x| < 1e16. */
export function floatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const exponent = Number(exponentText);
  const sign = negative ? '-' : '';
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1);
    return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
  }
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const expSign = exponent < 0 ? '-' : '+';
  return `${sign}${head}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// truth, equality, ordering

export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'string':
      return value.length > 0;
    case 'object':
      break;
    default:
      return true;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof PyFloat) return value.value !== 0;
  if (value instanceof PyTuple) return value.items.length > 0;
  if (value instanceof PyDict) return value.entries.size > 0;
  if (value instanceof PyDictView) return dictSize(value.dict) > 0;
  if (value instanceof PyRange) return value.length > 0;
  if (value instanceof PyObject) return true;
  for (const _ in value) return true;
  return false;
}

export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (isNumeric(a)) return isNumeric(b) && toNumber(a) === toNumber(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && sequenceEquals(a, b);
  if (a instanceof PyTuple) return b instanceof PyTuple && sequenceEquals(a.items, b.items);
  if (a instanceof PyRange) {
    return b instanceof PyRange && sequenceEquals(Array.from(iterate(a)), Array.from(iterate(b)));
  }
  if (isDict(a) && isDict(b)) {
    if (dictSize(a) !== dictSize(b)) return false;
    for (const key of dictKeys(a)) {
      const other = dictGet(b, key);
      if (isMissing(other) || !pyEquals(dictGet(a, key), other)) return false;
    }
    return true;
  }
  return false;
}

function sequenceEquals(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!pyEquals(a[i], b[i])) return false;
  return true;
}

export type OrderOperator = '<' | '<=' | '>' | '>=';

export function pyOrder(a: unknown, b: unknown, op: OrderOperator): boolean {
  if (isNumeric(a) && isNumeric(b)) return compareWith(toNumber(a), toNumber(b), op);
  if (typeof a === 'string' && typeof b === 'string') return compareWith(a, b, op);
  const aItems = Array.isArray(a) ? a : a instanceof PyTuple ? a.items : null;
  const bItems = Array.isArray(b) ? b : b instanceof PyTuple ? b.items : null;
  if (aItems && bItems && Array.isArray(a) === Array.isArray(b)) {
    const shared = Math.min(aItems.length, bItems.length);
    for (let i = 0; i < shared; i++) {
      if (!pyEquals(aItems[i], bItems[i])) return pyOrder(aItems[i], bItems[i], op);
    }
    return compareWith(aItems.length, bItems.length, op);
  }
  throw typeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

function compareWith<T extends number | string>(a: T, b: T, op: OrderOperator): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

/** The `in` operator. */
export function pyContains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string')
      throw typeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((element) => pyEquals(element, item));
  if (container instanceof PyTuple) return container.items.some((element) => pyEquals(element, item));
  if (isDict(container)) return dictHas(container, item);
  if (container instanceof PyDictView) {
    if (container.kind === 'keys') return dictHas(container.dict, item);
    if (container.kind === 'values')
      return dictValues(container.dict).some((element) => pyEquals(element, item));
    if (!(item instanceof PyTuple) || item.items.length !== 2) return false;
    const value = dictGet(container.dict, item.items[0]);
    return !isMissing(value) && pyEquals(value, item.items[1]);
  }
  if (container instanceof PyRange) {
    if (!isNumeric(item)) return false;
    const n = toNumber(item);
    if (!Number.isInteger(n)) return false;
    const offset = n - container.start;
    return (
      offset % container.step === 0 &&
      offset / container.step >= 0 &&
      offset / container.step < container.length
    );
  }
  if (container instanceof PyIterator) {
    for (const element of container.drain()) if (pyEquals(element, item)) return true;
    return false;
  }
  throw typeError(`argument of type '${typeName(container)}' is not iterable`);
}

// ---------------------------------------------------------------------------------------------------------------
// iteration, length, indexing

export function iterate(value: unknown): Iterable<unknown> {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return value;
  if (value instanceof PyTuple) return value.items;
  if (value instanceof PyRange) return rangeItems(value);
  if (value instanceof PyIterator) return value.drain();
  if (value instanceof PyDictView) {
    if (value.kind === 'keys') return dictKeys(value.dict);
    return value.kind === 'values' ? dictValues(value.dict) : dictItems(value.dict);
  }
  if (isDict(value)) return dictKeys(value);
  throw typeError(`'${typeName(value)}' object is not iterable`);
}

function* rangeItems(range: PyRange): Generator<number> {
  const length = range.length;
  for (let i = 0; i < length; i++) yield range.at(i);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Python counts code points, JavaScript counts UTF-16 units; they differ only for astral characters. */
export function codePoints(text: string): readonly string[] | string {
  return SURROGATE.test(text) ? Array.from(text) : text;
}

export function pyLen(value: unknown): number {
  if (typeof value === 'string') return codePoints(value).length;
  if (Array.isArray(value)) return value.length;
  if (value instanceof PyTuple) return value.items.length;
  if (value instanceof PyRange) return value.length;
  if (value instanceof PyDictView) return dictSize(value.dict);
  if (isDict(value)) return dictSize(value);
  throw typeError(`object of type '${typeName(value)}' has no len()`);
}

export function pyGetItem(target: unknown, key: unknown): unknown {
  if (isDict(target)) {
    const value = dictGet(target, key);
    if (isMissing(value)) throw new PyError('KeyError', `key ${pyRepr(key)} is not in the dict`);
    return value;
  }
  const sequence = Array.isArray(target)
    ? target
    : target instanceof PyTuple
      ? target.items
      : typeof target === 'string'
        ? codePoints(target)
        : target instanceof PyRange
          ? null
          : undefined;
  if (sequence === undefined) throw typeError(`'${typeName(target)}' object is not subscriptable`);
  if (!isIntegral(key)) {
    throw typeError(`${typeName(target)} indices must be integers or slices, not ${typeName(key)}`);
  }
  const length = sequence === null ? (target as PyRange).length : sequence.length;
  let index = toNumber(key);
  if (index < 0) index += length;
  if (index < 0 || index >= length) throw new PyError('IndexError', `${typeName(target)} index out of range`);
  return sequence === null ? (target as PyRange).at(index) : sequence[index];
}

/** CPython's PySlice_AdjustIndices. */
export function sliceIndices(
  length: number,
  start: unknown,
  stop: unknown,
  step: unknown,
): { start: number; stop: number; step: number; count: number } {
  const stepValue = step === null || step === undefined ? 1 : sliceBound(step);
  if (stepValue === 0) throw valueError('slice step cannot be zero');
  const lower = stepValue < 0 ? -1 : 0;
  const upper = stepValue < 0 ? length - 1 : length;
  const adjust = (bound: unknown, fallback: number): number => {
    if (bound === null || bound === undefined) return fallback;
    let value = sliceBound(bound);
    if (value < 0) {
      value += length;
      if (value < lower) value = lower;
    } else if (value > upper) value = upper;
    return value;
  };
  const from = adjust(start, stepValue < 0 ? upper : lower);
  const to = adjust(stop, stepValue < 0 ? lower : upper);
  let count = 0;
  if (stepValue < 0) {
    if (to < from) count = Math.floor((from - to - 1) / -stepValue) + 1;
  } else if (from < to) count = Math.floor((to - from - 1) / stepValue) + 1;
  return { start: from, stop: to, step: stepValue, count };
}

function sliceBound(value: unknown): number {
  if (!isIntegral(value)) throw typeError('slice indices must be integers or None');
  return toNumber(value);
}

export function pySlice(target: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  const items = Array.isArray(target)
    ? target
    : target instanceof PyTuple
      ? target.items
      : typeof target === 'string'
        ? codePoints(target)
        : null;
  if (items === null) throw typeError(`'${typeName(target)}' object is not subscriptable`);
  const bounds = sliceIndices(items.length, start, stop, step);
  const picked: unknown[] = [];
  for (let i = 0, index = bounds.start; i < bounds.count; i++, index += bounds.step)
    picked.push(items[index]);
  if (typeof target === 'string') return picked.join('');
  return target instanceof PyTuple ? new PyTuple(picked) : picked;
}

// ---------------------------------------------------------------------------------------------------------------
// arithmetic

export type BinaryOperator = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '&' | '|' | '^' | '<<' | '>>';

export function pyBinary(
  op: BinaryOperator,
  a: unknown,
  b: unknown,
  formatPercent: (f: string, v: unknown) => string,
) {
  if (isNumeric(a) && isNumeric(b)) return numericBinary(op, a, b);
  switch (op) {
    case '+':
      if ((typeof a === 'string' && typeof b === 'string') || (Array.isArray(a) && Array.isArray(b)))
        checkValueLength(a.length + b.length, 'the sum');
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (Array.isArray(a) && Array.isArray(b)) return a.concat(b);
      if (a instanceof PyTuple && b instanceof PyTuple) {
        checkValueLength(a.items.length + b.items.length, 'the sum');
        return new PyTuple(a.items.concat(b.items));
      }
      if (typeof a === 'string' || Array.isArray(a)) {
        throw typeError(`can only concatenate ${typeName(a)} (not "${typeName(b)}") to ${typeName(a)}`);
      }
      break;
    case '*': {
      const repeated = repeat(a, b) ?? repeat(b, a);
      if (repeated !== undefined) return repeated;
      break;
    }
    case '%':
      if (typeof a === 'string') return formatPercent(a, b);
      break;
    default:
      break;
  }
  throw typeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function repeat(sequence: unknown, count: unknown): unknown {
  if (!isIntegral(count)) return undefined;
  const times = Math.max(0, toNumber(count));
  const length =
    typeof sequence === 'string' || Array.isArray(sequence)
      ? sequence.length
      : sequence instanceof PyTuple
        ? sequence.items.length
        : 0;
  checkValueLength(length * times, 'the repetition');
  if (typeof sequence === 'string') return sequence.repeat(times);
  if (Array.isArray(sequence)) return repeatItems(sequence, times);
  if (sequence instanceof PyTuple) return new PyTuple(repeatItems(sequence.items, times));
  return undefined;
}

/** A plain loop: `Array.from(...).flat()` took 16 s for `[1] * 16777216`. */
function repeatItems(items: readonly unknown[], times: number): unknown[] {
  const out = new Array<unknown>(items.length * times);
  for (let round = 0, at = 0; round < times; round++) {
    for (let i = 0; i < items.length; i++) out[at++] = items[i];
  }
  return out;
}

function numericBinary(
  op: BinaryOperator,
  a: number | boolean | PyFloat,
  b: number | boolean | PyFloat,
): unknown {
  const x = toNumber(a);
  const y = toNumber(b);
  const floats = isFloat(a) || isFloat(b);
  switch (op) {
    case '+':
      return floats ? makeFloat(x + y) : x + y;
    case '-':
      return floats ? makeFloat(x - y) : x - y;
    case '*':
      return floats ? makeFloat(x * y) : x * y;
    case '/':
      if (y === 0) throw new PyError('ZeroDivisionError', 'division by zero');
      return makeFloat(x / y);
    case '//':
      if (y === 0) throw new PyError('ZeroDivisionError', 'integer division or modulo by zero');
      return floats ? makeFloat(Math.floor(x / y)) : Math.floor(x / y);
    case '%': {
      if (y === 0) throw new PyError('ZeroDivisionError', 'integer division or modulo by zero');
      let remainder = x % y;
      if (remainder !== 0 && remainder < 0 !== y < 0) remainder += y;
      return floats ? makeFloat(remainder) : remainder;
    }
    case '**':
      if (x === 0 && y < 0)
        throw new PyError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
      return floats || y < 0 ? makeFloat(x ** y) : x ** y;
    default:
      return bitwise(op, a, b);
  }
}

function bitwise(op: BinaryOperator, a: number | boolean | PyFloat, b: number | boolean | PyFloat): unknown {
  if (!isIntegral(a) || !isIntegral(b)) {
    throw typeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
  }
  if (typeof a === 'boolean' && typeof b === 'boolean' && (op === '&' || op === '|' || op === '^')) {
    return op === '&' ? a && b : op === '|' ? a || b : a !== b;
  }
  const x = BigInt(toNumber(a));
  const y = BigInt(toNumber(b));
  switch (op) {
    case '&':
      return Number(x & y);
    case '|':
      return Number(x | y);
    case '^':
      return Number(x ^ y);
    case '<<':
      if (y < 0n) throw valueError('negative shift count');
      return Number(x << y);
    default:
      if (y < 0n) throw valueError('negative shift count');
      return Number(x >> y);
  }
}

export function pyUnary(op: '-' | '+' | '~', value: unknown): unknown {
  if (!isNumeric(value)) throw typeError(`bad operand type for unary ${op}: '${typeName(value)}'`);
  const n = toNumber(value);
  if (op === '~') {
    if (!isIntegral(value)) throw typeError(`bad operand type for unary ~: '${typeName(value)}'`);
    return -(n + 1);
  }
  const result = op === '-' ? -n : n;
  return isFloat(value) ? makeFloat(result) : result === 0 ? 0 : result;
}

/** Python's one-character string escapes (`\n`, `\t`, `\\`, ...): what each stands for in a string literal. */
export const pythonSimpleEscapes: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};
