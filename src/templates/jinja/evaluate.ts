// Renders a parsed Jinja template as Jinja 3 renders it in the environment Cobbler makes (autoescape off, the
// lenient Undefined): values are Python's (cheetah/python-values.ts), `{{ x }}` writes str(x) (None as "None"), a
// missing name or key is Undefined, and scoping follows Jinja's: a for loop, macro, with, block or included template
// has variables of its own, while if does not; an imported template sees only the globals unless imported `with
// context`.
import { MAX_LOOP_TURNS, MAX_OUTPUT_LENGTH, MAX_TEMPLATE_DEPTH } from '../cheetah/evaluate.js';
import { builtins, getAttribute, hasNoAttribute } from '../cheetah/python-builtins.js';
import { percentFormat } from '../cheetah/python-format.js';
import {
  type BinaryOperator,
  checkValueSize,
  dictGet,
  isDict,
  isMissing,
  isNumeric,
  iterate,
  newDict,
  PyCallable,
  PyError,
  PyTuple,
  pyBinary,
  pyContains,
  pyEquals,
  pyGetItem,
  pyOrder,
  pySlice,
  pyStr,
  pyTruthy,
  pyUnary,
  typeError,
  typeName,
} from '../cheetah/python-values.js';
import type { CallArguments, Expr, Node, Parameter, Target } from './ast.js';
import { type FilterEnvironment, filters, tests } from './filters.js';
import {
  AttributeObject,
  GroupTuple,
  isUndefined,
  JinjaMacro,
  JinjaNamespace,
  JinjaUndefined,
  method,
  TemplateModule,
} from './values.js';

/** How deep macro calls may nest; Python's recursion limit stops a runaway macro in Jinja at a similar depth. */
const MAX_CALL_DEPTH = 200;

export interface LoadedTemplate {
  name: string;
  nodes: Node[];
}

export interface JinjaHost {
  /** The template `{% include %}` or `{% import %}` names, parsed; undefined when there is none. */
  load(name: string): LoadedTemplate | undefined;
  /** Where a template that was not found was looked for, for the error. */
  describeMissing?(name: string): string;
}

export interface UndefinedUse {
  file: string;
  line: number;
  message: string;
}

/** A failure with the template and line it happened at. */
export class JinjaRenderError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(message);
  }
}

class Scope {
  readonly vars = new Map<string, unknown>();

  constructor(readonly parent?: Scope) {}

  lookup(name: string): unknown {
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) {
      if (scope.vars.has(name)) return scope.vars.get(name);
    }
    return MISSING;
  }
}

const MISSING = Symbol('missing');

class Output {
  readonly parts: string[] = [];
  length = 0;

  write(text: string): void {
    this.length += text.length;
    if (this.length > MAX_OUTPUT_LENGTH) {
      throw new PyError(
        'MemoryError',
        `the output is over the ${MAX_OUTPUT_LENGTH} characters a render may write`,
      );
    }
    this.parts.push(text);
  }
}

function makeCycler(items: unknown[]): AttributeObject {
  let position = 0;
  const current = () => (items.length === 0 ? null : items[position]);
  return new AttributeObject('Cycler', (name) => {
    if (name === 'current') return current();
    if (name === 'items') return items;
    if (name === 'next')
      return method('next', () => {
        const value = current();
        position = (position + 1) % Math.max(1, items.length);
        return value;
      });
    if (name === 'reset')
      return method('reset', () => {
        position = 0;
        return null;
      });
    return undefined;
  });
}

function makeJoiner(separator: string): PyCallable {
  let used = false;
  return new PyCallable('joiner', false, () => {
    if (!used) {
      used = true;
      return '';
    }
    return separator;
  });
}

function keywordArguments(kwargs: Map<string, unknown> | null): Map<string, unknown> {
  return kwargs ?? new Map();
}

