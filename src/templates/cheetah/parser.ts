// Template text -> AST, following Cheetah 3's Parser.py step by step, because its whitespace rules are what
// years of kickstarts were written against: a line holding only a directive (and whitespace) leaves no trace, a
// directive sharing its line with text keeps the line's newline, a `#` ends a directive early, and a line ending
// in `#` loses its newline (Cheetah's "EOL slurp" token).
import type { CatchMode, Definition, Expr, Node, Parameter, SetTarget, TemplateAst } from './ast.js';
import { ExpressionParser, type LexerSettings, readVarChain } from './expression-parser.js';
import {
  ASSIGNMENT_OPERATORS,
  isIdentifierChar,
  isIdentifierStart,
  lineEndLength,
  readIdentifier,
  type Token,
} from './lexer.js';
import { isBlank, isPythonSpace } from './python-values.js';
import type { TemplateText } from './source.js';

/** Every directive Cheetah 3 knows; a `#word` that is not one of these is plain text, as in Cheetah. */
const DIRECTIVES = [
  'import',
  'from',
  'extends',
  'implements',
  'super',
  'slurp',
  'raw',
  'include',
  'cache',
  'filter',
  'echo',
  'silent',
  'transform',
  'call',
  'arg',
  'capture',
  'attr',
  'def',
  'block',
  '@',
  'defmacro',
  'closure',
  'set',
  'del',
  'if',
  'while',
  'for',
  'else',
  'elif',
  'pass',
  'break',
  'continue',
  'stop',
  'return',
  'yield',
  'repeat',
  'unless',
  'assert',
  'raise',
  'try',
  'except',
  'finally',
  'errorCatcher',
  'breakpoint',
  'compiler',
  'compiler-settings',
  'shBang',
  'encoding',
  'end',
  'i18n',
];

/** Directives that would run or define Python code. */
const CODE_DIRECTIVES = new Set([
  'import',
  'from',
  'extends',
  'implements',
  'super',
  'attr',
  'compiler',
  'compiler-settings',
  '@',
  'defmacro',
  'closure',
  'block',
  'del',
  'raise',
  'assert',
  'return',
  'yield',
  'transform',
  'filter',
  'call',
  'arg',
]);

/** The names #end accepts, in the order Cheetah tries them (it takes the first that the text starts with). */
const END_NAMES = [
  'def',
  'block',
  'closure',
  'cache',
  'call',
  'capture',
  'filter',
  'errorCatcher',
  'while',
  'for',
  'if',
  'try',
  'repeat',
  'unless',
];

const DIRECTIVE_NAME_CHARS = /[A-Za-z0-9_\-@]/;

type TextNode = Extract<Node, { kind: 'text' }>;
type IfNode = Extract<Node, { kind: 'if' }>;

interface Method {
  catchMode: CatchMode;
}

interface Block {
  readonly kind: 'root' | 'if' | 'unless' | 'for' | 'def' | 'inline' | 'inline-for';
  nodes: Node[];
  /** The text still open for appending; Cheetah trims it back to its last newline before a directive-only line. */
  pending: TextNode | null;
  readonly pos: number;
  readonly method: Method;
  readonly ifNode?: IfNode;
  hasElse?: boolean;
  readonly definition?: { name: string; params: Parameter[] };
}

export function parseTemplate(source: TemplateText): TemplateAst {
  return new TemplateParser(source).parse();
}

class TemplateParser {
  private readonly text: string;
  private pos = 0;
  private limit: number;
  private readonly blocks: Block[] = [];
  private readonly defs = new Map<string, Definition>();

  constructor(private readonly source: TemplateText) {
    this.text = source.text;
    this.limit = this.text.length;
  }

