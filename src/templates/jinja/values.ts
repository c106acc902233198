// The values Jinja adds to Python's: Undefined (what a missing name or key gives: empty when written, false when
// tested, an error when looked into), macros, the loop variable, namespace(), cycler(), joiner(), imported
// templates and groupby()'s groups. Everything else is a Python value as cheetah/python-values.ts models it.
import { PyCallable, type PyCallImpl, PyError, PyObject, PyTuple } from '../cheetah/python-values.js';

export class JinjaUndefined extends PyObject {
  /** Why it is undefined, in Jinja's words: "'x' is undefined", "'dict object' has no attribute 'y'". */
  constructor(readonly hint: string) {
    super();
  }

  error(): PyError {
    return new PyError('UndefinedError', this.hint);
  }
}

export function isUndefined(value: unknown): value is JinjaUndefined {
  return value instanceof JinjaUndefined;
}

export class JinjaMacro extends PyCallable {
  constructor(
    name: string,
    readonly parameterNames: readonly string[],
    impl: PyCallImpl,
  ) {
    super(name, false, impl, 'Macro', `<Macro '${name}'>`);
  }
}

/** namespace(): the one object whose attributes `{% set ns.x = ... %}` may set, so loops can carry state out. */
export class JinjaNamespace extends PyObject {
  readonly attributes = new Map<string, unknown>();
}

/** What `{% import %}` gives: the macros and top-level variables of the imported template. */
export class TemplateModule extends PyObject {
  constructor(
    readonly templateName: string,
    readonly exports: ReadonlyMap<string, unknown>,
  ) {
    super();
  }
}

/** groupby()'s groups: tuples of (grouper, list) that also answer to those two names. */
export class GroupTuple extends PyTuple {
  get grouper(): unknown {
    return this.items[0];
  }

  get list(): unknown {
    return this.items[1];
  }
}

/**
 * An object with a fixed set of attributes: the loop variable, cycler() and joiner(). `attributes` is asked for a
 * name and gives undefined when there is no such attribute.
 */
export class AttributeObject extends PyObject {
  constructor(
    readonly typeName: string,
    readonly attribute: (name: string) => unknown,
    readonly call?: PyCallImpl,
  ) {
    super();
  }
}

export function method(name: string, impl: PyCallImpl): PyCallable {
  return new PyCallable(name, false, impl, 'method', `<bound method ${name}>`);
}