/** Jinja's globals: the names every template sees besides its variables. */
function makeGlobals(): Map<string, unknown> {
  return new Map<string, unknown>([
    ['range', builtins.get('range')],
    ['dict', builtins.get('dict')],
    [
      'cycler',
      new PyCallable('cycler', true, (args) => makeCycler(args), 'type', "<class 'jinja2.utils.Cycler'>"),
    ],
    [
      'joiner',
      new PyCallable(
        'joiner',
        true,
        (args, kwargs) => makeJoiner(pyStr(args[0] ?? keywordArguments(kwargs).get('sep') ?? ', ')),
        'type',
        "<class 'jinja2.utils.Joiner'>",
      ),
    ],
    [
      'namespace',
      new PyCallable('namespace', true, (args, kwargs) => {
        const namespace = new JinjaNamespace();
        for (const source of args) {
          if (isDict(source))
            for (const key of iterate(source)) namespace.attributes.set(pyStr(key), dictGet(source, key));
        }
        for (const [key, value] of keywordArguments(kwargs)) namespace.attributes.set(key, value);
        return namespace;
      }),
    ],
  ]);
}

/** Every `{% block %}` in a template, nested ones too, in order. */
function blocksOf(nodes: unknown, into: (Node & { t: 'block' })[] = []): (Node & { t: 'block' })[] {
  if (Array.isArray(nodes)) {
    for (const node of nodes) blocksOf(node, into);
  } else if (typeof nodes === 'object' && nodes !== null) {
    const node = nodes as Node;
    if (node.t === 'block') into.push(node);
    for (const value of Object.values(nodes)) if (Array.isArray(value)) blocksOf(value, into);
  }
  return into;
}

/** Names an expression tree reads, to know whether a macro takes varargs, kwargs or caller as Jinja decides it. */
function namesRead(nodes: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(nodes)) {
    for (const node of nodes) namesRead(node, into);
  } else if (typeof nodes === 'object' && nodes !== null) {
    const node = nodes as { t?: string; name?: unknown };
    if (node.t === 'name' && typeof node.name === 'string') into.add(node.name);
    for (const value of Object.values(nodes)) if (typeof value === 'object') namesRead(value, into);
  }
  return into;
}

export class JinjaRenderer implements FilterEnvironment {
  private readonly globals = makeGlobals();
  private loopTurns = 0;
  private templateDepth = 0;
  private callDepth = 0;
  /** The blocks of the template being rendered, by name, the most derived body first. */
  private blocks = new Map<string, Node[][]>();
  private file: string;
  private line = 0;
  readonly undefinedUses: UndefinedUse[] = [];

  constructor(
    private readonly host: JinjaHost,
    private readonly strict: boolean,
    mainFile: string,
  ) {
    this.file = mainFile;
  }

  render(nodes: Node[], variables: Record<string, unknown>): string {
    const context = new Scope();
    for (const [key, value] of Object.entries(variables)) context.vars.set(key, value);
    const output = new Output();
    try {
      this.renderTemplate(nodes, new Scope(context), output);
    } catch (error) {
      throw this.located(error);
    }
    return output.parts.join('');
  }

  private located(error: unknown): unknown {
    if (error instanceof JinjaRenderError) return error;
    if (error instanceof PyError) {
      const kind = error.pyType === 'UndefinedError' ? '' : `${error.pyType}: `;
      return new JinjaRenderError(`${kind}${error.message}`, this.file, this.line);
    }
    return error;
  }

  // -------------------------------------------------------------------------------------------------------------
  // statements

