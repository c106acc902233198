// Renders a parsed template. The model is the Python that Cheetah would have generated, run the way Cobbler runs
// it, so that output matches byte for byte:
// - each template (the main one, every snippet, every #include) is an instance with a search list: the #set global
//   variables, the main template itself (its #defs, getVar, varExists, SNIPPET), the variables, and whatever
//   snippets have added; $name looks in the local variables first, then the search list, then the builtins;
// - #set and #for write local variables of the method they are in (the template body or a #def), which no
//   snippet, include or other #def sees; #set global writes the shared dict at the head of every search list;
// - $SNIPPET renders the snippet with a copy of the main template's search list and then appends the snippet to
//   that list, which is how a snippet's #defs reach the main template (and only the main template).
import type { Definition, Expr, Node, SetTarget, Subscript, Target, TemplateAst, VarStep } from './ast.js';
import { builtins, getAttribute, hasNoAttribute } from './python-builtins.js';
import { percentFormat } from './python-format.js';
import {
  type BinaryOperator,
  checkValueSize,
  dictGet,
  dictSet,
  extendWithin,
  isDict,
  isIntegral,
  isMissing,
  iterate,
  NotFoundError,
  newDict,
  PyCallable,
  PyDict,
  PyError,
  PyIterator,
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
  toNumber,
  typeError,
  typeName,
  valueError,
} from './python-values.js';
import type { TemplateText } from './source.js';
import type { TemplateHost, TemplateProblem, TemplateSource } from './types.js';

/** How deep snippets and includes may nest before the render stops: deeper means one includes itself. */
export const MAX_TEMPLATE_DEPTH = 32;
/** How deep #def calls may nest; CPython's recursion limit would stop a runaway #def at a similar depth. */
const MAX_CALL_DEPTH = 200;
/**
 * A render stops after this many loop turns (#for and comprehensions together, nested loops multiplied): about a
 * second of work. Templates come from whoever may edit them, and a render must not hold the server for longer.
 */
export const MAX_LOOP_TURNS = 10_000_000;
/** Nor may a render write more than this. */
export const MAX_OUTPUT_LENGTH = 64 * 2 ** 20;

export type ParseFunction = (source: TemplateSource, expandSnippetShorthand: boolean) => TemplateAst;

type Namespace =
  | { readonly kind: 'dict'; readonly dict: PyDict | Record<string, unknown> }
  | { readonly kind: 'self'; readonly instance: Instance }
  | {
      /** Variables shared with other renders: lists and dictionaries are handed out as this render's copies. */
      readonly kind: 'shared';
      readonly dict: Readonly<Record<string, unknown>>;
      /** Each container copied so far, by the shared original: ks_meta and autoinstall_meta stay one dict. */
      readonly copies: Map<object, unknown>;
      readonly copy: (container: object) => unknown;
    };

/** One template being rendered: the main template, a snippet or an included file. */
class Instance {
  readonly self: Namespace = { kind: 'self', instance: this };
  /** What Cheetah would find on `self`: the search list it inherited, then itself. */
  readonly searchList: Namespace[];
  // Made when first needed: a render makes a dozen instances, most of which include nothing, render no snippet and
  // are asked for no method, and three maps each were a good part of a render's garbage.
  /** Cheetah caches included templates per including instance. */
  includes: Map<string, Instance | string> | undefined;
  /** The snippets this (main) template has rendered, by their text. */
  snippets: Map<string, Instance> | undefined;
  callables: Map<string, PyCallable> | undefined;

  constructor(
    readonly ast: TemplateAst,
    inherited: readonly Namespace[],
    /** Placeholders in the body turn NotFound back into text in verbatim mode. */
    readonly bodyCatches: boolean,
    /** The main template: Cobbler's class, whose includes get SNIPPET:: expanded and an error catcher. */
    readonly main: boolean,
  ) {
    this.searchList = [...inherited, this.self];
  }

  /**
   * What the search list holds, once a snippet has added to it (main template only): each of a dozen snippets
   * appends its namespaces unless already there, and asking a Set is cheaper than scanning the list each time.
   */
  inSearchList: Set<Namespace> | undefined;
}

