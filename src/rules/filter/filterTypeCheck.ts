import { type ComparisonOperator, type FilterNode, FilterSyntaxError, type Operand, type ValueType } from './filterAst';
import { describeToken, type Token } from './filterLexer';

/** The type checks of the filter language's comparisons, at parse time (used by filterParser.ts). */

const mirrored: Record<ComparisonOperator, ComparisonOperator> = {
  eq: 'eq',
  ne: 'ne',
  gt: 'lt',
  ge: 'le',
  lt: 'gt',
  le: 'ge',
};

export function operandType(o: Operand): ValueType {
  switch (o.kind) {
    case 'property':
      return o.type;
    case 'function':
    case 'lambda':
      return 'boolean';
    default:
      return o.kind;
  }
}

const literalKinds = new Set(['string', 'number', 'boolean', 'null', 'datetime']);

/** Type-checks a comparison; literals go to the right (`'x' eq p` becomes `p eq 'x'`). */
export function checkComparison(
  op: ComparisonOperator,
  left: Operand,
  right: Operand,
  leftToken: Token,
  rightToken: Token,
): FilterNode {
  if (literalKinds.has(left.kind) && literalKinds.has(right.kind))
    throw new FilterSyntaxError(
      leftToken.pos + 1,
      `expected a property or function on one side of ${op} but found two literals`,
    );
  if (literalKinds.has(left.kind)) return checkComparison(mirrored[op], right, left, rightToken, leftToken);
  const l = operandType(left);
  const r = operandType(right);
  const at = rightToken.pos + 1;
  const ordering = op !== 'eq' && op !== 'ne';
  if (r === 'null' && ordering)
    throw new FilterSyntaxError(at, `expected eq or ne to compare with null but found ${op}`);
  if (l === 'string') {
    if (r === 'datetime')
      throw new FilterSyntaxError(
        at,
        'expected a string, number, boolean or null to compare a string property with but found a datetime',
      );
    if (r === 'boolean' && (ordering || right.kind !== 'boolean'))
      throw new FilterSyntaxError(at, `expected a string or number for ${op} but found a boolean`);
  } else if (l === 'datetime') {
    if (r !== 'datetime' && r !== 'null')
      throw new FilterSyntaxError(at, `expected a datetime (e.g. 2025-01-10T08:00:00Z, unquoted) but found a ${r}`);
  } else if (r !== 'boolean' || ordering || right.kind !== 'boolean') {
    throw new FilterSyntaxError(
      at,
      `expected eq / ne true or false after a function or lambda but found ${op} ${describeToken(rightToken)}`,
    );
  }
  return { kind: 'compare', op, left, right };
}
