import type { AuditEvent, AuditResource, ModifiedProperty } from '../../audit/auditEvent';
import type { ComparisonOperator, FilterNode, FunctionCall, Instant, Lambda, Operand, ParsedFilter } from './filterAst';
import { operandType } from './filterParser';

/**
 * Compiles a parsed filter into a plain closure tree, evaluated locally with no eval / Function. Semantics:
 * - strings compare case-insensitively (eq, ne, and gt / ge / lt / le on the lower-cased text), as Graph's
 *   startswith / endswith / contains do;
 * - a string property compared with a number is read as a number (`p/newValue gt 5`; Graph sends numbers as
 *   text); with true / false, as `True` / `False` text; text that is not a number never compares;
 * - null: `eq null` / `ne null` test absence; an ordering comparison or function with a null side is false,
 *   and `ne` with exactly one null side is true (OData rules);
 * - datetimes compare with Graph's full 7-digit precision.
 */
export type EventPredicate = (event: AuditEvent) => boolean;

interface Ctx {
  event: AuditEvent;
  slots: (AuditResource | ModifiedProperty | undefined)[];
}
type Pred = (ctx: Ctx) => boolean;
type Getter<T> = (ctx: Ctx) => T;

export function compileFilter(parsed: ParsedFilter): EventPredicate {
  const pred = compileNode(parsed.root);
  return (event) => pred({ event, slots: new Array<Ctx['slots'][number]>(parsed.slots) });
}

function compileNode(node: FilterNode): Pred {
  switch (node.kind) {
    case 'and': {
      const [a, b] = [compileNode(node.left), compileNode(node.right)];
      return (c) => a(c) && b(c);
    }
    case 'or': {
      const [a, b] = [compileNode(node.left), compileNode(node.right)];
      return (c) => a(c) || b(c);
    }
    case 'not': {
      const a = compileNode(node.operand);
      return (c) => !a(c);
    }
    case 'boolean': {
      const v = node.value;
      return () => v;
    }
    case 'function':
      return compileFunction(node);
    case 'lambda':
      return compileLambda(node);
    case 'compare':
      return compileComparison(node.op, node.left, node.right);
  }
}

function stringGetter(o: Operand): Getter<string | null> {
  switch (o.kind) {
    case 'string': {
      const v = o.value;
      return () => v;
    }
    case 'null':
      return () => null;
    case 'property': {
      const { scope, field } = o;
      if (scope.kind === 'event') {
        if (field.startsWith('actor.')) {
          const key = field.slice(6) as keyof AuditEvent['actor'];
          return (c) => c.event.actor[key];
        }
        const key = field as 'activityType';
        return (c) => c.event[key];
      }
      const { slot } = scope;
      return (c) => (c.slots[slot] as unknown as Record<string, string | null> | undefined)?.[field] ?? null;
    }
    default:
      throw new Error(`not a string operand: ${o.kind}`);
  }
}

function compileFunction(node: FunctionCall): Pred {
  const [a, b] = node.args.map(stringGetter);
  const test =
    node.name === 'startswith'
      ? (x: string, y: string) => x.startsWith(y)
      : node.name === 'endswith'
        ? (x: string, y: string) => x.endsWith(y)
        : (x: string, y: string) => x.includes(y);
  return (c) => {
    const x = a(c);
    const y = b(c);
    return x !== null && y !== null && test(x.toLowerCase(), y.toLowerCase());
  };
}

function compileLambda(node: Lambda): Pred {
  const items: Getter<readonly (AuditResource | ModifiedProperty)[]> =
    node.source.kind === 'event'
      ? (c) => c.event.resources
      : (
          (slot) => (c: Ctx) =>
            (c.slots[slot] as AuditResource | undefined)?.modifiedProperties ?? []
        )(node.source.slot);
  if (!node.body) return (c) => items(c).length > 0;
  const body = compileNode(node.body);
  const { slot } = node;
  if (node.quantifier === 'any') {
    return (c) => {
      for (const item of items(c)) {
        c.slots[slot] = item;
        if (body(c)) return true;
      }
      return false;
    };
  }
  return (c) => {
    for (const item of items(c)) {
      c.slots[slot] = item;
      if (!body(c)) return false;
    }
    return true;
  };
}