  /**
   * A whole template: its blocks are its own (an included or imported template starts afresh), and after
   * `{% extends %}` its top level only defines (blocks, macros, set) while the parent template writes, as in Jinja.
   */
  private renderTemplate(
    nodes: readonly Node[],
    scope: Scope,
    output: Output,
    inherited?: Map<string, Node[][]>,
  ): void {
    const outerBlocks = this.blocks;
    this.blocks = inherited ?? new Map();
    for (const block of blocksOf(nodes)) {
      const chain = this.blocks.get(block.name) ?? [];
      chain.push(block.body);
      this.blocks.set(block.name, chain);
    }
    try {
      let parent: LoadedTemplate | undefined;
      for (const node of nodes) {
        if (node.t === 'extends') {
          if (parent) throw new PyError('TemplateRuntimeError', 'extended multiple times');
          this.line = node.line;
          parent = this.loadFirst(this.evaluate(node.template, scope), false);
        } else if (!parent) {
          this.renderNode(node, scope, output);
        } else if (node.t === 'set' || node.t === 'macro' || node.t === 'import' || node.t === 'fromimport') {
          this.renderNode(node, scope, new Output());
        }
      }
      if (parent) {
        const base = parent;
        const blocks = this.blocks;
        this.withTemplate(base, () => this.renderTemplate(base.nodes, scope, output, blocks));
      }
    } finally {
      this.blocks = outerBlocks;
    }
  }

  /** One block of the chain (the most derived first); `super()` inside it renders the next. */
  private renderBlock(chain: Node[][], level: number, scope: Scope, output: Output): void {
    const inner = new Scope(scope);
    inner.vars.set(
      'super',
      new PyCallable('super', false, () => {
        if (level + 1 >= chain.length) {
          throw new PyError('TemplateRuntimeError', 'no parent block to call super() on');
        }
        const captured = new Output();
        this.renderBlock(chain, level + 1, scope, captured);
        return captured.parts.join('');
      }),
    );
    this.renderNodes(chain[level] as Node[], inner, output);
  }

  private renderNodes(nodes: readonly Node[], scope: Scope, output: Output): void {
    for (const node of nodes) this.renderNode(node, scope, output);
  }

  private renderNode(node: Node, scope: Scope, output: Output): void {
    if (node.t === 'text') {
      output.write(node.text);
      return;
    }
    this.line = node.line;
    switch (node.t) {
      case 'print': {
        const value = this.evaluate(node.expr, scope);
        if (isUndefined(value)) {
          if (this.strict) throw value.error();
          this.undefinedUses.push({
            file: this.file,
            line: node.line,
            message: `${value.hint}; written as ""`,
          });
        }
        output.write(this.toText(value));
        return;
      }
      case 'if': {
        for (const branch of node.branches) {
          if (this.truthy(this.evaluate(branch.test, scope))) {
            this.renderNodes(branch.body, scope, output);
            return;
          }
        }
        if (node.otherwise) this.renderNodes(node.otherwise, scope, output);
        return;
      }
      case 'for':
        this.renderFor(node, scope, output, this.evaluate(node.iterable, scope), 0);
        return;
      case 'set':
        this.assign(node.target, this.evaluate(node.expr, scope), scope);
        return;
      case 'setblock': {
        const captured = new Output();
        this.renderNodes(node.body, new Scope(scope), captured);
        let value: unknown = captured.parts.join('');
        if (node.filters) value = this.applyFilterChain(node.filters, value, scope);
        this.assign(node.target, value, scope);
        return;
      }
      case 'macro':
        scope.vars.set(node.name, this.makeMacro(node.name, node.params, node.body, scope));
        return;
      case 'callblock': {
        const caller = this.makeMacro('caller', node.params, node.body, scope);
        output.write(this.toText(this.evaluateCall(node.call, scope, caller)));
        return;
      }
      case 'filterblock': {
        const captured = new Output();
        this.renderNodes(node.body, new Scope(scope), captured);
        const value = node.filters ? this.applyFilterChain(node.filters, captured.parts.join(''), scope) : '';
        output.write(this.toText(value));
        return;
      }
      case 'with': {
        const inner = new Scope(scope);
        for (const { target, expr } of node.assignments)
          this.assign(target, this.evaluate(expr, scope), inner);
        this.renderNodes(node.body, inner, output);
        return;
      }
      case 'block':
        this.renderBlock(this.blocks.get(node.name) ?? [node.body], 0, scope, output);
        return;
      case 'extends':
        throw new PyError('TemplateRuntimeError', '{% extends %} must be at the top level of a template');
      case 'include': {
        const template = this.loadFirst(this.evaluate(node.template, scope), node.ignoreMissing);
        if (template) {
          this.withTemplate(template, () =>
            this.renderTemplate(
              template.nodes,
              new Scope(node.withContext ? scope : this.rootOf(scope)),
              output,
            ),
          );
        }
        return;
      }
      case 'import':
        scope.vars.set(node.alias, this.importModule(node.template, node.withContext, scope));
        return;
      case 'fromimport': {
        const module = this.importModule(node.template, node.withContext, scope);
        for (const { name, alias } of node.names) {
          const value = module.exports.get(name);
          scope.vars.set(
            alias,
            value === undefined
              ? new JinjaUndefined(
                  `the template '${module.templateName}' does not export the requested name '${name}'`,
                )
              : value,
          );
        }
        return;
      }
    }
  }

