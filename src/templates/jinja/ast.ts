// The parsed form of a Jinja template: what parser.ts produces and evaluate.ts walks.

export interface CallArguments {
  args: Expr[];
  kwargs: [string, Expr][];
  star?: Expr;
  doubleStar?: Expr;
}

export type Expr =
  | { t: 'const'; value: unknown; line: number }
  | { t: 'name'; name: string; line: number }
  | { t: 'tuple' | 'list'; items: Expr[]; line: number }
  | { t: 'dict'; pairs: [Expr, Expr][]; line: number }
  | { t: 'getattr'; object: Expr; name: string; line: number }
  | { t: 'getitem'; object: Expr; key: Expr; line: number }
  | { t: 'slice'; start?: Expr; stop?: Expr; step?: Expr; line: number }
  | { t: 'call'; callee: Expr; args: CallArguments; line: number }
  /** `operand` is null in a filter block or a `{% set x | f %}`, where the body is the value. */
  | { t: 'filter'; operand: Expr | null; name: string; args: CallArguments; line: number }
  | { t: 'test'; operand: Expr; name: string; args: CallArguments; negated: boolean; line: number }
  | { t: 'binary'; op: string; left: Expr; right: Expr; line: number }
  | { t: 'unary'; op: string; operand: Expr; line: number }
  | { t: 'not'; operand: Expr; line: number }
  | { t: 'and' | 'or'; left: Expr; right: Expr; line: number }
  | { t: 'compare'; first: Expr; ops: { op: string; expr: Expr }[]; line: number }
  | { t: 'cond'; test: Expr; ifTrue: Expr; ifFalse?: Expr; line: number };

export type Target =
  | { t: 'name'; name: string; line: number }
  | { t: 'tuple'; items: Target[]; line: number }
  | { t: 'nsattr'; namespace: string; attribute: string; line: number };

export interface Parameter {
  name: string;
  fallback?: Expr;
}

export type Node =
  | { t: 'text'; text: string }
  | { t: 'print'; expr: Expr; line: number }
  | { t: 'if'; branches: { test: Expr; body: Node[] }[]; otherwise?: Node[]; line: number }
  | {
      t: 'for';
      target: Target;
      iterable: Expr;
      filter?: Expr;
      recursive: boolean;
      body: Node[];
      otherwise?: Node[];
      line: number;
    }
  | { t: 'set'; target: Target; expr: Expr; line: number }
  | { t: 'setblock'; target: Target; filters: Expr | null; body: Node[]; line: number }
  | { t: 'macro'; name: string; params: Parameter[]; body: Node[]; line: number }
  | { t: 'callblock'; call: Expr & { t: 'call' }; params: Parameter[]; body: Node[]; line: number }
  | { t: 'filterblock'; filters: Expr | null; body: Node[]; line: number }
  | { t: 'with'; assignments: { target: Target; expr: Expr }[]; body: Node[]; line: number }
  | { t: 'block'; name: string; body: Node[]; line: number }
  | { t: 'extends'; template: Expr; line: number }
  | { t: 'include'; template: Expr; ignoreMissing: boolean; withContext: boolean; line: number }
  | { t: 'import'; template: Expr; alias: string; withContext: boolean; line: number }
  | {
      t: 'fromimport';
      template: Expr;
      names: { name: string; alias: string }[];
      withContext: boolean;
      line: number;
    };
