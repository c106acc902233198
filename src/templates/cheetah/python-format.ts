// Python's number formatting, printf-style `%` and str.format(). Floats are formatted from their exact binary
// value with round-half-even, as CPython does: JavaScript's toFixed() rounds exact ties up ('%.0f' % 2.5 is '2').
import {
  checkValueLength,
  codePoints,
  dictGet,
  floatRepr,
  intToString,
  isDict,
  isFloat,
  isIntegral,
  isMissing,
  isNumeric,
  PyError,
  PyTuple,
  pyGetItem,
  pyRepr,
  pyStr,
  toNumber,
  typeError,
  typeName,
  valueError,
} from './python-values.js';

// ---------------------------------------------------------------------------------------------------------------
// exact decimal digits of a double

/** |value| as numerator / 2^shift with integers, exactly. */
function exactBinary(value: number): { numerator: bigint; shift: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(value));
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075;
  return exponent >= 0
    ? { numerator: mantissa << BigInt(exponent), shift: 0n }
    : { numerator: mantissa, shift: BigInt(-exponent) };
}

function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

/** round(|value| * 10^places) as an integer, half to even, for any places (negative too). */
function scaledDigits(value: number, places: number): bigint {
  const { numerator, shift } = exactBinary(value);
  const denominator = 1n << shift;
  if (places >= 0) return divideHalfEven(numerator * 10n ** BigInt(places), denominator);
  return divideHalfEven(numerator, denominator * 10n ** BigInt(-places));
}

/**
 * The exact value of a double has at most 1074 digits after the point and 767 significant digits: digits asked for
 * beyond these are zeros, appended rather than computed (`'%.16000000f' % 1.5` would compute 10**16000000).
 */
const EXACT_FRACTION_DIGITS = 1074;
const EXACT_SIGNIFICANT_DIGITS = 800;

function checkPrecision(precision: number): void {
  checkValueLength(precision, 'the precision');
}

/** Fixed notation with `precision` digits after the point, without sign. */
export function formatFixed(value: number, precision: number): string {
  checkPrecision(precision);
  const exact = Math.min(precision, EXACT_FRACTION_DIGITS);
  const digits = scaledDigits(value, exact).toString();
  if (exact === 0) return digits;
  const padded = digits.padStart(exact + 1, '0');
  return `${padded.slice(0, -exact)}.${padded.slice(-exact)}${'0'.repeat(precision - exact)}`;
}

/** Scientific notation digits: `precision` digits after the point, and the decimal exponent; without sign. */
function scientificParts(value: number, precision: number): { digits: string; exponent: number } {
  checkPrecision(precision);
  if (value === 0) return { digits: '0'.repeat(precision + 1), exponent: 0 };
  const exact = Math.min(precision, EXACT_SIGNIFICANT_DIGITS);
  let exponent = Math.floor(Math.log10(Math.abs(value)));
  for (;;) {
    const digits = scaledDigits(value, exact - exponent).toString();
    if (digits.length > exact + 1) exponent += 1;
    else if (digits.length < exact + 1) exponent -= 1;
    else return { digits: digits + '0'.repeat(precision - exact), exponent };
  }
}

