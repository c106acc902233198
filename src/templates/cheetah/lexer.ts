// Tokens of the Python expressions inside directives and placeholders. The lexer is lazy: it reads one token at a
// time, because where an expression ends depends on context (the end of the line, a closing `#`, a `:`, or the
// bracket that closed a ${...} placeholder) and what follows the end is template text, not Python.
import type { Expr } from './ast.js';
import { PyFloat, pythonSimpleEscapes } from './python-values.js';
import type { TemplateText } from './source.js';

export type Token =
  | { readonly kind: 'name'; readonly text: string; readonly start: number; readonly end: number }
  | {
      readonly kind: 'number';
      readonly value: number | PyFloat;
      readonly start: number;
      readonly end: number;
    }
  | { readonly kind: 'string'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly kind: 'op'; readonly text: string; readonly start: number; readonly end: number }
  | { readonly kind: 'var'; readonly expr: Expr; readonly start: number; readonly end: number }
  | { readonly kind: 'end'; readonly reason: EndReason; readonly start: number; readonly end: number };

/** eol and hash end a directive; close is the bracket that ends ${...}; colon and assign end a directive's head. */
export type EndReason = 'limit' | 'eol' | 'hash' | 'colon' | 'assign' | 'close';

export interface LexerOptions {
  /** Where reading must stop: the end of the text, or of the line for one-line directive bodies. */
  readonly limit: number;
  readonly stopAtColon?: boolean;
  readonly stopAtAssignment?: boolean;
  /** For ${...}, $(...) and $[...]: the bracket already read; the expression ends at its partner. */
  readonly enclosure?: { readonly char: string; readonly pos: number };
  /** For ${name ...}: the first identifier is a $placeholder written without its `$`. */
  readonly leadingVar?: boolean;
  /** Reads a `$name.chain` starting at the name; Cheetah's rules for where it ends are character based. */
  readonly readVar: (position: number) => { expr: Expr; end: number };
}

const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '**',
  '//',
  '>>',
  '<<',
  '<>',
  '!=',
  '<=',
  '>=',
  '==',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '->',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '^',
  '~',
  '<',
  '>',
  '=',
  ',',
  ':',
  '.',
  ';',
  '@',
  '`',
];
export const ASSIGNMENT_OPERATORS: ReadonlySet<string> = new Set([
  '=',
  '+=',
  '-=',
  '*=',
  '/=',
  '//=',
  '%=',
  '**=',
  '&=',
  '|=',
  '^=',
  '>>=',
  '<<=',
]);
const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

