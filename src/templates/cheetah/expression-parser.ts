// A recursive-descent parser for the Python expressions Cheetah templates use, over the lazy Lexer. Grammar and
// precedence follow Python 3; lambdas, set literals, starred arguments and the walrus are refused.
import type {
  ArithmeticOperator,
  CallArguments,
  CompareOperator,
  Comprehension,
  Expr,
  Subscript,
  Target,
  VarStep,
} from './ast.js';
import {
  type EndReason,
  isIdentifierChar,
  isIdentifierStart,
  Lexer,
  type LexerOptions,
  readIdentifier,
  type Token,
} from './lexer.js';
import type { TemplateText } from './source.js';

const KEYWORDS = new Set([
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

const COMPARE_OPERATORS = new Set(['==', '!=', '<', '<=', '>', '>=']);

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return token.reason === 'hash'
        ? '"#"'
        : token.reason === 'close'
          ? 'the closing bracket'
          : 'the end of the line';
    case 'name':
    case 'op':
      return `"${token.text}"`;
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    default:
      return 'a $placeholder';
  }
}

export type LexerSettings = Omit<LexerOptions, 'readVar'>;

export class ExpressionParser {
  readonly lexer: Lexer;

  constructor(
    readonly source: TemplateText,
    start: number,
    settings: LexerSettings,
  ) {
    this.lexer = new Lexer(source, start, {
      ...settings,
      readVar: (position) => readVarChain(source, position, settings.limit),
    });
  }

  peek(offset = 0): Token {
    return this.lexer.peek(offset);
  }

  next(): Token {
    return this.lexer.next();
  }

  isOp(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'op' && token.text === text;
  }

  isWord(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'name' && token.text === text;
  }

  atEnd(): boolean {
    return this.peek().kind === 'end';
  }

  endReason(): EndReason | null {
    const token = this.peek();
    return token.kind === 'end' ? token.reason : null;
  }

  unexpected(token: Token = this.peek(), expected?: string): Error {
    const found = describe(token);
    return this.source.error(
      token.start,
      expected ? `expected ${expected} but found ${found}` : `unexpected ${found}`,
    );
  }

  expectOp(text: string): Token {
    if (!this.isOp(text)) throw this.unexpected(this.peek(), `"${text}"`);
    return this.next();
  }

  expectEnd(what: string): void {
    if (!this.atEnd())
      throw this.source.error(this.peek().start, `unexpected ${describe(this.peek())} after ${what}`);
  }

  // ---- expressions --------------------------------------------------------------------------------------------