interface Frame {
  readonly locals: Map<string, unknown>;
  readonly instance: Instance;
  readonly catches: boolean;
  /** A comprehension's enclosing frame, for bare names (Python closures); $names do not look there. */
  readonly parent?: Frame;
}

interface Output {
  text: string;
}

/** Every write to an output goes through here, so that no template, snippet or #def writes past the limit. */
function write(out: Output, text: string): void {
  if (out.text.length + text.length > MAX_OUTPUT_LENGTH) {
    throw new PyError(
      'MemoryError',
      `the output is over the ${MAX_OUTPUT_LENGTH} characters a render may write`,
    );
  }
  out.text += text;
}

const NORMAL = 0;
const BREAK = 1;
const CONTINUE = 2;
const STOP = 3;
type Signal = typeof NORMAL | typeof BREAK | typeof CONTINUE | typeof STOP;

/** A $SNIPPET the host does not have; becomes MissingSnippetError once its position is known. */
export class MissingSnippet extends PyError {
  constructor(readonly snippet: string) {
    super('MissingSnippet', `snippet ${JSON.stringify(snippet)} not found`);
  }
}

export class Renderer {
  readonly problems: TemplateProblem[] = [];
  private readonly globals = new PyDict();
  private depth = 0;
  private callDepth = 0;
  private loopTurns = 0;

  constructor(
    private readonly host: TemplateHost,
    private readonly verbatim: boolean,
    private readonly parse: ParseFunction,
    /** See RenderOptions.copyOnFirstLookup. */
    private readonly copyOnFirstLookup?: (container: object) => unknown,
  ) {}

  render(ast: TemplateAst, variables: Record<string, unknown>): string {
    const main = new Instance(ast, [{ kind: 'dict', dict: this.globals }], true, true);
    const copy = this.copyOnFirstLookup;
    main.searchList.push(
      copy ? { kind: 'shared', dict: variables, copies: new Map(), copy } : { kind: 'dict', dict: variables },
    );
    return this.renderInstance(main);
  }

  private renderInstance(instance: Instance): string {
    const frame: Frame = { locals: new Map(), instance, catches: instance.bodyCatches && this.verbatim };
    const out: Output = { text: '' };
    this.execute(instance.ast.body, frame, out);
    return out.text;
  }

  // ---- statements ---------------------------------------------------------------------------------------------