  /** The scope an imported (or `without context`) template starts from: the variables, none of the locals. */
  private rootOf(scope: Scope): Scope {
    let root = scope;
    while (root.parent) root = root.parent;
    return root;
  }

  private loadFirst(names: unknown, ignoreMissing: boolean): { name: string; nodes: Node[] } | undefined {
    const candidates =
      typeof names === 'string' ? [names] : Array.from(iterate(names), (name) => pyStr(name));
    for (const name of candidates) {
      const template = this.host.load(name);
      if (template) return template;
    }
    if (ignoreMissing) return undefined;
    const where = candidates.map((name) => `"${name}" (${this.host.describeMissing?.(name) ?? 'not found'})`);
    throw new PyError('TemplateNotFound', `no template to include: ${where.join(', ')}`);
  }

  private withTemplate<T>(template: LoadedTemplate, work: () => T): T {
    if (this.templateDepth >= MAX_TEMPLATE_DEPTH) {
      throw new PyError(
        'RecursionError',
        `templates include or extend each other more than ${MAX_TEMPLATE_DEPTH} deep`,
      );
    }
    const [file, line] = [this.file, this.line];
    this.templateDepth += 1;
    this.file = template.name;
    try {
      return work();
    } catch (error) {
      throw this.located(error);
    } finally {
      this.templateDepth -= 1;
      this.file = file;
      this.line = line;
    }
  }

  private importModule(nameExpr: Expr, withContext: boolean, scope: Scope): TemplateModule {
    const template = this.loadFirst(this.evaluate(nameExpr, scope), false) as LoadedTemplate;
    // Without context an imported template sees only the globals, as in Jinja.
    const moduleScope = new Scope(withContext ? scope : undefined);
    this.withTemplate(template, () => this.renderTemplate(template.nodes, moduleScope, new Output()));
    const exports = new Map<string, unknown>();
    for (const [name, value] of moduleScope.vars) if (!name.startsWith('_')) exports.set(name, value);
    return new TemplateModule(template.name, exports);
  }