export function isIdentifierStart(char: string | undefined): boolean {
  return char !== undefined && ((char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z') || char === '_');
}

export function isIdentifierChar(char: string | undefined): boolean {
  return isIdentifierStart(char) || (char !== undefined && char >= '0' && char <= '9');
}

export function readIdentifier(text: string, start: number, limit: number): number {
  let end = start;
  while (end < limit && isIdentifierChar(text[end])) end += 1;
  return end;
}

/** Length of the line ending at `position` (\r\n, \n or \r), or 0. */
export function lineEndLength(text: string, position: number): number {
  const char = text[position];
  if (char === '\n') return 1;
  if (char === '\r') return text[position + 1] === '\n' ? 2 : 1;
  return 0;
}

const NUMBER =
  /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?/y;
const STRING_PREFIX = /^(?:[rRuU]|[bBfF]|[bB][rR]|[rR][bB]|[fF][rR]|[rR][fF])$/;

export class Lexer {
  private position: number;
  private readonly stack: { char: string; pos: number }[] = [];
  private readonly buffer: Token[] = [];
  private first = true;
  private closed = false;
  /** The end of the last token handed out by next(). */
  consumedEnd: number;

  constructor(
    private readonly source: TemplateText,
    start: number,
    private readonly options: LexerOptions,
  ) {
    this.position = start;
    this.consumedEnd = start;
    if (options.enclosure) this.stack.push(options.enclosure);
  }

  peek(offset = 0): Token {
    while (this.buffer.length <= offset) this.buffer.push(this.scan());
    return this.buffer[offset] as Token;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.buffer.shift();
    this.consumedEnd = token.kind === 'end' && token.reason !== 'close' ? token.start : token.end;
    return token;
  }

  private get text(): string {
    return this.source.text;
  }

  private end(reason: EndReason, start: number, end = start): Token {
    return { kind: 'end', reason, start, end };
  }

  private scan(): Token {
    const text = this.text;
    const limit = this.options.limit;
    if (this.closed) return this.end('close', this.position, this.position);
    for (;;) {
      if (this.position >= limit) {
        const open = this.stack.at(-1);
        if (open) {
          throw this.source.error(
            open.pos,
            `the "${open.char}" is never closed: the template ends before the matching "${CLOSERS[open.char]}"`,
          );
        }
        return this.end('limit', this.position);
      }
      const char = text[this.position];
      if (char === ' ' || char === '\t' || char === '\f') {
        this.position += 1;
      } else if (char === '\\') {
        const eol = lineEndLength(text, this.position + 1);
        if (eol === 0)
          throw this.source.error(
            this.position,
            'a backslash in an expression must be the last character of its line',
          );
        this.position += 1 + eol;
      } else if (char === '\n' || char === '\r') {
        if (this.stack.length === 0) return this.end('eol', this.position);
        this.position += 1;
      } else if (char === '#') {
        if (this.stack.length === 0) return this.end('hash', this.position);
        // Inside brackets Python reads `#` as the start of a comment, and so does Cheetah.
        while (this.position < limit && lineEndLength(text, this.position) === 0) this.position += 1;
      } else break;
    }
    const start = this.position;
    const char = text[start] as string;
    const wasFirst = this.first;
    this.first = false;

    if (isIdentifierStart(char)) {
      const end = readIdentifier(text, start, limit);
      const word = text.slice(start, end);
      const quote = text[end];
      if ((quote === '"' || quote === "'") && STRING_PREFIX.test(word))
        return this.readString(start, end, word);
      if ((quote === '"' || quote === "'") && word === 'c') {
        throw this.source.error(
          start,
          `Cheetah's c"..." strings are not supported; build the text with + instead`,
        );
      }
      if (wasFirst && this.options.leadingVar) return this.readVarAt(start, start);
      this.position = end;
      return { kind: 'name', text: word, start, end };
    }
    const following = text[start + 1] ?? '';
    if ((char >= '0' && char <= '9') || (char === '.' && following >= '0' && following <= '9')) {
      return this.readNumber(start);
    }
    if (char === '"' || char === "'") return this.readString(start, start, '');
    if (char === '$') return this.readDollar(start);
    if (char === '(' || char === '[' || char === '{') {
      this.stack.push({ char, pos: start });
      this.position = start + 1;
      return { kind: 'op', text: char, start, end: start + 1 };
    }
    if (char === ')' || char === ']' || char === '}') {
      const open = this.stack.pop();
      if (open === undefined)
        throw this.source.error(start, `unexpected "${char}" without a matching opening bracket`);
      if (CLOSERS[open.char] !== char) {
        throw this.source.error(
          start,
          `unexpected "${char}": the "${open.char}" at ${this.source.where(open.pos)} is still open`,
        );
      }
      this.position = start + 1;
      if (this.options.enclosure && this.stack.length === 0) {
        this.closed = true;
        return this.end('close', start, start + 1);
      }
      return { kind: 'op', text: char, start, end: start + 1 };
    }
    if (this.stack.length === 0 && this.options.stopAtColon && char === ':') return this.end('colon', start);
    for (const op of OPERATORS) {
      if (text.startsWith(op, start)) {
        if (this.stack.length === 0 && this.options.stopAtAssignment && ASSIGNMENT_OPERATORS.has(op)) {
          return this.end('assign', start);
        }
        this.position = start + op.length;
        return { kind: 'op', text: op, start, end: start + op.length };
      }
    }
    throw this.source.error(start, `unexpected character ${JSON.stringify(char)} in an expression`);
  }

  private readVarAt(tokenStart: number, nameStart: number): Token {
    const { expr, end } = this.options.readVar(nameStart);
    this.position = end;
    return { kind: 'var', expr, start: tokenStart, end };
  }

  private readDollar(start: number): Token {
    const text = this.text;
    const next = text[start + 1];
    if (isIdentifierStart(next)) return this.readVarAt(start, start + 1);
    if (next === '{' || next === '(' || next === '[') {
      throw this.source.error(
        start,
        `a placeholder written "$${next}...${CLOSERS[next]}" is only valid in text; inside an expression write $name`,
      );
    }
    if (next === '!' || next === '*') {
      throw this.source.error(
        start,
        `"$${next}" placeholders are only valid in text; inside an expression write $name`,
      );
    }
    throw this.source.error(start, 'a "$" in an expression must be followed by a variable name');
  }

  private readNumber(start: number): Token {
    NUMBER.lastIndex = start;
    const match = NUMBER.exec(this.text);
    const literal = match?.[0] ?? '';
    const end = start + literal.length;
    const after = this.text[end];
    if (after === 'j' || after === 'J') throw this.source.error(start, 'complex numbers are not supported');
    const clean = literal.replaceAll('_', '');
    let value: number | PyFloat;
    if (/^0[xXoObB]/.test(clean)) value = Number(clean);
    else if (/[.eE]/.test(clean)) {
      const n = Number(clean);
      value = Number.isInteger(n) ? new PyFloat(n) : n;
    } else {
      if (/^0\d/.test(clean) && /[1-9]/.test(clean)) {
        throw this.source.error(
          start,
          `leading zeros are not allowed in the number ${literal}; Python reads 0o... as octal`,
        );
      }
      value = Number(clean);
    }
    this.position = end;
    return { kind: 'number', value, start, end };
  }

  private readString(start: number, quoteAt: number, prefix: string): Token {
    const lower = prefix.toLowerCase();
    if (lower.includes('b')) throw this.source.error(start, 'bytes literals (b"...") are not supported');
    if (lower.includes('f'))
      throw this.source.error(start, 'f-strings are not supported; use "...".format() or %');
    const raw = lower.includes('r');
    const text = this.text;
    const quote = text[quoteAt] as string;
    const triple = text.startsWith(quote.repeat(3), quoteAt);
    const delimiter = triple ? quote.repeat(3) : quote;
    let i = quoteAt + delimiter.length;
    let value = '';
    for (;;) {
      if (i >= this.options.limit || i >= text.length)
        throw this.source.error(start, 'this string is never closed');
      const char = text[i] as string;
      if (text.startsWith(delimiter, i)) {
        i += delimiter.length;
        break;
      }
      if (!triple && lineEndLength(text, i) > 0)
        throw this.source.error(start, 'this string is never closed on its line');
      if (char !== '\\') {
        value += char;
        i += 1;
        continue;
      }
      const eol = lineEndLength(text, i + 1);
      if (eol > 0) {
        if (raw) value += text.slice(i, i + 1 + eol);
        i += 1 + eol;
        continue;
      }
      if (raw) {
        value += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      const [decoded, length] = this.decodeEscape(i);
      value += decoded;
      i += length;
    }
    this.position = i;
    return { kind: 'string', value, start, end: i };
  }

  /** A backslash escape at `at` in a non-raw string: the text it stands for and how many characters it takes. */
  private decodeEscape(at: number): [string, number] {
    const text = this.text;
    const char = text[at + 1] ?? '';
    if (Object.hasOwn(pythonSimpleEscapes, char)) return [pythonSimpleEscapes[char] as string, 2];
    if (char >= '0' && char <= '7') {
      const digits = /^[0-7]{1,3}/.exec(text.slice(at + 1, at + 4))?.[0] ?? char;
      return [String.fromCodePoint(Number.parseInt(digits, 8)), 1 + digits.length];
    }
    const width = char === 'x' ? 2 : char === 'u' ? 4 : char === 'U' ? 8 : 0;
    if (width > 0) {
      const digits = text.slice(at + 2, at + 2 + width);
      if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== width) {
        throw this.source.error(at, `the escape \\${char} needs ${width} hex digits`);
      }
      return [String.fromCodePoint(Number.parseInt(digits, 16)), 2 + width];
    }
    if (char === 'N') throw this.source.error(at, 'named escapes (\\N{...}) are not supported');
    return [`\\${char}`, 2];
  }
}
