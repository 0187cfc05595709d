/** AST of a rule filter (OData `$filter` subset), produced once by parseFilter and compiled by compileFilter. */

export type ValueType = 'string' | 'datetime' | 'number' | 'boolean' | 'null';
export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type StringFunction = 'startswith' | 'endswith' | 'contains';

/** Where a property is read from: the event, or the item bound to a lambda variable. */
export type Scope = { kind: 'event' } | { kind: 'resource' | 'property'; slot: number };

/** A point in time with Graph's 7-digit precision: epoch milliseconds plus 100 ns ticks below the millisecond. */
export interface Instant {
  ms: number;
  ticks: number;
}

export type Operand =
  | { kind: 'property'; scope: Scope; field: string; type: 'string' | 'datetime'; path: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'datetime'; value: Instant; text: string }
  | FunctionCall
  | Lambda;

export interface FunctionCall {
  kind: 'function';
  name: StringFunction;
  args: [Operand, Operand];
}

/** `resources/any(r: …)`, `r/modifiedProperties/all(p: …)`; `any()` with no body means "not empty". */
export interface Lambda {
  kind: 'lambda';
  quantifier: 'any' | 'all';
  collection: 'resources' | 'modifiedProperties';
  /** The scope the collection is read from (the event for resources, a resource for its modified properties). */
  source: Scope;
  /** Slot the variable is bound to while the body runs; -1 for `any()`. */
  slot: number;
  body?: FilterNode;
}

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; op: ComparisonOperator; left: Operand; right: Operand }
  | { kind: 'boolean'; value: boolean }
  | FunctionCall
  | Lambda;

/** A parsed filter: the root expression and how many lambda slots evaluation needs. */
export interface ParsedFilter {
  root: FilterNode;
  slots: number;
}

/** A filter that does not parse; `position` is the 1-based character offset where the problem is. */
export class FilterSyntaxError extends Error {
  constructor(
    readonly position: number,
    readonly detail: string,
  ) {
    super(`at ${position}: ${detail}`);
    this.name = 'FilterSyntaxError';
  }
}