  private renderFor(
    node: Node & { t: 'for' },
    scope: Scope,
    output: Output,
    iterableValue: unknown,
    depth: number,
  ): void {
    let items = isUndefined(iterableValue)
      ? this.strictCheck(iterableValue, [])
      : Array.from(iterate(iterableValue));
    if (node.filter) {
      const filter = node.filter;
      items = items.filter((item) => {
        const probe = new Scope(scope);
        this.assign(node.target, item, probe);
        return this.truthy(this.evaluate(filter, probe));
      });
    }
    if (items.length === 0) {
      if (node.otherwise) this.renderNodes(node.otherwise, scope, output);
      return;
    }
    let index = 0;
    let lastChanged: unknown = MISSING;
    const loop = new AttributeObject(
      'LoopContext',
      (name) => {
        switch (name) {
          case 'index':
            return index + 1;
          case 'index0':
            return index;
          case 'revindex':
            return items.length - index;
          case 'revindex0':
            return items.length - index - 1;
          case 'first':
            return index === 0;
          case 'last':
            return index === items.length - 1;
          case 'length':
            return items.length;
          case 'depth':
            return depth + 1;
          case 'depth0':
            return depth;
          case 'previtem':
            return index > 0 ? items[index - 1] : new JinjaUndefined('there is no previous item');
          case 'nextitem':
            return index < items.length - 1 ? items[index + 1] : new JinjaUndefined('there is no next item');
          case 'cycle':
            return method('cycle', (args) => {
              if (args.length === 0) throw typeError('no items for cycling given');
              return args[index % args.length];
            });
          case 'changed':
            return method('changed', (args) => {
              const value = args.length === 1 ? args[0] : new PyTuple(args);
              if (lastChanged !== MISSING && pyEquals(lastChanged, value)) return false;
              lastChanged = value;
              return true;
            });
          default:
            return undefined;
        }
      },
      node.recursive
        ? (args) => {
            const captured = new Output();
            this.renderFor(node, scope, captured, args[0], depth + 1);
            return captured.parts.join('');
          }
        : undefined,
    );
    for (index = 0; index < items.length; index++) {
      this.loopTurns += 1;
      if (this.loopTurns > MAX_LOOP_TURNS) {
        throw new PyError(
          'RuntimeError',
          `the loops ran over ${MAX_LOOP_TURNS} turns; a render must end sooner`,
        );
      }
      const inner = new Scope(scope);
      inner.vars.set('loop', loop);
      this.assign(node.target, items[index], inner);
      this.renderNodes(node.body, inner, output);
    }
  }

  private assign(target: Target, value: unknown, scope: Scope): void {
    switch (target.t) {
      case 'name':
        scope.vars.set(target.name, value);
        return;
      case 'nsattr': {
        const namespace = scope.lookup(target.namespace);
        if (!(namespace instanceof JinjaNamespace)) {
          throw new PyError('TemplateRuntimeError', 'cannot assign attribute on non-namespace object');
        }
        namespace.attributes.set(target.attribute, value);
        return;
      }
      case 'tuple': {
        const items = Array.from(iterate(value));
        if (items.length !== target.items.length) {
          const problem = items.length > target.items.length ? 'too many' : 'not enough';
          throw new PyError(
            'ValueError',
            `${problem} values to unpack (expected ${target.items.length}, got ${items.length})`,
          );
        }
        target.items.forEach((item, i) => {
          this.assign(item, items[i], scope);
        });
        return;
      }
    }
  }

