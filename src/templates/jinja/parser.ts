// Jinja's template syntax, read the way Jinja 3's lexer and parser read it with the options Cobbler leaves at their
// defaults: `{{ }}`, `{% %}` and `{# #}` with `-` to strip the white space beside a tag, no trim_blocks or
// lstrip_blocks, every line ending read as "\n" and the source's one last newline dropped (keep_trailing_newline is
// off, so a Cobbler Jinja kickstart never ends in the newline its file ends in).
import { isPythonSpace, PyFloat, pythonSimpleEscapes } from '../cheetah/python-values.js';
import type { CallArguments, Expr, Node, Target } from './ast.js';

export class JinjaSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

type TokenType = 'name' | 'string' | 'integer' | 'float' | 'operator' | 'end';

interface Token {
  type: TokenType;
  value: string;
  /** The literal's value for strings and numbers. */
  literal?: unknown;
  line: number;
}

type Segment =
  | { kind: 'data'; text: string; line: number }
  | { kind: 'print' | 'block'; tokens: Token[]; line: number };

// ---------------------------------------------------------------------------------------------------------------
// template level: data, tags, comments, raw blocks

function rstripPython(text: string): string {
  let end = text.length;
  while (end > 0 && isPythonSpace(text[end - 1])) end -= 1;
  return text.slice(0, end);
}

export function lstripPython(text: string): string {
  let start = 0;
  while (start < text.length && isPythonSpace(text[start])) start += 1;
  return text.slice(start);
}

function countLines(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines += 1;
  return lines;
}