  /** test (',' test)* [','] — a tuple when there is a comma, as on the right of `#set $a = 1, 2`. */
  parseExpressionList(): Expr {
    const first = this.parseTest();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (!this.startsExpression()) break;
      items.push(this.parseTest());
    }
    return { kind: 'tuple', items, pos: first.pos };
  }

  private startsExpression(): boolean {
    const token = this.peek();
    if (token.kind === 'end') return false;
    if (token.kind === 'op') return ['(', '[', '{', '-', '+', '~'].includes(token.text);
    if (token.kind === 'name')
      return !KEYWORDS.has(token.text) || token.text === 'not' || token.text === 'lambda';
    return true;
  }

  parseTest(): Expr {
    if (this.isWord('lambda'))
      throw this.source.error(this.peek().start, 'lambda expressions are not supported');
    const test = this.parseOr();
    if (!this.isWord('if')) return test;
    const at = this.next().start;
    const condition = this.parseOr();
    if (!this.isWord('else')) throw this.unexpected(this.peek(), '"else" in the conditional expression');
    this.next();
    const otherwise = this.parseTest();
    return { kind: 'conditional', test: condition, body: test, orelse: otherwise, pos: at };
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isWord('or')) {
      const pos = this.next().start;
      left = { kind: 'or', left, right: this.parseAnd(), pos };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isWord('and')) {
      const pos = this.next().start;
      left = { kind: 'and', left, right: this.parseNot(), pos };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isWord('not')) {
      const pos = this.next().start;
      return { kind: 'not', operand: this.parseNot(), pos };
    }
    return this.parseComparison();
  }

  private compareOperator(): CompareOperator | null {
    const token = this.peek();
    if (token.kind === 'op') {
      if (token.text === '<>')
        throw this.source.error(token.start, 'the "<>" operator is Python 2 only; write "!="');
      return COMPARE_OPERATORS.has(token.text) ? (token.text as CompareOperator) : null;
    }
    if (token.kind !== 'name') return null;
    if (token.text === 'in') return 'in';
    if (token.text === 'is') return this.isWord('not', 1) ? 'is not' : 'is';
    if (token.text === 'not' && this.isWord('in', 1)) return 'not in';
    return null;
  }

  private parseComparison(): Expr {
    const first = this.parseBinary(0);
    let op = this.compareOperator();
    if (op === null) return first;
    const ops: CompareOperator[] = [];
    const rest: Expr[] = [];
    const pos = this.peek().start;
    while (op !== null) {
      this.next();
      if (op === 'is not' || op === 'not in') this.next();
      ops.push(op);
      rest.push(this.parseBinary(0));
      op = this.compareOperator();
    }
    return { kind: 'compare', first, ops, rest, pos };
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ['|'],
    ['^'],
    ['&'],
    ['<<', '>>'],
    ['+', '-'],
    ['*', '/', '//', '%', '@'],
  ];

  private parseBinary(level: number): Expr {
    if (level >= ExpressionParser.LEVELS.length) return this.parseFactor();
    const operators = ExpressionParser.LEVELS[level] as readonly string[];
    let left = this.parseBinary(level + 1);
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op' || !operators.includes(token.text)) return left;
      if (token.text === '@') throw this.source.error(token.start, 'the "@" operator is not supported');
      this.next();
      const right = this.parseBinary(level + 1);
      left = { kind: 'binary', op: token.text as ArithmeticOperator, left, right, pos: token.start };
    }
  }

  private parseFactor(): Expr {
    const token = this.peek();
    if (token.kind === 'op' && (token.text === '-' || token.text === '+' || token.text === '~')) {
      this.next();
      const operand = this.parseFactor();
      if (
        token.text === '-' &&
        operand.kind === 'constant' &&
        typeof operand.value === 'number' &&
        operand.pos === token.end
      ) {
        return { kind: 'constant', value: -operand.value || 0, pos: token.start };
      }
      return { kind: 'unary', op: token.text, operand, pos: token.start };
    }
    return this.parsePower();
  }

  private parsePower(): Expr {
    const base = this.parsePostfix(this.parseAtom());
    if (!this.isOp('**')) return base;
    const pos = this.next().start;
    return { kind: 'binary', op: '**', left: base, right: this.parseFactor(), pos };
  }

  parsePostfix(start: Expr): Expr {
    let expr = start;
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op') return expr;
      if (token.text === '(') {
        this.next();
        expr = { kind: 'call', callee: expr, args: this.parseArguments(), pos: token.start };
      } else if (token.text === '[') {
        this.next();
        expr = { kind: 'subscript', target: expr, index: this.parseSubscript(), pos: token.start };
      } else if (token.text === '.') {
        this.next();
        const name = this.next();
        if (name.kind !== 'name') throw this.unexpected(name, 'an attribute name after "."');
        expr = { kind: 'attribute', target: expr, name: name.text, pos: name.start };
      } else return expr;
    }
  }

  private parseAtom(): Expr {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        return { kind: 'constant', value: token.value, pos: token.start };
      case 'string': {
        let value = token.value;
        while (this.peek().kind === 'string') value += (this.next() as { value: string }).value;
        return { kind: 'constant', value, pos: token.start };
      }
      case 'var':
        return token.expr;
      case 'name':
        if (token.text === 'None') return { kind: 'constant', value: null, pos: token.start };
        if (token.text === 'True') return { kind: 'constant', value: true, pos: token.start };
        if (token.text === 'False') return { kind: 'constant', value: false, pos: token.start };
        if (KEYWORDS.has(token.text)) throw this.unexpected(token);
        return { kind: 'name', name: token.text, pos: token.start };
      case 'op':
        if (token.text === '(') return this.parseParenthesized(token.start);
        if (token.text === '[') return this.parseListDisplay(token.start);
        if (token.text === '{') return this.parseDictDisplay(token.start);
        if (token.text === '`')
          throw this.source.error(token.start, 'backquotes are Python 2 only; use repr()');
        throw this.unexpected(token);
      default:
        throw this.unexpected(token, 'an expression');
    }
  }

  private parseParenthesized(pos: number): Expr {
    if (this.isOp(')')) {
      this.next();
      return { kind: 'tuple', items: [], pos };
    }
    const first = this.parseTest();
    if (this.isWord('for')) {
      const clauses = this.parseComprehensionClauses();
      this.expectOp(')');
      return { kind: 'comprehension', element: first, clauses, generator: true, pos };
    }
    if (this.isOp(')')) {
      this.next();
      return first;
    }
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.isOp(')')) break;
      items.push(this.parseTest());
    }
    this.expectOp(')');
    return { kind: 'tuple', items, pos };
  }

  private parseListDisplay(pos: number): Expr {
    if (this.isOp(']')) {
      this.next();
      return { kind: 'list', items: [], pos };
    }
    const first = this.parseTest();
    if (this.isWord('for')) {
      const clauses = this.parseComprehensionClauses();
      this.expectOp(']');
      return { kind: 'comprehension', element: first, clauses, generator: false, pos };
    }
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.isOp(']')) break;
      items.push(this.parseTest());
    }
    this.expectOp(']');
    return { kind: 'list', items, pos };
  }

  private parseDictDisplay(pos: number): Expr {
    const entries: [Expr, Expr][] = [];
    while (!this.isOp('}')) {
      const key = this.parseTest();
      if (!this.isOp(':')) throw this.source.error(key.pos, 'set literals are not supported; use a list');
      this.next();
      entries.push([key, this.parseTest()]);
      if (this.isWord('for'))
        throw this.source.error(this.peek().start, 'dict comprehensions are not supported');
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expectOp('}');
    return { kind: 'dict', entries, pos };
  }

  private parseComprehensionClauses(): Comprehension[] {
    const clauses: Comprehension[] = [];
    while (this.isWord('for')) {
      this.next();
      const target = this.parseTargetList('in');
      if (!this.isWord('in')) throw this.unexpected(this.peek(), '"in"');
      this.next();
      const iterable = this.parseOr();
      const conditions: Expr[] = [];
      while (this.isWord('if')) {
        this.next();
        conditions.push(this.parseOr());
      }
      clauses.push({ target, iterable, conditions });
    }
    return clauses;
  }

  /** After the "(" has been read: positional and keyword arguments up to and including ")". */
  parseArguments(): CallArguments {
    const positional: Expr[] = [];
    const keywords: { name: string; value: Expr }[] = [];
    while (!this.isOp(')')) {
      const token = this.peek();
      if (token.kind === 'op' && (token.text === '*' || token.text === '**')) {
        throw this.source.error(token.start, `"${token.text}" arguments are not supported`);
      }
      const keyword = this.keywordName();
      if (keyword !== null) {
        this.next();
        this.next();
        if (keywords.some((entry) => entry.name === keyword)) {
          throw this.source.error(token.start, `the keyword argument "${keyword}" is given twice`);
        }
        keywords.push({ name: keyword, value: this.parseTest() });
      } else {
        if (keywords.length > 0)
          throw this.source.error(token.start, 'a positional argument cannot follow keyword arguments');
        const value = this.parseTest();
        if (this.isWord('for')) {
          const clauses = this.parseComprehensionClauses();
          positional.push({
            kind: 'comprehension',
            element: value,
            clauses,
            generator: true,
            pos: value.pos,
          });
        } else positional.push(value);
      }
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expectOp(')');
    return { positional, keywords };
  }

  /** `name=` or `$name=` (Cheetah accepts both) starting a keyword argument, or null. */
  private keywordName(): string | null {
    if (!this.isOp('=', 1)) return null;
    const token = this.peek();
    if (token.kind === 'name') return token.text;
    if (token.kind === 'var' && token.expr.kind === 'var' && token.expr.steps.length === 1) {
      const [step] = token.expr.steps;
      if (step?.kind === 'lookup') return step.name;
    }
    return null;
  }

  /** After the "[" has been read: an index or a slice, up to and including "]". */
  parseSubscript(): Subscript {
    const part = (): Expr | null => (this.isOp(':') || this.isOp(']') ? null : this.parseTest());
    const start = part();
    if (!this.isOp(':')) {
      let value =
        start ??
        (() => {
          throw this.unexpected(this.peek(), 'an index');
        })();
      if (this.isOp(',')) {
        const items = [value];
        while (this.isOp(',')) {
          this.next();
          if (this.isOp(']')) break;
          items.push(this.parseTest());
        }
        value = { kind: 'tuple', items, pos: value.pos };
      }
      this.expectOp(']');
      return { kind: 'item', value };
    }
    this.next();
    const stop = part();
    let step: Expr | null = null;
    if (this.isOp(':')) {
      this.next();
      step = part();
    }
    this.expectOp(']');
    return { kind: 'slice', start, stop, step };
  }

  // ---- assignment and loop targets ----------------------------------------------------------------------------

  /** `$a`, `a`, `$a, $b` or `($a, $b)`: names bound by #for, #set and comprehensions. */
  parseTargetList(stopWord?: string): Target {
    const first = this.parseTarget();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if ((stopWord && this.isWord(stopWord)) || this.atEnd()) break;
      items.push(this.parseTarget());
    }
    return { kind: 'unpack', items, pos: first.pos };
  }

  private parseTarget(): Target {
    const token = this.peek();
    if (token.kind === 'op' && (token.text === '(' || token.text === '[')) {
      this.next();
      const closer = token.text === '(' ? ')' : ']';
      const items: Target[] = [];
      while (!this.isOp(closer)) {
        items.push(this.parseTarget());
        if (!this.isOp(',')) break;
        this.next();
      }
      this.expectOp(closer);
      return { kind: 'unpack', items, pos: token.start };
    }
    const name = this.targetName(token);
    if (name === null) throw this.unexpected(token, 'a variable name');
    this.next();
    return { kind: 'name', name, pos: token.start };
  }

  targetName(token: Token): string | null {
    if (
      token.kind === 'name' &&
      !KEYWORDS.has(token.text) &&
      !['None', 'True', 'False'].includes(token.text)
    ) {
      return token.text;
    }
    if (token.kind === 'var' && token.expr.kind === 'var' && token.expr.steps.length === 1) {
      const [step] = token.expr.steps;
      if (step?.kind === 'lookup') return step.name;
    }
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// $name chains

/**
 * Reads `$a.b.c(args)[index].d` from the name after `$`, the way Cheetah's getCheetahVarNameChunks does: dotted
 * names, each run optionally followed by one call, or by indexes and calls in brackets that follow each other
 * directly, with nothing (not even a space) in between. The name right before a call is not autocalled; every
 * other name is. What follows is not part of the placeholder: `$f(1)[0]` in text is `$f(1)` and the text "[0]".
 */
export function readVarChain(
  source: TemplateText,
  start: number,
  limit: number,
): { expr: Expr; end: number } {
  const text = source.text;
  const steps: VarStep[] = [];
  let position = start;
  for (;;) {
    const names: { name: string; pos: number }[] = [];
    for (;;) {
      const end = readIdentifier(text, position, limit);
      names.push({ name: text.slice(position, end), pos: position });
      position = end;
      if (position + 1 < limit && text[position] === '.' && isIdentifierStart(text[position + 1]))
        position += 1;
      else break;
    }
    const opener = position < limit ? text[position] : undefined;
    names.forEach((entry, i) => {
      const autocall = !(opener === '(' && i === names.length - 1);
      steps.push({ kind: steps.length === 0 ? 'lookup' : 'key', name: entry.name, autocall, pos: entry.pos });
    });
    if (opener === '(') {
      const parser = new ExpressionParser(source, position, { limit });
      parser.next();
      steps.push({ kind: 'call', args: parser.parseArguments(), pos: position });
      position = parser.lexer.consumedEnd;
    } else if (opener === '[') {
      // An index takes every bracket group that follows it directly: `$a[0][1](2)` is one placeholder.
      while (position < limit && (text[position] === '[' || text[position] === '(')) {
        const parser = new ExpressionParser(source, position, { limit });
        const kind = parser.next();
        if (kind.kind === 'op' && kind.text === '(')
          steps.push({ kind: 'call', args: parser.parseArguments(), pos: position });
        else steps.push({ kind: 'index', index: parser.parseSubscript(), pos: position });
        position = parser.lexer.consumedEnd;
      }
    } else break;
    if (position + 1 < limit && text[position] === '.' && isIdentifierStart(text[position + 1]))
      position += 1;
    else if (!(position < limit && isIdentifierStart(text[position]) && isIdentifierChar(text[position])))
      break;
  }
  const begin = text[start - 1] === '$' ? start - 1 : start;
  return { expr: { kind: 'var', steps, raw: text.slice(begin, position), pos: begin }, end: position };
}