export function formatScientific(value: number, precision: number, alternate = false): string {
  const { digits, exponent } = scientificParts(value, precision);
  const head = precision > 0 || alternate ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${head}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** The 'g' presentation: scientific when the exponent is < -4 or >= precision, trailing zeros dropped. */
export function formatGeneral(value: number, precision: number, alternate = false): string {
  const significant = precision === 0 ? 1 : precision;
  const { exponent } = scientificParts(value, significant - 1);
  let text =
    exponent >= -4 && exponent < significant
      ? formatFixed(value, significant - 1 - exponent)
      : formatScientific(value, significant - 1, alternate);
  if (!alternate) {
    const [mantissa = '', tail] = text.split('e');
    const trimmed = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    text = tail === undefined ? trimmed : `${trimmed}e${tail}`;
  }
  return text;
}

/** Python's round(): half to even on the exact value. */
export function roundNumber(value: number, places: number): number {
  if (!Number.isFinite(value)) return value;
  const sign = value < 0 ? -1 : 1;
  // Past these, rounding changes nothing, or leaves nothing: the largest double is below 10**309.
  if (places >= EXACT_FRACTION_DIGITS) return value;
  if (places < -330) return sign * 0;
  if (places >= 0) return sign * Number(formatFixed(value, places));
  return sign * Number(scaledDigits(value, places) * 10n ** BigInt(-places));
}

// ---------------------------------------------------------------------------------------------------------------
// the format-spec mini-language, shared by format(), str.format() and (through translation) `%`

interface Spec {
  fill: string;
  align: '<' | '>' | '^' | '=' | '';
  sign: '+' | '-' | ' ' | '';
  alternate: boolean;
  zero: boolean;
  width: number;
  grouping: ',' | '_' | '';
  precision: number | undefined;
  type: string;
}

const SPEC = /^(?:(.)?([<>^=]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su;

function parseSpec(spec: string): Spec {
  const match = SPEC.exec(spec);
  if (!match) throw valueError(`invalid format specifier ${JSON.stringify(spec)}`);
  // The formatted value is at least this wide.
  checkValueLength(Number(match[6] ?? 0), 'the format width');
  return {
    fill: match[1] ?? (match[5] && !match[2] ? '0' : ' '),
    align: (match[2] ?? (match[5] ? '=' : '')) as Spec['align'],
    sign: (match[3] ?? '') as Spec['sign'],
    alternate: match[4] !== undefined,
    zero: match[5] !== undefined,
    width: match[6] === undefined ? 0 : Number(match[6]),
    grouping: (match[7] ?? '') as Spec['grouping'],
    precision: match[8] === undefined ? undefined : Number(match[8]),
    type: match[9] ?? '',
  };
}

function pad(body: string, prefix: string, spec: Spec, defaultAlign: '<' | '>'): string {
  const length = codePoints(prefix).length + codePoints(body).length;
  const missing = spec.width - length;
  if (missing <= 0) return prefix + body;
  const fill = spec.fill.repeat(missing);
  switch (spec.align || defaultAlign) {
    case '<':
      return prefix + body + fill;
    case '^': {
      const left = Math.floor(missing / 2);
      return spec.fill.repeat(left) + prefix + body + spec.fill.repeat(missing - left);
    }
    case '=':
      return prefix + fill + body;
    default:
      return fill + prefix + body;
  }
}

function group(digits: string, separator: string, every = 3): string {
  if (separator === '') return digits;
  let out = '';
  for (let i = digits.length; i > 0; i -= every) {
    const chunk = digits.slice(Math.max(0, i - every), i);
    out = out === '' ? chunk : `${chunk}${separator}${out}`;
  }
  return out;
}

/** format(value, spec). */
export function formatWithSpec(value: unknown, specText: string): string {
  if (specText === '') return pyStr(value);
  const spec = parseSpec(specText);
  if (typeof value === 'string') {
    if (spec.type !== '' && spec.type !== 's')
      throw valueError(`unknown format code '${spec.type}' for object of type 'str'`);
    if (spec.sign !== '' || spec.align === '=')
      throw valueError('sign not allowed in string format specifier');
    const text = spec.precision === undefined ? value : Array.from(value).slice(0, spec.precision).join('');
    return pad(text, '', spec, '<');
  }
  if (isNumeric(value)) {
    const useInteger = isIntegral(value) && 'bcdoxXn'.includes(spec.type) && spec.type !== '';
    if (useInteger || (isIntegral(value) && spec.type === '')) return formatInteger(toNumber(value), spec);
    if (isIntegral(value) && spec.type === 'c')
      return pad(String.fromCodePoint(toNumber(value)), '', spec, '<');
    return formatFloat(toNumber(value), spec, isFloat(value));
  }
  if (spec.type !== '' && spec.type !== 's') {
    throw typeError(`unsupported format string passed to ${typeName(value)}.__format__`);
  }
  return pad(pyStr(value), '', spec, '<');
}

function signPrefix(negative: boolean, sign: Spec['sign']): string {
  if (negative) return '-';
  return sign === '+' ? '+' : sign === ' ' ? ' ' : '';
}

function formatInteger(value: number, spec: Spec): string {
  if (spec.precision !== undefined) throw valueError('precision not allowed in integer format specifier');
  const negative = value < 0;
  const magnitude = BigInt(Math.abs(value));
  let digits: string;
  let base = '';
  switch (spec.type) {
    case 'b':
      digits = magnitude.toString(2);
      base = '0b';
      break;
    case 'o':
      digits = magnitude.toString(8);
      base = '0o';
      break;
    case 'x':
      digits = magnitude.toString(16);
      base = '0x';
      break;
    case 'X':
      digits = magnitude.toString(16).toUpperCase();
      base = '0X';
      break;
    default:
      digits = group(magnitude.toString(), spec.grouping);
  }
  if (spec.type !== '' && spec.type !== 'd' && spec.type !== 'n')
    digits = group(digits, spec.grouping === '_' ? '_' : '', 4);
  const prefix = signPrefix(negative, spec.sign) + (spec.alternate ? base : '');
  return pad(digits, prefix, spec, '>');
}

function formatFloat(value: number, spec: Spec, wasFloat: boolean): string {
  const negative = value < 0 || Object.is(value, -0);
  const magnitude = Math.abs(value);
  let body: string;
  if (!Number.isFinite(magnitude)) {
    body = Number.isNaN(magnitude) ? 'nan' : 'inf';
    if (spec.type === 'E' || spec.type === 'F' || spec.type === 'G') body = body.toUpperCase();
  } else {
    const precision = spec.precision ?? 6;
    switch (spec.type) {
      case 'e':
      case 'E':
        body = formatScientific(magnitude, precision, spec.alternate);
        if (spec.type === 'E') body = body.toUpperCase();
        break;
      case 'f':
      case 'F':
        body = formatFixed(magnitude, precision);
        if (spec.alternate && precision === 0) body += '.';
        break;
      case '%':
        body = Number.isFinite(magnitude * 100) ? `${formatFixed(magnitude * 100, precision)}%` : 'inf%';
        break;
      case 'g':
      case 'G':
      case 'n':
        body = formatGeneral(magnitude, precision, spec.alternate);
        if (spec.type === 'G') body = body.toUpperCase();
        break;
      default:
        if (spec.precision === undefined) {
          body = wasFloat ? floatRepr(magnitude) : intToString(magnitude);
        } else {
          body = formatGeneral(magnitude, spec.precision, spec.alternate);
          if (!/[.e]/.test(body) && wasFloat) body += '.0';
        }
    }
    if (spec.grouping !== '') {
      const [whole = '', ...rest] = body.split('.');
      body = [group(whole, spec.grouping), ...rest].join('.');
    }
  }
  return pad(body, signPrefix(negative, spec.sign), spec, '>');
}

// ---------------------------------------------------------------------------------------------------------------
// printf-style formatting: 'text %s' % value

const PERCENT = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])?/g;

export function percentFormat(format: string, values: unknown): string {
  const positional = values instanceof PyTuple ? values.items : [values];
  const mapping = isDict(values) ? values : null;
  let next = 0;
  let usedMapping = false;
  const take = (): unknown => {
    if (next >= positional.length) throw typeError('not enough arguments for format string');
    return positional[next++];
  };
  let length = format.length;
  const result = format.replace(
    PERCENT,
    (whole, key: string | undefined, flags: string, width?: string, precision?: string, type?: string) => {
      if (type === undefined) throw valueError('incomplete format');
      if (type === '%') return '%';
      let value: unknown;
      if (key !== undefined) {
        if (mapping === null) throw typeError('format requires a mapping');
        usedMapping = true;
        value = dictGet(mapping, key);
        if (isMissing(value)) throw new PyError('KeyError', `key ${pyRepr(key)} is not in the dict`);
      }
      const widthValue = width === '*' ? Number(asInteger(take(), '* wants int')) : width ? Number(width) : 0;
      checkValueLength(Math.abs(widthValue), 'the format width');
      const precisionValue =
        precision === '*'
          ? Number(asInteger(take(), '* wants int'))
          : precision
            ? Number(precision)
            : undefined;
      if (key === undefined) value = take();
      const text = percentOne(value, flags, widthValue, precisionValue, type);
      // Measured as it grows: each field is within the cap, but '%s%s' % (s, s) is twice that.
      length += text.length - whole.length;
      checkValueLength(length, 'the % formatting');
      return text;
    },
  );
  if (!usedMapping && mapping === null && next < positional.length) {
    throw typeError('not all arguments converted during string formatting');
  }
  return result;
}

function asInteger(value: unknown, message: string): number {
  if (!isIntegral(value)) throw typeError(message);
  return toNumber(value);
}

function percentOne(
  value: unknown,
  flags: string,
  width: number,
  precision: number | undefined,
  type: string,
): string {
  const left = flags.includes('-');
  const zero = flags.includes('0') && !left;
  const sign = flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const alternate = flags.includes('#');
  let body: string;
  let prefix = '';
  switch (type) {
    case 's':
    case 'r':
    case 'a': {
      body = type === 's' ? pyStr(value) : pyRepr(value);
      if (precision !== undefined) body = Array.from(body).slice(0, precision).join('');
      return padPercent(body, '', width, left, false);
    }
    case 'c':
      if (typeof value === 'string' && codePoints(value).length === 1) body = value;
      else if (isIntegral(value)) body = String.fromCodePoint(toNumber(value));
      else throw typeError('%c requires int or char');
      return padPercent(body, '', width, left, false);
    case 'd':
    case 'i':
    case 'u':
    case 'o':
    case 'x':
    case 'X': {
      if (!isNumeric(value)) {
        throw typeError(`%${type} format: a real number is required, not ${typeName(value)}`);
      }
      const n = Math.trunc(toNumber(value));
      const magnitude = BigInt(Math.abs(n));
      body =
        type === 'o'
          ? magnitude.toString(8)
          : type === 'x'
            ? magnitude.toString(16)
            : type === 'X'
              ? magnitude.toString(16).toUpperCase()
              : magnitude.toString();
      if (precision !== undefined) {
        checkPrecision(precision);
        body = body.padStart(precision, '0');
      }
      prefix =
        (n < 0 ? '-' : sign) + (alternate && type !== 'd' && type !== 'i' && type !== 'u' ? `0${type}` : '');
      return padPercent(body, prefix, width, left, zero);
    }
    default: {
      if (!isNumeric(value)) throw typeError(`must be real number, not ${typeName(value)}`);
      const n = toNumber(value);
      const magnitude = Math.abs(n);
      const places = precision ?? 6;
      if (!Number.isFinite(magnitude)) body = Number.isNaN(magnitude) ? 'nan' : 'inf';
      else if (type === 'e' || type === 'E') body = formatScientific(magnitude, places, alternate);
      else if (type === 'f' || type === 'F')
        body = formatFixed(magnitude, places) + (alternate && places === 0 ? '.' : '');
      else body = formatGeneral(magnitude, places, alternate);
      if (type === 'E' || type === 'F' || type === 'G') body = body.toUpperCase();
      prefix = n < 0 || Object.is(n, -0) ? '-' : sign;
      return padPercent(body, prefix, width, left, zero && Number.isFinite(magnitude));
    }
  }
}

function padPercent(body: string, prefix: string, width: number, left: boolean, zero: boolean): string {
  const missing = width - codePoints(prefix).length - codePoints(body).length;
  if (missing <= 0) return prefix + body;
  if (left) return prefix + body + ' '.repeat(missing);
  return zero ? prefix + '0'.repeat(missing) + body : ' '.repeat(missing) + prefix + body;
}

// ---------------------------------------------------------------------------------------------------------------
// str.format()

export function strFormat(
  format: string,
  args: readonly unknown[],
  kwargs: Map<string, unknown> | null,
): string {
  let out = '';
  let auto = 0;
  let manual = false;
  let i = 0;
  while (i < format.length) {
    const char = format[i] as string;
    if (char === '}') {
      if (format[i + 1] !== '}') throw valueError("single '}' encountered in format string");
      out += '}';
      i += 2;
      continue;
    }
    if (char !== '{') {
      out += char;
      i += 1;
      continue;
    }
    if (format[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    let depth = 1;
    let j = i + 1;
    while (j < format.length && depth > 0) {
      if (format[j] === '{') depth += 1;
      else if (format[j] === '}') depth -= 1;
      if (depth > 0) j += 1;
    }
    if (depth > 0) throw valueError("expected '}' before end of string");
    const field = format.slice(i + 1, j);
    i = j + 1;
    const colon = indexOutsideBrackets(field, ':');
    const bang = indexOutsideBrackets(colon === -1 ? field : field.slice(0, colon), '!');
    const nameEnd = bang !== -1 ? bang : colon !== -1 ? colon : field.length;
    const name = field.slice(0, nameEnd);
    const conversion = bang === -1 ? '' : field.slice(bang + 1, colon === -1 ? field.length : colon);
    let spec = colon === -1 ? '' : field.slice(colon + 1);
    if (spec.includes('{')) spec = strFormat(spec, args, kwargs);
    const first = /^[^.[]*/.exec(name)?.[0] ?? '';
    let value: unknown;
    if (first === '') {
      if (manual)
        throw valueError('cannot switch from manual field specification to automatic field numbering');
      if (auto >= args.length)
        throw new PyError('IndexError', `replacement index ${auto} out of range for positional args tuple`);
      value = args[auto++];
    } else if (/^\d+$/.test(first)) {
      if (auto > 0)
        throw valueError('cannot switch from automatic field numbering to manual field specification');
      manual = true;
      const index = Number(first);
      if (index >= args.length)
        throw new PyError('IndexError', `replacement index ${index} out of range for positional args tuple`);
      value = args[index];
    } else {
      if (kwargs === null || !kwargs.has(first))
        throw new PyError('KeyError', `key ${pyRepr(first)} was not passed to format()`);
      value = kwargs.get(first);
    }
    value = followFieldPath(value, name.slice(first.length));
    if (conversion === 'r' || conversion === 'a') value = pyRepr(value);
    else if (conversion === 's') value = pyStr(value);
    else if (conversion !== '') throw valueError(`unknown conversion specifier ${conversion}`);
    const text = formatWithSpec(value, spec);
    // Measured as it grows: each field is within the cap, but '{0}{0}'.format(s) is twice that.
    checkValueLength(out.length + text.length, 'str.format()');
    out += text;
  }
  return out;
}

function indexOutsideBrackets(text: string, char: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '[') depth += 1;
    else if (text[i] === ']') depth -= 1;
    else if (depth === 0 && text[i] === char) return i;
  }
  return -1;
}

function followFieldPath(value: unknown, path: string): unknown {
  let rest = path;
  let current = value;
  while (rest !== '') {
    const index = /^\[([^\]]*)\]/.exec(rest);
    if (index) {
      const key = index[1] ?? '';
      current = pyGetItem(current, /^\d+$/.test(key) && !isDict(current) ? Number(key) : key);
      rest = rest.slice(index[0].length);
      continue;
    }
    const attribute = /^\.(\w+)/.exec(rest);
    if (!attribute) throw valueError('only "." or "[" may follow "]" in format field specifier');
    throw new PyError(
      'AttributeError',
      `format fields cannot read attribute ${JSON.stringify(attribute[1])}`,
    );
  }
  return current;
}