  private makeMacro(name: string, params: readonly Parameter[], body: Node[], closure: Scope): JinjaMacro {
    const read = namesRead(body);
    const catchVarargs = read.has('varargs');
    const catchKwargs = read.has('kwargs');
    const takesCaller = read.has('caller') && name !== 'caller';
    const file = this.file;
    return new JinjaMacro(
      name,
      params.map((param) => param.name),
      (args, kwargs) => {
        if (this.callDepth >= MAX_CALL_DEPTH) {
          throw new PyError('RecursionError', `macros call each other more than ${MAX_CALL_DEPTH} deep`);
        }
        const scope = new Scope(closure);
        const extraKeywords = new Map(kwargs ?? []);
        params.forEach((param, i) => {
          if (i < args.length) {
            if (extraKeywords.has(param.name))
              throw typeError(`macro '${name}' got multiple values for argument '${param.name}'`);
            scope.vars.set(param.name, args[i]);
          } else if (extraKeywords.has(param.name)) {
            scope.vars.set(param.name, extraKeywords.get(param.name));
            extraKeywords.delete(param.name);
          } else if (param.fallback) {
            scope.vars.set(param.name, this.evaluate(param.fallback, scope));
          } else {
            scope.vars.set(param.name, new JinjaUndefined(`parameter '${param.name}' was not provided`));
          }
        });
        if (takesCaller) {
          scope.vars.set('caller', extraKeywords.get('caller') ?? new JinjaUndefined('No caller defined'));
          extraKeywords.delete('caller');
        }
        const extra = args.slice(params.length);
        if (extra.length > 0 && !catchVarargs) {
          throw typeError(`macro '${name}' takes not more than ${params.length} argument(s)`);
        }
        if (catchVarargs) scope.vars.set('varargs', new PyTuple(extra));
        if (extraKeywords.size > 0 && !catchKwargs) {
          throw typeError(`macro '${name}' takes no keyword argument '${extraKeywords.keys().next().value}'`);
        }
        if (catchKwargs) scope.vars.set('kwargs', newDict(extraKeywords));
        const output = new Output();
        const [callerFile, callerLine] = [this.file, this.line];
        this.callDepth += 1;
        this.file = file;
        try {
          this.renderNodes(body, scope, output);
        } catch (error) {
          throw this.located(error);
        } finally {
          this.callDepth -= 1;
          this.file = callerFile;
          this.line = callerLine;
        }
        return output.parts.join('');
      },
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // expressions

  /** str() as Jinja writes a value: Undefined is empty, the rest is Python's str(). */
  toText(value: unknown): string {
    if (isUndefined(value)) return '';
    if (value instanceof JinjaNamespace) return '<Namespace>';
    if (value instanceof TemplateModule) return `<Template module '${value.templateName}'>`;
    if (value instanceof AttributeObject) return `<${value.typeName}>`;
    return pyStr(value);
  }

  private strictCheck<T>(value: JinjaUndefined, fallback: T): T {
    if (this.strict) throw value.error();
    return fallback;
  }

  truthy(value: unknown): boolean {
    if (isUndefined(value)) return this.strictCheck(value, false);
    if (
      value instanceof AttributeObject ||
      value instanceof JinjaNamespace ||
      value instanceof TemplateModule
    )
      return true;
    return pyTruthy(value);
  }

  evaluate(expr: Expr, scope: Scope): unknown {
    const value = this.evaluateInner(expr, scope);
    checkValueSize(value);
    return value;
  }

  private evaluateInner(expr: Expr, scope: Scope): unknown {
    switch (expr.t) {
      case 'const':
        return expr.value;
      case 'name': {
        const value = scope.lookup(expr.name);
        if (value !== MISSING) return value;
        if (this.globals.has(expr.name)) return this.globals.get(expr.name);
        return new JinjaUndefined(`'${expr.name}' is undefined`);
      }
      case 'tuple':
        return new PyTuple(expr.items.map((item) => this.evaluate(item, scope)));
      case 'list':
        return expr.items.map((item) => this.evaluate(item, scope));
      case 'dict':
        return newDict(
          expr.pairs.map(([key, value]) => [this.evaluate(key, scope), this.evaluate(value, scope)]),
        );
      case 'getattr':
        return this.getattr(this.evaluate(expr.object, scope), expr.name);
      case 'getitem': {
        const target = this.evaluate(expr.object, scope);
        if (expr.key.t === 'slice') {
          if (isUndefined(target)) throw target.error();
          const part = (bound?: Expr) => (bound ? this.evaluate(bound, scope) : null);
          return pySlice(target, part(expr.key.start), part(expr.key.stop), part(expr.key.step));
        }
        return this.getitem(target, this.evaluate(expr.key, scope));
      }
      case 'slice':
        throw typeError('a slice can only be used inside [ ]');
      case 'call':
        return this.evaluateCall(expr, scope);
      case 'filter':
        return this.applyFilterChain(expr, undefined, scope);
      case 'test': {
        const operand = this.evaluate(expr.operand, scope);
        const { args, kwargs } = this.evaluateArguments(expr.args, scope);
        const result = this.callTest(expr.name, operand, args, kwargs);
        return expr.negated ? !result : result;
      }
      case 'binary': {
        const left = this.evaluate(expr.left, scope);
        const right = this.evaluate(expr.right, scope);
        if (expr.op === '~') return this.toText(this.defined(left)) + this.toText(this.defined(right));
        if (isUndefined(left)) throw left.error();
        if (isUndefined(right)) throw right.error();
        return pyBinary(expr.op as BinaryOperator, left, right, percentFormat);
      }
      case 'unary': {
        const operand = this.evaluate(expr.operand, scope);
        if (isUndefined(operand)) throw operand.error();
        return pyUnary(expr.op as '-' | '+', operand);
      }
      case 'not':
        return !this.truthy(this.evaluate(expr.operand, scope));
      case 'and': {
        const left = this.evaluate(expr.left, scope);
        return this.truthy(left) ? this.evaluate(expr.right, scope) : left;
      }
      case 'or': {
        const left = this.evaluate(expr.left, scope);
        return this.truthy(left) ? left : this.evaluate(expr.right, scope);
      }
      case 'compare': {
        let left = this.evaluate(expr.first, scope);
        for (const { op, expr: next } of expr.ops) {
          const right = this.evaluate(next, scope);
          if (!this.compare(op, left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'cond':
        if (this.truthy(this.evaluate(expr.test, scope))) return this.evaluate(expr.ifTrue, scope);
        return expr.ifFalse
          ? this.evaluate(expr.ifFalse, scope)
          : new JinjaUndefined('the inline if expression evaluated to false and no else section was defined');
    }
  }

  /** In strict mode an Undefined may only be tested for (`is defined`, `default`); anything else fails. */
  private defined(value: unknown): unknown {
    if (isUndefined(value) && this.strict) throw value.error();
    return value;
  }

  compare(op: string, left: unknown, right: unknown): boolean {
    switch (op) {
      case '==':
        return this.equals(left, right);
      case '!=':
        return !this.equals(left, right);
      case 'in':
        return this.contains(right, left);
      case 'not in':
        return !this.contains(right, left);
      default:
        if (isUndefined(left)) throw left.error();
        if (isUndefined(right)) throw right.error();
        return pyOrder(left, right, op as '<' | '<=' | '>' | '>=');
    }
  }

  equals(left: unknown, right: unknown): boolean {
    if (isUndefined(left) || isUndefined(right)) return isUndefined(left) && isUndefined(right);
    return pyEquals(left, right);
  }

  contains(container: unknown, item: unknown): boolean {
    if (isUndefined(container)) return this.strictCheck(container, false);
    return pyContains(container, item);
  }

  getattr(target: unknown, name: string): unknown {
    if (isUndefined(target)) throw target.error();
    const special = this.specialAttribute(target, name);
    if (special !== MISSING) return special;
    const attribute = getAttribute(target, name);
    if (!hasNoAttribute(attribute)) return attribute;
    if (isDict(target)) {
      const value = dictGet(target, name);
      if (!isMissing(value)) return value;
    }
    return new JinjaUndefined(`'${this.typeLabel(target)}' has no attribute '${name}'`);
  }

  getitem(target: unknown, key: unknown): unknown {
    if (isUndefined(target)) throw target.error();
    if (
      target instanceof AttributeObject ||
      target instanceof JinjaNamespace ||
      target instanceof TemplateModule
    ) {
      return typeof key === 'string' ? this.getattr(target, key) : this.noItem(target, key);
    }
    try {
      return pyGetItem(target, key);
    } catch (error) {
      if (!(error instanceof PyError) || !['KeyError', 'IndexError', 'TypeError'].includes(error.pyType))
        throw error;
    }
    if (typeof key === 'string') {
      const special = this.specialAttribute(target, key);
      if (special !== MISSING) return special;
      const attribute = getAttribute(target, key);
      if (!hasNoAttribute(attribute)) return attribute;
    }
    return this.noItem(target, key);
  }

  private noItem(target: unknown, key: unknown): JinjaUndefined {
    const shown = typeof key === 'string' ? `'${key}'` : this.toText(key);
    return new JinjaUndefined(`'${this.typeLabel(target)}' has no attribute ${shown}`);
  }

  private typeLabel(target: unknown): string {
    if (target instanceof AttributeObject) return `${target.typeName} object`;
    if (target instanceof JinjaNamespace) return 'Namespace object';
    if (target instanceof TemplateModule) return `the template '${target.templateName}'`;
    return `${typeName(target)} object`;
  }

  private specialAttribute(target: unknown, name: string): unknown {
    if (target instanceof AttributeObject) {
      const value = target.attribute(name);
      return value === undefined ? MISSING : value;
    }
    if (target instanceof JinjaNamespace) {
      return target.attributes.has(name) ? target.attributes.get(name) : MISSING;
    }
    if (target instanceof TemplateModule)
      return target.exports.has(name) ? target.exports.get(name) : MISSING;
    if (target instanceof GroupTuple && (name === 'grouper' || name === 'list')) return target[name];
    if (isNumeric(target) && (name === 'real' || name === 'imag')) {
      return name === 'real' ? (typeof target === 'boolean' ? Number(target) : target) : 0;
    }
    if (target instanceof JinjaMacro) {
      if (name === 'name') return target.name;
      if (name === 'arguments') return new PyTuple([...target.parameterNames]);
    }
    return MISSING;
  }

  private evaluateArguments(
    callArgs: CallArguments,
    scope: Scope,
  ): { args: unknown[]; kwargs: Map<string, unknown> | null } {
    const args = callArgs.args.map((arg) => this.evaluate(arg, scope));
    if (callArgs.star) args.push(...iterate(this.evaluate(callArgs.star, scope)));
    let kwargs: Map<string, unknown> | null = null;
    if (callArgs.kwargs.length > 0 || callArgs.doubleStar) {
      kwargs = new Map();
      for (const [key, value] of callArgs.kwargs) kwargs.set(key, this.evaluate(value, scope));
      if (callArgs.doubleStar) {
        const extra = this.evaluate(callArgs.doubleStar, scope);
        if (!isDict(extra)) throw typeError('argument after ** must be a mapping');
        for (const key of iterate(extra)) kwargs.set(pyStr(key), dictGet(extra, key));
      }
    }
    return { args, kwargs };
  }

  private evaluateCall(expr: Expr & { t: 'call' }, scope: Scope, caller?: JinjaMacro): unknown {
    const callee = this.evaluate(expr.callee, scope);
    const { args, kwargs } = this.evaluateArguments(expr.args, scope);
    let keywords = kwargs;
    if (caller) {
      keywords = new Map(kwargs ?? []);
      keywords.set('caller', caller);
    }
    return this.call(callee, args, keywords);
  }

  call(callee: unknown, args: unknown[], kwargs: Map<string, unknown> | null): unknown {
    if (isUndefined(callee)) throw callee.error();
    if (callee instanceof PyCallable) return callee.impl(args, kwargs);
    if (callee instanceof AttributeObject && callee.call) return callee.call(args, kwargs);
    throw typeError(`'${typeName(callee)}' object is not callable`);
  }

  /** A chain of filters (`a | f | g(x)`): `start` stands for the innermost operand where there is none. */
  private applyFilterChain(expr: Expr, start: unknown, scope: Scope): unknown {
    if (expr.t !== 'filter') return this.evaluate(expr, scope);
    const operand = expr.operand === null ? start : this.applyFilterChain(expr.operand, start, scope);
    const { args, kwargs } = this.evaluateArguments(expr.args, scope);
    return this.callFilter(expr.name, operand, args, kwargs);
  }

  callFilter(name: string, value: unknown, args: unknown[], kwargs: Map<string, unknown> | null): unknown {
    const filter = filters.get(name);
    if (!filter) throw new PyError('TemplateAssertionError', `no filter named '${name}'`);
    if (this.strict && isUndefined(value) && name !== 'default' && name !== 'd') throw value.error();
    return filter(this, value, args, kwargs ?? new Map());
  }

  callTest(name: string, value: unknown, args: unknown[], kwargs: Map<string, unknown> | null): boolean {
    const test = tests.get(name);
    if (!test) throw new PyError('TemplateAssertionError', `no test named '${name}'`);
    return test(this, value, args, kwargs ?? new Map());
  }

  makeUndefined(hint: string): JinjaUndefined {
    return new JinjaUndefined(hint);
  }

  groupTuple(grouper: unknown, items: unknown[]): GroupTuple {
    return new GroupTuple([grouper, items]);
  }
}