  parse(): TemplateAst {
    const root: Block = { kind: 'root', nodes: [], pending: null, pos: 0, method: { catchMode: 'mode' } };
    this.blocks.push(root);
    while (this.pos < this.limit) this.step();
    const open = this.blocks.at(-1) as Block;
    if (open !== root) {
      const name = open.kind === 'inline' || open.kind === 'inline-for' ? 'directive' : open.kind;
      throw this.source.error(open.pos, `#${name} is never closed with #end ${name}`);
    }
    return { source: this.source, body: root.nodes, defs: this.defs };
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  private get block(): Block {
    return this.blocks.at(-1) as Block;
  }

  private escaped(at: number): boolean {
    return at > 0 && this.text[at - 1] === '\\';
  }

  private findBol(at: number): number {
    return Math.max(this.text.lastIndexOf('\n', at - 1) + 1, this.text.lastIndexOf('\r', at - 1) + 1, 0);
  }

  /** Index of the next line ending at or after `at`, or the end of the text. */
  private findEol(at: number): number {
    let i = at;
    while (i < this.text.length && lineEndLength(this.text, i) === 0) i += 1;
    return i;
  }

  private isLineClear(at: number): boolean {
    const bol = this.findBol(at);
    return bol === at || isBlank(this.text.slice(bol, at));
  }

  /** Moves to the end of the line, past the line ending too when `gobble` is set. */
  private readToEol(gobble: boolean): void {
    const eol = this.findEol(this.pos);
    this.pos = Math.min(this.limit, gobble ? eol + lineEndLength(this.text, eol) : eol);
  }

  private skipSpaces(max = Number.POSITIVE_INFINITY): void {
    let count = 0;
    while (count < max && this.pos < this.limit && ' \t\f'.includes(this.text[this.pos] as string)) {
      this.pos += 1;
      count += 1;
    }
  }

  private addText(value: string): void {
    if (value === '') return;
    const block = this.block;
    if (block.pending) block.pending.value += value;
    else {
      const node: TextNode = { kind: 'text', value };
      block.nodes.push(node);
      block.pending = node;
    }
  }

  private addNode(node: Node): void {
    const block = this.block;
    block.pending = null;
    block.nodes.push(node);
  }

  /** Cheetah's handleWSBeforeDirective: drop the indentation in front of a directive that owns its line. */
  private trimIndentation(): void {
    const pending = this.block.pending;
    if (!pending) return;
    const value = pending.value;
    const bol = Math.max(value.lastIndexOf('\n'), value.lastIndexOf('\r')) + 1;
    if (bol < value.length) pending.value = value.slice(0, bol);
  }

  private expression(settings: Partial<LexerSettings> = {}): ExpressionParser {
    return new ExpressionParser(this.source, this.pos, { limit: this.limit, ...settings });
  }

  /** Ends an expression: its end token must be where the directive stops; the parser moves to it. */
  private finishExpression(parser: ExpressionParser, what: string): Token {
    const token = parser.peek();
    if (token.kind !== 'end') throw this.source.error(token.start, `unexpected text in ${what}`);
    this.pos = token.start;
    return token;
  }

  // ---- top level ----------------------------------------------------------------------------------------------

  private step(): void {
    const char = this.text[this.pos];
    if (char === '#') {
      if (this.text.startsWith('##', this.pos) && !this.escaped(this.pos)) this.eatComment();
      else if (this.text.startsWith('#*', this.pos) && !this.escaped(this.pos)) this.eatBlockComment();
      else {
        const name = this.matchDirective(this.pos);
        if (name !== null) this.eatDirective(name);
        else if (this.matchLineEndSlurp(this.pos)) this.eatLineEndSlurp();
        else this.eatPlainText();
      }
    } else if (char === '$' && this.matchPlaceholder(this.pos)) this.eatPlaceholder();
    else if (char === '<' && this.text.startsWith('<%', this.pos) && !this.escaped(this.pos)) {
      throw this.source.error(
        this.pos,
        'Python code blocks (<% ... %>) are not supported; bootwright templates cannot run Python code',
      );
    } else this.eatPlainText();
  }

  private startsToken(at: number): boolean {
    const char = this.text[at];
    if (char === '#') {
      if (this.escaped(at)) return this.matchLineEndSlurp(at);
      return (
        this.text.startsWith('##', at) ||
        this.text.startsWith('#*', at) ||
        this.matchDirective(at) !== null ||
        this.matchLineEndSlurp(at)
      );
    }
    if (char === '$') return this.matchPlaceholder(at);
    return char === '<' && this.text.startsWith('<%', at) && !this.escaped(at);
  }

  private eatPlainText(): void {
    const start = this.pos;
    do this.pos += 1;
    while (this.pos < this.limit && !this.startsToken(this.pos));
    const raw = this.text.slice(start, this.pos);
    this.addText(raw.includes('\\') ? raw.replaceAll('\\$', '$').replaceAll('\\#', '#') : raw);
  }

  private matchLineEndSlurp(at: number): boolean {
    let i = at + 1;
    while (i < this.text.length && ' \t\f'.includes(this.text[i] as string)) i += 1;
    return lineEndLength(this.text, i) > 0;
  }

  private eatLineEndSlurp(): void {
    if (this.isLineClear(this.pos)) this.trimIndentation();
    this.block.pending = null;
    this.readToEol(true);
  }

  private eatComment(): void {
    const clear = this.isLineClear(this.pos);
    if (clear) this.trimIndentation();
    this.pos += 2;
    this.readToEol(clear);
  }

  private eatBlockComment(): void {
    const start = this.pos;
    const clear = this.isLineClear(this.pos);
    const firstEol = this.findEol(this.pos);
    this.pos += 2;
    let level = 1;
    let endAt = this.pos;
    for (;;) {
      endAt = this.pos;
      if (this.pos >= this.limit) break;
      if (this.text.startsWith('#*', this.pos) && !this.escaped(this.pos)) {
        this.pos += 2;
        level += 1;
      } else if (this.text.startsWith('*#', this.pos) && !this.escaped(this.pos)) {
        this.pos += 2;
        level -= 1;
      }
      if (level === 0) break;
      this.pos += 1;
    }
    if (level > 0) throw this.source.error(start, 'this "#*" comment is never closed with "*#"');
    this.pos = endAt + 2;
    if (this.pos < this.limit) {
      const eol = this.findEol(this.pos);
      if (isBlank(this.text.slice(this.pos, eol))) this.readToEol(clear);
      if (clear && (this.pos >= this.limit || this.pos > firstEol)) this.trimIndentation();
    }
  }

  // ---- placeholders -------------------------------------------------------------------------------------------

  /** Where a cache token (`*` or `*15m*`) after `$` could end; Cheetah's regex tries each of these. */
  private cacheTokenEnds(at: number): number[] {
    if (this.text[at] !== '*') return [at];
    const refresh = /^\*[0-9.]+[smhdw]?\*/.exec(this.text.slice(at, at + 40));
    return refresh ? [at + refresh[0].length, at + 1, at] : [at + 1, at];
  }

  /** Cheetah's cheetahVarStartRE or expressionPlaceholderStartRE at `at`. */
  private matchPlaceholder(at: number): boolean {
    return this.placeholderShape(at) !== null;
  }

  private placeholderShape(at: number): { cached: boolean } | null {
    const text = this.text;
    if (text[at] !== '$' || this.escaped(at)) return null;
    const isOpener = (char: string | undefined) => char === '{' || char === '(' || char === '[';
    const skipSpaces = (from: number) => {
      let i = from;
      while (i < text.length && ' \t\f'.includes(text[i] as string)) i += 1;
      return i;
    };
    // $[!][cache][{([ ]name: a variable placeholder
    const afterBang = text[at + 1] === '!' ? at + 2 : at + 1;
    for (const end of this.cacheTokenEnds(afterBang)) {
      const char = text[end];
      if (isIdentifierStart(char) || (isOpener(char) && isIdentifierStart(text[skipSpaces(end + 1)]))) {
        return { cached: end !== afterBang };
      }
    }
    // $[cache]{ ( [ followed by anything but a closing bracket: an expression placeholder
    for (const end of this.cacheTokenEnds(at + 1)) {
      if (!isOpener(text[end])) continue;
      const i = skipSpaces(end + 1);
      if (i > end + 1 || (i < text.length && !')}]'.includes(text[i] as string)))
        return { cached: end !== at + 1 };
    }
    return null;
  }

  private eatPlaceholder(): void {
    const start = this.pos;
    const shape = this.placeholderShape(start);
    if (shape?.cached) {
      throw this.source.error(start, 'cached placeholders ($*name) are not supported; write $name');
    }
    this.pos += 1;
    const silent = this.text[this.pos] === '!';
    if (silent) this.pos += 1;
    const opener = this.text[this.pos] as string;
    let expr: Expr;
    if (opener === '{' || opener === '(' || opener === '[') {
      const openAt = this.pos;
      this.pos += 1;
      this.skipSpaces();
      const leadingVar = isIdentifierStart(this.text[this.pos]);
      const parser = this.expression({ enclosure: { char: opener, pos: openAt }, leadingVar });
      if (leadingVar && parser.isOp(',', 1)) {
        throw this.source.error(
          parser.peek(1).start,
          'placeholder filter arguments such as ${name, maxlen=5} are not supported',
        );
      }
      expr = parser.parseExpressionList();
      const end = parser.next();
      if (end.kind !== 'end' || end.reason !== 'close')
        throw parser.unexpected(end, `the closing bracket of the placeholder`);
      this.pos = end.end;
    } else {
      const chain = readVarChain(this.source, this.pos, this.limit);
      expr = chain.expr;
      this.pos = chain.end;
    }
    this.addNode({
      kind: 'placeholder',
      expr,
      raw: this.text.slice(start, this.pos),
      silent,
      catchMode: this.block.method.catchMode,
      pos: start,
    });
  }

  // ---- directives ---------------------------------------------------------------------------------------------

  /** Cheetah's matchDirective: `#` + a known directive name not followed by a name character. */
  private matchDirective(at: number): string | null {
    if (this.text[at] !== '#' || this.escaped(at)) return null;
    const first = this.text[at + 1];
    if (first === undefined || !/[A-Za-z_@]/.test(first)) return null;
    let name = '';
    let candidates = DIRECTIVES;
    for (let i = at + 1; i < this.limit; ) {
      const char = this.text[i] as string;
      i += 1;
      if (!DIRECTIVE_NAME_CHARS.test(char)) return null;
      name += char;
      if (name === '@') return i < this.limit && isIdentifierStart(this.text[i]) ? '@' : null;
      const prefix = name;
      candidates = candidates.filter((candidate) => candidate.startsWith(prefix));
      if (candidates.length === 0) return null;
      if (
        candidates.includes(name) &&
        (i >= this.limit || !DIRECTIVE_NAME_CHARS.test(this.text[i] as string))
      )
        return name;
    }
    return null;
  }

  private eatDirective(name: string): void {
    switch (name) {
      case 'if':
        this.eatIf();
        break;
      case 'else':
      case 'elif':
        this.eatElse(name);
        break;
      case 'unless':
      case 'for':
        this.eatLoopOrUnless(name);
        break;
      case 'end':
        this.eatEnd();
        break;
      case 'set':
        this.eatSet();
        break;
      case 'def':
        this.eatDef();
        break;
      case 'slurp':
        if (this.isLineClear(this.pos)) this.trimIndentation();
        this.block.pending = null;
        this.readToEol(true);
        break;
      case 'raw':
        this.eatRaw();
        break;
      case 'include':
        this.eatInclude();
        break;
      case 'silent':
      case 'echo':
        this.eatExpressionDirective(name);
        break;
      case 'pass':
      case 'break':
      case 'continue':
      case 'stop':
        this.eatKeywordDirective(name);
        break;
      case 'errorCatcher':
        this.eatErrorCatcher();
        break;
      default:
        if (CODE_DIRECTIVES.has(name)) {
          throw this.source.error(
            this.pos,
            `the "#${name}" directive is not supported because bootwright templates cannot run Python code`,
          );
        }
        throw this.source.error(this.pos, `the "#${name}" directive is not supported by bootwright`);
    }
  }

  /** Cheetah's _eatRestOfDirectiveTag: a closing `#`, a trailing `##` comment, or the line ending. */
  private eatRestOfDirective(clear: boolean, firstEol: number): void {
    let foundComment = false;
    if (
      this.text.startsWith('##', this.pos) &&
      !this.escaped(this.pos) &&
      this.matchDirective(this.pos + 1) === null
    ) {
      foundComment = true;
      this.eatComment();
    }
    if (!foundComment && this.text[this.pos] === '#' && !this.escaped(this.pos)) this.pos += 1;
    else if (clear && this.pos < this.limit && lineEndLength(this.text, this.pos) > 0) this.readToEol(true);
    if (clear && (this.pos >= this.limit || this.pos > firstEol)) this.trimIndentation();
  }

  /** A `:` followed by text on the same line: the one-line form `#if $x: text`. */
  private matchOneLineColon(): boolean {
    if (this.text[this.pos] !== ':') return false;
    const line = this.text.slice(this.pos + 1, this.findEol(this.pos));
    let start = 0;
    while (start < line.length && isPythonSpace(line[start])) start += 1;
    return start < line.length && !line.startsWith('##', start);
  }

  /** Parses the rest of the line (with its line ending) as the body of a one-line directive. */
  private parseOneLineBody(nodes: Node[], kind: 'inline' | 'inline-for', end: number, pos: number): void {
    const block: Block = { kind, nodes, pending: null, pos, method: this.block.method };
    this.blocks.push(block);
    const saved = this.limit;
    this.limit = end;
    while (this.pos < this.limit) this.step();
    this.limit = saved;
    if (this.block !== block) {
      throw this.source.error(
        this.block.pos,
        `#${this.block.kind} must be closed on the same line as the one-line directive it is in`,
      );
    }
    this.blocks.pop();
  }

  private startDirective(name: string): { clear: boolean; firstEol: number; start: number } {
    const start = this.pos;
    const clear = this.isLineClear(start);
    const firstEol = this.findEol(start);
    this.pos += 1 + name.length;
    return { clear, firstEol, start };
  }

  private eatIf(): void {
    const { clear, firstEol, start } = this.startDirective('if');
    const parser = this.expression({ stopAtColon: true });
    const test = parser.parseTest();
    if (parser.isWord('then')) {
      throw this.source.error(
        parser.peek().start,
        'the one-line "#if ... then ... else ..." form is not supported',
      );
    }
    this.finishExpression(parser, 'the #if condition');
    const node: IfNode = { kind: 'if', branches: [{ test, body: [] }], orelse: null, pos: start };
    const body = (node.branches[0] as { body: Node[] }).body;
    if (this.matchOneLineColon()) {
      this.pos += 1;
      this.addNode(node);
      this.skipSpaces(1);
      this.parseOneLineBody(body, 'inline', this.endOfLineBody(), start);
      return;
    }
    if (this.text[this.pos] === ':') this.pos += 1;
    this.skipSpaces();
    this.eatRestOfDirective(clear, firstEol);
    this.addNode(node);
    this.blocks.push({
      kind: 'if',
      nodes: body,
      pending: null,
      pos: start,
      method: this.block.method,
      ifNode: node,
    });
  }

  private endOfLineBody(): number {
    const eol = this.findEol(this.pos);
    return Math.min(this.limit, eol + lineEndLength(this.text, eol));
  }

  private eatElse(name: 'else' | 'elif'): void {
    const { clear, firstEol, start } = this.startDirective(name);
    const parser = this.expression({ stopAtColon: true });
    let test: Expr | null = null;
    if (name === 'elif') test = parser.parseTest();
    else if (parser.isWord('if')) {
      parser.next();
      test = parser.parseTest();
    }
    this.finishExpression(parser, `the #${name} directive`);
    const label = test === null ? '#else' : '#elif';
    if (this.matchOneLineColon()) {
      // The one-line form continues an #if that ends right before it, as the Python Cheetah generates would.
      const block = this.block;
      const last = block.nodes.at(-1);
      if (
        last?.kind !== 'if' ||
        last.orelse !== null ||
        (block.pending !== null && block.pending.value !== '')
      ) {
        throw this.source.error(start, `${label} has no #if right before it to continue`);
      }
      this.pos += 1;
      this.skipSpaces(1);
      const body: Node[] = [];
      if (test === null) last.orelse = body;
      else last.branches.push({ test, body });
      this.parseOneLineBody(body, 'inline', this.endOfLineBody(), start);
      block.pending = null;
      return;
    }
    if (this.text[this.pos] === ':') this.pos += 1;
    this.skipSpaces();
    this.eatRestOfDirective(clear, firstEol);
    const block = this.block;
    if ((block.kind !== 'if' && block.kind !== 'unless') || !block.ifNode) {
      throw this.source.error(start, `${label} is not inside an #if block`);
    }
    if (block.hasElse) throw this.source.error(start, `${label} cannot follow the #else of the same #if`);
    const body: Node[] = [];
    if (test === null) {
      block.ifNode.orelse = body;
      block.hasElse = true;
    } else block.ifNode.branches.push({ test, body });
    block.nodes = body;
    block.pending = null;
  }

  private eatLoopOrUnless(name: 'for' | 'unless'): void {
    const { clear, firstEol, start } = this.startDirective(name);
    this.skipSpaces();
    const parser = this.expression({ stopAtColon: true });
    let node: Node;
    let body: Node[];
    if (name === 'for') {
      const target = parser.parseTargetList('in');
      if (!parser.isWord('in')) throw parser.unexpected(parser.peek(), '"in"');
      parser.next();
      const iterable = parser.parseExpressionList();
      this.finishExpression(parser, 'the #for directive');
      body = [];
      node = { kind: 'for', target, iterable, body, pos: start };
    } else {
      const test = parser.parseTest();
      this.finishExpression(parser, 'the #unless condition');
      body = [];
      node = {
        kind: 'if',
        branches: [{ test: { kind: 'not', operand: test, pos: test.pos }, body }],
        orelse: null,
        pos: start,
      };
    }
    if (this.matchOneLineColon()) {
      this.pos += 1;
      this.addNode(node);
      this.skipSpaces(1);
      this.parseOneLineBody(body, name === 'for' ? 'inline-for' : 'inline', this.endOfLineBody(), start);
      return;
    }
    if (this.text[this.pos] === ':') this.pos += 1;
    this.skipSpaces();
    this.eatRestOfDirective(clear, firstEol);
    this.addNode(node);
    this.blocks.push({
      kind: name,
      nodes: body,
      pending: null,
      pos: start,
      method: this.block.method,
      ...(node.kind === 'if' ? { ifNode: node } : {}),
    });
  }

  private eatEnd(): void {
    const start = this.pos;
    const clear = this.isLineClear(start);
    this.pos += 4;
    this.skipSpaces();
    const name = END_NAMES.find((candidate) => this.text.startsWith(candidate, this.pos));
    if (name === undefined) {
      const word = this.text.slice(this.pos, readIdentifier(this.text, this.pos, this.limit));
      throw this.source.error(
        start,
        word === ''
          ? '#end must name the directive it closes, as in "#end if"'
          : `unknown directive "#end ${word}"`,
      );
    }
    const firstEol = this.findEol(this.pos);
    const parser = this.expression();
    // Cheetah ignores whatever follows the name up to the end of the directive.
    while (!parser.atEnd()) parser.next();
    this.finishExpression(parser, `#end ${name}`);
    this.eatRestOfDirective(clear, firstEol);
    if (name === 'errorCatcher') {
      this.block.method.catchMode = 'off';
      return;
    }
    const block = this.block;
    if (block.kind === 'root') throw this.source.error(start, `"#end ${name}" has no open #${name} to close`);
    const open =
      block.kind === 'inline' || block.kind === 'inline-for' ? 'one-line directive' : `#${block.kind}`;
    if (block.kind !== name) {
      throw this.source.error(
        start,
        `"#end ${name}" does not match the ${open} at ${this.source.where(block.pos)}`,
      );
    }
    this.blocks.pop();
    if (block.definition) {
      // The text pending before the #def stays open: Cheetah compiles the body elsewhere and keeps appending.
      this.defs.set(block.definition.name, { ...block.definition, body: block.nodes, pos: block.pos });
    }
  }

  private loopDepth(): number {
    let depth = 0;
    for (let i = this.blocks.length - 1; i >= 0; i--) {
      const kind = (this.blocks[i] as Block).kind;
      if (kind === 'def' || kind === 'root') break;
      if (kind === 'for' || kind === 'inline-for') depth += 1;
    }
    return depth;
  }

  private eatKeywordDirective(name: 'pass' | 'break' | 'continue' | 'stop'): void {
    const { clear, firstEol, start } = this.startDirective('');
    const parser = this.expression();
    parser.next();
    this.finishExpression(parser, `#${name}`);
    this.eatRestOfDirective(clear, firstEol);
    if ((name === 'break' || name === 'continue') && this.loopDepth() === 0) {
      throw this.source.error(start, `#${name} is only allowed inside a #for loop`);
    }
    if (name !== 'pass') this.addNode({ kind: name, pos: start });
  }

  private eatExpressionDirective(name: 'silent' | 'echo'): void {
    const { clear, firstEol, start } = this.startDirective(name);
    const parser = this.expression();
    const expr = parser.parseExpressionList();
    this.finishExpression(parser, `the #${name} expression`);
    this.eatRestOfDirective(clear, firstEol);
    this.addNode({ kind: name, expr, pos: start });
  }

  private eatSet(): void {
    const { clear, firstEol, start } = this.startDirective('set');
    this.skipSpaces();
    let global = false;
    for (const keyword of ['local', 'global', 'module']) {
      if (
        this.text.startsWith(keyword, this.pos) &&
        !isIdentifierChar(this.text[this.pos + keyword.length])
      ) {
        if (keyword === 'module')
          throw this.source.error(this.pos, '"#set module" is not supported; use #set global');
        global = keyword === 'global';
        this.pos += keyword.length;
        this.skipSpaces();
      }
    }
    const left = this.expression({ stopAtAssignment: true });
    const target = this.parseSetTarget(left);
    const end = left.peek();
    if (end.kind !== 'end' || end.reason !== 'assign') throw left.unexpected(end, '"=" in #set');
    const op =
      [...ASSIGNMENT_OPERATORS]
        .filter((candidate) => this.text.startsWith(candidate, end.start))
        .sort((a, b) => b.length - a.length)[0] ?? '=';
    if (global && target.kind === 'unpack')
      throw this.source.error(start, '#set global assigns one variable at a time');
    if (op !== '=' && target.kind === 'unpack')
      throw this.source.error(end.start, `"${op}" cannot assign several variables`);
    this.pos = end.start + op.length;
    const right = this.expression();
    const value = right.parseExpressionList();
    this.finishExpression(right, 'the #set value');
    this.eatRestOfDirective(clear, firstEol);
    this.addNode({ kind: 'set', target, op, value, global, pos: start });
  }

  private parseSetTarget(parser: ExpressionParser): SetTarget {
    const token = parser.peek();
    if (token.kind === 'var' && token.expr.kind === 'var' && parser.peek(1).kind === 'end') {
      const [first, second, ...rest] = token.expr.steps;
      if (first?.kind === 'lookup' && second?.kind === 'index' && rest.length === 0) {
        parser.next();
        return { kind: 'item', name: first.name, index: second.index, pos: token.start };
      }
      if (token.expr.steps.length > 1) {
        throw this.source.error(
          token.start,
          `#set can assign a variable or an item such as $d['key'], not "${token.expr.raw}"`,
        );
      }
    }
    return parser.parseTargetList();
  }

  private eatDef(): void {
    const { clear, start } = this.startDirective('def');
    if (this.blocks.length > 1)
      throw this.source.error(
        start,
        '#def is only allowed at the top level of a template, not inside another directive',
      );
    this.skipSpaces();
    if (this.text[this.pos] === '$' && isIdentifierStart(this.text[this.pos + 1])) this.pos += 1;
    const nameEnd = readIdentifier(this.text, this.pos, this.limit);
    if (nameEnd === this.pos || !isIdentifierStart(this.text[this.pos]))
      throw this.source.error(this.pos, '#def must be followed by a name');
    const name = this.text.slice(this.pos, nameEnd);
    this.pos = nameEnd;
    this.skipSpaces();
    const params: Parameter[] = [];
    if (this.text[this.pos] === '(') {
      const parser = this.expression();
      parser.next();
      while (!parser.isOp(')')) {
        const token = parser.peek();
        if (token.kind === 'op' && (token.text === '*' || token.text === '**')) {
          throw this.source.error(token.start, `"${token.text}" parameters are not supported in #def`);
        }
        const param = parser.targetName(token);
        if (param === null) throw parser.unexpected(token, 'a parameter name');
        parser.next();
        let fallback: Expr | null = null;
        if (parser.isOp('=')) {
          parser.next();
          fallback = parser.parseTest();
        } else if (params.some((entry) => entry.fallback !== null)) {
          throw this.source.error(
            token.start,
            `the parameter "${param}" needs a default value because the one before it has one`,
          );
        }
        if (!(params.length === 0 && param === 'self')) params.push({ name: param, fallback });
        if (!parser.isOp(',')) break;
        parser.next();
      }
      parser.expectOp(')');
      this.pos = parser.lexer.consumedEnd;
    }
    const firstEol = this.findEol(this.pos);
    if (this.matchOneLineColon()) {
      this.pos += 1;
      this.skipSpaces(1);
      const body: Node[] = [];
      const block: Block = {
        kind: 'def',
        nodes: body,
        pending: null,
        pos: start,
        method: { catchMode: 'off' },
      };
      this.blocks.push(block);
      const saved = this.limit;
      this.limit = firstEol;
      while (this.pos < this.limit) this.step();
      this.limit = saved;
      if (this.block !== block)
        throw this.source.error(
          this.block.pos,
          `#${this.block.kind} must be closed inside the one-line #def`,
        );
      this.blocks.pop();
      this.defs.set(name, { name, params, body, pos: start });
      this.eatRestOfDirective(clear, firstEol);
      return;
    }
    if (this.text[this.pos] === ':') this.pos += 1;
    const parser = this.expression();
    while (!parser.atEnd()) parser.next();
    this.finishExpression(parser, '#def');
    this.eatRestOfDirective(clear, this.findEol(this.pos));
    this.blocks.push({
      kind: 'def',
      nodes: [],
      pending: null,
      pos: start,
      method: { catchMode: 'off' },
      definition: { name, params },
    });
  }

  private eatRaw(): void {
    const { clear, firstEol } = this.startDirective('raw');
    this.skipSpaces();
    if (this.matchOneLineColon()) {
      this.pos += 1;
      this.skipSpaces(1);
      const start = this.pos;
      this.readToEol(false);
      this.addText(this.text.slice(start, this.pos));
      return;
    }
    if (this.text[this.pos] === ':') this.pos += 1;
    this.skipSpaces();
    this.eatRestOfDirective(clear, firstEol);
    this.addText(this.eatToEndRaw());
  }

  /** Cheetah's _eatToThisEndDirective('raw'): everything up to `#end raw`, which may own its line. */
  private eatToEndRaw(): string {
    const start = this.pos;
    let endRaw = -1;
    let clearEnd = false;
    while (this.pos < this.limit) {
      if (this.text[this.pos] === '#' && this.matchDirective(this.pos) === 'end') {
        const at = this.pos;
        this.pos += 4;
        this.skipSpaces();
        if (this.text.startsWith('raw', this.pos)) {
          endRaw = at;
          if (this.isLineClear(at)) {
            clearEnd = true;
            endRaw = this.findBol(at);
          }
          this.pos += 3;
          this.skipSpaces();
          break;
        }
      }
      this.pos += 1;
    }
    if (endRaw === -1) throw this.source.error(start, '#raw is never closed with #end raw');
    const raw = this.text.slice(start, endRaw);
    const firstEol = this.findEol(this.pos);
    if (this.text[this.pos] === '#' && !this.escaped(this.pos)) this.pos += 1;
    else if (clearEnd && this.pos < this.limit && lineEndLength(this.text, this.pos) > 0)
      this.readToEol(true);
    if (clearEnd && this.pos > firstEol) this.trimIndentation();
    return raw;
  }

  private eatInclude(): void {
    const { clear, firstEol, start } = this.startDirective('include');
    this.skipSpaces();
    const raw = this.text.startsWith('raw', this.pos);
    if (raw) this.pos += 3;
    this.skipSpaces();
    if (
      this.text.startsWith('source', this.pos) &&
      /^source\s*=/.test(this.text.slice(this.pos, this.pos + 40))
    ) {
      throw this.source.error(this.pos, '"#include source=" is not supported; include a file by name');
    }
    const parser = this.expression();
    const path = parser.parseExpressionList();
    this.finishExpression(parser, 'the #include directive');
    this.eatRestOfDirective(clear, firstEol);
    this.addNode({ kind: 'include', path, raw, pos: start });
  }

  private eatErrorCatcher(): void {
    const { clear, firstEol, start } = this.startDirective('errorCatcher');
    this.skipSpaces();
    const nameEnd = readIdentifier(this.text, this.pos, this.limit);
    const name = this.text.slice(this.pos, nameEnd);
    if (name !== 'Echo' && name !== 'ListErrors') {
      throw this.source.error(
        start,
        `"#errorCatcher ${name}" is not supported; only Echo and ListErrors (leave undefined placeholders as written) are`,
      );
    }
    this.pos = nameEnd;
    this.eatRestOfDirective(clear, firstEol);
    this.block.method.catchMode = 'on';
  }
}