  private execute(nodes: readonly Node[], frame: Frame, out: Output): Signal {
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          write(out, node.value);
          break;
        case 'placeholder':
          this.placeholder(node, frame, out);
          break;
        case 'if': {
          let taken = false;
          for (const branch of node.branches) {
            if (pyTruthy(this.evaluate(branch.test, frame))) {
              const signal = this.execute(branch.body, frame, out);
              if (signal !== NORMAL) return signal;
              taken = true;
              break;
            }
          }
          if (!taken && node.orelse) {
            const signal = this.execute(node.orelse, frame, out);
            if (signal !== NORMAL) return signal;
          }
          break;
        }
        case 'for': {
          const iterable = this.evaluate(node.iterable, frame);
          for (const item of this.iterate(iterable, node.iterable, frame)) {
            this.countTurn();
            this.assign(node.target, item, frame);
            const signal = this.execute(node.body, frame, out);
            if (signal === BREAK) break;
            if (signal === STOP) return STOP;
          }
          break;
        }
        case 'set':
          this.set(node, frame);
          break;
        case 'silent':
          this.evaluate(node.expr, frame);
          break;
        case 'echo': {
          const value = this.evaluate(node.expr, frame);
          if (value !== null && value !== undefined) write(out, pyStr(value));
          break;
        }
        case 'include':
          this.include(node, frame, out);
          break;
        case 'break':
          return BREAK;
        case 'continue':
          return CONTINUE;
        case 'stop':
          return STOP;
      }
    }
    return NORMAL;
  }

  private placeholder(node: Extract<Node, { kind: 'placeholder' }>, frame: Frame, out: Output): void {
    const catches = node.catchMode === 'on' || (node.catchMode === 'mode' && frame.catches);
    let value: unknown;
    if (catches || node.silent) {
      try {
        value = this.evaluate(node.expr, frame);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        if (catches) {
          const source = frame.instance.ast.source;
          const { line, column } = source.location(node.pos);
          const inner = error.location;
          const elsewhere =
            inner && (inner.file !== source.file || inner.line !== line || inner.column !== column);
          const where = elsewhere ? ` (at ${inner.file}:${inner.line}:${inner.column})` : '';
          this.problems.push({
            file: source.file,
            line,
            column,
            message: `${JSON.stringify(node.raw)} was left as written: ${error.message}${where}`,
          });
          write(out, node.raw);
        }
        return;
      }
    } else value = this.evaluate(node.expr, frame);
    if (value === null || value === undefined) return;
    write(out, typeof value === 'string' ? value : pyStr(value));
  }

  private iterate(value: unknown, expr: Expr, frame: Frame): Iterable<unknown> {
    try {
      return iterate(value);
    } catch (error) {
      throw this.locate(error, expr.pos, frame);
    }
  }

  private set(node: Extract<Node, { kind: 'set' }>, frame: Frame): void {
    const value = this.evaluate(node.value, frame);
    try {
      const scope = node.global ? null : frame.locals;
      this.assignSet(node.target, node.op, value, scope, frame);
    } catch (error) {
      throw this.locate(error, node.pos, frame);
    }
  }

  private assignSet(
    target: SetTarget,
    op: string,
    value: unknown,
    scope: Map<string, unknown> | null,
    frame: Frame,
  ) {
    const read = (name: string): unknown => {
      if (scope === null) {
        const current = dictGet(this.globals, name);
        if (isMissing(current))
          throw new PyError('KeyError', `there is no global variable ${JSON.stringify(name)} yet`);
        return current;
      }
      const current = scope.get(name);
      if (current === undefined) {
        throw new PyError(
          'UnboundLocalError',
          `the variable "${name}" is used by ${op} before it has a value`,
        );
      }
      return current;
    };
    const write = (name: string, newValue: unknown): void => {
      if (scope === null) dictSet(this.globals, name, newValue);
      else scope.set(name, newValue ?? null);
    };
    switch (target.kind) {
      case 'name':
        write(target.name, op === '=' ? value : this.augment(op, read(target.name), value));
        return;
      case 'unpack':
        this.assign(target, value, frame);
        return;
      default: {
        let container: unknown;
        if (scope === null) container = read(target.name);
        else {
          container = scope.get(target.name);
          if (container === undefined) throw new PyError('NameError', `name '${target.name}' is not defined`);
        }
        if (target.index.kind !== 'item') throw typeError('#set cannot assign to a slice');
        const key = this.evaluate(target.index.value, frame);
        setItem(container, key, op === '=' ? value : this.augment(op, pyGetItem(container, key), value));
      }
    }
  }

  private augment(op: string, current: unknown, value: unknown): unknown {
    const operator = op.slice(0, -1) as BinaryOperator;
    if (operator === '+' && Array.isArray(current)) {
      extendWithin(current, value, 'the list');
      return current;
    }
    return pyBinary(operator, current, value, percentFormat);
  }

  private assign(target: Target, value: unknown, frame: Frame): void {
    if (target.kind === 'name') {
      frame.locals.set(target.name, value ?? null);
      return;
    }
    let items: unknown[];
    try {
      items = Array.from(iterate(value));
    } catch {
      throw typeError(`cannot unpack non-iterable ${typeName(value)} object`);
    }
    if (items.length !== target.items.length) {
      throw valueError(
        items.length > target.items.length
          ? `too many values to unpack (expected ${target.items.length})`
          : `not enough values to unpack (expected ${target.items.length}, got ${items.length})`,
      );
    }
    target.items.forEach((item, i) => {
      this.assign(item, items[i], frame);
    });
  }

  private include(node: Extract<Node, { kind: 'include' }>, frame: Frame, out: Output): void {
    const path = this.evaluate(node.path, frame);
    try {
      if (typeof path !== 'string') throw typeError(`#include needs a file name, not ${typeName(path)}`);
      const instance = frame.instance;
      const key = `${node.raw ? 'raw' : 'template'}:${path}`;
      let included = instance.includes?.get(key);
      if (included === undefined) {
        const source = this.host.loadInclude(path);
        if (source === undefined)
          throw new PyError('IOError', `the included file ${JSON.stringify(path)} was not found`);
        // Raw files are read as Python text files too, so their line endings become \n as well.
        included = node.raw
          ? source.text.replace(/\r\n?/g, '\n')
          : new Instance(this.parse(source, instance.main), instance.searchList, instance.main, false);
        instance.includes ??= new Map();
        instance.includes.set(key, included);
      }
      write(out, typeof included === 'string' ? included : this.nested(included, 'the include', path));
    } catch (error) {
      throw this.locate(error, node.pos, frame);
    }
  }

  /** `what` and `name` say what nests in the error, which is built only when there is one. */
  private nested(instance: Instance, what: string, name: string): string {
    if (this.depth >= MAX_TEMPLATE_DEPTH) {
      throw new PyError(
        'RecursionError',
        `${what} ${JSON.stringify(name)} is nested more than ${MAX_TEMPLATE_DEPTH} levels deep, so it probably includes itself`,
      );
    }
    this.depth += 1;
    try {
      return this.renderInstance(instance);
    } finally {
      this.depth -= 1;
    }
  }

  // ---- the template object: #defs, getVar, varExists, SNIPPET ------------------------------------------------------

  private selfAttribute(instance: Instance, name: string): unknown {
    const cached = instance.callables?.get(name);
    if (cached) return cached;
    let callable: PyCallable | undefined;
    const definition = instance.ast.defs.get(name);
    if (definition) callable = this.defCallable(instance, definition);
    else if (name === 'getVar')
      callable = this.method(instance, name, (args, kwargs) => this.getVar(instance, args, kwargs));
    else if (name === 'varExists' || name === 'hasVar') {
      callable = this.method(instance, name, (args) => {
        if (args.length < 1) throw typeError(`${name}() missing required argument 'varName'`);
        try {
          return this.searchListValue(instance, args[0]) !== NOT_FOUND;
        } catch (error) {
          if (error instanceof NotFoundError) return false;
          throw error;
        }
      });
    } else if (name === 'SNIPPET' && instance.main) {
      callable = this.method(instance, name, (args) => this.snippet(instance, args));
    }
    if (callable) {
      instance.callables ??= new Map();
      instance.callables.set(name, callable);
    }
    return callable;
  }

  private method(instance: Instance, name: string, impl: PyCallable['impl']): PyCallable {
    return new PyCallable(
      name,
      false,
      impl,
      'method',
      `<bound method ${name} of template ${instance.ast.source.file}>`,
    );
  }

  private defCallable(instance: Instance, definition: Definition): PyCallable {
    return this.method(instance, definition.name, (args, kwargs) =>
      this.callDef(instance, definition, args, kwargs),
    );
  }

  private callDef(
    instance: Instance,
    definition: Definition,
    args: unknown[],
    kwargs: Map<string, unknown> | null,
  ): string {
    const { params, name } = definition;
    if (args.length > params.length) {
      throw typeError(
        `${name}() takes ${params.length} positional argument${params.length === 1 ? '' : 's'} but ${args.length} were given`,
      );
    }
    const locals = new Map<string, unknown>();
    const frame: Frame = { locals, instance, catches: false };
    params.forEach((param, i) => {
      if (i < args.length) {
        if (kwargs?.has(param.name))
          throw typeError(`${name}() got multiple values for argument '${param.name}'`);
        locals.set(param.name, args[i] ?? null);
      } else if (kwargs?.has(param.name)) locals.set(param.name, kwargs.get(param.name) ?? null);
      else if (param.fallback)
        locals.set(
          param.name,
          this.evaluate(param.fallback, { locals: new Map(), instance, catches: false }),
        );
      else throw typeError(`${name}() missing required argument '${param.name}'`);
    });
    if (this.callDepth >= MAX_CALL_DEPTH) {
      throw new PyError(
        'RecursionError',
        `#def ${name} calls itself more than ${MAX_CALL_DEPTH} levels deep`,
      );
    }
    this.callDepth += 1;
    try {
      const out: Output = { text: '' };
      this.execute(definition.body, frame, out);
      return out.text;
    } finally {
      this.callDepth -= 1;
    }
  }

  /** Template.getVar(name, default): the search list only (no locals, no builtins), dotted names allowed. */
  private getVar(instance: Instance, args: unknown[], kwargs: Map<string, unknown> | null): unknown {
    const fallback = args.length > 1 ? args[1] : kwargs?.has('default') ? kwargs.get('default') : undefined;
    if (args.length < 1) throw typeError("getVar() missing required argument 'varName'");
    try {
      const value = this.searchListValue(instance, args[0]);
      if (value !== NOT_FOUND) return value;
      if (fallback !== undefined) return fallback;
      return this.valueFromSearchList(instance, args[0]);
    } catch (error) {
      if (error instanceof NotFoundError && fallback !== undefined) return fallback;
      throw error;
    }
  }

  private valueFromSearchList(instance: Instance, nameValue: unknown): unknown {
    const value = this.searchListValue(instance, nameValue);
    if (value === NOT_FOUND) {
      const first = String(nameValue).replaceAll('$', '').split('.')[0] ?? '';
      throw new NotFoundError(`the variable ${JSON.stringify(first)} is not defined`);
    }
    return value;
  }

  /**
   * valueFromSearchList without the throw when the first name is missing: `$getVar('timezone', 'Etc/UTC')` with no
   * timezone is the common case in kickstarts, and building an Error (with its stack) costs more than the render.
   */
  private searchListValue(instance: Instance, nameValue: unknown): unknown {
    if (typeof nameValue !== 'string')
      throw typeError(`a variable name must be a str, not ${typeName(nameValue)}`);
    const [first = '', ...rest] = nameValue.replaceAll('$', '').split('.');
    let value = this.fromSearchList(instance, first);
    if (value === NOT_FOUND) return NOT_FOUND;
    value = autocall(value);
    let path = first;
    for (const key of rest) {
      const owner = path;
      value = autocall(valueForKey(value, key, () => owner));
      path = `${path}.${key}`;
    }
    return value;
  }

  private snippet(main: Instance, args: unknown[]): string {
    const [name] = args;
    if (typeof name !== 'string' || args.length !== 1)
      throw typeError('SNIPPET() takes the name of one snippet');
    const source = this.host.loadSnippet(name);
    if (source === undefined) throw new MissingSnippet(name);
    // Cobbler finds the snippet again by its text, so two snippets with the same text share one instance. The text
    // itself is the key: the library hands out the same string while the file is unchanged, and V8 keeps a
    // string's hash, where a `snippet:${text}` key would be built and hashed anew on every call.
    let instance = main.snippets?.get(source.text);
    if (instance === undefined) {
      instance = new Instance(this.parse(source, true), main.searchList, true, false);
      main.snippets ??= new Map();
      main.snippets.set(source.text, instance);
    }
    const output = this.nested(instance, 'the snippet', name);
    // The snippet's search list is the main template's as it was when the snippet was first rendered (which only
    // grows since), then the snippet itself: the snippet is all that can be missing from the main template's.
    main.inSearchList ??= new Set(main.searchList);
    if (!main.inSearchList.has(instance.self)) {
      main.searchList.push(instance.self);
      main.inSearchList.add(instance.self);
    }
    return output;
  }

  // ---- expressions --------------------------------------------------------------------------------------------

  private locate(error: unknown, pos: number, frame: Frame): unknown {
    if (error instanceof PyError && error.location === undefined) {
      const source: TemplateText = frame.instance.ast.source;
      error.location = { file: source.file, ...source.location(pos) };
    }
    return error;
  }

  evaluate(expr: Expr, frame: Frame): unknown {
    try {
      const value = this.evaluateInner(expr, frame);
      checkValueSize(value);
      return value;
    } catch (error) {
      throw this.locate(error, expr.pos, frame);
    }
  }

  private evaluateInner(expr: Expr, frame: Frame): unknown {
    switch (expr.kind) {
      case 'constant':
        return expr.value;
      case 'var':
        return this.evaluateVar(expr, frame);
      case 'name':
        return this.bareName(expr.name, frame);
      case 'list':
        return expr.items.map((item) => this.evaluate(item, frame));
      case 'tuple':
        return new PyTuple(expr.items.map((item) => this.evaluate(item, frame)));
      case 'dict':
        return newDict(
          expr.entries.map(
            ([key, value]) => [this.evaluate(key, frame), this.evaluate(value, frame)] as const,
          ),
        );
      case 'attribute': {
        const target = this.evaluate(expr.target, frame);
        const value = getAttribute(target, expr.name);
        if (hasNoAttribute(value))
          throw new PyError('AttributeError', `'${typeName(target)}' object has no attribute '${expr.name}'`);
        return value;
      }
      case 'subscript':
        return this.subscript(this.evaluate(expr.target, frame), expr.index, frame);
      case 'call':
        return this.call(this.evaluate(expr.callee, frame), expr.args, frame);
      case 'unary':
        return pyUnary(expr.op, this.evaluate(expr.operand, frame));
      case 'not':
        return !pyTruthy(this.evaluate(expr.operand, frame));
      case 'binary':
        return pyBinary(
          expr.op,
          this.evaluate(expr.left, frame),
          this.evaluate(expr.right, frame),
          percentFormat,
        );
      case 'and': {
        const left = this.evaluate(expr.left, frame);
        return pyTruthy(left) ? this.evaluate(expr.right, frame) : left;
      }
      case 'or': {
        const left = this.evaluate(expr.left, frame);
        return pyTruthy(left) ? left : this.evaluate(expr.right, frame);
      }
      case 'compare': {
        let left = this.evaluate(expr.first, frame);
        for (let i = 0; i < expr.ops.length; i++) {
          const right = this.evaluate(expr.rest[i] as Expr, frame);
          if (!compare(expr.ops[i] as string, left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'conditional':
        return pyTruthy(this.evaluate(expr.test, frame))
          ? this.evaluate(expr.body, frame)
          : this.evaluate(expr.orelse, frame);
      case 'comprehension':
        return this.comprehension(expr, frame);
    }
  }

  private evaluateVar(expr: Extract<Expr, { kind: 'var' }>, frame: Frame): unknown {
    let value: unknown;
    for (const step of expr.steps) {
      switch (step.kind) {
        case 'lookup':
          value = this.lookup(step.name, frame);
          if (step.autocall) value = autocall(value);
          break;
        case 'key': {
          // The dict key first, as valueForKey would, without making the closure that names the owner in errors.
          const item = isDict(value) ? dictGet(value, step.name) : NOT_FOUND;
          value =
            !isMissing(item) && item !== NOT_FOUND
              ? item
              : valueForKey(value, step.name, () =>
                  expr.raw.slice(0, step.pos - expr.pos).replace(/\.$/, ''),
                );
          if (step.autocall) value = autocall(value);
          break;
        }
        case 'call':
          value = this.call(value, step.args, frame);
          break;
        case 'index':
          value = this.subscript(value, step.index, frame);
          break;
      }
    }
    return value;
  }

  /** NameMapper's valueFromFrameOrSearchList: locals, the search list, then the builtins. */
  private lookup(name: string, frame: Frame): unknown {
    const local = frame.locals.get(name);
    if (local !== undefined) return local;
    const found = this.fromSearchList(frame.instance, name);
    if (found !== NOT_FOUND) return found;
    const builtin = builtins.get(name);
    if (builtin !== undefined) return builtin;
    throw new NotFoundError(`the variable ${JSON.stringify(name)} is not defined`);
  }

  private fromSearchList(instance: Instance, name: string): unknown {
    for (const namespace of instance.searchList) {
      if (namespace.kind === 'dict') {
        const value = dictGet(namespace.dict, name);
        if (!isMissing(value)) return value;
      } else if (namespace.kind === 'shared') {
        const value = dictGet(namespace.dict, name);
        if (isMissing(value)) continue;
        if (typeof value !== 'object' || value === null) return value;
        let copy = namespace.copies.get(value);
        if (copy === undefined) {
          copy = namespace.copy(value);
          namespace.copies.set(value, copy);
        }
        return copy;
      } else {
        const value = this.selfAttribute(namespace.instance, name);
        if (value !== undefined) return value;
      }
    }
    return NOT_FOUND;
  }

  private bareName(name: string, frame: Frame): unknown {
    for (let scope: Frame | undefined = frame; scope; scope = scope.parent) {
      const value = scope.locals.get(name);
      if (value !== undefined) return value;
    }
    const builtin = builtins.get(name);
    if (builtin !== undefined) return builtin;
    throw new PyError('NameError', `name '${name}' is not defined (write $${name} for a template variable)`);
  }

  private call(callee: unknown, args: Extract<VarStep, { kind: 'call' }>['args'], frame: Frame): unknown {
    const positional = args.positional.map((arg) => this.evaluate(arg, frame));
    let keywords: Map<string, unknown> | null = null;
    if (args.keywords.length > 0) {
      keywords = new Map();
      for (const keyword of args.keywords) keywords.set(keyword.name, this.evaluate(keyword.value, frame));
    }
    if (!(callee instanceof PyCallable)) throw typeError(`'${typeName(callee)}' object is not callable`);
    return callee.impl(positional, keywords);
  }

  private subscript(target: unknown, index: Subscript, frame: Frame): unknown {
    if (index.kind === 'item') return pyGetItem(target, this.evaluate(index.value, frame));
    const bound = (expr: Expr | null) => (expr === null ? null : this.evaluate(expr, frame));
    return pySlice(target, bound(index.start), bound(index.stop), bound(index.step));
  }

  private countTurn(): void {
    this.loopTurns += 1;
    if (this.loopTurns > MAX_LOOP_TURNS) {
      throw new PyError(
        'RuntimeError',
        `the loops ran more than ${MAX_LOOP_TURNS} times, so the render was stopped`,
      );
    }
  }

  private comprehension(expr: Extract<Expr, { kind: 'comprehension' }>, frame: Frame): unknown {
    // Python 3 runs a comprehension in its own function: its loop variables do not leak.
    const scope: Frame = { locals: new Map(), instance: frame.instance, catches: false, parent: frame };
    const results: unknown[] = [];
    const run = (level: number): void => {
      const clause = expr.clauses[level];
      if (clause === undefined) {
        results.push(this.evaluate(expr.element, scope));
        return;
      }
      const iterable = this.evaluate(clause.iterable, level === 0 ? frame : scope);
      for (const item of this.iterate(iterable, clause.iterable, frame)) {
        this.countTurn();
        this.assign(clause.target, item, scope);
        if (clause.conditions.every((condition) => pyTruthy(this.evaluate(condition, scope)))) run(level + 1);
      }
    };
    run(0);
    return expr.generator ? new PyIterator('generator', results) : results;
  }
}

const NOT_FOUND = Symbol('not found');

/** Cheetah calls a function or method reached by name without parentheses, but never a class. */
function autocall(value: unknown): unknown {
  return value instanceof PyCallable && !value.isClass ? value.impl([], null) : value;
}

/** NameMapper's valueForKey: a dict key first, then an attribute; NotFound when neither exists. */
function valueForKey(value: unknown, key: string, owner: () => string): unknown {
  if (isDict(value)) {
    const item = dictGet(value, key);
    if (!isMissing(item)) return item;
  }
  const attribute = getAttribute(value, key);
  if (!hasNoAttribute(attribute)) return attribute;
  throw new NotFoundError(`${JSON.stringify(owner())} has no key or attribute ${JSON.stringify(key)}`);
}

function setItem(container: unknown, key: unknown, value: unknown): void {
  if (isDict(container)) {
    dictSet(container, key, value);
    return;
  }
  if (Array.isArray(container)) {
    if (!isIntegral(key)) throw typeError(`list indices must be integers or slices, not ${typeName(key)}`);
    let index = toNumber(key);
    if (index < 0) index += container.length;
    if (index < 0 || index >= container.length)
      throw new PyError('IndexError', 'list assignment index out of range');
    container[index] = value;
    return;
  }
  throw typeError(`'${typeName(container)}' object does not support item assignment`);
}

function isSame(a: unknown, b: unknown): boolean {
  return (a ?? null) === (b ?? null);
}

function compare(op: string, left: unknown, right: unknown): boolean {
  switch (op) {
    case '==':
      return pyEquals(left, right);
    case '!=':
      return !pyEquals(left, right);
    case 'in':
      return pyContains(right, left);
    case 'not in':
      return !pyContains(right, left);
    case 'is':
      return isSame(left, right);
    case 'is not':
      return !isSame(left, right);
    default:
      return pyOrder(left, right, op as '<' | '<=' | '>' | '>=');
  }
}