const RAW_BEGIN = /\{%([-+]?)\s*raw\s*(-?)%\}/y;
const RAW_END = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;
const TAG_START = /\{\{|\{%|\{#/g;

/** The source as Jinja's lexer sees it: "\r\n" and "\r" read as "\n", and one newline at the very end dropped. */
function normalizeSource(text: string): string {
  const normalized = text.replace(/\r\n?/g, '\n');
  return normalized.endsWith('\n') ? normalized.slice(0, -1) : normalized;
}

function splitSegments(source: string, firstLine: number): Segment[] {
  const segments: Segment[] = [];
  let position = 0;
  let line = firstLine;
  let stripNext = false;
  const pushData = (text: string, startLine: number, stripBefore: boolean) => {
    let data = stripNext ? lstripPython(text) : text;
    if (stripBefore) data = rstripPython(data);
    if (data !== '') segments.push({ kind: 'data', text: data, line: startLine });
    stripNext = false;
  };
  while (position < source.length) {
    TAG_START.lastIndex = position;
    const start = TAG_START.exec(source);
    if (!start) {
      pushData(source.slice(position), line, false);
      break;
    }
    const at = start.index;
    const stripBefore = source[at + 2] === '-';
    const dataLine = line;
    line += countLines(source.slice(position, at));
    pushData(source.slice(position, at), dataLine, stripBefore);
    const tagLine = line;
    const opener = start[0];
    if (opener === '{#') {
      const close = source.indexOf('#}', at + 2);
      if (close === -1) throw new JinjaSyntaxError('the comment is not closed (missing "#}")', tagLine);
      stripNext = source[close - 1] === '-' && close - 1 >= at + 2;
      line += countLines(source.slice(at, close + 2));
      position = close + 2;
      continue;
    }
    if (opener === '{%') {
      RAW_BEGIN.lastIndex = at;
      const raw = RAW_BEGIN.exec(source);
      if (raw) {
        RAW_END.lastIndex = at + raw[0].length;
        const end = RAW_END.exec(source);
        if (!end) throw new JinjaSyntaxError('the raw block is not closed (missing "{% endraw %}")', tagLine);
        let content = source.slice(at + raw[0].length, end.index);
        if (raw[2] === '-') content = lstripPython(content);
        if (end[1] === '-') content = rstripPython(content);
        if (content !== '') segments.push({ kind: 'data', text: content, line: tagLine });
        stripNext = end[2] === '-';
        line += countLines(source.slice(at, end.index + end[0].length));
        position = end.index + end[0].length;
        continue;
      }
    }
    const kind = opener === '{{' ? 'print' : 'block';
    const lexed = lexExpression(source, at + (stripBefore || source[at + 2] === '+' ? 3 : 2), kind, tagLine);
    segments.push({ kind, tokens: lexed.tokens, line: tagLine });
    stripNext = lexed.stripAfter;
    line = lexed.line;
    position = lexed.end;
  }
  return segments;
}

// ---------------------------------------------------------------------------------------------------------------
// inside a tag: the expression lexer

const WHITESPACE = /\s+/y;
const FLOAT = /(?<!\.)(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?[eE][+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/y;
const INTEGER = /(?:0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[\da-fA-F])+|[1-9](?:_?\d)*|0(?:_?0)*)/y;
const NAME = /[\p{L}_][\p{L}\p{N}_]*/uy;
const STRING = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/sy;
const OPERATORS = [
  '//',
  '**',
  '==',
  '!=',
  '>=',
  '<=',
  '+',
  '-',
  '/',
  '*',
  '%',
  '~',
  '[',
  ']',
  '(',
  ')',
  '{',
  '}',
  '>',
  '<',
  '=',
  '.',
  ':',
  '|',
  ',',
  ';',
];

function matchAt(pattern: RegExp, source: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at;
  return pattern.exec(source);
}

function lexExpression(
  source: string,
  start: number,
  kind: 'print' | 'block',
  startLine: number,
): { tokens: Token[]; end: number; stripAfter: boolean; line: number } {
  const close = kind === 'print' ? '}}' : '%}';
  const tokens: Token[] = [];
  let position = start;
  let line = startLine;
  let depth = 0;
  while (position < source.length) {
    const space = matchAt(WHITESPACE, source, position);
    if (space) {
      line += countLines(space[0]);
      position += space[0].length;
      continue;
    }
    // Inside brackets `}}` is two braces, as in Jinja's lexer: `{{ {'a': {'b': 1}} }}` is one dict.
    if (depth === 0) {
      if (source.startsWith(`-${close}`, position)) {
        tokens.push({ type: 'end', value: close, line });
        return { tokens, end: position + 3, stripAfter: true, line };
      }
      if (source.startsWith(`+${close}`, position) && kind === 'block') {
        tokens.push({ type: 'end', value: close, line });
        return { tokens, end: position + 3, stripAfter: false, line };
      }
      if (source.startsWith(close, position)) {
        tokens.push({ type: 'end', value: close, line });
        return { tokens, end: position + 2, stripAfter: false, line };
      }
    }
    const float = matchAt(FLOAT, source, position);
    if (float) {
      tokens.push({
        type: 'float',
        value: float[0],
        literal: new PyFloat(Number(float[0].replaceAll('_', ''))),
        line,
      });
      position += float[0].length;
      continue;
    }
    const integer = matchAt(INTEGER, source, position);
    if (integer) {
      tokens.push({ type: 'integer', value: integer[0], literal: parseInteger(integer[0]), line });
      position += integer[0].length;
      continue;
    }
    const name = matchAt(NAME, source, position);
    if (name) {
      tokens.push({ type: 'name', value: name[0], line });
      position += name[0].length;
      continue;
    }
    const string = matchAt(STRING, source, position);
    if (string) {
      const body = string[1] ?? string[2] ?? '';
      tokens.push({ type: 'string', value: string[0], literal: decodeEscapes(body, line), line });
      line += countLines(string[0]);
      position += string[0].length;
      continue;
    }
    const operator = OPERATORS.find((op) => source.startsWith(op, position));
    if (operator) {
      if (operator === '(' || operator === '[' || operator === '{') depth += 1;
      else if (operator === ')' || operator === ']' || operator === '}') depth = Math.max(0, depth - 1);
      tokens.push({ type: 'operator', value: operator, line });
      position += operator.length;
      continue;
    }
    throw new JinjaSyntaxError(`unexpected character ${JSON.stringify(source[position])}`, line);
  }
  throw new JinjaSyntaxError(`the tag is not closed (missing "${close}")`, startLine);
}

function parseInteger(text: string): number {
  const digits = text.replaceAll('_', '');
  if (/^0[bBoOxX]/.test(digits)) return Number(digits.toLowerCase());
  return Number(digits);
}

// A backslash before a newline joins the lines, as in Python's unicode-escape.
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { ...pythonSimpleEscapes, '\n': '' };

/** Python's "unicode-escape" decoding, which is how Jinja reads the inside of a string literal. */
function decodeEscapes(body: string, line: number): string {
  const text = body.replace(/\r\n?/g, '\n');
  if (!text.includes('\\')) return text;
  return text.replace(
    /\\(x[\da-fA-F]{2}|u[\da-fA-F]{4}|U[\da-fA-F]{8}|[0-7]{1,3}|[\s\S])?/g,
    (whole, sequence: string | undefined) => {
      if (sequence === undefined) throw new JinjaSyntaxError('a string ends in a lone backslash', line);
      if (sequence === 'N') {
        throw new JinjaSyntaxError('\\N{name} escapes are not supported; write the character itself', line);
      }
      if (Object.hasOwn(SIMPLE_ESCAPES, sequence)) return SIMPLE_ESCAPES[sequence] as string;
      if (/^[xuU]/.test(sequence) && sequence.length > 1)
        return String.fromCodePoint(Number.parseInt(sequence.slice(1), 16));
      if (/^[0-7]/.test(sequence)) return String.fromCodePoint(Number.parseInt(sequence, 8));
      if (sequence === 'x' || sequence === 'u' || sequence === 'U')
        throw new JinjaSyntaxError(`truncated \\${sequence} escape in a string`, line);
      return whole;
    },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// expressions, as Jinja 3's parser reads them

class TokenStream {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    readonly line: number,
  ) {}

  get current(): Token {
    return this.tokens[this.index] as Token;
  }

  peek(offset = 1): Token | undefined {
    return this.tokens[this.index + offset];
  }

  next(): Token {
    const token = this.current;
    if (this.index < this.tokens.length - 1) this.index += 1;
    return token;
  }

  isOperator(value: string): boolean {
    return this.current.type === 'operator' && this.current.value === value;
  }

  isName(value?: string): boolean {
    return this.current.type === 'name' && (value === undefined || this.current.value === value);
  }

  skipOperator(value: string): boolean {
    if (!this.isOperator(value)) return false;
    this.next();
    return true;
  }

  skipName(value: string): boolean {
    if (!this.isName(value)) return false;
    this.next();
    return true;
  }

  expectOperator(value: string): void {
    if (!this.skipOperator(value)) throw this.unexpected(`"${value}"`);
  }

  expectName(value?: string): string {
    if (!this.isName(value)) throw this.unexpected(value === undefined ? 'a name' : `"${value}"`);
    return this.next().value;
  }

  expectEnd(): void {
    if (this.current.type !== 'end') throw this.unexpected('the end of the tag');
  }

  unexpected(wanted: string): JinjaSyntaxError {
    const token = this.current;
    const found = token.type === 'end' ? 'the end of the tag' : `"${token.value}"`;
    return new JinjaSyntaxError(`expected ${wanted}, found ${found}`, token.line);
  }
}

const COMPARE_OPERATORS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const PRIMARY_START = new Set(['name', 'string', 'integer', 'float']);

class ExpressionParser {
  constructor(readonly stream: TokenStream) {}

  expression(withCondition = true): Expr {
    return withCondition ? this.condition() : this.or();
  }

  private condition(): Expr {
    let node = this.or();
    while (this.stream.isName('if')) {
      const line = this.stream.next().line;
      const test = this.or();
      const otherwise = this.stream.skipName('else') ? this.condition() : undefined;
      node = { t: 'cond', test, ifTrue: node, ifFalse: otherwise, line };
    }
    return node;
  }

  private or(): Expr {
    let node = this.and();
    while (this.stream.isName('or')) {
      const line = this.stream.next().line;
      node = { t: 'or', left: node, right: this.and(), line };
    }
    return node;
  }

  private and(): Expr {
    let node = this.not();
    while (this.stream.isName('and')) {
      const line = this.stream.next().line;
      node = { t: 'and', left: node, right: this.not(), line };
    }
    return node;
  }

  private not(): Expr {
    if (this.stream.isName('not')) {
      const line = this.stream.next().line;
      return { t: 'not', operand: this.not(), line };
    }
    return this.compare();
  }

  private compare(): Expr {
    const line = this.stream.current.line;
    const first = this.math1();
    const ops: { op: string; expr: Expr }[] = [];
    for (;;) {
      const token = this.stream.current;
      if (token.type === 'operator' && COMPARE_OPERATORS.has(token.value)) {
        this.stream.next();
        ops.push({ op: token.value, expr: this.math1() });
      } else if (this.stream.isName('in')) {
        this.stream.next();
        ops.push({ op: 'in', expr: this.math1() });
      } else if (
        this.stream.isName('not') &&
        this.stream.peek()?.type === 'name' &&
        this.stream.peek()?.value === 'in'
      ) {
        this.stream.next();
        this.stream.next();
        ops.push({ op: 'not in', expr: this.math1() });
      } else break;
    }
    return ops.length === 0 ? first : { t: 'compare', first, ops, line };
  }

  private binaryLevel(operators: readonly string[], operand: () => Expr): Expr {
    let node = operand();
    for (;;) {
      const token = this.stream.current;
      if (token.type !== 'operator' || !operators.includes(token.value)) return node;
      this.stream.next();
      node = { t: 'binary', op: token.value, left: node, right: operand(), line: token.line };
    }
  }

  private math1(): Expr {
    return this.binaryLevel(['+', '-'], () => this.concat());
  }

  private concat(): Expr {
    return this.binaryLevel(['~'], () => this.math2());
  }

  private math2(): Expr {
    return this.binaryLevel(['*', '/', '//', '%'], () => this.pow());
  }

  // Jinja's `**` groups to the left, unlike Python's: 2 ** 3 ** 2 is 64.
  private pow(): Expr {
    return this.binaryLevel(['**'], () => this.unary(true));
  }

  private unary(withFilter: boolean): Expr {
    const token = this.stream.current;
    let node: Expr;
    if (token.type === 'operator' && (token.value === '-' || token.value === '+')) {
      this.stream.next();
      node = { t: 'unary', op: token.value, operand: this.unary(false), line: token.line };
    } else {
      node = this.primary();
    }
    node = this.postfix(node);
    return withFilter ? this.filterExpression(node) : node;
  }

  private primary(): Expr {
    const token = this.stream.current;
    const line = token.line;
    if (token.type === 'name') {
      this.stream.next();
      switch (token.value) {
        case 'true':
        case 'True':
          return { t: 'const', value: true, line };
        case 'false':
        case 'False':
          return { t: 'const', value: false, line };
        case 'none':
        case 'None':
          return { t: 'const', value: null, line };
        default:
          return { t: 'name', name: token.value, line };
      }
    }
    if (token.type === 'string') {
      // Adjacent string literals are one string, as in Python.
      let value = '';
      while (this.stream.current.type === 'string') value += this.stream.next().literal as string;
      return { t: 'const', value, line };
    }
    if (token.type === 'integer' || token.type === 'float') {
      this.stream.next();
      return { t: 'const', value: token.literal, line };
    }
    if (this.stream.skipOperator('(')) {
      const node = this.tuple({ explicitParentheses: true });
      this.stream.expectOperator(')');
      return node;
    }
    if (this.stream.skipOperator('[')) {
      const items: Expr[] = [];
      while (!this.stream.isOperator(']')) {
        if (items.length > 0) this.stream.expectOperator(',');
        if (this.stream.isOperator(']')) break;
        items.push(this.expression());
      }
      this.stream.expectOperator(']');
      return { t: 'list', items, line };
    }
    if (this.stream.skipOperator('{')) {
      const pairs: [Expr, Expr][] = [];
      while (!this.stream.isOperator('}')) {
        if (pairs.length > 0) this.stream.expectOperator(',');
        if (this.stream.isOperator('}')) break;
        const key = this.expression();
        this.stream.expectOperator(':');
        pairs.push([key, this.expression()]);
      }
      this.stream.expectOperator('}');
      return { t: 'dict', pairs, line };
    }
    throw this.stream.unexpected('an expression');
  }

  /** Comma-separated expressions: one alone is itself, more (or a trailing comma) are a tuple. */
  tuple(options: { withCondition?: boolean; explicitParentheses?: boolean; endNames?: string[] } = {}): Expr {
    const line = this.stream.current.line;
    const items: Expr[] = [];
    let isTuple = false;
    for (;;) {
      if (items.length > 0) this.stream.expectOperator(',');
      if (this.atTupleEnd(options.endNames)) break;
      items.push(this.expression(options.withCondition ?? true));
      if (this.stream.isOperator(',')) isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (items.length === 1) return items[0] as Expr;
      if (!options.explicitParentheses) throw this.stream.unexpected('an expression');
    }
    return { t: 'tuple', items, line };
  }

  private atTupleEnd(endNames: string[] = []): boolean {
    const token = this.stream.current;
    if (token.type === 'end') return true;
    if (token.type === 'operator' && [')', ']', '}', '='].includes(token.value)) return true;
    return token.type === 'name' && endNames.includes(token.value);
  }

  private postfix(start: Expr): Expr {
    let node = start;
    for (;;) {
      if (this.stream.isOperator('.') || this.stream.isOperator('[')) node = this.subscript(node);
      else if (this.stream.isOperator('(')) node = this.call(node);
      else return node;
    }
  }

  filterExpression(start: Expr): Expr {
    let node = start;
    for (;;) {
      if (this.stream.isOperator('|')) node = this.filter(node);
      else if (this.stream.isName('is')) node = this.test(node);
      else if (this.stream.isOperator('(')) node = this.call(node);
      else return node;
    }
  }

  private subscript(node: Expr): Expr {
    const token = this.stream.next();
    const line = token.line;
    if (token.value === '.') {
      const attribute = this.stream.next();
      if (attribute.type === 'name') return { t: 'getattr', object: node, name: attribute.value, line };
      if (attribute.type === 'integer') {
        return { t: 'getitem', object: node, key: { t: 'const', value: attribute.literal, line }, line };
      }
      throw new JinjaSyntaxError(`expected a name after ".", found "${attribute.value}"`, line);
    }
    const keys: Expr[] = [];
    while (!this.stream.isOperator(']')) {
      if (keys.length > 0) {
        this.stream.expectOperator(',');
        if (this.stream.isOperator(']')) break;
      }
      keys.push(this.subscribed());
    }
    this.stream.expectOperator(']');
    const key: Expr = keys.length === 1 ? (keys[0] as Expr) : { t: 'tuple', items: keys, line };
    return { t: 'getitem', object: node, key, line };
  }

  private subscribed(): Expr {
    const line = this.stream.current.line;
    const parts: (Expr | undefined)[] = [];
    if (this.stream.isOperator(':')) {
      this.stream.next();
      parts.push(undefined);
    } else {
      const node = this.expression();
      if (!this.stream.isOperator(':')) return node;
      this.stream.next();
      parts.push(node);
    }
    parts.push(
      this.stream.isOperator(':') || this.stream.isOperator(']') || this.stream.isOperator(',')
        ? undefined
        : this.expression(),
    );
    if (this.stream.skipOperator(':')) {
      parts.push(this.stream.isOperator(']') || this.stream.isOperator(',') ? undefined : this.expression());
    }
    return { t: 'slice', start: parts[0], stop: parts[1], step: parts[2], line };
  }

  callArguments(): CallArguments {
    this.stream.expectOperator('(');
    const result: CallArguments = { args: [], kwargs: [] };
    let first = true;
    while (!this.stream.isOperator(')')) {
      if (!first) {
        this.stream.expectOperator(',');
        if (this.stream.isOperator(')')) break;
      }
      first = false;
      if (this.stream.skipOperator('**')) result.doubleStar = this.expression();
      else if (this.stream.skipOperator('*')) result.star = this.expression();
      else if (
        this.stream.current.type === 'name' &&
        this.stream.peek()?.value === '=' &&
        this.stream.peek()?.type === 'operator'
      ) {
        const key = this.stream.next().value;
        this.stream.next();
        result.kwargs.push([key, this.expression()]);
      } else result.args.push(this.expression());
    }
    this.stream.expectOperator(')');
    return result;
  }

  private call(node: Expr): Expr {
    const line = this.stream.current.line;
    return { t: 'call', callee: node, args: this.callArguments(), line };
  }

  /** A dotted name, as filters and tests may have. */
  private dottedName(): string {
    let name = this.stream.expectName();
    while (this.stream.isOperator('.')) {
      this.stream.next();
      name += `.${this.stream.expectName()}`;
    }
    return name;
  }

  /** `| name(args)`; in a filter block the first filter has no `|` before it. */
  filter(node: Expr | null, afterPipe = true): Expr {
    const line = afterPipe ? this.stream.next().line : this.stream.current.line;
    const name = this.dottedName();
    const args = this.stream.isOperator('(') ? this.callArguments() : { args: [], kwargs: [] };
    return { t: 'filter', operand: node, name, args, line };
  }

  private test(node: Expr): Expr {
    const line = this.stream.next().line;
    const negated = this.stream.skipName('not');
    const name = this.dottedName();
    let args: CallArguments = { args: [], kwargs: [] };
    const token = this.stream.current;
    if (this.stream.isOperator('(')) args = this.callArguments();
    else if (
      (PRIMARY_START.has(token.type) ||
        (token.type === 'operator' && ['(', '[', '{'].includes(token.value))) &&
      !(token.type === 'name' && ['else', 'or', 'and'].includes(token.value))
    ) {
      if (token.type === 'name' && token.value === 'is')
        throw new JinjaSyntaxError('a test cannot be chained with "is"', line);
      args = { args: [this.postfix(this.primary())], kwargs: [] };
    }
    return { t: 'test', operand: node, name, args, negated, line };
  }

  /** The left side of `for ... in` and of `set`: a name, a tuple of names, or (for set) namespace.attribute. */
  assignTarget(options: { endNames?: string[]; withNamespace?: boolean } = {}): Target {
    const line = this.stream.current.line;
    if (options.withNamespace && this.stream.peek()?.value === '.' && this.stream.current.type === 'name') {
      const namespace = this.stream.next().value;
      this.stream.next();
      return { t: 'nsattr', namespace, attribute: this.stream.expectName(), line };
    }
    const items: Target[] = [];
    let isTuple = false;
    for (;;) {
      if (items.length > 0) this.stream.expectOperator(',');
      if (this.atTupleEnd(options.endNames)) break;
      if (this.stream.skipOperator('(')) {
        items.push(this.assignTarget({ endNames: [] }));
        this.stream.expectOperator(')');
      } else {
        items.push({ t: 'name', name: this.stream.expectName(), line });
      }
      if (this.stream.isOperator(',')) isTuple = true;
      else break;
    }
    if (!isTuple && items.length === 1) return items[0] as Target;
    return { t: 'tuple', items, line };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// statements

class TemplateParser {
  private index = 0;

  constructor(private readonly segments: Segment[]) {}

  parse(): Node[] {
    const body = this.body([]);
    if (this.index < this.segments.length) {
      const segment = this.segments[this.index] as Segment;
      throw new JinjaSyntaxError('unexpected tag', segment.line);
    }
    return body;
  }

  /** Nodes up to one of the `endTags` (left unread), or to the end of the template when it is empty. */
  private body(endTags: readonly string[]): Node[] {
    const nodes: Node[] = [];
    while (this.index < this.segments.length) {
      const segment = this.segments[this.index] as Segment;
      if (segment.kind === 'data') {
        nodes.push({ t: 'text', text: segment.text });
        this.index += 1;
        continue;
      }
      const stream = new TokenStream(segment.tokens, segment.line);
      if (segment.kind === 'print') {
        this.index += 1;
        const parser = new ExpressionParser(stream);
        const expr = parser.tuple();
        stream.expectEnd();
        nodes.push({ t: 'print', expr, line: segment.line });
        continue;
      }
      const tag = stream.current;
      if (tag.type !== 'name') throw new JinjaSyntaxError('a tag must start with its name', segment.line);
      if (endTags.includes(tag.value)) return nodes;
      this.index += 1;
      stream.next();
      nodes.push(this.statement(tag.value, stream, segment.line));
    }
    if (endTags.length > 0) {
      const last = this.segments[this.segments.length - 1];
      throw new JinjaSyntaxError(`the template ended before "{% ${endTags[0]} %}"`, last?.line ?? 1);
    }
    return nodes;
  }

  /** Reads the end tag the body stopped at and returns its name. */
  private endTag(): { name: string; stream: TokenStream } {
    const segment = this.segments[this.index] as Segment & { kind: 'block' };
    this.index += 1;
    const stream = new TokenStream(segment.tokens, segment.line);
    return { name: stream.next().value, stream };
  }

  private closeWith(name: string): void {
    const { stream } = this.endTag();
    // `{% endblock name %}` and `{% endmacro name %}` may repeat the name.
    if (stream.isName() && (name === 'endblock' || name === 'endmacro')) stream.next();
    stream.expectEnd();
  }

  private statement(name: string, stream: TokenStream, line: number): Node {
    const parser = new ExpressionParser(stream);
    switch (name) {
      case 'if': {
        const branches: { test: Expr; body: Node[] }[] = [];
        let test = parser.tuple({ withCondition: false });
        stream.expectEnd();
        let otherwise: Node[] | undefined;
        for (;;) {
          const body = this.body(['elif', 'else', 'endif']);
          branches.push({ test, body });
          const end = this.endTag();
          if (end.name === 'elif') {
            test = new ExpressionParser(end.stream).tuple({ withCondition: false });
            end.stream.expectEnd();
            continue;
          }
          end.stream.expectEnd();
          if (end.name === 'else') {
            otherwise = this.body(['endif']);
            this.closeWith('endif');
          }
          break;
        }
        return { t: 'if', branches, otherwise, line };
      }
      case 'for': {
        const target = parser.assignTarget({ endNames: ['in'] });
        stream.expectName('in');
        const iterable = parser.tuple({ withCondition: false, endNames: ['recursive'] });
        const filter = stream.skipName('if') ? parser.expression() : undefined;
        const recursive = stream.skipName('recursive');
        stream.expectEnd();
        const body = this.body(['endfor', 'else']);
        let otherwise: Node[] | undefined;
        const end = this.endTag();
        end.stream.expectEnd();
        if (end.name === 'else') {
          otherwise = this.body(['endfor']);
          this.closeWith('endfor');
        }
        return { t: 'for', target, iterable, filter, recursive, body, otherwise, line };
      }
      case 'set': {
        const target = parser.assignTarget({ withNamespace: true });
        if (stream.skipOperator('=')) {
          const expr = parser.tuple();
          stream.expectEnd();
          return { t: 'set', target, expr, line };
        }
        let filters: Expr | null = null;
        while (stream.isOperator('|')) filters = parser.filter(filters);
        stream.expectEnd();
        const body = this.body(['endset']);
        this.closeWith('endset');
        return { t: 'setblock', target, filters, body, line };
      }
      case 'macro': {
        const macroName = stream.expectName();
        const params = this.parameters(parser, stream);
        stream.expectEnd();
        const body = this.body(['endmacro']);
        this.closeWith('endmacro');
        return { t: 'macro', name: macroName, params, body, line };
      }
      case 'call': {
        const params = stream.isOperator('(') ? this.parameters(parser, stream) : [];
        const call = parser.expression();
        if (call.t !== 'call') throw new JinjaSyntaxError('a call block must call a macro', line);
        stream.expectEnd();
        const body = this.body(['endcall']);
        this.closeWith('endcall');
        return { t: 'callblock', call, params, body, line };
      }
      case 'filter': {
        let filters = parser.filter(null, false);
        while (stream.isOperator('|')) filters = parser.filter(filters);
        stream.expectEnd();
        const body = this.body(['endfilter']);
        this.closeWith('endfilter');
        return { t: 'filterblock', filters, body, line };
      }
      case 'with': {
        const assignments: { target: Target; expr: Expr }[] = [];
        while (stream.current.type !== 'end') {
          if (assignments.length > 0) stream.expectOperator(',');
          const target = parser.assignTarget();
          stream.expectOperator('=');
          assignments.push({ target, expr: parser.expression() });
        }
        const body = this.body(['endwith']);
        this.closeWith('endwith');
        return { t: 'with', assignments, body, line };
      }
      case 'block': {
        const blockName = stream.expectName();
        stream.skipName('scoped');
        stream.skipName('required');
        stream.expectEnd();
        const body = this.body(['endblock']);
        this.closeWith('endblock');
        return { t: 'block', name: blockName, body, line };
      }
      case 'include': {
        const template = parser.expression();
        let ignoreMissing = false;
        if (stream.isName('ignore') && stream.peek()?.value === 'missing') {
          stream.next();
          stream.next();
          ignoreMissing = true;
        }
        const withContext = this.contextModifier(stream, true);
        stream.expectEnd();
        return { t: 'include', template, ignoreMissing, withContext, line };
      }
      case 'import': {
        const template = parser.expression();
        stream.expectName('as');
        const alias = stream.expectName();
        const withContext = this.contextModifier(stream, false);
        stream.expectEnd();
        return { t: 'import', template, alias, withContext, line };
      }
      case 'from': {
        const template = parser.expression();
        stream.expectName('import');
        const names: { name: string; alias: string }[] = [];
        let withContext = false;
        for (;;) {
          if (names.length > 0 && !stream.skipOperator(',')) break;
          if ((stream.isName('with') || stream.isName('without')) && stream.peek()?.value === 'context')
            break;
          if (stream.current.type === 'end') break;
          const imported = stream.expectName();
          const alias = stream.skipName('as') ? stream.expectName() : imported;
          names.push({ name: imported, alias });
        }
        withContext = this.contextModifier(stream, false);
        stream.expectEnd();
        return { t: 'fromimport', template, names, withContext, line };
      }
      case 'extends': {
        const template = parser.expression();
        stream.expectEnd();
        return { t: 'extends', template, line };
      }
      default:
        throw new JinjaSyntaxError(`unknown tag "${name}"`, line);
    }
  }

  private contextModifier(stream: TokenStream, fallback: boolean): boolean {
    if ((stream.isName('with') || stream.isName('without')) && stream.peek()?.value === 'context') {
      const withContext = stream.next().value === 'with';
      stream.next();
      return withContext;
    }
    return fallback;
  }

  private parameters(parser: ExpressionParser, stream: TokenStream): { name: string; fallback?: Expr }[] {
    stream.expectOperator('(');
    const params: { name: string; fallback?: Expr }[] = [];
    while (!stream.isOperator(')')) {
      if (params.length > 0) stream.expectOperator(',');
      const name = stream.expectName();
      const fallback = stream.skipOperator('=') ? parser.expression() : undefined;
      params.push({ name, fallback });
    }
    stream.expectOperator(')');
    return params;
  }
}

/** `firstLine` is the line number of the text's first line in its file (2 when Cobbler's marker line came off). */
export function parseJinja(text: string, firstLine = 1): Node[] {
  return new TemplateParser(splitSegments(normalizeSource(text), firstLine)).parse();
}
