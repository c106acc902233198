// The parsed form of a template. Positions are offsets into TemplateText.text; TemplateText maps them to lines.
import type { TemplateText } from './source.js';

/**
 * A `$name.chain` read through Cheetah's NameMapper: the first name is looked up in the local variables, the
 * search list and the builtins; each further name is a dict key or else an attribute. A name that is not found
 * raises NotFound (which verbatim mode turns back into text); a function reached by a name is called with no
 * arguments when `autocall` is set.
 */
export type VarStep =
  | { readonly kind: 'lookup'; readonly name: string; readonly autocall: boolean; readonly pos: number }
  | { readonly kind: 'key'; readonly name: string; readonly autocall: boolean; readonly pos: number }
  | { readonly kind: 'call'; readonly args: CallArguments; readonly pos: number }
  | { readonly kind: 'index'; readonly index: Subscript; readonly pos: number };

export interface CallArguments {
  readonly positional: readonly Expr[];
  readonly keywords: readonly { readonly name: string; readonly value: Expr }[];
}

export type Subscript =
  | { readonly kind: 'item'; readonly value: Expr }
  | {
      readonly kind: 'slice';
      readonly start: Expr | null;
      readonly stop: Expr | null;
      readonly step: Expr | null;
    };

export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is' | 'is not';
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '&' | '|' | '^' | '<<' | '>>';

export interface Comprehension {
  readonly target: Target;
  readonly iterable: Expr;
  readonly conditions: readonly Expr[];
}

export type Expr =
  | { readonly kind: 'constant'; readonly value: unknown; readonly pos: number }
  | { readonly kind: 'list'; readonly items: readonly Expr[]; readonly pos: number }
  | { readonly kind: 'tuple'; readonly items: readonly Expr[]; readonly pos: number }
  | { readonly kind: 'dict'; readonly entries: readonly (readonly [Expr, Expr])[]; readonly pos: number }
  | { readonly kind: 'name'; readonly name: string; readonly pos: number }
  | { readonly kind: 'var'; readonly steps: readonly VarStep[]; readonly raw: string; readonly pos: number }
  | { readonly kind: 'attribute'; readonly target: Expr; readonly name: string; readonly pos: number }
  | { readonly kind: 'subscript'; readonly target: Expr; readonly index: Subscript; readonly pos: number }
  | { readonly kind: 'call'; readonly callee: Expr; readonly args: CallArguments; readonly pos: number }
  | { readonly kind: 'unary'; readonly op: '-' | '+' | '~'; readonly operand: Expr; readonly pos: number }
  | { readonly kind: 'not'; readonly operand: Expr; readonly pos: number }
  | {
      readonly kind: 'binary';
      readonly op: ArithmeticOperator;
      readonly left: Expr;
      readonly right: Expr;
      readonly pos: number;
    }
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr; readonly pos: number }
  | {
      readonly kind: 'compare';
      readonly first: Expr;
      readonly ops: readonly CompareOperator[];
      readonly rest: readonly Expr[];
      readonly pos: number;
    }
  | {
      readonly kind: 'conditional';
      readonly test: Expr;
      readonly body: Expr;
      readonly orelse: Expr;
      readonly pos: number;
    }
  | {
      readonly kind: 'comprehension';
      readonly element: Expr;
      readonly clauses: readonly Comprehension[];
      readonly generator: boolean;
      readonly pos: number;
    };

export type Target =
  | { readonly kind: 'name'; readonly name: string; readonly pos: number }
  | { readonly kind: 'unpack'; readonly items: readonly Target[]; readonly pos: number };

export type SetTarget =
  | Target
  | { readonly kind: 'item'; readonly name: string; readonly index: Subscript; readonly pos: number };

/** Whether a $placeholder turns NotFound back into its own text: as the mode says, or forced by #errorCatcher. */
export type CatchMode = 'mode' | 'on' | 'off';

export type Node =
  | { readonly kind: 'text'; value: string }
  | {
      readonly kind: 'placeholder';
      readonly expr: Expr;
      readonly raw: string;
      readonly silent: boolean;
      readonly catchMode: CatchMode;
      readonly pos: number;
    }
  | {
      readonly kind: 'if';
      readonly branches: { readonly test: Expr; readonly body: Node[] }[];
      orelse: Node[] | null;
      readonly pos: number;
    }
  | {
      readonly kind: 'for';
      readonly target: Target;
      readonly iterable: Expr;
      readonly body: Node[];
      readonly pos: number;
    }
  | {
      readonly kind: 'set';
      readonly target: SetTarget;
      readonly op: string;
      readonly value: Expr;
      readonly global: boolean;
      readonly pos: number;
    }
  | { readonly kind: 'silent' | 'echo'; readonly expr: Expr; readonly pos: number }
  | { readonly kind: 'include'; readonly path: Expr; readonly raw: boolean; readonly pos: number }
  | { readonly kind: 'break' | 'continue' | 'stop'; readonly pos: number };

export interface Parameter {
  readonly name: string;
  readonly fallback: Expr | null;
}

export interface Definition {
  readonly name: string;
  readonly params: readonly Parameter[];
  readonly body: Node[];
  readonly pos: number;
}

export interface TemplateAst {
  readonly source: TemplateText;
  readonly body: Node[];
  /** #def blocks, hoisted: Cheetah compiles them to methods, callable from anywhere in the template. */
  readonly defs: ReadonlyMap<string, Definition>;
}