const order = (op: ComparisonOperator, d: number): boolean =>
  op === 'gt' ? d > 0 : op === 'ge' ? d >= 0 : op === 'lt' ? d < 0 : d <= 0;
const numeric = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const toNumber = (s: string) => (numeric.test(s) ? Number(s) : Number.NaN);

/** Equality and ordering with OData null rules: eq / ne see null as a value, orderings with null are false. */
function nullAware<T>(
  op: ComparisonOperator,
  get: [Getter<T | null>, Getter<T | null>],
  same: (x: T, y: T) => boolean,
  diff: (x: T, y: T) => number,
): Pred {
  const [a, b] = get;
  if (op === 'eq')
    return (c) => {
      const x = a(c);
      const y = b(c);
      return x === null || y === null ? x === y : same(x, y);
    };
  if (op === 'ne')
    return (c) => {
      const x = a(c);
      const y = b(c);
      return x === null || y === null ? x !== y : !same(x, y);
    };
  return (c) => {
    const x = a(c);
    const y = b(c);
    return x !== null && y !== null && order(op, diff(x, y));
  };
}

function compileComparison(op: ComparisonOperator, left: Operand, right: Operand): Pred {
  const type = operandType(left);
  if (type === 'boolean') {
    const pred = compileNode(left as FunctionCall | Lambda);
    const want = right.kind === 'boolean' && right.value;
    return op === 'eq' ? (c) => pred(c) === want : (c) => pred(c) !== want;
  }
  if (type === 'datetime') {
    const b: Getter<Instant | null> =
      right.kind === 'datetime'
        ? (
            (v) => () =>
              v
          )(right.value)
        : right.kind === 'null'
          ? () => null
          : eventInstant;
    return nullAware(
      op,
      [eventInstant, b],
      (x, y) => x.ms === y.ms && x.ticks === y.ticks,
      (x, y) => x.ms - y.ms || x.ticks - y.ticks,
    );
  }
  const a = stringGetter(left);
  if (right.kind === 'number') {
    const n = right.value;
    const get: Getter<number | null> = (c) => {
      const s = a(c);
      return s === null ? null : toNumber(s);
    };
    // NaN never equals and never orders, so text that is not a number matches only `ne`.
    return nullAware(
      op,
      [get, () => n],
      (x, y) => x === y,
      (x, y) => (Number.isNaN(x) ? Number.NaN : x - y),
    );
  }
  if (right.kind === 'boolean') {
    const want = String(right.value);
    return op === 'eq' ? (c) => a(c)?.trim().toLowerCase() === want : (c) => a(c)?.trim().toLowerCase() !== want;
  }
  if (right.kind === 'string') {
    const lower = right.value.toLowerCase();
    return nullAware(
      op,
      [(c) => a(c)?.toLowerCase() ?? null, () => lower],
      (x, y) => x === y,
      (x, y) => (x < y ? -1 : x > y ? 1 : 0),
    );
  }
  const b = stringGetter(right);
  return nullAware(
    op,
    [(c) => a(c)?.toLowerCase() ?? null, (c) => b(c)?.toLowerCase() ?? null],
    (x, y) => x === y,
    (x, y) => (x < y ? -1 : x > y ? 1 : 0),
  );
}

const fraction = /\.(\d+)/;

/** The event's activityDateTime with sub-millisecond ticks (digits 4-7 of the fraction) kept. */
function eventInstant(c: Ctx): Instant {
  const m = fraction.exec(c.event.activityDateTime);
  return { ms: c.event.activityTimeInMs, ticks: m ? Number(m[1].slice(3, 7).padEnd(4, '0')) : 0 };
}
